"""How fast the drift monitor turns logged requests into checked windows, against the ingest target.

Run: `python bench/monitor.py [EVENTS]` (default 20,000; not run in CI). Stores EVENTS request events
(V1, one row each, 10 features; then again as V2 batches of 25 rows) for a deployment whose reference is
5,000 rows, then times one `DriftMonitor.process` over all of them (windows of 500 rows, per-feature tests,
and again with the MMD test added) and an idle check. Prints events/s and rows/s, and the ratio to the
ingest target of 2,000 events/s: above 1 means checking keeps up with the fastest ingest we promise.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ai4mlops_lab.monitoring.monitor import DriftMonitor  # noqa: E402
from ai4mlops_lab.monitoring.replay import requests  # noqa: E402
from ai4mlops_lab.store.deployments import DeploymentStore  # noqa: E402
from ai4mlops_lab.store.event_records import InferenceEvent  # noqa: E402
from ai4mlops_lab.store.events import EventStore  # noqa: E402
from ai4mlops_lab.workspace import STORE_FILE  # noqa: E402

D, REFERENCE_ROWS, INGEST_TARGET = 10, 5000, 2000.0


def workspace_with_events(events: int, batch: int, method: str) -> tuple[DriftMonitor, str]:
    workspace = Path(tempfile.mkdtemp()) / ".ai4mlops"
    folder = workspace / "deployments" / "bench" / "model"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.save(folder / "reference.npy", rng.normal(size=(REFERENCE_ROWS, D)).astype(np.float32))
    model = {
        "signature": {
            "inputs": [
                {"name": "input-0", "dtype": "float32", "shape": [-1, D], "features": [f"f{i}" for i in range(D)]}
            ],
            "outputs": [],
        },
        "reference": {"file": "reference.npy", "rows": REFERENCE_ROWS, "total_rows": REFERENCE_ROWS, "source": "bench"},
    }
    store = workspace / STORE_FILE
    DeploymentStore(store).create(
        name="bench",
        run_id=None,
        model_name="m/model",
        model_uri=str(folder),
        target="local",
        config={"metadata": {"model": model}},
    )
    log = EventStore(store)
    bodies = requests(
        rng.normal(size=(events * batch, D)),
        batch,
        "v1" if batch == 1 else "v2",
        {"name": "input-0", "dtype": "float32"},
    )
    log.add_many(
        [
            InferenceEvent(
                uuid.uuid4().hex,
                "request",
                "bench",
                "local",
                "predictor",
                "",
                "bench",
                "",
                "application/json",
                json.dumps(body).encode(),
            )
            for body in bodies
        ]
    )
    monitor = DriftMonitor(store, workspace)
    monitor.set_policy("bench", {"window_size": 500, "method": method})
    return monitor, "bench"


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(
        f"{'requests':<22} {'method':<9} {'windows':>7} {'seconds':>8} {'events/s':>9} {'rows/s':>9} "
        f"{'vs 2,000/s':>10} {'idle check':>11}"
    )
    for batch, method in ((1, "features"), (1, "both"), (25, "features")):
        n = events if batch == 1 else events // 5
        monitor, name = workspace_with_events(n, batch, method)
        started = time.perf_counter()
        added = monitor.process(name)["added"]
        took = time.perf_counter() - started
        started = time.perf_counter()
        monitor.process(name)
        idle = time.perf_counter() - started
        label = f"{n:,} x {batch} row{'s' if batch > 1 else ''}"
        print(
            f"{label:<22} {method:<9} {len(added):>7} {took:>8.2f} {n / took:>9,.0f} {n * batch / took:>9,.0f} "
            f"{n / took / INGEST_TARGET:>9.1f}x {idle * 1000:>9.2f} ms"
        )


if __name__ == "__main__":
    main()
