"""Data triggers start real local runs through the workspace: an object put into a bucket of a real S3-compatible
server (rclone on 127.0.0.1) starts one run with its s3:// URI; the run is linked to its trigger."""

import time

from ai4mlops_lab.objectstore import S3Uri
from ai4mlops_lab.workspace import Workspace

from ..notebooks import COUNTS_LINES, write_notebook
from ..runs.conftest import wait_for
from .conftest import Clock


def test_an_object_put_into_a_watched_bucket_starts_one_real_run(tmp_path, s3_server, monkeypatch):
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    s3_server.bucket("incoming")
    write_notebook(tmp_path, "count.ipynb", COUNTS_LINES)
    clock = Clock(time.time())
    space = Workspace(tmp_path / ".ai4mlops", root=tmp_path, clock=clock)
    space.triggers.create(
        name="bucket",
        notebook_path="count.ipynb",
        source="s3://incoming/daily",
        pattern="*.csv",
        parameter="data_path",
        settle_seconds=0,
        poll_seconds=1,
    )
    assert space.watcher.tick() == []
    upload = tmp_path / "upload.csv"
    upload.write_text("a\n1\n2\n")
    space.object_store.upload(upload, S3Uri("incoming", "daily/2026-01-01.csv"))
    space.object_store.upload(upload, S3Uri("incoming", "daily/notes.txt"))

    clock.now += 1
    [started] = space.watcher.tick()
    assert (started.outcome, started.paths) == ("started", ("2026-01-01.csv",)), started
    space.object_store.upload(upload, S3Uri("incoming", "daily/again.csv"))  # the same bytes again: no run
    clock.now += 1
    assert space.watcher.tick() == []

    run = wait_for(space.run_service, started.run_id)
    assert run["status"] == "succeeded", run["error"]
    assert (run["trigger"], run["parameters"]) == ("bucket", {"data_path": "s3://incoming/daily/2026-01-01.csv"})
    assert run["metrics"] == {"files": 1.0, "lines": 0.0}
    assert [r["id"] for r in space.run_service.runs(trigger="bucket")["runs"]] == [run["id"]]
    [seen] = space.triggers.files("bucket")["seen"]
    assert (seen["state"], seen["run_id"], seen["content_hash"][:5]) == ("started", run["id"], "etag:")
    assert space.triggers.get("bucket")["last_error"] is None
