"""Real local runs: kfp.local in a worker process, progress and outputs in the store."""

import os
import time

import pytest

from ai4mlops_lab.errors import UserError
from ai4mlops_lab.runs import processes
from ai4mlops_lab.runs.service import RunService
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

from ..notebooks import FAILING, SLOW, TWO_STEPS, UNDEFINED_NAME, write_notebook
from .conftest import wait_for


def step(run, name):
    return next(s for s in run["steps"] if s["name"] == name)


def test_run_records_steps_metrics_artifacts_and_logs(service, tmp_path):
    notebook = write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    started = service.start(notebook, parameters={"scale": 3})
    assert started["status"] in ("pending", "running")
    assert started["notebook_path"] == "demo.ipynb"
    run = wait_for(service, started["id"])
    assert run["status"] == "succeeded", run["error"]
    assert [s["status"] for s in run["steps"]] == ["succeeded", "succeeded"]
    assert run["parameters"] == {"scale": 3}
    assert step(run, "double")["metrics"] == {"total": 30.0}
    [artifact] = [a for a in run["artifacts"] if a["step"] == "load"]
    assert artifact["name"] == "x" and artifact["type"] == "system.Dataset" and artifact["size"] > 0
    assert run["duration"] > 0 and all(s["duration"] is not None for s in run["steps"])
    assert "Executing task" in service.logs(run["id"], "double")
    run_dir = service.run_dir(run["id"])
    assert (run_dir / "demo.pipeline.yaml").is_file() and (run_dir / "root").is_dir()


def test_a_notebook_named_like_one_of_its_steps_runs_every_step(service, tmp_path):
    notebook = write_notebook(tmp_path, "double.ipynb", TWO_STEPS)
    run = wait_for(service, service.start(notebook)["id"])
    assert run["pipeline"] == "double-pipeline"
    assert [s["status"] for s in run["steps"]] == ["succeeded", "succeeded"]


def test_failed_step_fails_the_run_naming_it_and_skips_what_follows(service, tmp_path):
    notebook = write_notebook(tmp_path, "failing.ipynb", FAILING)
    run = wait_for(service, service.start(notebook)["id"])
    assert run["status"] == "failed"
    assert "step 'broken' failed" in run["error"]
    assert [s["status"] for s in run["steps"]] == ["succeeded", "failed", "skipped"]
    assert "boom in step" in service.logs(run["id"], "broken")


def test_cancel_stops_the_worker_and_its_children(service, tmp_path):
    notebook = write_notebook(tmp_path, "slow.ipynb", SLOW)
    run_id = service.start(notebook)["id"]
    running = wait_for(service, run_id, statuses=("running",))
    time.sleep(1.0)  # let the step's own subprocess start
    pid = running["worker_pid"]
    cancelled = service.cancel(run_id)
    assert cancelled["status"] == "cancelled"
    assert not processes.is_alive(pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # no process of the worker's session is left
    with pytest.raises(UserError) as again:
        service.cancel(run_id)
    assert again.value.status == 409


def test_three_runs_at_once(service, tmp_path):
    notebook = write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    ids = [service.start(notebook, parameters={"scale": k})["id"] for k in (1, 2, 3)]
    runs = [wait_for(service, run_id) for run_id in ids]
    assert [r["status"] for r in runs] == ["succeeded"] * 3
    assert [step(r, "double")["metrics"]["total"] for r in runs] == [10.0, 20.0, 30.0]


def test_a_killed_worker_is_noticed(service, tmp_path):
    notebook = write_notebook(tmp_path, "slow.ipynb", SLOW)
    run_id = service.start(notebook)["id"]
    pid = wait_for(service, run_id, statuses=("running",))["worker_pid"]
    processes.stop_group(pid, grace_seconds=0)
    run = wait_for(service, run_id)
    assert run["status"] == "failed"
    assert "exited unexpectedly" in run["error"]


def test_server_restart_marks_orphaned_runs_interrupted(tmp_path):
    workspace = tmp_path / ".ai4mlops"
    first = RunService(workspace, RunStore(workspace / STORE_FILE), root=tmp_path)
    notebook = write_notebook(tmp_path, "slow.ipynb", SLOW)
    run_id = first.start(notebook)["id"]
    pid = wait_for(first, run_id, statuses=("running",))["worker_pid"]
    processes.stop_group(pid, grace_seconds=0)
    for _ in range(100):  # bounded wait for the kill to land
        if not processes.is_alive(pid):
            break
        time.sleep(0.05)
    second = RunService(workspace, RunStore(workspace / STORE_FILE), root=tmp_path)  # a new server
    assert second.mark_interrupted() == 1
    run = second.store.run(run_id)
    assert run["status"] == "interrupted" and "worker" in run["error"]


def test_bad_requests_are_clear_and_record_nothing(service, tmp_path):
    notebook = write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    with pytest.raises(UserError, match="Unknown pipeline parameter: epochs") as unknown:
        service.start(notebook, parameters={"epochs": 3})
    assert "scale" in unknown.value.hint
    with pytest.raises(UserError, match="must be a whole number"):
        service.start(notebook, parameters={"scale": "lots"})
    broken = write_notebook(tmp_path, "broken.ipynb", UNDEFINED_NAME)
    with pytest.raises(UserError, match="cell 1") as errors:
        service.start(broken)
    assert errors.value.status == 422
    assert service.runs()["runs"] == []
    runs_dir = service.workspace / "runs"
    assert not runs_dir.exists() or not any(runs_dir.iterdir())
