"""The data triggers REST API through the real server (every reply checked against the OpenAPI document): create,
read, change, enable, disable, delete, files; a 422 names the field; and the background loop starts a real run for
a file dropped into a watched folder; an S3 endpoint that never answers holds up neither the event loop nor the
API."""

import asyncio
import socket
import threading
import time

from ..notebooks import COUNTS_LINES, write_notebook
from .test_runs_api import api, failure, wait

INCOMING = {
    "name": "incoming",
    "notebook_path": "count.ipynb",
    "source": "data/incoming",
    "pattern": "*.csv",
    "parameter": "data_path",
}


def prepare(root) -> None:
    write_notebook(root, "count.ipynb", COUNTS_LINES)
    (root / "data" / "incoming").mkdir(parents=True)


async def test_create_read_change_switch_and_delete_a_trigger(jp_fetch, jp_root_dir):
    prepare(jp_root_dir)
    response, created = await api(jp_fetch, "triggers", method="POST", body={**INCOMING, "parameters": {"k": 1}})
    assert response.code == 201
    assert (created["source"], created["settle_seconds"], created["batch"], created["enabled"]) == (
        "data/incoming",
        10,
        False,
        True,
    )
    _, listing = await api(jp_fetch, "triggers")
    assert [(t["name"], t["last_seen"]) for t in listing["triggers"]] == [("incoming", None)]
    _, changed = await api(
        jp_fetch, "triggers", "incoming", method="PATCH", body={"source": "s3://bucket/in", "batch": True}
    )
    assert (changed["source"], changed["batch"], changed["baseline_at"]) == ("s3://bucket/in/", True, None)
    _, disabled = await api(jp_fetch, "triggers", "incoming", "disable", method="POST", body={})
    assert disabled["enabled"] is False
    _, enabled = await api(jp_fetch, "triggers", "incoming", "enable", method="POST", body={})
    assert enabled["enabled"] is True
    _, files = await api(jp_fetch, "triggers", "incoming", "files")
    assert files == {"trigger": "incoming", "seen": [], "waiting": []}
    _, runs = await api(jp_fetch, "runs", params={"trigger": "incoming"})
    assert runs["runs"] == []
    _, removed = await api(jp_fetch, "triggers", "incoming", method="DELETE")
    assert removed == {"name": "incoming", "removed": True}
    assert (await failure(jp_fetch, "triggers", "incoming"))[0] == 404


async def test_mistakes_answer_422_naming_the_field(jp_fetch, jp_root_dir):
    prepare(jp_root_dir)
    for body, field in [
        ({**INCOMING, "source": "../outside"}, "source"),
        ({**INCOMING, "source": ".ai4mlops"}, "source"),
        ({**INCOMING, "source": "s3://No_Such/x"}, "source"),
        ({**INCOMING, "pattern": "../*.csv"}, "pattern"),
        ({**INCOMING, "parameter": ""}, "parameter"),
        ({**INCOMING, "notebook_path": "missing.ipynb"}, "notebook_path"),
        ({**INCOMING, "settle_seconds": "10"}, "settle_seconds"),
        ({**INCOMING, "color": "red"}, "color"),
    ]:
        code, error = await failure(jp_fetch, "triggers", method="POST", body=body)
        assert (code, error["error"], error["field"]) == (422, "invalid_value", field), error
    await api(jp_fetch, "triggers", method="POST", body=INCOMING)
    code, error = await failure(jp_fetch, "triggers", method="POST", body=INCOMING)
    assert (code, error["error"]) == (409, "conflict")
    code, error = await failure(jp_fetch, "triggers", "incoming", method="PATCH", body={"max_concurrent": 0})
    assert (code, error["field"]) == (422, "max_concurrent")
    for parts, method in [
        (("nope",), "GET"),
        (("nope",), "DELETE"),
        (("nope", "enable"), "POST"),
        (("nope", "files"), "GET"),
    ]:
        code, error = await failure(jp_fetch, "triggers", *parts, method=method, body={} if method == "POST" else None)
        assert (code, error["detail"]) == (404, "No trigger called 'nope'."), parts


async def test_the_background_loop_runs_a_file_dropped_into_a_watched_folder(jp_fetch, jp_root_dir):
    prepare(jp_root_dir)
    await api(jp_fetch, "triggers", method="POST", body={**INCOMING, "settle_seconds": 1, "poll_seconds": 1})
    await asyncio.sleep(2.5)  # a round of the loop notes the folder's files (none) before the drop
    dropped = jp_root_dir / "data" / "incoming" / "day1.csv"
    dropped.write_text("a\n1\n2\n3\n")
    for _ in range(120):
        _, files = await api(jp_fetch, "triggers", "incoming", "files")
        if files["seen"] and files["seen"][0]["state"] != "claimed":
            break
        await asyncio.sleep(0.25)
    [seen] = files["seen"]
    assert (seen["path"], seen["state"], seen["size"]) == ("day1.csv", "started", 8), seen
    run = await wait(jp_fetch, seen["run_id"])
    assert (run["status"], run["trigger"], run["metrics"]) == ("succeeded", "incoming", {"files": 1.0, "lines": 4.0})
    assert run["parameters"] == {"data_path": str(dropped)}
    _, runs = await api(jp_fetch, "runs", params={"trigger": "incoming"})
    assert [r["id"] for r in runs["runs"]] == [run["id"]]
    _, listing = await api(jp_fetch, "triggers")
    _, trigger = await api(jp_fetch, "triggers", "incoming")
    assert listing["triggers"][0]["last_seen"] == trigger["last_seen"] == seen


async def test_a_hanging_s3_endpoint_holds_up_neither_the_event_loop_nor_the_api(jp_fetch, jp_root_dir, monkeypatch):
    prepare(jp_root_dir)
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{listener.getsockname()[1]}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAHANGINGENDPOINT1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "h" * 40)
    body = {**INCOMING, "source": "s3://bucket/in", "poll_seconds": 1}
    await api(jp_fetch, "triggers", method="POST", body=body)
    for _ in range(80):
        if held:
            break
        await asyncio.sleep(0.1)
    assert held, "the background loop never listed the bucket"
    started = time.monotonic()
    _, listing = await api(jp_fetch, "triggers")  # answered while the listing waits on the endpoint
    await api(jp_fetch, "health")
    assert held and time.monotonic() - started < 2 and listing["triggers"][0]["last_error"] is None
    held[0].close()
    listener.close()
    for _ in range(80):
        _, trigger = await api(jp_fetch, "triggers", "incoming")
        if trigger["last_error"]:
            break
        await asyncio.sleep(0.25)
    assert trigger["last_error"].startswith("Cannot reach the S3 endpoint http://127.0.0.1:"), trigger
