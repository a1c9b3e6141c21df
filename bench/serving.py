"""Throughput and latency of a local deployment against a bare kserve.Model serving the same model.

Run: `python bench/serving.py [REQUESTS]` (default 2000 per case; not run in CI). Trains the torch example
with a real local run, deploys its model with LocalDeployments (request logging to a loopback sink), and
starts a bare kserve ModelServer whose Model runs a TorchScript trace of the same model without checks.
For V1 and V2 at concurrency 1 and 8, prints requests/s, p50 and p99 latency, and ours/bare ratios.
Every server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE_SERVER = r"""
import sys, uuid
import kserve, numpy, torch
from kserve import InferOutput, InferRequest, InferResponse

class Bare(kserve.Model):
    def load(self):
        self.model = torch.jit.load(sys.argv[1]); self.ready = True; return True
    def predict(self, payload, headers=None):
        if isinstance(payload, InferRequest):
            data = payload.inputs[0].as_numpy()
            with torch.no_grad():
                out = self.model(torch.from_numpy(data)).numpy()
            output = InferOutput("output-0", list(out.shape), "FP32")
            output.set_data_from_numpy(out, binary_data=False)
            return InferResponse(payload.id or uuid.uuid4().hex, self.name, [output])
        with torch.no_grad():
            out = self.model(torch.tensor(payload["instances"], dtype=torch.float32)).numpy()
        return {"predictions": out.tolist()}

class Loopback(kserve.ModelServer):
    def setup_event_loop(self):
        self._rest_server.config.host = "127.0.0.1"  # kserve 0.21 hard-codes 0.0.0.0
        super().setup_event_loop()

model = Bare("bare"); model.load()
Loopback(http_port=int(sys.argv[2]), enable_grpc=False, enable_latency_logging=False).start([model])
"""


class NullSink(ThreadingHTTPServer):
    """A loopback request log sink that accepts and forgets every event."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        threading.Thread(target=self.serve_forever, daemon=True).start()


def train(root: Path) -> tuple[Path, dict]:
    from ai4mlops_lab.runs.service import RunService
    from ai4mlops_lab.store.runs import RunStore
    from ai4mlops_lab.workspace import STORE_FILE

    shutil.copy(ROOT / "examples/torch-train.ipynb", root / "torch-train.ipynb")
    workspace = root / ".ai4mlops"
    service = RunService(workspace, RunStore(workspace / STORE_FILE), root=root)
    run_id = service.start(root / "torch-train.ipynb")["id"]
    deadline = time.monotonic() + 300
    while service.run(run_id)["status"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
    run = service.run(run_id)
    assert run["status"] == "succeeded", run["error"]
    return workspace, run


def start_bare(artifact: dict, folder: Path) -> tuple[subprocess.Popen, str]:
    """The bare server on a TorchScript trace of the model; returns (process, base URL) once ready."""
    from types import SimpleNamespace

    import numpy
    import torch

    from ai4mlops_lab.pipeline.runtime import _load
    from ai4mlops_lab.serving.server_process import free_port as _free_port
    from ai4mlops_lab.serving.server_process import ready as _ready

    model = _load(SimpleNamespace(path=artifact["uri"], metadata=artifact["metadata"])).eval()
    example = torch.from_numpy(numpy.array(artifact["metadata"]["model"]["example"], dtype=numpy.float32))
    torch.jit.trace(model, example).save(str(folder / "model.ts"))
    port = _free_port()
    with open(folder / "bare.log", "wb") as log:  # the server keeps its own copy of the file
        process = subprocess.Popen(
            [sys.executable, "-c", BARE_SERVER, str(folder / "model.ts"), str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    base = f"http://127.0.0.1:{port}"
    assert _ready(base, "bare", wait_s=120), (folder / "bare.log").read_text()[-2000:]
    return process, base


async def load(url: str, body: bytes, requests: int, concurrency: int) -> list[float]:
    """Send `requests` POSTs with `concurrency` in flight; the latency of each, in seconds."""
    import httpx

    latencies: list[float] = []
    remaining = iter(range(requests))
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:

        async def worker():
            for _ in remaining:
                start = time.perf_counter()
                answer = await client.post(url, content=body, headers={"Content-Type": "application/json"})
                latencies.append(time.perf_counter() - start)
                answer.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def measure(url: str, body: bytes, requests: int, concurrency: int) -> dict:
    asyncio.run(load(url, body, min(100, requests), concurrency))  # warm-up
    start = time.perf_counter()
    latencies = sorted(asyncio.run(load(url, body, requests, concurrency)))
    elapsed = time.perf_counter() - start
    return {
        "rps": requests / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def main(requests: int = 2000) -> None:
    from ai4mlops_lab.serving.local import LocalDeployments
    from ai4mlops_lab.store.deployments import DeploymentStore
    from ai4mlops_lab.store.runs import RunStore
    from ai4mlops_lab.workspace import STORE_FILE

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        workspace, run = train(root)
        artifact = next(a for a in run["artifacts"] if a["metadata"].get("model"))
        sink = NullSink()
        store = workspace / STORE_FILE
        ours = LocalDeployments(
            workspace,
            DeploymentStore(store),
            RunStore(store, check=False),
            request_log={"url": f"http://127.0.0.1:{sink.server_address[1]}/ingest"},
        )
        deployed = ours.deploy(run["id"], name="bench")
        bare, bare_base = start_bare(artifact, root)
        try:
            row = artifact["metadata"]["model"]["example"][0]
            bodies = {
                "v1": json.dumps({"instances": [row]}).encode(),
                "v2": json.dumps(
                    {"inputs": [{"name": "input-0", "shape": [1, len(row)], "datatype": "FP32", "data": row}]}
                ).encode(),
            }
            urls = {
                ("ours", "v1"): deployed["endpoints"]["v1"],
                ("ours", "v2"): deployed["endpoints"]["v2"],
                ("bare", "v1"): f"{bare_base}/v1/models/bare:predict",
                ("bare", "v2"): f"{bare_base}/v2/models/bare/infer",
            }
            print(f"{requests} requests per case, 1 row of {len(row)} features; cores: {len(os.sched_getaffinity(0))}")
            print(
                f"{'case':<14}{'ours rps':>10}{'p50 ms':>8}{'p99 ms':>8}{'bare rps':>10}{'p50 ms':>8}"
                f"{'p99 ms':>8}{'rps ratio':>11}{'p50 ratio':>11}"
            )
            for protocol in ("v1", "v2"):
                for concurrency in (1, 8):
                    a = measure(urls[("ours", protocol)], bodies[protocol], requests, concurrency)
                    b = measure(urls[("bare", protocol)], bodies[protocol], requests, concurrency)
                    print(
                        f"{protocol} c={concurrency:<10}{a['rps']:>10.0f}{a['p50']:>8.2f}{a['p99']:>8.2f}"
                        f"{b['rps']:>10.0f}{b['p50']:>8.2f}{b['p99']:>8.2f}{a['rps'] / b['rps']:>11.2f}"
                        f"{a['p50'] / b['p50']:>11.2f}"
                    )
            print("request log:", ours.get("bench")["stats"])
        finally:
            ours.stop("bench")
            bare.terminate()
            bare.wait(timeout=10)
            sink.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
