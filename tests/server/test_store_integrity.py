"""Events the server acknowledged survive a refused read of the store, another process opening the store, and a
`kill -9` of the server (issue 10, item 2)."""

import gc
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import pytest

from ai4mlops_lab.monitoring.ingest_token import ingest_token
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.workspace import STORE_FILE

from ..requests import NAME, deploy_record
from .live import LiveServer

N = 40


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "root"
    workspace = root / ".ai4mlops"
    root.mkdir()
    deploy_record(workspace)
    records = DeploymentStore(workspace / STORE_FILE)
    records.update(NAME, status="stopped")  # nothing to reattach
    records.close()
    gc.collect()  # this process must not hold the store open: its locks would hide the server's lost ones
    live = LiveServer(root)
    yield live
    live.stop()


def event_headers(token: str) -> dict:
    return {
        "Ce-Id": uuid.uuid4().hex,
        "Ce-Specversion": "1.0",
        "Ce-Source": "test",
        "Ce-Inferenceservicename": NAME,
        "Ce-Type": "org.kubeflow.serving.inference.request",
        "Authorization": f"Bearer {token}",
    }


def ingest(server, token: str, n: int) -> None:
    body = json.dumps({"instances": [[0.0] * 10]}).encode()
    answers = [server.request("POST", "ingest", body, event_headers(token), auth=False) for _ in range(n)]
    assert [(status, reply["stored"]) for status, reply in answers] == [(202, True)] * n


def test_acknowledged_events_survive_a_refused_store_read_another_process_and_kill_9(server):
    """As the issue saw it: events before and after the refused read and another process opening and closing
    the store (which deletes the WAL if the server's locks were gone) are all there after `kill -9`."""
    workspace = server.root / ".ai4mlops"
    token = ingest_token(workspace)
    ingest(server, token, N)

    status, reply = server.request("POST", "analyze", json.dumps({"path": f".ai4mlops/{STORE_FILE}"}).encode())
    assert status in (400, 403) and "workspace" in reply["detail"] and reply["hint"]

    other = subprocess.run(
        [sys.executable, "-m", "ai4mlops_lab.cli", "runs", "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert other.returncode == 0, other.stderr
    ingest(server, token, N)
    server.kill()

    with sqlite3.connect(workspace / STORE_FILE) as conn:
        stored = conn.execute("SELECT count(*) FROM inference_events WHERE deployment = ?", (NAME,)).fetchone()[0]
    assert stored == 2 * N


def test_every_event_acknowledged_by_concurrent_senders_survives_kill_9_during_their_batches(server):
    """Senders post concurrently (so events are committed in batches) until the server is killed with batches in
    flight: each event answered 202 is in the store, once; an answer never comes before its batch's commit."""
    token = ingest_token(server.root / ".ai4mlops")
    acknowledged, lock, killed = [], threading.Lock(), threading.Event()
    body = json.dumps({"instances": [[0.5] * 10]}).encode()

    def sender():
        while not killed.is_set():
            headers = event_headers(token)
            for attempt in range(2 if len(acknowledged) % 10 == 0 else 1):  # some retried
                try:
                    status, reply = server.request("POST", "ingest", body, headers, auth=False)
                except OSError:  # the server is gone
                    return
                with lock:
                    acknowledged.append((headers["Ce-Id"], status, attempt))

    senders = [threading.Thread(target=sender) for _ in range(16)]
    for thread in senders:
        thread.start()
    while sum(status == 202 for _, status, _ in list(acknowledged)) < 300 and all(t.is_alive() for t in senders):
        time.sleep(0.01)
    server.kill()
    killed.set()
    for thread in senders:
        thread.join(timeout=60)

    stored_202 = [ce_id for ce_id, status, _ in acknowledged if status == 202]
    assert len(stored_202) >= 300 and len(set(stored_202)) == len(stored_202)
    assert {status for _, status, attempt in acknowledged if attempt == 1} == {200}
    with sqlite3.connect(server.root / ".ai4mlops" / STORE_FILE) as conn:
        stored = {row[0] for row in conn.execute("SELECT ce_id FROM inference_events WHERE deployment = ?", (NAME,))}
    assert set(stored_202) <= stored


@pytest.mark.parametrize(
    "path",
    [
        f".ai4mlops/{STORE_FILE}",
        f".ai4mlops/{STORE_FILE}-wal",
        ".ai4mlops",
        "./.ai4mlops/../.ai4mlops/ingest-token",
        ".ipynb_checkpoints/a.ipynb",
        "link.ipynb",
    ],
)
def test_the_workspace_and_hidden_paths_are_refused_before_any_read(server, path):
    (server.root / "link.ipynb").symlink_to(server.root / ".ai4mlops" / STORE_FILE)
    for route in ("analyze", "compile", "runs"):
        status, reply = server.request("POST", route, json.dumps({"path": path}).encode())
        assert status == 403 and reply["error"] == "forbidden" and path in reply["detail"] and reply["hint"]
