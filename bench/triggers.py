"""Data-trigger watch ticks over many files: a folder of 10,000 files and an S3 prefix of 2,000 objects on a real
S3-compatible server (`rclone serve s3` on 127.0.0.1, from the test extras).

Run: `python bench/triggers.py [FILES] [OBJECTS]` (defaults 10000 and 2000; not run in CI). On a fake clock, with a
`start_run` that does nothing, it times: the first tick (the files already there noted once), a quiet tick (a
listing, nothing new: the steady state, every `poll_seconds`; and the listing alone), the tick noting 100 new files
and the tick that hashes, claims and starts them (one run each).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ai4mlops_lab.objectstore import ObjectStore, S3Settings, parse_uri  # noqa: E402
from ai4mlops_lab.scheduling import TriggerService, Watcher  # noqa: E402
from ai4mlops_lab.scheduling.sources import BucketSource, FolderSource, source_text  # noqa: E402
from ai4mlops_lab.store.triggers import TriggerStore  # noqa: E402
from tests.s3server import running_s3_server  # noqa: E402

NEW = 100


def ms(call) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def measure(root: Path, source: str, make_source, drop) -> dict:
    """The four timings of one trigger on `source`; `drop(name)` adds a new file."""
    clock = {"now": time.time()}
    store = root / ".ai4mlops" / "store.sqlite"
    workspace = root / ".ai4mlops"
    triggers = TriggerService(TriggerStore(store), source_text=lambda s: source_text(s, root=root, workspace=workspace))
    triggers.create(
        name="t",
        notebook_path="t.ipynb",
        source=source,
        parameter="p",
        settle_seconds=10,
        poll_seconds=1,
        max_concurrent=100,
    )
    watcher = Watcher(store, lambda *_: "run", make_source, lambda: clock["now"])

    def tick():
        clock["now"] += 1
        return watcher.tick()

    first, _ = ms(tick)
    quiet = statistics.median(ms(tick)[0] for _ in range(10))
    trigger = triggers.get("t")
    listing = statistics.median(ms(lambda: make_source(trigger).list(trigger["pattern"]))[0] for _ in range(5))
    for k in range(NEW):
        drop(f"new-{k:03d}.csv")
    noting, _ = ms(tick)
    clock["now"] += 10
    starting, started = ms(tick)
    assert len(started) == NEW, len(started)
    watcher.close()
    return {"first": first, "quiet": quiet, "listing": listing, "noting": noting, "starting": starting}


def report(what: str, timings: dict) -> None:
    print(
        f"{what}: first tick {timings['first']:.0f} ms, quiet tick (median of 10) {timings['quiet']:.0f} ms "
        f"(the listing alone {timings['listing']:.0f} ms), noting {NEW} new {timings['noting']:.0f} ms, "
        f"starting {NEW} runs {timings['starting']:.0f} ms"
    )


def main(files: int = 10_000, objects: int = 2000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "root"
        inbox = root / "inbox"
        inbox.mkdir(parents=True)
        old = time.time() - 3600
        for k in range(files):
            path = inbox / f"f{k:05d}.csv"
            path.write_text(f"x\n{k}\n")
            os.utime(path, (old, old))
        timings = measure(
            root,
            "inbox",
            lambda trigger: FolderSource(root, trigger["source"], root / ".ai4mlops"),
            lambda name: (inbox / name).write_text(name),
        )
        report(f"folder of {files} files", timings)

        data = Path(folder) / "s3"
        (data / "bucket" / "in").mkdir(parents=True)
        for k in range(objects):
            (data / "bucket" / "in" / f"o{k:05d}.csv").write_text(f"x\n{k}\n")
        time.sleep(2.5)  # past the margin: the objects count as there before the trigger
        with running_s3_server(data) as server:
            store = ObjectStore(S3Settings(server.endpoint))
            os.environ.update({"AWS_ACCESS_KEY_ID": server.access_key, "AWS_SECRET_ACCESS_KEY": server.secret_key})
            s3_root = Path(folder) / "s3root"
            s3_root.mkdir()
            timings = measure(
                s3_root,
                "s3://bucket/in",
                lambda trigger: BucketSource(store, parse_uri(trigger["source"])),
                lambda name: (data / "bucket" / "in" / name).write_text(name),
            )
        report(f"S3 prefix of {objects} objects (rclone on 127.0.0.1)", timings)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
