"""Label ingest: labels/s through `POST .../labels` on a real Jupyter server, and the cost of joining a label as the
store grows (10^4 to 10^6 logged predictions: it should stay flat per label).

Run: `python bench/outcomes_labels.py [--sizes 10000 100000 1000000] [--batch 1000] [--batches 10]` (not in CI).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GOAL = 5000  # labels/s
NAME = "bench"


def store_with_predictions(folder: Path, count: int) -> Path:
    """A workspace store with a deployment and `count` logged predictions keyed p0.., written directly."""
    from ai4mlops_lab.monitoring.outcome_policy import OutcomePolicy
    from ai4mlops_lab.store.deployments import DeploymentStore
    from ai4mlops_lab.store.outcomes import OutcomeStore
    from ai4mlops_lab.workspace import STORE_FILE

    path = folder / ".ai4mlops" / STORE_FILE
    path.parent.mkdir(parents=True)
    DeploymentStore(path).create(name=NAME, run_id=None, model_name="m", model_uri="/m", target="local")
    store = OutcomeStore(path)
    monitor = store.monitor(NAME, OutcomePolicy().to_dict())
    now = time.time()
    for start in range(0, count, 50_000):
        rows = [
            {
                "key": f"p{i}",
                "endpoint": "default",
                "version": None,
                "event_id": i,
                "row": 0,
                "predicted_at": now,
                "value": float(i % 2),
                "scores": [0.3, 0.7],
            }
            for i in range(start, min(count, start + 50_000))
        ]
        store.add_predictions(monitor, rows, {"response_cursor": start + len(rows)})
        monitor = store.monitor(NAME, {})
    return path


def batches(count: int, batch: int, batches_: int, offset: int) -> list[bytes]:
    """JSON label batches for predictions spread over the whole store (every label joins one)."""
    step = max(1, count // (batch * batches_))
    keys = [f"p{(offset + i * step) % count}" for i in range(batch * batches_)]
    return [
        json.dumps({"labels": [{"id": k, "label": 1} for k in keys[b * batch : (b + 1) * batch]]}).encode()
        for b in range(batches_)
    ]


def join_cost(sizes: list[int], batch: int, batches_: int) -> list[dict]:
    """Labels/s of `OutcomeMonitor.add_labels` (parse, store, join) per store size."""
    from ai4mlops_lab.monitoring.outcomes import OutcomeMonitor

    results = []
    for count in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = store_with_predictions(Path(tmp), count)
            monitor = OutcomeMonitor(path)
            bodies = batches(count, batch, batches_, 0)
            start = time.perf_counter()
            joined = sum(monitor.add_labels(NAME, body, "application/json")["joined"] for body in bodies)
            seconds = time.perf_counter() - start
            assert joined == batch * batches_, joined
            results.append(
                {
                    "predictions": count,
                    "labels": joined,
                    "labels_per_s": joined / seconds,
                    "us_per_label": 1e6 * seconds / joined,
                }
            )
    return results


def rest_rate(count: int, batch: int, batches_: int) -> dict:
    """Labels/s through the REST route on a real server (one client, batches of `batch`)."""
    from bench.ingest import start_server

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store_with_predictions(root, count)
        process, port, token = start_server(root)
        try:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            url = f"http://127.0.0.1:{port}/ai4mlops-lab/api/deployments/{NAME}/labels"
            bodies = batches(count, batch, batches_, 1)
            start = time.perf_counter()
            stored = 0
            for body in bodies:
                request = urllib.request.Request(
                    url,
                    data=body,
                    method="POST",
                    headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
                )
                with opener.open(request, timeout=60) as answer:
                    stored += json.loads(answer.read())["stored"]
            seconds = time.perf_counter() - start
        finally:
            process.terminate()
            process.wait(10)
    assert stored == batch * batches_, stored
    return {"predictions": count, "labels": stored, "labels_per_s": stored / seconds}


def labels_part(sizes: list[int], batch: int, batches_: int) -> None:
    print(f"Label join cost as the store grows (batches of {batch}, {batch * batches_} labels each):")
    print(f"{'predictions':>12} {'labels/s':>10} {'us/label':>9}")
    for r in join_cost(sizes, batch, batches_):
        print(f"{r['predictions']:>12,} {r['labels_per_s']:>10,.0f} {r['us_per_label']:>9.1f}")
    rest = rest_rate(sizes[0], batch, batches_)
    print(
        f"\nREST POST .../labels, batches of {batch}: {rest['labels_per_s']:,.0f} labels/s "
        f"({rest['labels_per_s'] / GOAL:.1f}x the {GOAL:,} labels/s goal)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=10)
    args = parser.parse_args()
    labels_part(args.sizes, args.batch, args.batches)
