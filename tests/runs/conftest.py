"""A run service on a fresh workspace, and helpers to wait for runs."""

import time

import pytest

from ai4mlops_lab.runs.service import RunService
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

FINAL = ("succeeded", "failed", "cancelled", "interrupted")


@pytest.fixture
def service(tmp_path):
    workspace = tmp_path / ".ai4mlops"
    return RunService(workspace, RunStore(workspace / STORE_FILE), root=tmp_path)


def wait_for(service, run_id, statuses=FINAL, timeout=120):
    """Refresh and read the run, as the server's background loop and the UI do, until its status is one of
    `statuses` (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.refresh(run_id)
        run = service.run(run_id)
        if run["status"] in statuses:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {service.run(run_id)['status']} after {timeout}s")
