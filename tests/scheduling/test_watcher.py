"""The data-trigger watcher on a fake clock and a real folder: settle time, half-written files, never twice (copies,
renames, restarts, two watchers), batches, pattern matching and the sources a trigger may not watch."""

import os
import threading
import time

import pytest

from ai4mlops_lab.errors import FieldError
from ai4mlops_lab.objectstore import ObjectInfo, S3Uri
from ai4mlops_lab.scheduling import TriggerService, Watcher
from ai4mlops_lab.scheduling.sources import BucketSource, FolderSource, matches, source_text
from ai4mlops_lab.store.triggers import TriggerStore

from .conftest import Clock

T0 = 1_800_000_000


class Runs:
    """A `start_run` that records `(notebook, parameters, experiment)` and answers run ids."""

    def __init__(self):
        self.calls: list[tuple] = []

    def __call__(self, notebook, parameters, experiment):
        self.calls.append((notebook, parameters, experiment))
        return f"run-{len(self.calls)}"


@pytest.fixture
def root(tmp_path):
    (tmp_path / "inbox").mkdir()
    (tmp_path / ".ai4mlops").mkdir()
    return tmp_path


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def runs():
    return Runs()


def service(root) -> TriggerService:
    return TriggerService(
        TriggerStore(root / ".ai4mlops" / "store.sqlite"),
        source_text=lambda source: source_text(source, root=root, workspace=root / ".ai4mlops"),
    )


def watcher(root, runs, clock) -> Watcher:
    source = lambda trigger: FolderSource(root, trigger["source"], root / ".ai4mlops")  # noqa: E731
    return Watcher(root / ".ai4mlops" / "store.sqlite", runs, source, clock)


@pytest.fixture
def create(root):
    def make(**fields):
        base = {"name": "incoming", "notebook_path": "demo.ipynb", "source": "inbox", "parameter": "data_path"}
        return service(root).create(**{**base, "pattern": "*.csv", "poll_seconds": 1, **fields})

    return make


def tick_at(watch: Watcher, clock: Clock, seconds: float):
    clock.now = T0 + seconds
    return watch.tick()


def test_a_file_starts_one_run_once_it_has_settled_with_its_absolute_path(root, runs, clock, create):
    create(settle_seconds=10, parameters={"scale": 3}, experiment="e")
    watch = watcher(root, runs, clock)
    assert tick_at(watch, clock, 0) == []
    (root / "inbox" / "a.csv").write_text("x\n1\n")
    (root / "inbox" / "a.txt").write_text("not matched")
    assert tick_at(watch, clock, 1) == []
    assert tick_at(watch, clock, 10) == []  # 9 s: not settled yet
    [started] = tick_at(watch, clock, 11)
    assert (started.outcome, started.paths, started.run_id) == ("started", ("a.csv",), "run-1")
    assert runs.calls == [("demo.ipynb", {"scale": 3, "data_path": str(root / "inbox" / "a.csv")}, "e")]
    assert tick_at(watch, clock, 30) == []
    [seen] = watch.store.seen("incoming")
    assert (seen["path"], seen["state"], seen["run_id"]) == ("a.csv", "started", "run-1")
    assert seen["content_hash"].startswith("sha256:") and len(seen["content_hash"]) == 71


def test_a_file_still_being_written_waits_until_it_stops_changing(root, runs, clock, create):
    create(settle_seconds=10)
    watch = watcher(root, runs, clock)
    tick_at(watch, clock, 0)
    path = root / "inbox" / "big.csv"
    with open(path, "w") as stream:
        for second in range(1, 25, 4):  # a slow writer: more bytes every 4 s
            stream.write(f"row {second}\n")
            stream.flush()
            os.utime(path, ns=(0, (T0 + second) * 10**9))
            assert tick_at(watch, clock, second) == [], second
    assert tick_at(watch, clock, 30) == []  # written last at 21: settles at 31
    [started] = tick_at(watch, clock, 31)
    assert started.outcome == "started" and len(runs.calls) == 1
    assert watch.store.seen("incoming")[0]["size"] == path.stat().st_size


def test_the_same_content_never_runs_twice_renamed_copied_or_after_a_restart(root, runs, clock, create):
    create(settle_seconds=0)
    watch = watcher(root, runs, clock)
    tick_at(watch, clock, 0)
    (root / "inbox" / "a.csv").write_text("same")
    assert len(tick_at(watch, clock, 1)) == 1
    (root / "inbox" / "a.csv").rename(root / "inbox" / "renamed.csv")
    (root / "inbox" / "copy.csv").write_text("same")
    assert tick_at(watch, clock, 2) == [] and tick_at(watch, clock, 3) == []
    restarted = watcher(root, runs, clock)
    assert tick_at(restarted, clock, 4) == []
    os.utime(root / "inbox" / "copy.csv", ns=(0, (T0 + 5) * 10**9))  # touched: same bytes
    assert tick_at(restarted, clock, 6) == []
    (root / "inbox" / "copy.csv").write_text("changed bytes")  # new content at a known path: new data
    [started] = tick_at(restarted, clock, 7)
    assert started.paths == ("copy.csv",) and len(runs.calls) == 2
    followed = restarted.store.files(restarted.store.get("incoming")["id"])
    states = {path: row.state for path, row in followed.items()}
    assert states == {"renamed.csv": "duplicate", "copy.csv": "handled"}


def test_two_watchers_racing_on_one_file_start_one_run(root, runs, clock, create):
    create(settle_seconds=0)
    barrier = threading.Barrier(2)

    class Racing(FolderSource):
        def content_hash(self, entry):
            barrier.wait(5)  # both have the file ready before either claims it
            return super().content_hash(entry)

    source = lambda trigger: Racing(root, trigger["source"], root / ".ai4mlops")  # noqa: E731
    store = root / ".ai4mlops" / "store.sqlite"
    first, second = Watcher(store, runs, source, clock), Watcher(store, runs, source, clock)
    tick_at(first, clock, 0)
    (root / "inbox" / "a.csv").write_text("data")
    clock.now = T0 + 1
    results = []
    threads = [threading.Thread(target=lambda w=w: results.append(w.tick())) for w in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(len(r) for r in results) == [0, 1]
    assert len(runs.calls) == 1
    [row] = first.store.files(first.store.get("incoming")["id"]).values()
    assert row.state == "handled"  # the loser does not call the winner's file a duplicate


def test_files_there_before_the_trigger_are_left_alone_until_they_change(root, runs, clock):
    old = root / "inbox" / "old.csv"
    old.write_text("old")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    service(root).create(
        name="t", notebook_path="demo.ipynb", source="inbox", parameter="p", settle_seconds=0, poll_seconds=1
    )
    watch = watcher(root, runs, clock)
    assert tick_at(watch, clock, 0) == [] and tick_at(watch, clock, 1) == []
    old.write_text("old, amended")
    assert len(tick_at(watch, clock, 2)) == 1

    service(root).create(
        name="all", notebook_path="demo.ipynb", source="inbox", parameter="p", include_existing=True, settle_seconds=0
    )
    assert [s.trigger for s in tick_at(watch, clock, 10)] == ["all"]


def test_a_batch_starts_one_run_once_no_file_is_settling(root, runs, clock, create):
    create(settle_seconds=5, batch=True)
    watch = watcher(root, runs, clock)
    tick_at(watch, clock, 0)
    (root / "inbox" / "b.csv").write_text("b")
    (root / "inbox" / "a.csv").write_text("a")
    (root / "inbox" / "dup.csv").write_text("a")
    tick_at(watch, clock, 1)
    (root / "inbox" / "c.csv").write_text("c")  # arrives later: the batch waits for it
    assert tick_at(watch, clock, 4) == [] and tick_at(watch, clock, 7) == []
    [started] = tick_at(watch, clock, 9)
    assert started.paths == ("a.csv", "b.csv", "c.csv")
    inbox = root / "inbox"
    assert runs.calls[0][1] == {"data_path": f"{inbox / 'a.csv'}\n{inbox / 'b.csv'}\n{inbox / 'c.csv'}"}
    assert {s["run_id"] for s in watch.store.seen("incoming")} == {"run-1"}


def test_max_concurrent_holds_files_back_without_skipping_them(root, runs, clock, create):
    create(settle_seconds=0, max_concurrent=1)
    watch = watcher(root, runs, clock)
    tick_at(watch, clock, 0)
    for name in ("a.csv", "b.csv"):
        (root / "inbox" / name).write_text(name)
    assert [s.paths for s in tick_at(watch, clock, 1)] == [("a.csv",)]
    assert [w["path"] for w in watch.store.waiting("incoming")] == ["b.csv"]
    assert [s.paths for s in tick_at(watch, clock, 2)] == [("b.csv",)]  # run-1 is no run the store has: done


def test_a_run_that_cannot_start_marks_its_file_failed_and_is_not_retried(root, clock, create):
    create(settle_seconds=0)

    def broken(notebook, parameters, experiment):
        raise FieldError("notebook_path", "There is no file 'demo.ipynb'.")

    watch = watcher(root, broken, clock)
    tick_at(watch, clock, 0)
    (root / "inbox" / "a.csv").write_text("a")
    [failed] = tick_at(watch, clock, 1)
    assert (failed.outcome, failed.reason) == ("failed", "There is no file 'demo.ipynb'.")
    assert tick_at(watch, clock, 2) == []
    assert watch.store.seen("incoming")[0]["state"] == "failed"


def test_a_source_that_went_away_is_the_triggers_last_error(root, runs, clock, create):
    create()
    watch = watcher(root, runs, clock)
    tick_at(watch, clock, -5)
    version = watch.store.version()
    assert tick_at(watch, clock, -3) == [] and watch.store.version() == version  # a quiet tick writes nothing
    (root / "inbox").rename(root / "moved")
    assert tick_at(watch, clock, 0) == []
    assert "no file 'inbox'" in watch.store.get("incoming")["last_error"]
    (root / "moved").rename(root / "inbox")
    tick_at(watch, clock, 1)
    assert watch.store.get("incoming")["last_error"] is None


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*.csv", "a.csv", True),
        ("*.csv", "sub/a.csv", False),
        ("*.csv", "a.csv.part", False),
        ("daily/*.csv", "daily/a.csv", True),
        ("daily/*.csv", "daily/x/a.csv", False),
        ("**/*.csv", "a.csv", True),
        ("**/*.csv", "x/y/a.csv", True),
        ("data-202?-*.parquet", "data-2026-01.parquet", True),
        ("[ab]*.csv", "c.csv", False),
    ],
)
def test_patterns_match_part_by_part(pattern, path, expected):
    assert matches(pattern, path) is expected


def test_patterns_reach_into_subfolders_only_when_they_say_so(root, runs, clock, create):
    create(pattern="**/*.csv", settle_seconds=0)
    watch = watcher(root, runs, clock)
    tick_at(watch, clock, 0)
    (root / "inbox" / "day1").mkdir()
    (root / "inbox" / "day1" / "a.csv").write_text("a")
    (root / "inbox" / ".hidden.csv").write_text("h")
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("s")
    (root / "inbox" / "link.csv").symlink_to(outside / "secret.csv")
    (root / "inbox" / "linked").symlink_to(outside)
    assert [s.paths for s in tick_at(watch, clock, 1)] == [("day1/a.csv",)]


def test_watching_the_root_never_lists_the_workspace_folder(tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "inside.csv").write_text("w")
    (tmp_path / "top.csv").write_text("t")
    listed = FolderSource(tmp_path, ".", tmp_path / "ws").list("**/*.csv")
    assert [entry.path for entry in listed] == ["top.csv"]


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("../elsewhere", "outside"),
        (".ai4mlops", "workspace"),
        (".data", "hidden"),
        ("missing", "no file"),
        ("inbox/a.csv", "not a folder"),
        ("s3://Bad_Bucket/x", "not a valid bucket name"),
        ("", "needs a source"),
    ],
)
def test_sources_outside_the_root_or_in_the_workspace_are_refused(root, create, source, words):
    (root / "inbox" / "a.csv").write_text("a")
    (root / ".data").mkdir()
    with pytest.raises(FieldError) as caught:
        create(source=source)
    assert caught.value.field == "source" and words in caught.value.message


def test_the_workspace_folder_and_links_out_of_the_root_are_refused(tmp_path):
    root = tmp_path / "root"
    (root / "ws").mkdir(parents=True)
    (root / "out").symlink_to(tmp_path)
    check = lambda source: source_text(source, root=root, workspace=root / "ws")  # noqa: E731
    for source, words in (("ws", "workspace"), ("out", "outside")):
        with pytest.raises(FieldError, match=words):
            check(source)
    assert check("/ws/../") == "."
    assert check("s3://bucket/daily") == "s3://bucket/daily/"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pattern": "/etc/*"}, "pattern"),
        ({"pattern": "../*.csv"}, "pattern"),
        ({"parameter": "not a name"}, "parameter"),
        ({"parameters": {"data_path": "x"}}, "parameters"),
        ({"settle_seconds": -1}, "settle_seconds"),
        ({"poll_seconds": 0}, "poll_seconds"),
        ({"max_concurrent": 0}, "max_concurrent"),
        ({"batch": "yes"}, "batch"),
        ({"name": "bad name"}, "name"),
        ({"notebook_path": "x.py"}, "notebook_path"),
        ({"color": "red"}, "color"),
    ],
)
def test_bad_fields_are_field_errors_naming_the_field(create, fields, field):
    with pytest.raises(FieldError) as caught:
        create(**fields)
    assert caught.value.field == field


def test_changing_the_source_starts_the_watch_afresh(root, runs, clock, create):
    (root / "other").mkdir()
    create(settle_seconds=0)
    watch = watcher(root, runs, clock)
    tick_at(watch, clock, 0)
    (root / "inbox" / "a.csv").write_text("a")
    assert len(tick_at(watch, clock, 1)) == 1
    triggers = service(root)
    assert triggers.update("incoming", source="other")["baseline_at"] is None
    assert triggers.get("incoming")["source"] == "other"
    (root / "other" / "b.csv").write_text("b")
    assert [s.paths for s in tick_at(watch, clock, 2)] == [("b.csv",)]
    with pytest.raises(FieldError, match="cannot change"):
        triggers.update("incoming", name="renamed")


def test_objects_are_known_by_their_etag_or_without_one_by_uri_size_and_time():
    class Listing:
        def list(self, uri, recursive):
            yield ObjectInfo("in/a.csv", 3, "0cc175b9c0f1b6a831c399e269772661", 10.0)
            yield ObjectInfo("in/b.csv", 3, "", 11.0)

    source = BucketSource(Listing(), S3Uri("bucket", "in"))
    first, second = source.list("*.csv")
    assert source.content_hash(first) == "etag:0cc175b9c0f1b6a831c399e269772661"
    assert source.content_hash(second) == "object:s3://bucket/in/b.csv:3:11.0"
    assert first.location == "s3://bucket/in/a.csv" and first.path == "a.csv"
