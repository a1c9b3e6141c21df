"""Drift monitoring as a job of the cluster (`monitoring/cluster_job.py`) against a real S3 server: passes with no
Jupyter server write windows and alerts to the bucket, the workspace imports them once each; a pass killed (SIGKILL
of its process, or a crash before its state is committed) is redone by the next with the same keys; bad settings
are one clear error. Whether a job is alive: when it last passed (its cursor) and when the workspace last checked
and imported its results, a job that stopped passing or a bucket that cannot be read warned of with what to do and
never a secret. Few rows, windows of 100."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from ai4mlops_lab.cli.main import main
from ai4mlops_lab.errors import UserError
from ai4mlops_lab.monitoring.cluster_job import run_pass, write_json
from ai4mlops_lab.monitoring.cluster_results import JobResults
from ai4mlops_lab.monitoring.cluster_schedule import MonitorJobs
from ai4mlops_lab.monitoring.monitor import DriftMonitor
from ai4mlops_lab.objectstore import ObjectStore, S3Settings, parse_uri
from ai4mlops_lab.store import times
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.store.monitor_jobs import JobStatusStore
from ai4mlops_lab.workspace import LOG_READ_FETCHERS_ENV, STORE_FILE, Workspace

from ..s3server import free_port
from . import test_bucket_reader as reader_tests
from .test_bucket_reader import NAME, NS, PREFIX, REPO, kserve_deployment, logged

#: The bucket reader's tests' fixtures: a fresh bucket, a client of it, writes to it as KServe's logger writes.
bucket, objects, put = reader_tests.bucket, reader_tests.objects, reader_tests.put

#: The policy of these tests: windows of 100 rows, an alert after 2 drifted windows in a row.
POLICY = {"window_size": 100, "consecutive": 2}


@pytest.fixture
def workspace(tmp_path):
    return tmp_path / ".ai4mlops"


def seed(workspace, objects, policy=POLICY) -> str:
    """Schedule-time seeding of the KServe deployment's job (no KFP needed): its monitor URI."""
    monitor = DriftMonitor(workspace / STORE_FILE, workspace)
    monitor.set_policy(NAME, policy)
    jobs = MonitorJobs(
        DeploymentStore(workspace / STORE_FILE),
        workspace,
        objects,
        lambda name: monitor.policy(name).to_dict(),
        kfp_backend=lambda: pytest.fail("seeding needs no KFP"),
    )
    return jobs.seed(NAME)["uri"]


def keys(objects, uri, folder):
    prefix = parse_uri(uri)
    return [info.key.rsplit("/", 1)[-1] for info in objects.list(prefix.child(prefix.key + folder))]


def cursor(objects, uri):
    prefix = parse_uri(uri)
    return json.loads(objects.read(prefix.child(prefix.key + "cursor.json")))


def state_events(objects, uri, folder) -> int:
    """The events in the job's committed state."""
    prefix = parse_uri(uri)
    path = objects.download(prefix.child(prefix.key + "state.sqlite"), folder / "state.sqlite")
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM inference_events").fetchone()[0]


def imported(workspace, objects):
    return JobResults(objects, workspace / STORE_FILE).import_results(NAME)


def test_passes_without_a_server_write_windows_and_alerts_that_the_workspace_imports_once(
    workspace, objects, bucket, put, tmp_path
):
    kserve_deployment(workspace, bucket)
    uri = seed(workspace, objects)
    assert uri == f"s3://{bucket}/{PREFIX}/_ai4mlops/monitor/{NS}/{NAME}/"
    assert DeploymentStore(workspace / STORE_FILE).get(NAME)["config"]["monitor_job"] == {"uri": uri}
    logged(put, 200, batch_size=40, seed=5)  # 40 requests of 5 rows and their responses: 2 objects
    first = run_pass(uri, objects)
    assert (first.objects, first.events, first.windows, first.error) == (2, 80, 2, None)
    logged(put, 400, batch_size=40, seed=6, shift=3.0)  # drifted
    second = run_pass(uri, objects)
    assert (second.objects, second.windows) == (4, 4)
    assert keys(objects, uri, "windows/") == [f"{n:012d}.json" for n in range(1, 7)]
    assert keys(objects, uri, "alerts/") == [f"{1:012d}.json"] and first.alerts + second.alerts == 1
    assert cursor(objects, uri)["windows_through"] == 6
    assert run_pass(uri, objects).windows == 0  # nothing new
    assert state_events(objects, uri, tmp_path) <= 1  # windowed events are not carried (but the last response)
    assert EventStore(workspace / STORE_FILE).counts(NAME)["requests"] == 0  # the workspace read nothing itself

    assert imported(workspace, objects) == {"windows": 6, "alerts": 1, "closed": 0}
    assert imported(workspace, objects) == {"windows": 0, "alerts": 0, "closed": 0}
    monitor = DriftMonitor(workspace / STORE_FILE, workspace)
    windows = monitor.report(NAME)["windows"]
    assert [w["n"] for w in windows] == [100] * 6 and all(w["drift"] for w in windows[2:])  # (one before may)
    [alert] = monitor.alerts(NAME)["alerts"]
    assert alert["status"] == "open" and "consecutive windows" in alert["message"]
    linked = [w["id"] for w in windows if w["alert_id"] == alert["id"]]
    assert alert["window_ids"] == linked and linked[-4:] == [w["id"] for w in windows[2:]]  # streak, then joined

    monitor.dismiss(alert["id"])  # dealt with here: the job is told, and its next alert needs a new streak
    assert imported(workspace, objects)["closed"] == 1
    assert imported(workspace, objects)["closed"] == 0
    logged(put, 400, batch_size=40, seed=7, shift=3.0)
    after = run_pass(uri, objects)
    assert (after.closed, after.windows, after.alerts) == (1, 4, 1)
    assert imported(workspace, objects) == {"windows": 4, "alerts": 1, "closed": 0}
    assert len(monitor.alerts(NAME)["alerts"]) == 2


def test_a_crash_before_the_state_is_committed_is_redone_with_the_same_keys(
    workspace, objects, bucket, put, monkeypatch, capsys
):
    kserve_deployment(workspace, bucket)
    uri = seed(workspace, objects)
    logged(put, 200, batch_size=40, seed=5)
    assert run_pass(uri, objects).windows == 2
    logged(put, 400, batch_size=40, seed=6, shift=3.0)
    upload = ObjectStore.upload

    def crashing(self, source, target):
        if target.key.endswith("state.sqlite"):
            raise RuntimeError("killed")
        return upload(self, source, target)

    monkeypatch.setattr(ObjectStore, "upload", crashing)
    with pytest.raises(RuntimeError, match="killed"):
        run_pass(uri, objects)
    written = keys(objects, uri, "windows/")
    assert len(written) == 6 and cursor(objects, uri)["windows_through"] == 2  # not committed
    assert imported(workspace, objects) == {"windows": 2, "alerts": 0, "closed": 0}  # only what was committed
    monkeypatch.setattr(ObjectStore, "upload", upload)
    again = run_pass(uri, objects)
    assert (again.objects, again.windows, again.alerts) == (4, 4, 1)
    assert keys(objects, uri, "windows/") == written
    assert main(["monitor-job", "import", NAME, "--workspace", str(workspace), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"windows": 4, "alerts": 1, "closed": 0}
    assert [w["n"] for w in DriftMonitor(workspace / STORE_FILE, workspace).report(NAME)["windows"]] == [100] * 6


def test_a_killed_job_process_is_redone_by_the_next_pass_each_window_and_alert_once(
    workspace, bucket, put, s3_server, s3_proxy
):
    objects = ObjectStore(S3Settings(endpoint_url=s3_server.endpoint))
    kserve_deployment(workspace, bucket)
    uri = seed(workspace, objects)
    logged(put, 200, batch_size=40, seed=5)
    assert run_pass(uri, objects).windows == 2
    logged(put, 400, batch_size=8, seed=6, shift=3.0)  # 20 objects
    s3_proxy.delay = 0.1  # a GET at a time, each 0.1 s: the kill lands mid-pass however loaded the machine
    command = [sys.executable, "-m", "ai4mlops_lab.cli", "monitor-job", "run", uri, "--json"]
    env = {**os.environ, **s3_proxy.server.env, "PYTHONPATH": str(REPO), LOG_READ_FETCHERS_ENV: "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def logger_gets():
        return sum(method == "GET" and "/predictor/" in path for method, path in list(s3_proxy.seen))

    deadline = time.monotonic() + 300  # its start alone takes a minute on a loaded machine without .pyc files
    while process.poll() is None and time.monotonic() < deadline and logger_gets() < 3:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert 0 < logger_gets() < 20, "the kill came before or after the read, not during it"
    assert cursor(objects, uri)["windows_through"] == 2  # the killed pass committed nothing
    env.update(s3_server.env)  # straight to the server this time
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    done = json.loads(finished.stdout)
    assert (done["objects"], done["windows"], done["alerts"]) == (20, 4, 1)
    assert imported(workspace, objects) == {"windows": 6, "alerts": 1, "closed": 0}
    windows = DriftMonitor(workspace / STORE_FILE, workspace).report(NAME)["windows"]
    assert sum(w["n"] for w in windows) == 600 and len({(w["start"], w["end"]) for w in windows}) == 6


def test_bad_settings_are_one_clear_error_naming_the_field(workspace, objects, bucket, s3_server, capsys, monkeypatch):
    kserve_deployment(workspace, bucket)
    uri = seed(workspace, objects)

    def failed(*args):
        assert main(["monitor-job", "run", *args]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and s3_server.secret_key not in err
        return err

    assert "There is no bucket 'no-such-bucket'" in failed("s3://no-such-bucket/logs/_ai4mlops/monitor/a/b/")
    assert "monitor URI" in failed("s3://no-such-bucket/x/")
    err = failed(uri.replace(NAME, "unknown-model"))
    assert "No deployment is monitored at the monitor URI" in err and "monitor-job schedule" in err
    assert "monitor URI is wrong" in failed("http://example.com/x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x" * 40)
    err = failed(uri)
    assert "refused the credentials" in err and "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in err
    monkeypatch.setenv("AWS_ENDPOINT_URL", "ftp://nowhere")
    assert "AWS_ENDPOINT_URL" in failed(uri)


def test_a_policy_changed_on_the_server_reaches_the_job(workspace, objects, bucket, put):
    kserve_deployment(workspace, bucket)
    space = Workspace(workspace)
    uri = space.monitor_jobs.seed(NAME)["uri"]
    logged(put, 200, batch_size=40, seed=5)
    assert run_pass(uri, objects).windows == 0  # the default windows are of 500 rows
    space.drift_monitor.set_policy(NAME, {"window_size": 50})
    assert run_pass(uri, objects).windows == 4


def job_status(workspace) -> dict:
    return JobStatusStore(workspace / STORE_FILE).status(NAME)


def status_command(workspace, capsys, *options) -> tuple[int, str]:
    """`monitor-job status NAME`'s exit code and output."""
    code = main(["monitor-job", "status", NAME, "--workspace", str(workspace), *options])
    return code, capsys.readouterr().out


def shown(workspace, capsys) -> tuple[int, dict]:
    code, out = status_command(workspace, capsys, "--json")
    return code, json.loads(out)


def test_the_status_tells_when_the_job_last_passed_and_when_its_results_were_imported(
    workspace, objects, bucket, put, capsys
):
    kserve_deployment(workspace, bucket)
    uri = seed(workspace, objects)
    code, before = shown(workspace, capsys)
    assert code == 0 and before["warnings"] == [] and before["monitor_job"] == {"uri": uri}
    assert (before["last_pass_at"], before["last_checked_at"], before["last_imported_at"]) == (None, None, None)
    assert imported(workspace, objects) == {"windows": 0, "alerts": 0, "closed": 0}  # checked: no pass yet
    checked = job_status(workspace)
    assert checked["last_checked_at"] and (checked["last_pass_at"], checked["last_imported_at"]) == (None, None)

    logged(put, 200, batch_size=40, seed=5)
    done = run_pass(uri, objects)
    committed = cursor(objects, uri)
    assert committed["updated_at"] == done.finished_at and done.started_at <= done.finished_at
    assert committed["pass"] == {
        "started_at": done.started_at,
        **{"objects": 2, "events": 80, "windows": 2, "alerts": 0, "closed": 0, "error": None},
    }
    results = JobResults(objects, workspace / STORE_FILE)  # the server's, kept from round to round
    assert results.import_results(NAME)["windows"] == 2
    after = job_status(workspace)
    assert (after["last_pass_at"], after["last_pass"]) == (committed["updated_at"], committed["pass"])
    assert after["last_imported_at"] > committed["updated_at"] and after["last_checked_at"] == after["last_imported_at"]
    assert (after["windows_imported"], after["alerts_imported"], after["error"]) == (2, 0, None)
    imported(workspace, objects)  # the same pass read again (as by a server started again): not imported again
    assert job_status(workspace)["last_imported_at"] == after["last_imported_at"]

    run_pass(uri, objects)  # nothing new: still a pass, whose results (none) are imported
    assert results.import_results(NAME)["windows"] == 0
    newer = job_status(workspace)
    assert newer["last_pass_at"] > after["last_pass_at"] and newer["last_imported_at"] > after["last_imported_at"]
    assert (newer["last_pass"]["objects"], newer["last_pass"]["windows"], newer["windows_imported"]) == (0, 0, 2)
    code, status = shown(workspace, capsys)
    assert code == 0 and status["warnings"] == [] and status["monitor_job"]["uri"] == uri
    assert {key: status[key] for key in newer} == newer
    code, text = status_command(workspace, capsys)
    assert code == 0 and f"results under {uri}" in text
    assert f"last pass:        {newer['last_pass_at']} (" in text
    assert " ago): 0 logger object(s) read (0 events)" in text
    assert "; 2 window(s) and 0 alert(s) in all" in text and "warning" not in text


def test_the_cursor_of_an_older_job_still_reads_its_time_without_counts(workspace, objects, bucket, put, capsys):
    kserve_deployment(workspace, bucket)
    uri = seed(workspace, objects)
    logged(put, 200, batch_size=40, seed=5)
    run_pass(uri, objects)
    old = {key: value for key, value in cursor(objects, uri).items() if key != "pass"}  # as jobs wrote it before
    prefix = parse_uri(uri)
    write_json(objects, prefix.child(prefix.key + "cursor.json"), old)
    assert imported(workspace, objects)["windows"] == 2
    status = job_status(workspace)
    assert (status["last_pass_at"], status["last_pass"], status["windows_imported"]) == (old["updated_at"], None, 2)
    code, text = status_command(workspace, capsys)
    assert code == 0 and f"last pass:        {old['updated_at']} (" in text and "logger object" not in text


def scheduled(workspace, every_s: int, ago_s: float) -> None:
    """The seeded job recorded as scheduled `ago_s` seconds ago every `every_s` (as `schedule` records it)."""
    store = DeploymentStore(workspace / STORE_FILE)
    config = store.get(NAME)["config"]
    job = {"every_s": every_s, "kfp_recurring_run_id": "rr-1", "scheduled_at": times.from_epoch(time.time() - ago_s)}
    store.update(NAME, config={**config, "monitor_job": {**config["monitor_job"], **job}})


def test_a_job_that_stopped_passing_is_warned_of_with_what_to_do(workspace, objects, bucket, put, capsys, monkeypatch):
    kserve_deployment(workspace, bucket)
    uri = seed(workspace, objects)
    scheduled(workspace, every_s=60, ago_s=3600)
    imported(workspace, objects)
    code, status = shown(workspace, capsys)
    [warning] = status["warnings"]
    assert code == 1 and warning.startswith("No pass of the job was seen in the 1 h since it was scheduled")
    assert "more than 3 intervals of 1 min" in warning and "recurring run rr-1 in Kubeflow Pipelines" in warning
    assert f"`ai4mlops monitor-job import {NAME}`" in warning

    logged(put, 200, batch_size=40, seed=5)
    run_pass(uri, objects)
    imported(workspace, objects)
    code, status = shown(workspace, capsys)
    assert (code, status["warnings"]) == (0, [])
    later = times.from_epoch(time.time() + 185)  # more than 3 intervals of 60 s after the pass
    monkeypatch.setattr(times, "now", lambda: later)
    code, status = shown(workspace, capsys)
    [warning] = status["warnings"]
    assert code == 1 and warning.startswith("The job's last pass was 3 min ago, more than 3 intervals of 1 min")
    code, text = status_command(workspace, capsys)
    assert code == 1 and "  warning: The job's last pass was 3 min ago" in text and "(3 min ago)" in text


def test_a_bucket_that_cannot_be_read_is_the_status_error_without_a_secret(
    workspace, objects, bucket, put, s3_server, capsys, monkeypatch
):
    kserve_deployment(workspace, bucket)
    uri = seed(workspace, objects)
    logged(put, 200, batch_size=40, seed=5)
    run_pass(uri, objects)
    assert imported(workspace, objects)["windows"] == 2
    passed = job_status(workspace)["last_pass_at"]
    down = ObjectStore(S3Settings(endpoint_url=f"http://127.0.0.1:{free_port()}", attempts=1, read_timeout_s=1))
    with pytest.raises(UserError):
        JobResults(down, workspace / STORE_FILE).import_results(NAME)
    status = job_status(workspace)
    assert status["error"].startswith("Cannot reach the S3 endpoint http://127.0.0.1:")
    assert "AWS_ENDPOINT_URL" in status["error_hint"] and status["last_pass_at"] == passed

    wrong = "w" * 40
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    refused = JobResults(ObjectStore(S3Settings(endpoint_url=s3_server.endpoint)), workspace / STORE_FILE)
    with pytest.raises(UserError, match="were left in the bucket"):
        refused.import_all()  # the background loop's way: each deployment's failure recorded
    status = job_status(workspace)
    assert "refused the credentials" in status["error"] and "AWS_SECRET_ACCESS_KEY" in status["error_hint"]
    code, out = status_command(workspace, capsys, "--json")
    [warning] = json.loads(out)["warnings"]
    assert code == 1 and warning.startswith("The last check of the job's results failed:")
    code, text = status_command(workspace, capsys)
    for said in (json.dumps(status), out, text):
        assert wrong not in said and s3_server.secret_key not in said and s3_server.access_key not in said

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    imported(workspace, objects)
    assert job_status(workspace)["error"] is None and shown(workspace, capsys)[0] == 0
