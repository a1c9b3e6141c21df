"""The server's background loop reads the request logs a KServe deployment's logger wrote to a bucket (a real
`rclone serve s3`), off the event loop, each object once."""

import asyncio

from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.workspace import STORE_FILE

from ..drift.test_bucket_reader import NAME, PREFIX, kserve_deployment, logged
from ..kserve_logger import file_put


async def test_the_background_loop_reads_new_logger_objects_once(jp_fetch, jp_root_dir, s3_server, monkeypatch):
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    workspace = jp_root_dir / ".ai4mlops"
    kserve_deployment(workspace, "loop-logs")
    drop = file_put(s3_server.bucket("loop-logs"))
    logged(drop, 30, batch_size=4)  # 6 requests, 6 responses: 3 objects
    events = EventStore(workspace / STORE_FILE)
    await jp_fetch("ai4mlops-lab", "api", "deployments")  # the extension starts its loop
    for _ in range(120):
        if events.counts(NAME)["requests"] == 6:
            break
        await asyncio.sleep(0.25)
    logged(drop, 10, batch_size=4, seed=2)  # 2 more requests: 4 records, 1 object
    for _ in range(120):
        if events.counts(NAME)["requests"] == 8:
            break
        await asyncio.sleep(0.25)
    await asyncio.sleep(4.5)  # two more rounds: nothing is read twice
    counts = events.counts(NAME)
    assert (counts["requests"], counts["responses"], counts["rejected"]) == (8, 8, {})
    assert list((s3_server.data / "loop-logs" / PREFIX).iterdir())  # the objects stay where the logger wrote them
