"""Batch prediction throughput: `predict_file` vs the model called directly vs the rows sent to its model server.

Run: `python bench/batch_predict.py [--rows N] [--batch B ...] [--threads T] [--repeat R]` (defaults: 200,000 rows
of the torch example's 10 features, batches of 1,000 and 10,000, 1 thread, best of 3; not run in CI). Trains the
torch example with a real local run (`bench/serving.py`), then for two models and each batch size prints rows/s
side by side:

- models: the example's MLP (10-32-2, about 40 ns a row) and a wider one (10-512-512-2, the same signature, about
  a hundred times the work per row), so that the fixed per-chunk costs of reading and writing show against a
  model that costs something;
- direct: the loaded model called in a loop over in-memory float32 batches (torch, eval, no_grad): the anchor;
- predict_file on the rows as `.npy` (written to `.npy`) and as CSV (written to CSV): reading, checking,
  predicting, class probabilities and writing included, and its ratio to direct (goal >= 0.8x);
- the local model server of the example's model (V1 `instances`, one request at a time, request logging to a
  loopback sink), and predict_file's ratio to it.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

import cpu_threads  # noqa: F401  (pins thread pools before numpy loads)
from serving import NullSink, train  # also puts the repository on sys.path


def direct(loaded, rows, batch: int) -> float:
    """Seconds to call the model on every batch of `rows`, nothing else."""
    import torch

    started = time.perf_counter()
    with torch.no_grad():
        for start in range(0, len(rows), batch):
            loaded.model(torch.from_numpy(rows[start : start + batch])).numpy()
    return time.perf_counter() - started


def wider(loaded):
    """A copy of `loaded` whose model is a wider MLP of the same input and output (10-512-512-2, seeded)."""
    import copy

    import torch

    torch.manual_seed(0)
    heavy = copy.copy(loaded)
    heavy.model = torch.nn.Sequential(
        torch.nn.Linear(10, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 2)
    ).eval()
    return heavy


def best(repeat: int, measure, *args) -> float:
    """The least of `repeat` timings `measure(*args)` (seconds): the machine is shared, the others were slowed."""
    return min(measure(*args) for _ in range(repeat))


def file_seconds(predict_file, loaded, root: Path, source: str, output: str, batch: int) -> float:
    """Seconds `predict_file` takes over `source`, written to a fresh `output` (none there: no rename over one)."""
    (root / output).unlink(missing_ok=True)
    return predict_file(loaded, source, output, root=root, chunk_size=batch)["seconds"]


def served(urls: dict, rows, batch: int) -> float:
    """Seconds to send every batch of `rows` to the model server as V1 requests, one after another."""
    from ai4mlops_lab.serving.prediction import http

    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        status, _ = http(urls["v1"], json.dumps({"instances": rows[start : start + batch].tolist()}).encode(), 60)
        assert status == 200, status
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--threads", default="1")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import numpy as np

    from ai4mlops_lab.batch import predict_file
    from ai4mlops_lab.serving.loaded_model import LoadedModel
    from ai4mlops_lab.serving.local import LocalDeployments
    from ai4mlops_lab.store.deployments import DeploymentStore
    from ai4mlops_lab.store.runs import RunStore
    from ai4mlops_lab.workspace import STORE_FILE

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        workspace, run = train(root)
        artifact = next(a for a in run["artifacts"] if a["metadata"].get("model"))
        loaded = LoadedModel(artifact["uri"], artifact["metadata"])
        rows = np.random.default_rng(0).normal(size=(args.rows, 10)).astype(np.float32)
        np.save(root / "rows.npy", rows)
        with (root / "rows.csv").open("w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow([f"f{j}" for j in range(10)])
            writer.writerows(rows.tolist())
        sink, store = NullSink(), workspace / STORE_FILE
        deployments = LocalDeployments(
            workspace,
            DeploymentStore(store),
            RunStore(store, check=False),
            request_log={"url": f"http://127.0.0.1:{sink.server_address[1]}/ingest"},
        )
        deployed = deployments.deploy(run["id"], name="bench")
        try:
            print(f"{args.rows:,} rows x 10 features, {args.threads} thread(s), best of {args.repeat}, rows/s")
            print(
                f"{'model':>8} {'batch':>7} {'direct':>12} {'file .npy':>12} {'ratio':>6} {'file CSV':>12} "
                f"{'ratio':>6} {'server V1':>12} {'.npy / server':>14}"
            )
            for name, model in (("example", loaded), ("wide", wider(loaded))):
                for batch in args.batch:
                    direct(model, rows[: batch * 2], batch)  # warm up
                    times = {
                        "direct": best(args.repeat, direct, model, rows, batch),
                        "npy": best(args.repeat, file_seconds, predict_file, model, root, "rows.npy", "out.npy", batch),
                        "csv": file_seconds(predict_file, model, root, "rows.csv", "out.csv", batch),
                    }
                    if model is loaded:
                        times["server"] = served(deployed["endpoints"], rows, batch)
                    rate = {key: args.rows / seconds for key, seconds in times.items()}
                    server = (
                        f"{rate['server']:>12,.0f} {rate['npy'] / rate['server']:>13.1f}x"
                        if "server" in rate
                        else f"{'-':>12} {'-':>14}"
                    )
                    print(
                        f"{name:>8} {batch:>7,} {rate['direct']:>12,.0f} {rate['npy']:>12,.0f} "
                        f"{rate['npy'] / rate['direct']:>5.2f}x {rate['csv']:>12,.0f} "
                        f"{rate['csv'] / rate['direct']:>5.2f}x {server}"
                    )
        finally:
            deployments.stop(deployed["name"])


if __name__ == "__main__":
    main()
