"""How fast the monitor reads KServe's request logs from a bucket, beside the ingest route's rate for posted events.

Run: `PYTHONPATH=. python bench/log_bucket.py [PREDICTIONS] [--batch N] [--format json|parquet] [--rows R]
[--fetchers F] [--ingest]` (default 100,000 predictions, objects of 1,000 records as `log_storage.BATCH_SIZE`, the
reader's 4 fetchers; not run in CI). Starts
`rclone serve s3` on 127.0.0.1, writes the objects KServe's logger would write for PREDICTIONS rows in V1 requests
and their responses (`tests/kserve_logger.py`: its layout and format) as files of the served bucket, then times one
`BucketReader.read` of the deployment: listing, fetching (F threads), decoding and committing every object with
its events (the store's count must equal the records written). Prints objects/s, records/s and predictions/s
(rows of the requests read per second; `--rows R` logs requests of R rows). `--ingest` also measures
`POST /ingest` with 8 senders (`bench/ingest.py`) on this machine, for the side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
GOAL = 50_000  # logged predictions/s
NAME, NS, PREFIX = "bench-model", "team-a", "kserve/logs"


def deployment(workspace: Path, bucket: str) -> None:
    """A KServe deployment record whose logger writes to `bucket`."""
    from ai4mlops_lab.serving.inference_service import build_inference_service
    from ai4mlops_lab.serving.log_storage import LogStorage
    from ai4mlops_lab.store.deployments import DeploymentStore
    from ai4mlops_lab.workspace import STORE_FILE

    obj = build_inference_service(
        NAME, NS, model_format="sklearn", storage_uri="s3://models/m", logger_url=None,
        log_storage=LogStorage(f"s3://{bucket}/{PREFIX}"),
    )  # fmt: skip
    DeploymentStore(workspace / STORE_FILE).create(
        name=NAME, run_id=None, model_name="train/model", model_uri="s3://models/m", target="kserve",
        config={"namespace": NS, "object": obj},
    )  # fmt: skip


def write_objects(folder: Path, predictions: int, batch: int, extension: str, rows: int) -> tuple[int, int]:
    """The logger's objects for `predictions` rows in requests of `rows` rows and their responses; (objects,
    records)."""
    from tests.kserve_logger import exchanges, file_put, write_batches

    data = np.random.default_rng(0).normal(size=(predictions // rows, rows, 10)).round(6)
    answers = [{"predictions": [int(row[0] > 0) for row in request]} for request in data]
    records = exchanges([{"instances": request.tolist()} for request in data], NAME, NS, answers)
    keys = write_batches(file_put(folder), PREFIX, records, batch, extension)
    return len(keys), len(records)


def read_rate(predictions: int, batch: int, extension: str, rows: int, fetchers: int) -> dict:
    from ai4mlops_lab.monitoring.bucket_reader import BucketReader
    from ai4mlops_lab.objectstore import ObjectStore, S3Settings
    from ai4mlops_lab.store.deployments import DeploymentStore
    from ai4mlops_lab.store.events import EventStore
    from ai4mlops_lab.store.log_objects import LogObjectStore
    from ai4mlops_lab.workspace import STORE_FILE
    from tests.s3server import running_s3_server

    with tempfile.TemporaryDirectory() as tmp:
        data, workspace = Path(tmp) / "s3", Path(tmp) / ".ai4mlops"
        data.mkdir()
        with running_s3_server(data) as server:
            os.environ.update(server.env)
            objects, records = write_objects(server.bucket("logs"), predictions, batch, extension, rows)
            deployment(workspace, "logs")
            path = workspace / STORE_FILE
            bucket = ObjectStore(S3Settings(endpoint_url=server.endpoint, attempts=1))  # as the workspace's
            reader = BucketReader(bucket, LogObjectStore(path), DeploymentStore(path), fetchers=fetchers)
            start = time.perf_counter()
            result = reader.read(NAME)
            elapsed = time.perf_counter() - start
            counts = EventStore(path).counts(NAME)
            assert result.objects == objects and counts["requests"] + counts["responses"] == records, (result, counts)
            again = reader.read(NAME)
            assert again.objects == 0
    return {"objects": objects / elapsed, "records": records / elapsed, "predictions": predictions / elapsed,
            "seconds": elapsed}  # fmt: skip


def ingest_rate(events: int) -> float:
    """Events/s of `POST /ingest` with 8 senders (`bench/ingest.py`'s case)."""
    import ingest

    from ai4mlops_lab.monitoring.ingest_token import ingest_token
    from ai4mlops_lab.store.events import EventStore
    from ai4mlops_lab.workspace import STORE_FILE

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        token = ingest_token(root / ".ai4mlops")
        server, port, _ = ingest.start_server(root)
        try:
            asyncio.run(ingest.post_all(port, ingest.events(token, "warmup", 200, 0)[0], 8))
            store = EventStore(root / ".ai4mlops" / STORE_FILE, check=False)
            return ingest.measure(port, token, store, "c8", events, 8, seed=1)["eps"]
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    from ai4mlops_lab.monitoring.bucket_reader import FETCHERS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions", nargs="?", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000, help="records per object (the logger's batchSize)")
    parser.add_argument("--format", choices=("json", "parquet"), default="json")
    parser.add_argument("--rows", type=int, default=1, help="rows (predictions) per logged request")
    parser.add_argument("--fetchers", type=int, default=FETCHERS, help="GETs at once (the reader's default: 4)")
    parser.add_argument("--ingest", action="store_true", help="also measure POST /ingest with 8 senders")
    args = parser.parse_args()
    rate = read_rate(args.predictions, args.batch, args.format, args.rows, args.fetchers)
    print(f"cores: {len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.1f}; goal {GOAL} predictions/s")
    print(f"{'path':<56}{'objects/s':>10}{'events/s':>11}{'predictions/s':>15}")
    label = f"bucket ({args.format}, {args.batch}/object, {args.rows} row/req, {args.fetchers} fetchers)"
    print(f"{label:<56}{rate['objects']:>10.0f}{rate['records']:>11.0f}{rate['predictions']:>15.0f}"
          f"   ({args.predictions} predictions in {rate['seconds']:.1f} s)")  # fmt: skip
    if args.ingest:
        eps = ingest_rate(20_000)
        print(f"{'POST /ingest, 8 senders (1 row/req)':<56}{'':>10}{eps:>11.0f}{eps / 2:>15.0f}")
    print("every object read once; every record stored once")


if __name__ == "__main__":
    main()
