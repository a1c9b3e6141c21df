"""The bucket reader against a real S3 server (`rclone serve s3`) holding objects in the layout and format KServe's
logger writes (`tests/kserve_logger.py`): incremental reads, each object once across a crash or a kill mid-read,
and drift windows over the events read."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ai4mlops_lab.errors import UserError
from ai4mlops_lab.monitoring.bucket_reader import BucketReader
from ai4mlops_lab.monitoring.monitor import DriftMonitor
from ai4mlops_lab.monitoring.replay import requests
from ai4mlops_lab.objectstore import ObjectStore, S3Settings
from ai4mlops_lab.serving.inference_service import build_inference_service
from ai4mlops_lab.serving.log_storage import LogStorage
from ai4mlops_lab.store import log_objects
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.store.log_objects import LogObjectStore
from ai4mlops_lab.workspace import STORE_FILE

from ..kserve_logger import exchanges, file_put, s3_put, write_batches
from ..requests import NAME, deploy_record, rows

REPO = Path(__file__).resolve().parents[2]
NS = "team-a"
PREFIX = "kserve/logs"


@pytest.fixture
def bucket(s3_server, request):
    """A fresh bucket per test (the server is shared by the module)."""
    name = "logs-" + request.node.name.replace("_", "-")[5:40].strip("-").lower()
    s3_server.bucket(name)
    return name


@pytest.fixture
def objects(s3_server, monkeypatch):
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return ObjectStore(S3Settings(endpoint_url=s3_server.endpoint))


def kserve_deployment(workspace: Path, bucket: str, name: str = NAME) -> None:
    """A KServe deployment record (with the reference sample of `deploy_record`) whose logger writes to `bucket`."""
    deploy_record(workspace, name=name)
    store = DeploymentStore(workspace / STORE_FILE)
    record = store.get(name)
    obj = build_inference_service(
        name,
        NS,
        model_format="sklearn",
        storage_uri="s3://models/iris",
        logger_url=None,
        log_storage=LogStorage(f"s3://{bucket}/{PREFIX}"),
    )
    store.create(
        name=name,
        run_id=None,
        model_name=record["model_name"],
        model_uri=record["model_uri"],
        target="kserve",
        config={**record["config"], "namespace": NS, "object": obj},
        replace=True,
    )


def reader(workspace, objects):
    path = workspace / STORE_FILE
    return BucketReader(objects, LogObjectStore(path), DeploymentStore(path))


def logged(put, n_rows, batch_size, name=NAME, extension="json", seed=1, batch_rows=5, shift=0.0):
    """Log requests of `batch_rows` rows each (and their responses) in objects of `batch_size` records."""
    records = exchanges(list(requests(rows(n_rows, seed=seed, shift=shift), batch_rows)), name, NS)
    return write_batches(put, PREFIX, records, batch_size, extension), records


def counts(workspace):
    return EventStore(workspace / STORE_FILE).counts()


@pytest.fixture
def put(objects, bucket):
    """Writes objects through the S3 API."""
    return s3_put(objects.client(), bucket)


@pytest.fixture
def drop(s3_server, bucket):
    """Writes objects as files of the served folder (for many objects: PUTs to rclone are slow on a busy machine)."""
    return file_put(s3_server.data / bucket)


@pytest.fixture
def workspace(tmp_path):
    return tmp_path / ".ai4mlops"


def test_objects_are_read_incrementally_in_kserve_layout(workspace, objects, bucket, put):
    kserve_deployment(workspace, bucket)
    kserve_deployment(workspace, bucket, name=f"{NAME}-2")  # its prefix starts like the first one's
    keys, records = logged(put, 50, batch_size=4)  # 10 requests + 10 responses -> 5 objects
    logged(put, 20, batch_size=4, name=f"{NAME}-2", seed=2)
    assert keys[0].startswith(f"{PREFIX}/{NS}/{NAME}/predictor/") and keys[0].endswith("-request.json")
    first = reader(workspace, objects).read(NAME)
    assert (first.objects, first.events, first.refused) == (5, 20, 0)
    assert first.prefix == f"s3://{bucket}/{PREFIX}/{NS}/{NAME}/"
    assert counts(workspace)["requests"] == 10 and counts(workspace)["responses"] == 10
    logged(put, 15, batch_size=5, seed=3)  # 3 more requests: 6 records, 2 objects
    second = reader(workspace, objects).read(NAME)
    assert (second.objects, second.events) == (2, 6)
    assert reader(workspace, objects).read(NAME).objects == 0
    [stored] = EventStore(workspace / STORE_FILE).events(NAME, "request", limit=1)
    assert json.loads(stored["body"]) == json.loads(__import__("base64").b64decode(records[0]["Bytes"]))
    everything = {result.deployment: result.objects for result in reader(workspace, objects).read_all()}
    assert everything == {NAME: 0, f"{NAME}-2": 2}


def test_parquet_objects_give_the_same_events(workspace, objects, bucket, put):
    kserve_deployment(workspace, bucket)
    keys, _ = logged(put, 40, batch_size=3, extension="parquet")
    assert keys[0].endswith(".parquet")
    result = reader(workspace, objects).read(NAME)
    assert (result.objects, result.events, result.refused) == (len(keys), 16, 0)
    exchange = EventStore(workspace / STORE_FILE).exchanges(NAME)[0]
    assert exchange["source"] == "http://localhost:9081/" and json.loads(exchange["request"])["instances"]


def test_a_crash_mid_read_loses_nothing_and_counts_nothing_twice(workspace, objects, bucket, drop, monkeypatch):
    kserve_deployment(workspace, bucket)
    keys, _ = logged(drop, 100, batch_size=2)  # 20 requests, 20 responses, 20 objects
    real, calls = log_objects.store_events, []

    def crashing(conn, events):
        outcomes = real(conn, events)  # written in the open transaction...
        calls.append(len(events))
        if len(calls) == 8:
            raise RuntimeError("killed")  # ...which the crash rolls back
        return outcomes

    monkeypatch.setattr(log_objects, "store_events", crashing)
    with pytest.raises(RuntimeError, match="killed"):
        reader(workspace, objects).read(NAME)
    assert counts(workspace)["requests"] + counts(workspace)["responses"] == 14
    monkeypatch.setattr(log_objects, "store_events", real)
    rest = reader(workspace, objects).read(NAME)
    assert (rest.objects, rest.events, rest.repeated) == (13, 26, 0)
    assert counts(workspace)["requests"] == 20 and counts(workspace)["responses"] == 20
    assert LogObjectStore(workspace / STORE_FILE).totals(NAME) == {"objects": 20, "events": 40, "refused": 0}


def test_a_killed_reader_process_resumes_exactly_once(workspace, objects, bucket, drop, s3_server):
    kserve_deployment(workspace, bucket)
    keys, _ = logged(drop, 1000, batch_size=2, batch_rows=5)  # 200 requests -> 200 objects
    env = {**os.environ, **s3_server.env, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "ai4mlops_lab.cli", "read-logs", NAME, "--workspace", str(workspace), "--json"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    read_before_kill = 0
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline and read_before_kill < 20:
        time.sleep(0.02)
        with sqlite3.connect(workspace / STORE_FILE, timeout=5) as conn:
            read_before_kill = conn.execute("SELECT count(*) FROM log_objects").fetchone()[0]
    process.send_signal(signal.SIGKILL)
    process.communicate()
    with sqlite3.connect(workspace / STORE_FILE, timeout=5) as conn:
        read_before_kill = conn.execute("SELECT count(*) FROM log_objects").fetchone()[0]
    assert 0 < read_before_kill < len(keys), "the kill came before or after the read, not during it"
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=400)
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["objects"] == len(keys) - read_before_kill
    assert counts(workspace)["requests"] == 200 and counts(workspace)["responses"] == 200


def test_drift_windows_see_the_events_read(workspace, objects, bucket, drop):
    kserve_deployment(workspace, bucket)
    monitor = DriftMonitor(workspace / STORE_FILE, workspace)
    monitor.set_policy(NAME, {"window_size": 100, "consecutive": 1})
    logged(drop, 200, batch_size=10, seed=5)
    logged(drop, 200, batch_size=10, seed=6, shift=0.8)
    reader(workspace, objects).read(NAME)
    monitor.catch_up()
    report = monitor.report(NAME)
    assert sum(window["n"] for window in report["windows"]) == 400
    assert [window["drift"] for window in report["windows"]][-1] is True


def test_an_unreadable_object_is_refused_once_and_not_read_again(workspace, objects, bucket, drop):
    kserve_deployment(workspace, bucket)
    logged(drop, 10, batch_size=4)
    drop(f"{PREFIX}/{NS}/{NAME}/predictor/x-request.json", b"{not json")
    drop(f"{PREFIX}/{NS}/{NAME}/predictor/y-request.json", b'[{"Id": "y"}]')
    result = reader(workspace, objects).read(NAME)
    assert (result.objects, result.events, result.refused) == (3, 4, 2)
    assert any("x-request.json cannot be read" in problem for problem in result.problems)
    assert any("record 1: it has no ReqType" in problem for problem in result.problems)
    assert counts(workspace)["rejected"] == {"unreadable log object": 1, "missing ReqType": 1}
    assert reader(workspace, objects).read(NAME).objects == 0


def test_a_deployment_that_posts_its_events_has_no_bucket_to_read(workspace, objects):
    deploy_record(workspace)
    with pytest.raises(UserError) as err:
        reader(workspace, objects).read(NAME)
    assert "does not write to a bucket" in err.value.message and "log_storage_uri" in err.value.hint
    assert reader(workspace, objects).read_all() == []
