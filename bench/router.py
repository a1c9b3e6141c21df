"""Overhead of a rollout's router on the request path: a model server called directly vs through the router.

Run: `python bench/router.py [REQUESTS]` (default 2000 per case; not run in CI). Trains the torch example with a
real local run (`bench/serving.py`), serves its model twice with LocalDeployments (a stable and a candidate
server, both logging requests to a loopback sink) and starts the router (`serving/rollouts.py`) in front of them.
For V1 at concurrency 1 and 8, prints requests/s and p50 of the router with a 0 % canary, a 20 % canary and a
shadow, each next to the direct server measured just before it, and their ratios. Every server listens on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from serving import NullSink, measure, train  # also puts the repository on sys.path

CASES = (("canary 0%", "canary", 0), ("canary 20%", "canary", 20), ("shadow", "shadow", 0))


def main(requests: int = 2000) -> None:
    from ai4mlops_lab.serving.local import LocalDeployments
    from ai4mlops_lab.serving.rollouts import LocalRouter, routes
    from ai4mlops_lab.serving.server_process import free_port as _free_port
    from ai4mlops_lab.store.deployments import DeploymentStore
    from ai4mlops_lab.store.runs import RunStore
    from ai4mlops_lab.workspace import STORE_FILE

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        workspace, run = train(root)
        candidate_workspace = root / "candidate" / ".ai4mlops"
        candidate_workspace.mkdir(parents=True)
        with (
            sqlite3.connect(workspace / STORE_FILE) as source,
            sqlite3.connect(candidate_workspace / STORE_FILE) as copy,
        ):
            source.backup(copy)  # the run's record, so the candidate workspace can deploy it too
        sink = NullSink()
        request_log = {"url": f"http://127.0.0.1:{sink.server_address[1]}/ingest"}
        services = [
            LocalDeployments(
                folder, DeploymentStore(folder / STORE_FILE), RunStore(folder / STORE_FILE), request_log=request_log
            )
            for folder in (workspace, candidate_workspace)
        ]
        stable, candidate = (service.deploy(run["id"], name="bench") for service in services)
        router, port = LocalRouter(root / "router"), _free_port()
        router.start(name="bench", port=port, routes=routes(stable["url"], "v1"))
        try:
            artifact = next(a for a in run["artifacts"] if a["metadata"].get("model"))
            row = artifact["metadata"]["model"]["example"][0]
            body = json.dumps({"instances": [row]}).encode()
            direct_url, router_url = stable["endpoints"]["v1"], f"http://127.0.0.1:{port}/v1/models/bench:predict"
            print(
                f"{requests} requests per case, V1, 1 row of {len(row)} features; cores: {len(os.sched_getaffinity(0))}"
            )
            print(
                f"{'case':<16}{'c':>3}{'direct rps':>12}{'p50 ms':>8}{'router rps':>12}{'p50 ms':>8}"
                f"{'rps ratio':>11}{'p50 ratio':>11}"
            )
            for concurrency in (1, 8):
                for case, mode, percent in CASES:
                    direct = measure(direct_url, body, requests, concurrency)  # again: the machine's load drifts
                    router.configure(
                        routes(
                            stable["url"],
                            "v1",
                            candidate_url=candidate["url"],
                            candidate_version="v2",
                            mode=mode,
                            percent=percent,
                        )
                    )
                    routed = measure(router_url, body, requests, concurrency)
                    print(
                        f"{case:<16}{concurrency:>3}{direct['rps']:>12.0f}{direct['p50']:>8.2f}"
                        f"{routed['rps']:>12.0f}{routed['p50']:>8.2f}"
                        f"{routed['rps'] / direct['rps']:>11.2f}{routed['p50'] / direct['p50']:>11.2f}"
                    )
            print("router:", json.dumps({k: router.stats()[k] for k in ("versions", "retried_on_stable", "shadow")}))
        finally:
            router.stop()
            for service in services:
                service.stop("bench")
            sink.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
