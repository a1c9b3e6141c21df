"""A model trained by a real local run of examples/torch-train.ipynb, and local deployments of it."""

import fcntl
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from ai4mlops_lab.runs.service import RunService
from ai4mlops_lab.serving.local import LocalDeployments
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """`(workspace, run)`: the example notebook run locally to the end (fixed seed)."""
    return trained_copy(tmp_path_factory, "serving", epochs=20)


def trained_copy(tmp_path_factory, name: str, epochs: int) -> tuple[Path, dict]:
    """`(workspace, run)` in a new folder `name`: a copy of the workspace of the example run for `epochs`, which
    runs once per session, for every xdist worker (its run's artifacts stay in that first workspace: read only)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's folder, above each worker's own
    source = shared / f"trained-{epochs}-epochs"
    with open(shared / f"{source.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker trains, the others wait for it
        if not (source / "run.json").exists():
            source.mkdir(exist_ok=True)
            workspace, run = train(source, epochs)
            store = sqlite3.connect(workspace / STORE_FILE)
            store.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all of it in the store file, none in -wal
            store.close()
            (source / "run.json").write_text(json.dumps(run))
    run = json.loads((source / "run.json").read_text())
    root = tmp_path_factory.mktemp(name)
    shutil.copytree(source, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("run.json", "*.sqlite-*"))
    return root / ".ai4mlops", run


def train(root: Path, epochs: int) -> tuple[Path, dict]:
    """`(workspace, run)`: the example notebook run for `epochs` in a workspace under `root`."""
    shutil.copy(ROOT / "examples/torch-train.ipynb", root / "torch-train.ipynb")
    workspace = root / ".ai4mlops"
    service = RunService(workspace, RunStore(workspace / STORE_FILE), root=root)
    run_id = service.start(root / "torch-train.ipynb", parameters={"epochs": epochs})["id"]
    deadline = time.monotonic() + 180
    while service.run(run_id)["status"] not in ("succeeded", "failed", "cancelled", "interrupted"):
        assert time.monotonic() < deadline, "the training run did not finish in 180 s"
        time.sleep(0.3)
    run = service.run(run_id)
    assert run["status"] == "succeeded", run["error"]
    return workspace, run


def local_deployments(workspace, **kwargs):
    return LocalDeployments(
        workspace, DeploymentStore(workspace / STORE_FILE), RunStore(workspace / STORE_FILE, check=False), **kwargs
    )


@pytest.fixture
def deployments(trained):
    """A LocalDeployments on the trained workspace; the deployments a test started are stopped afterwards
    (not those already serving, such as the session's `served` one in the same workspace)."""
    service = local_deployments(trained[0])
    serving = {record["name"] for record in service.store.list() if record["status"] in ("starting", "running")}
    yield service
    for record in service.store.list():
        if record["status"] in ("starting", "running") and record["name"] not in serving:
            service.stop(record["name"])


@pytest.fixture(scope="session")
def served(trained):
    """`(service, deployment)`: the trained model deployed once (as `torch-train-model`) for the session."""
    service = local_deployments(trained[0])
    deployed = service.deploy(trained[1]["id"])
    yield service, deployed
    service.stop(deployed["name"])
