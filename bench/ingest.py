"""Throughput and latency of `POST /ai4mlops-lab/api/ingest` on a real Jupyter server, and nothing lost.

Run: `python bench/ingest.py [EVENTS] [--repeat R]` (default 20,000 distinct events per case, 3 repeats; not
run in CI). Starts `jupyter server` with the extension on 127.0.0.1 in a temporary root, then for each
concurrency C (1, 8, 32) posts the events from C keep-alive connections with the ingest token, as KServe's
logger does: a request and a response event per inference sharing a Ce-Id, 5 % of them sent twice (retries),
all shuffled (out of order) and released in bursts (every client waits for the others after each burst, so
the server goes idle and then sees C requests at once). Prints events/s and p50/p99 latency (medians over
the repeats), and checks that the server stored each distinct event exactly once: 202 for each of them,
200 for every retry, and the store's count equal to the number of distinct events.

The client is a minimal HTTP/1.1 writer on asyncio streams, so that on a 2-core machine the load generator
takes less CPU than the server it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GOAL = 5000  # events/s with 8 senders (issue 17)
CONCURRENCY = (1, 8, 32)
DUPLICATES = 0.05
BURST = 1000  # events released together; clients wait for each other between bursts
PATH = "/ai4mlops-lab/api/ingest"


def start_server(root: Path) -> tuple[subprocess.Popen, int, str]:
    """`jupyter server` with the extension on a free loopback port; (process, port, Jupyter token) once up."""
    from ai4mlops_lab.serving.server_process import free_port as _free_port

    port, token = _free_port(), secrets.token_hex(16)
    with open(root / "server.log", "wb") as log:  # the server keeps its own copy of the file
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.root_dir={root}",
                f"--IdentityProvider.token={token}",
                "--ServerApp.open_browser=False",
                "--ServerApp.allow_root=True",
                "--ServerApp.jpserver_extensions={'ai4mlops_lab': True}",
                "--ServerApp.log_level=WARN",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    health = urllib.request.Request(
        f"http://127.0.0.1:{port}/ai4mlops-lab/api/health", headers={"Authorization": f"token {token}"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 60
    while True:
        try:
            with opener.open(health, timeout=2):
                return process, port, token
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, (root / "server.log").read_text()[-2000:]
            time.sleep(0.2)


def events(token: str, deployment: str, distinct: int, seed: int) -> tuple[list[bytes], int]:
    """The raw HTTP requests of `distinct` events (request/response pairs) plus 5 % retries, shuffled."""
    rng = random.Random(seed)
    posts = []
    for pair in range(distinct // 2):
        ce_id = f"{deployment}-{pair}"
        row = [round(rng.random(), 4) for _ in range(10)]
        posts.append(("request", ce_id, json.dumps({"instances": [row]})))
        posts.append(("response", ce_id, json.dumps({"predictions": [rng.randrange(3)]})))
    posts += rng.sample(posts, int(len(posts) * DUPLICATES))
    rng.shuffle(posts)
    return [_request(token, deployment, *post) for post in posts], len(posts)


def _request(token: str, deployment: str, kind: str, ce_id: str, body: str) -> bytes:
    data = body.encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Ce-Id: {ce_id}\r\nCe-Specversion: 1.0\r\nCe-Type: org.kubeflow.serving.inference.{kind}\r\n"
        f"Ce-Source: http://127.0.0.1:8080/\r\nCe-Time: 2026-11-24T10:00:00.000000Z\r\n"
        f"Ce-Inferenceservicename: {deployment}\r\nCe-Namespace: local\r\nCe-Component: predictor\r\n"
        f"Ce-Endpoint: default\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def post_all(port: int, posts: list[bytes], concurrency: int) -> tuple[list[float], dict[int, int]]:
    """Send the posts from `concurrency` keep-alive connections, burst by burst; (latencies in s, {status: n})."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    barrier = asyncio.Barrier(concurrency)
    bursts = [iter(posts[start : start + BURST]) for start in range(0, len(posts), BURST)]

    async def client():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for burst in bursts:
                for post in burst:
                    start = time.perf_counter()
                    writer.write(post)
                    status = int((await reader.readuntil(b"\r\n")).split()[1])
                    length = 0
                    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                        name, _, value = line.partition(b":")
                        if name.lower() == b"content-length":
                            length = int(value)
                    await reader.readexactly(length)
                    latencies.append(time.perf_counter() - start)
                    statuses[status] = statuses.get(status, 0) + 1
                await barrier.wait()
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, statuses


def measure(port: int, token: str, store, deployment: str, distinct: int, concurrency: int, seed: int) -> dict:
    from ai4mlops_lab.store.deployments import DeploymentStore

    DeploymentStore(store.path, check=False).create(
        name=deployment, run_id=None, model_name="m", model_uri="/m", target="local"
    )  # events of deployments that do not exist are refused
    posts, sent = events(token, deployment, distinct, seed)
    start = time.perf_counter()
    latencies, statuses = asyncio.run(post_all(port, posts, concurrency))
    elapsed = time.perf_counter() - start
    counts = store.counts(deployment)
    stored = counts["requests"] + counts["responses"]
    assert statuses == {202: distinct, 200: sent - distinct} and stored == distinct, (
        f"{deployment}: sent {sent} ({distinct} distinct), answers {statuses}, stored {stored}"
    )
    latencies.sort()
    return {
        "eps": sent / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def main(distinct: int, repeat: int) -> None:
    from ai4mlops_lab.monitoring.ingest_token import ingest_token
    from ai4mlops_lab.store.events import EventStore
    from ai4mlops_lab.workspace import STORE_FILE

    distinct -= distinct % 2
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        token = ingest_token(root / ".ai4mlops")
        server, port, _ = start_server(root)
        try:
            asyncio.run(post_all(port, events(token, "warmup", 200, 0)[0], 8))  # the store opens on the first event
            store = EventStore(root / ".ai4mlops" / STORE_FILE, check=False)
            sent = distinct + int(distinct * DUPLICATES)
            print(
                f"{sent} posts per case ({distinct} distinct events, {DUPLICATES:.0%} retries, shuffled, bursts of "
                f"{BURST}); median of {repeat}; cores: {len(os.sched_getaffinity(0))}; goal {GOAL} events/s"
            )
            print(f"{'concurrency':<12}{'events/s':>10}{'p50 ms':>8}{'p99 ms':>8}  runs (events/s)")
            for concurrency in CONCURRENCY:
                runs = [
                    measure(port, token, store, f"c{concurrency}-r{r}", distinct, concurrency, seed=r)
                    for r in range(repeat)
                ]
                eps = [run["eps"] for run in runs]
                print(
                    f"c={concurrency:<10}{statistics.median(eps):>10.0f}"
                    f"{statistics.median(run['p50'] for run in runs):>8.2f}"
                    f"{statistics.median(run['p99'] for run in runs):>8.2f}  " + " ".join(f"{e:.0f}" for e in eps)
                )
            print("every distinct event stored once; every retry answered 200")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=20000, help="distinct events per case (max 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per concurrency; the table shows medians")
    args = parser.parse_args()
    main(min(args.events, 1_000_000), max(1, args.repeat))
