"""Batch jobs in worker processes: progress and the end recorded in the store, the same output as predicting in
this process, cancel, jobs interrupted by a server restart, requests refused field by field, and the switch that
logs each row as the deployment's request (drift windows see them; labels join by `JOB/ROW`)."""

import os
import signal
import time

import numpy as np
import pytest

from ai4mlops_lab.batch.jobs import BatchJobs
from ai4mlops_lab.errors import FieldError, NotFoundError
from ai4mlops_lab.monitoring.monitor import DriftMonitor
from ai4mlops_lab.monitoring.outcomes import OutcomeMonitor
from ai4mlops_lab.runs import processes
from ai4mlops_lab.store.batch_jobs import BatchJobStore
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.workspace import STORE_FILE

from .conftest import feature_names
from .test_predict import read_csv, write_csv


@pytest.fixture
def jobs(batch, trained):
    service = BatchJobs(trained[0], BatchJobStore(trained[0] / STORE_FILE, check=False), batch)
    yield service
    for job in service.jobs():
        if job["status"] in ("pending", "running"):
            service.cancel(job["id"])


def ended(jobs, job_id, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if job["status"] not in ("pending", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']}")


def test_a_job_predicts_in_a_worker_like_this_process_and_records_its_progress(jobs, batch, served, rows, tmp_path):
    table = [list(map(repr, row.tolist())) for row in rows]
    table[12][4] = "oops"
    write_csv(tmp_path / "rows.csv", feature_names(served), table)

    started = jobs.start("batch-model", "rows.csv", "out/job.csv", chunk_size=8)
    job = ended(jobs, started["id"])
    batch.predict("batch-model", "rows.csv", "here.csv")

    assert started["status"] == "pending" and started["model_description"] == "deployment batch-model (train/model)"
    assert job["status"] == "succeeded", job["error"]
    assert (job["rows_done"], job["rows_total"], job["rows_predicted"], job["rejected"]) == (50, 50, 49, 1)
    assert (job["output_path"], job["rejects_path"]) == ("out/job.csv", "out/rows.rejects.csv")
    assert job["started_at"] and job["finished_at"] and job["error"] is None
    assert read_csv(tmp_path / "out/job.csv")[0] == read_csv(tmp_path / "here.csv")[0]
    got, expected = read_csv(tmp_path / "out/job.csv")[1], read_csv(tmp_path / "here.csv")[1]
    assert np.allclose(np.array(got, dtype=float), np.array(expected, dtype=float), atol=1e-6)
    assert [r[:2] for r in read_csv(tmp_path / "out/rows.rejects.csv")[1]] == [["13", "f4"]]
    assert jobs.jobs()[0]["id"] == job["id"]


def test_a_cancelled_job_stops_its_worker_and_leaves_no_output(jobs, served, tmp_path):
    np.save(tmp_path / "big.npy", np.random.default_rng(1).normal(size=(400_000, 10)).astype(np.float32))
    job = jobs.start("batch-model", "big.npy", chunk_size=50)
    deadline = time.monotonic() + 60
    while jobs.get(job["id"])["rows_done"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    running = jobs.get(job["id"])

    cancelled = jobs.cancel(job["id"])

    assert running["status"] == "running" and 0 < running["rows_done"] < 400_000
    assert cancelled["status"] == "cancelled" and cancelled["error"] == "cancelled by the user"
    assert not processes.is_alive(running["worker_pid"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.npy"]  # no output, no temporary file
    with pytest.raises(Exception, match="already cancelled") as refused:
        jobs.cancel(job["id"])
    assert refused.value.status == 409


def test_a_job_whose_worker_is_gone_at_a_server_start_is_marked_interrupted(jobs, batch, trained, served, tmp_path):
    np.save(tmp_path / "big.npy", np.zeros((400_000, 10), dtype=np.float32))
    job = jobs.start("batch-model", "big.npy", chunk_size=50)
    deadline = time.monotonic() + 60
    while jobs.get(job["id"])["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(jobs.get(job["id"])["worker_pid"], signal.SIGKILL)
    jobs._workers[job["id"]].wait(timeout=10)

    restarted = BatchJobs(trained[0], BatchJobStore(trained[0] / STORE_FILE, check=False), batch)  # a new server
    assert restarted.mark_interrupted() == 1
    record = restarted.get(job["id"])
    assert record["status"] == "interrupted" and "worker process was gone" in record["error"]
    assert restarted.mark_interrupted() == 0


def test_requests_are_refused_by_field_before_anything_starts(jobs, trained, served, rows, tmp_path):
    np.save(tmp_path / "rows.npy", rows)
    (tmp_path / "rows.predictions.npy").write_bytes(b"there")
    cases = [
        ({"model": "batch-model", "input": "rows.npy"}, "output", "exists already"),
        ({"model": "batch-model", "input": "../rows.npy"}, "input", "outside"),
        ({"model": "batch-model", "input": "rows.npy", "output": ".hidden.csv"}, "output", "hidden"),
        ({"model": "batch-model", "input": "rows.txt"}, "input", "Cannot read rows.txt"),
        ({"model": "batch-model", "input": "rows.npy", "output": "o.npy", "chunk_size": 0}, "chunk_size", "at least"),
        ({"model": "batch-model", "input": "rows.npy", "output": "o.npy", "task": "x"}, "task", "Unknown task"),
        ({"model": trained[1]["id"], "input": "rows.npy", "output": "o.npy", "log": True}, "log", "needs a deployment"),
        ({"model": "batch-model", "input": "rows.npy", "output": "o.npy", "log": "yes"}, "log", "true or false"),
    ]
    for request, field, message in cases:
        with pytest.raises(FieldError, match=message) as refused:
            jobs.start(**request)
        assert refused.value.field == field, request
    with pytest.raises(NotFoundError):
        jobs.start("nothing", "rows.npy", "o.npy")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.npy", "rows.predictions.npy"]


def test_logged_rows_are_the_deployments_requests_for_drift_and_labels_join_them(jobs, trained, served, rows, tmp_path):
    store = trained[0] / STORE_FILE
    drift = DriftMonitor(store, trained[0])
    drift.set_policy("batch-model", {"window_size": 10})
    drift.process("batch-model")  # the windows of earlier tests' requests
    outcomes = OutcomeMonitor(store)
    outcomes.process("batch-model")
    np.save(tmp_path / "rows.npy", rows)

    job = ended(jobs, jobs.start("batch-model", "rows.npy", chunk_size=16, log=True)["id"])

    assert job["status"] == "succeeded", job["error"]
    exchanges = EventStore(store, check=False).exchanges("batch-model", limit=100_000)
    logged = {e["ce_id"]: e for e in exchanges if e["source"] == f"batch://{job['id']}/"}
    assert sorted(logged) == sorted(f"{job['id']}/{row}" for row in range(1, 51))
    assert logged[f"{job['id']}/3"]["request"] is not None
    assert len(drift.process("batch-model")["added"]) >= 5  # 50 rows in windows of 10
    assert outcomes.process("batch-model")["predictions"] == 50
    labels = "".join(f"{job['id']}/{row},1\n" for row in (1, 2, 50))
    joined = outcomes.add_labels("batch-model", f"id,label\n{labels}".encode(), "text/csv")
    assert (joined["stored"], joined["joined"]) == (3, 3), joined
