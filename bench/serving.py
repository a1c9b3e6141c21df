"""Latency and throughput of a local deployment against a bare kserve.Model serving the same model.

Run: `python bench/serving.py [--requests N] [--rounds R] [--before DIR] [--unlogged]` (defaults 500 and 7; not
run in CI). Trains the torch example with a real local run, deploys its model with LocalDeployments (request
logging on, to a loopback sink in its own process that keeps connections alive like the Jupyter server's ingest
endpoint), and starts a bare kserve ModelServer whose Model runs a TorchScript trace of the same model without
checks. With `--before DIR` (a checkout, e.g. `git worktree add DIR main`), a second deployment is served by the
code in DIR, so that a change and the code before it are measured in the same minutes; with `--unlogged`, one more
is served with request logging off (what the request log costs).

The machine is shared, so the servers are measured interleaved: for each case (V1 and V2 at concurrency 1 and 8),
R rounds, each sending N requests to every server in turn (the order rotating from round to round). A light
client (kept-alive asyncio streams, one prepared request) sends them, so that its own work takes little from the
servers. Prints, per server, the medians over the rounds of p50 and p99 latency, requests/s and CPU time per
request (the server process, all its threads; for a logged one also the sink's, taken from the same cores), and
the median over the rounds of each one's speed as a fraction of bare's in the same round (bare p50 / its p50, its
requests/s / bare requests/s: 1.0 is parity). Every server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
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


NULL_SINK = r"""
import asyncio, sys

ANSWER = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"

class Sink(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, bytearray()
    def data_received(self, data):
        self.buffer += data
        answers = 0
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end]).lower() + b"\r\n"
            at = head.find(b"content-length:")
            length = int(head[at + 15 : head.find(b"\r\n", at)]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                break
            del self.buffer[: end + 4 + length]
            answers += 1
        if answers:
            self.transport.write(ANSWER * answers)

async def main():
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()

asyncio.run(main())
"""


def start_sink(port: int) -> subprocess.Popen:
    """A request log sink that accepts and forgets every event, in its own process (in this one, it would take the
    GIL from the load generator). It stands for a sink on another machine: it parses no more of a request than its
    length, so that its own CPU, taken from the cores the servers share, stays small (the column "sink us")."""
    sink = subprocess.Popen([sys.executable, "-c", NULL_SINK, str(port)], start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return sink
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the request log sink did not start")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) that process `pid` has used, all its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
            start_new_session=True,  # as a deployment's server: its own scheduling group, not the client's
        )
    base = f"http://127.0.0.1:{port}"
    assert _ready(base, "bare", wait_s=120), (folder / "bare.log").read_text()[-2000:]
    return process, base


def request_bytes(url: str, body: bytes) -> tuple[tuple[str, int], bytes]:
    """The address and the bytes of one kept-alive POST of `body` to `url`."""
    parts = urllib.parse.urlsplit(url)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return (parts.hostname, parts.port), head.encode() + body


async def load(address: tuple[str, int], request: bytes, requests: int, concurrency: int) -> list[float]:
    """Send `requests` copies of `request` with `concurrency` in flight, each sender on its own kept-alive
    connection; the latency of each, in seconds. Fails on any answer but a 200."""
    latencies: list[float] = []
    remaining = iter(range(requests))

    async def sender():
        reader, writer = await asyncio.open_connection(*address)
        try:
            for _ in remaining:
                start = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                assert head.startswith(b"HTTP/1.1 200"), head + body
        finally:
            writer.close()

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return latencies


def measure(address, request: bytes, requests: int, concurrency: int, pids: list[int]) -> dict:
    """p50 and p99 latency (ms), requests/s, and the CPU time per request (us) of the processes in `pids`
    (the server's, then the request log sink's, if any)."""
    cpu, start = [cpu_seconds(pid) for pid in pids], time.perf_counter()
    latencies = sorted(asyncio.run(load(address, request, requests, concurrency)))
    elapsed = time.perf_counter() - start
    time.sleep(0.1)  # the request log's senders finish the last events
    used = [(cpu_seconds(pid) - before) / requests * 1e6 for pid, before in zip(pids, cpu)]
    return {
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "rps": requests / elapsed,
        "cpu": used[0],
        "sink": sum(used[1:]),
    }


def deploy(deployments, run_id: str, name: str, source: Path | None) -> dict:
    """Deploy the run's model as `name`, its server importing ai4mlops_lab from `source` (default: this checkout)."""
    path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(source or ROOT)
    try:
        return deployments.deploy(run_id, name=name)
    finally:
        if path is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = path


def main(requests: int, rounds: int, before: Path | None = None, unlogged: bool = False) -> dict:
    """Measure and print; returns the medians over the rounds, `{(server, protocol, concurrency): {p50, p99, rps,
    cpu, sink}}`."""
    from ai4mlops_lab.serving.local import LocalDeployments
    from ai4mlops_lab.serving.server_process import free_port
    from ai4mlops_lab.store.deployments import DeploymentStore
    from ai4mlops_lab.store.runs import RunStore
    from ai4mlops_lab.workspace import STORE_FILE

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        workspace, run = train(root)
        artifact = next(a for a in run["artifacts"] if a["metadata"].get("model"))
        sink_port = free_port()
        sink = start_sink(sink_port)
        store = workspace / STORE_FILE
        deployments = LocalDeployments(
            workspace,
            DeploymentStore(store),
            RunStore(store, check=False),
            request_log={"url": f"http://127.0.0.1:{sink_port}/ingest"},
        )
        ours = {"ours": deploy(deployments, run["id"], "bench", None)}
        if before:
            ours["before"] = deploy(deployments, run["id"], "before", before)
        if unlogged:
            ours["unlogged"] = deploy(
                LocalDeployments(workspace, DeploymentStore(store), RunStore(store, check=False)),
                run["id"],
                "unlogged",
                None,
            )
        bare, bare_base = start_bare(artifact, root)
        try:
            row = artifact["metadata"]["model"]["example"][0]
            bodies = {
                "v1": json.dumps({"instances": [row]}).encode(),
                "v2": json.dumps(
                    {"inputs": [{"name": "input-0", "shape": [1, len(row)], "datatype": "FP32", "data": row}]}
                ).encode(),
            }
            urls = {(name, p): deployed["endpoints"][p] for name, deployed in ours.items() for p in bodies}
            urls |= {
                ("bare", "v1"): f"{bare_base}/v1/models/bare:predict",
                ("bare", "v2"): f"{bare_base}/v2/models/bare/infer",
            }
            pids = {name: [deployments.server(d["name"]).pid(), sink.pid] for name, d in ours.items()}
            if unlogged:
                pids["unlogged"] = pids["unlogged"][:1]
            pids["bare"] = [bare.pid]
            servers = [*ours, "bare"]
            cases = [(protocol, concurrency) for protocol in bodies for concurrency in (1, 8)]
            load_before = os.getloadavg()
            results: dict[tuple, list[dict]] = {}
            for protocol, concurrency in cases:
                prepared = {s: request_bytes(urls[(s, protocol)], bodies[protocol]) for s in servers}
                for server in servers:  # warm-up
                    measure(*prepared[server], min(100, requests), concurrency, pids[server])
                for number in range(rounds):
                    for server in servers[number % len(servers) :] + servers[: number % len(servers)]:
                        results.setdefault((server, protocol, concurrency), []).append(
                            measure(*prepared[server], requests, concurrency, pids[server])
                        )
            load_after = os.getloadavg()
            print(
                f"{requests} requests per server per round, {rounds} rounds per case (servers interleaved), 1 row "
                f"of {len(row)} features; cores: {len(os.sched_getaffinity(0))}; load average "
                f"{load_before[0]:.1f} before, {load_after[0]:.1f} after"
            )
            print(
                f"{'case':<8}{'server':<8}{'p50 ms':>8}{'p99 ms':>8}{'req/s':>7}{'CPU us':>8}{'sink us':>9}"
                f"{'x bare p50':>12}{'x bare req/s':>14}"
            )
            medians = {
                case: {key: statistics.median(r[key] for r in rows) for key in ("p50", "p99", "rps", "cpu", "sink")}
                for case, rows in results.items()
            }
            for protocol, concurrency in cases:
                anchor = results[("bare", protocol, concurrency)]
                for server in servers:
                    rows, m = results[(server, protocol, concurrency)], medians[(server, protocol, concurrency)]
                    line = (
                        f"{protocol} c={concurrency:<3}{server:<8}{m['p50']:>8.2f}{m['p99']:>8.2f}{m['rps']:>7.0f}"
                        f"{m['cpu']:>8.0f}{m['sink']:>9.0f}"
                    )
                    if server != "bare":
                        p50 = statistics.median(b["p50"] / r["p50"] for r, b in zip(rows, anchor))
                        rps = statistics.median(r["rps"] / b["rps"] for r, b in zip(rows, anchor))
                        line += f"{p50:>12.2f}{rps:>14.2f}"
                    print(line)
            for name, deployed in ours.items():
                print(f"request log of {name}:", deployments.get(deployed["name"])["stats"])
            return medians
        finally:
            for deployed in ours.values():
                deployments.stop(deployed["name"])
            bare.terminate()
            bare.wait(timeout=10)
            sink.terminate()
            sink.wait(timeout=10)


def compare(requests: int, rounds: int = 5) -> dict[tuple[str, int], tuple[float, float]]:
    """For `bench/ratios.py`: `{(protocol, concurrency): (ours req/s, bare req/s)}`, about `requests` to each server
    per case."""
    medians = main(max(100, requests // rounds), rounds)
    return {
        (protocol, concurrency): (medians[("ours", protocol, concurrency)]["rps"], row["rps"])
        for (server, protocol, concurrency), row in medians.items()
        if server == "bare"
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--before", type=Path, help="a checkout whose code serves a second deployment")
    parser.add_argument("--unlogged", action="store_true", help="also serve a deployment without request logging")
    arguments = parser.parse_args()
    main(arguments.requests, arguments.rounds, arguments.before and arguments.before.resolve(), arguments.unlogged)
