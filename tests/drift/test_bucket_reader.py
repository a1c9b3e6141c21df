"""The bucket reader against a real S3 server (`rclone serve s3`) holding objects in the layout and format KServe's
logger writes (`tests/kserve_logger.py`): incremental reads, each object once across a crash, a kill mid-read or a
stalled GET, listings that start after the keys read when keys arrive in order, and drift windows over the events
read. Few objects each: the read rate is measured by `bench/log_bucket.py`, not here."""

import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ai4mlops_lab.errors import UserError
from ai4mlops_lab.monitoring.bucket_reader import ORDER_EVIDENCE, BucketReader
from ai4mlops_lab.monitoring.monitor import DriftMonitor
from ai4mlops_lab.monitoring.replay import requests
from ai4mlops_lab.objectstore import ObjectStore, S3Settings
from ai4mlops_lab.serving.log_storage import LogStorage
from ai4mlops_lab.store import log_objects
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.store.log_objects import LogObjectStore
from ai4mlops_lab.workspace import LOG_READ_FETCHERS_ENV, STORE_FILE

from ..kserve_logger import exchanges, s3_put, write_batches
from ..requests import NAME, deploy_record, kserve_record, rows
from ..s3server import free_port

REPO = Path(__file__).resolve().parents[2]
NS = "team-a"
PREFIX = "kserve/logs"
#: The reader's socket read timeout in these tests: a stalled GET is given up after this long.
TIMEOUT_S = 1.0


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
    return client(s3_server.endpoint)


def client(endpoint: str) -> ObjectStore:
    """An object store at `endpoint` as the workspace makes the reader's: short socket reads, no boto3 retry."""
    return ObjectStore(S3Settings(endpoint_url=endpoint, read_timeout_s=TIMEOUT_S, attempts=1))


def kserve_deployment(workspace: Path, bucket: str, name: str = NAME) -> None:
    """A KServe deployment record (with the reference sample of `deploy_record`) whose logger writes to `bucket`:
    its InferenceService's logger as `build_inference_service` writes it (checked against the CRD, and read back
    by `stored_logger_prefix`, in tests/contract/test_contract_kserve_log_storage.py; the kserve SDK is not
    imported here)."""
    storage = LogStorage(f"s3://{bucket}/{PREFIX}")
    logger = {"mode": "all", "url": storage.logger_url, "storage": {"parameters": storage.parameters()}}
    kserve_record(
        workspace, name, {"metadata": {"name": name, "namespace": NS}, "spec": {"predictor": {"logger": logger}}}
    )


def reader(workspace, objects, fetchers=2, **options):
    path = workspace / STORE_FILE
    return BucketReader(objects, LogObjectStore(path), DeploymentStore(path), fetchers=fetchers, **options)


def logged(put, n_rows, batch_size, name=NAME, extension="json", seed=1, batch_rows=5, shift=0.0, ids=None):
    """Log requests of `batch_rows` rows each (and their responses) in objects of `batch_size` records."""
    records = exchanges(list(requests(rows(n_rows, seed=seed, shift=shift), batch_rows)), name, NS, ids=ids)
    return write_batches(put, PREFIX, records, batch_size, extension), records


def in_order(put, first, count=1):
    """`count` requests whose ce-ids sort in the order they are sent (time-ordered ids), one object each."""
    ids = [f"{n:08d}-0000-7000-8000-000000000000" for n in range(first, first + count)]
    return logged(put, 5 * count, batch_size=2, seed=first, ids=ids)[0]


def counts(workspace):
    return EventStore(workspace / STORE_FILE).counts()


def prefix_state(workspace, bucket):
    return LogObjectStore(workspace / STORE_FILE).prefix_state(f"s3://{bucket}/{PREFIX}/{NS}/{NAME}/")


@pytest.fixture
def put(objects, bucket):
    """Writes objects through the S3 API (as the logger does)."""
    return s3_put(objects.client(), bucket)


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
    assert (first.objects, first.events, first.refused, first.left, first.error) == (5, 20, 0, 0, None)
    assert first.prefix == f"s3://{bucket}/{PREFIX}/{NS}/{NAME}/"
    assert counts(workspace)["requests"] == 10 and counts(workspace)["responses"] == 10
    logged(put, 15, batch_size=5, seed=3)  # 3 more requests: 6 records, 2 objects
    second = reader(workspace, objects).read(NAME)
    assert (second.objects, second.events) == (2, 6)
    assert reader(workspace, objects).read(NAME).objects == 0
    [stored] = EventStore(workspace / STORE_FILE).events(NAME, "request", limit=1)
    assert json.loads(stored["body"]) == json.loads(base64.b64decode(records[0]["Bytes"]))
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


def test_a_crash_mid_read_loses_nothing_and_counts_nothing_twice(workspace, objects, bucket, put, monkeypatch):
    kserve_deployment(workspace, bucket)
    logged(put, 40, batch_size=2)  # 8 requests, 8 responses, 8 objects
    real, calls = log_objects.store_events, []

    def crashing(conn, events):
        outcomes = real(conn, events)  # written in the open transaction...
        calls.append(len(events))
        if len(calls) == 4:
            raise RuntimeError("killed")  # ...which the crash rolls back
        return outcomes

    monkeypatch.setattr(log_objects, "store_events", crashing)
    with pytest.raises(RuntimeError, match="killed"):
        reader(workspace, objects).read(NAME)
    assert counts(workspace)["requests"] + counts(workspace)["responses"] == 6
    monkeypatch.setattr(log_objects, "store_events", real)
    rest = reader(workspace, objects).read(NAME)
    assert (rest.objects, rest.events, rest.repeated) == (5, 10, 0)
    assert counts(workspace)["requests"] == 8 and counts(workspace)["responses"] == 8
    assert LogObjectStore(workspace / STORE_FILE).totals(NAME) == {"objects": 8, "events": 16, "refused": 0}


def test_a_killed_reader_process_resumes_exactly_once(workspace, bucket, put, s3_server, s3_proxy):
    kserve_deployment(workspace, bucket)
    keys, _ = logged(put, 150, batch_size=2)  # 30 requests, 30 responses, 30 objects
    s3_proxy.delay = 0.1  # a GET at a time, each 0.1 s: the kill lands mid-read however loaded the machine
    command = [sys.executable, "-m", "ai4mlops_lab.cli", "read-logs", NAME, "--workspace", str(workspace), "--json"]
    env = {**os.environ, **s3_proxy.server.env, "PYTHONPATH": str(REPO), LOG_READ_FETCHERS_ENV: "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def read_objects():
        with sqlite3.connect(workspace / STORE_FILE, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM log_objects").fetchone()[0]

    deadline = time.monotonic() + 300  # its start alone takes a minute on a loaded machine without .pyc files
    while process.poll() is None and time.monotonic() < deadline and read_objects() < 3:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    read_before_kill = read_objects()
    assert 0 < read_before_kill < len(keys), "the kill came before or after the read, not during it"
    env.update(s3_server.env)  # straight to the server this time
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["objects"] == len(keys) - read_before_kill
    assert counts(workspace)["requests"] == 30 and counts(workspace)["responses"] == 30


def test_a_stalled_get_is_tried_again_and_counted_once(workspace, bucket, put, s3_proxy):
    kserve_deployment(workspace, bucket)
    keys, _ = logged(put, 20, batch_size=2)  # 4 requests, 4 responses, 4 objects
    s3_proxy.stall(keys[1])  # its first GET gets no answer
    start = time.monotonic()
    result = reader(workspace, client(s3_proxy.server.endpoint)).read(NAME)
    assert (result.objects, result.events, result.retries, result.left, result.error) == (4, 8, 1, 0, None)
    assert time.monotonic() - start < 20 * TIMEOUT_S
    assert [path for method, path in s3_proxy.seen if keys[1] in path] == [f"/{bucket}/{keys[1]}"] * 2
    assert counts(workspace)["requests"] == 4 and counts(workspace)["responses"] == 4


def test_an_object_that_stays_stalled_is_left_for_the_next_pass(workspace, bucket, put, s3_proxy):
    kserve_deployment(workspace, bucket)
    keys, _ = logged(put, 30, batch_size=2)  # 6 requests, 6 responses, 6 objects
    s3_proxy.stall(keys[2], times=2)  # every try of this pass
    stalled = reader(workspace, client(s3_proxy.server.endpoint), fetchers=1)
    start = time.monotonic()
    with pytest.raises(UserError) as err:
        stalled.read_all()  # the background job: the error is logged once
    assert time.monotonic() - start < 20 * TIMEOUT_S
    assert f"{NAME!r}" in err.value.message and f"{keys[2]} could not be read" in err.value.message
    assert "ReadTimeoutError" in err.value.message and err.value.status == 502
    assert f"{keys[2]} could not be read" in prefix_state(workspace, bucket).last_error
    assert LogObjectStore(workspace / STORE_FILE).totals(NAME)["objects"] == 5  # the others were read
    assert counts(workspace)["requests"] == 5 and counts(workspace)["responses"] == 5
    rest = stalled.read(NAME)  # the server answers again
    assert (rest.objects, rest.left, rest.error) == (1, 0, None)
    assert counts(workspace)["requests"] == 6 and counts(workspace)["responses"] == 6
    assert prefix_state(workspace, bucket).last_error is None


def test_a_stalled_server_stops_the_pass_after_two_objects_in_a_row(workspace, bucket, put, s3_proxy):
    kserve_deployment(workspace, bucket)
    keys, _ = logged(put, 30, batch_size=2)  # 6 objects
    for key in keys:
        s3_proxy.stall(key)
    stalled = reader(workspace, client(s3_proxy.server.endpoint), fetchers=2, attempts=1)
    start = time.monotonic()
    result = stalled.read(NAME)
    assert time.monotonic() - start < 20 * TIMEOUT_S
    assert (result.objects, result.left) == (0, 6) and "could not be read" in result.error
    tried = {path for method, path in s3_proxy.seen if "list-type=" not in path}
    assert len(tried) == 3  # two in flight, and the one started after the first failed
    s3_proxy.recover()
    assert (stalled.read(NAME).objects, counts(workspace)["requests"]) == (6, 6)


def test_an_unreachable_endpoint_is_a_clear_error_recorded_on_the_prefix(workspace, bucket, objects):
    kserve_deployment(workspace, bucket)
    with pytest.raises(UserError) as err:
        reader(workspace, client(f"http://127.0.0.1:{free_port()}")).read(NAME)
    assert "Cannot reach the S3 endpoint" in err.value.message and "AWS_ENDPOINT_URL" in err.value.hint
    assert "cannot be listed: Cannot reach" in prefix_state(workspace, bucket).last_error


def test_listings_start_after_the_keys_read_once_keys_arrive_in_order(workspace, bucket, put, s3_proxy):
    kserve_deployment(workspace, bucket)
    logs = reader(workspace, client(s3_proxy.server.endpoint), full_every=3)
    passes = []
    for n in range(ORDER_EVIDENCE + 1):  # the first listing, then full ones whose new keys all sort after it
        [last] = in_order(put, 10 * (n + 1))
        result = logs.read(NAME)
        passes.append((result.listing, result.listed, result.objects))
    assert passes == [("full", n + 1, 1) for n in range(ORDER_EVIDENCE + 1)]
    in_order(put, 50, count=2)
    s3_proxy.seen.clear()
    after = logs.read(NAME)
    assert (after.listing, after.listed, after.objects) == ("after", 2, 2)
    [listing] = [parse_qs(urlsplit(path).query) for method, path in s3_proxy.seen if "list-type=2" in path]
    assert listing["start-after"] == [last]
    in_order(put, 5)  # a late batch whose key sorts behind those read (another replica's)
    missed = logs.read(NAME)
    assert (missed.listing, missed.objects) == ("after", 0)
    caught = logs.read(NAME)  # every third pass lists the whole prefix
    assert (caught.listing, caught.objects) == ("full", 1)
    assert logs.read(NAME).listing == "full"  # keys came out of order: full listings again
    assert counts(workspace)["requests"] == ORDER_EVIDENCE + 4 and counts(workspace)["rejected"] == {}


def test_an_object_behind_the_keys_read_is_read_at_the_next_pass(workspace, objects, bucket, put):
    kserve_deployment(workspace, bucket)
    logs = reader(workspace, objects)
    logged(put, 5, batch_size=2, ids=["c36d1e52-9b1c-4f5e-8a55-0d6f2f7b9a10"])  # KServe's random ids
    assert logs.read(NAME).objects == 1
    behind = logged(put, 5, batch_size=2, ids=["4b0e7c1a-2f3d-4e6b-9c8d-7a6b5c4d3e2f"])[0][0]
    result = logs.read(NAME)
    assert (result.listing, result.objects, result.events) == ("full", 1, 2)
    state = prefix_state(workspace, bucket)
    assert state.in_order == 0 and state.read_through > behind


def test_drift_windows_see_the_events_read(workspace, objects, bucket, put):
    kserve_deployment(workspace, bucket)
    monitor = DriftMonitor(workspace / STORE_FILE, workspace)
    monitor.set_policy(NAME, {"window_size": 100, "consecutive": 1})
    logged(put, 200, batch_size=40, seed=5)  # 40 requests, 40 responses: 2 objects
    logged(put, 200, batch_size=40, seed=6, shift=0.8)
    reader(workspace, objects).read(NAME)
    monitor.catch_up()
    report = monitor.report(NAME)
    assert sum(window["n"] for window in report["windows"]) == 400
    assert [window["drift"] for window in report["windows"]][-1] is True


def test_an_unreadable_object_is_refused_once_and_not_read_again(workspace, objects, bucket, put):
    kserve_deployment(workspace, bucket)
    logged(put, 10, batch_size=4)
    put(f"{PREFIX}/{NS}/{NAME}/predictor/x-request.json", b"{not json")
    put(f"{PREFIX}/{NS}/{NAME}/predictor/y-request.json", b'[{"Id": "y"}]')
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
