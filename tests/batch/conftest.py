"""The example notebook's torch model, trained by a real local run, served by a real local model server, and the
batch predictions service on its workspace (files under each test's `tmp_path`)."""

import numpy as np
import pytest

from ai4mlops_lab.batch.service import BatchPredictions
from ai4mlops_lab.registry import EmbeddedRegistry
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.registry import RegistryStore
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

from ..serving.conftest import local_deployments, trained_copy

#: The example model's features, as its signature names them.
FEATURES = 10


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """`(workspace, run)`: the example notebook run locally to the end (the serving tests' run, copied)."""
    return trained_copy(tmp_path_factory, "batch", epochs=20)


@pytest.fixture(scope="session")
def served(trained):
    """`(deployments, deployment)`: the trained model on a local model server for the session."""
    service = local_deployments(trained[0])
    deployed = service.deploy(trained[1]["id"], name="batch-model")
    yield service, deployed
    service.stop(deployed["name"])


@pytest.fixture
def batch(trained, tmp_path):
    """The batch predictions service on the trained workspace, reading and writing under `tmp_path`."""
    workspace = trained[0]
    store = workspace / STORE_FILE
    runs = RunStore(store, check=False)
    registry = EmbeddedRegistry(RegistryStore(store), runs)
    return BatchPredictions(workspace, DeploymentStore(store), runs, lambda: registry, root=tmp_path)


@pytest.fixture
def rows():
    """50 rows of the example's features (standardised scale)."""
    return np.random.default_rng(7).normal(size=(50, FEATURES)).astype(np.float32)


def feature_names(served) -> list[str]:
    return served[1]["signature"]["inputs"][0]["features"]
