"""A model trained by a real local run of examples/torch-train.ipynb, and local deployments of it."""

import shutil
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
    return train(tmp_path_factory.mktemp("serving"), epochs=20)


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
