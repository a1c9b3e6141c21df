"""Fixtures of the contract tests: strict fakes of the KFP API server, the Kubernetes API (KServe) and the Kubeflow
Model Registry, and a clean KFP environment."""

import os
from pathlib import Path

import pytest

from .fake_k8s import FakeKube
from .fake_kfp import FakeKfp
from .fake_model_registry import FakeModelRegistry

SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"
SPEC = SPECS / "kfp_api_v2beta1.swagger.json"
CRD = SPECS / "serving.kserve.io_inferenceservices.yaml"
MODEL_REGISTRY = SPECS / "model-registry_v1alpha3.openapi.yaml"
#: A service-account token path that does not exist, so tests never pick up a real one.
NO_SA = "/nonexistent/serviceaccount/token"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No KF_PIPELINES_* from the machine, and kfp's context file in a temporary folder."""
    import kfp.client.client as kfp_client

    for name in [n for n in os.environ if n.startswith("KF_PIPELINES")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(kfp_client.Client, "_LOCAL_KFP_CONTEXT", str(tmp_path / "kfp" / "context.json"))


@pytest.fixture
def fake():
    if not SPEC.is_file():
        pytest.skip(f"KFP swagger not found at {SPEC} (shared/specs is only in the development workspace)")
    with FakeKfp(SPEC) as server:
        yield server
    assert server.faults == [], "the fake produced invalid responses or crashed"


def need_crd():
    if not CRD.is_file():
        pytest.skip(f"KServe CRD not found at {CRD} (shared/specs is only in the development workspace)")


@pytest.fixture
def kube():
    need_crd()
    with FakeKube(CRD) as server:
        yield server
    assert server.faults == [], "the fake crashed"


@pytest.fixture
def model_registry():
    """The fake Kubeflow Model Registry, paging at 2 items so that clients must follow `nextPageToken`."""
    if not MODEL_REGISTRY.is_file():
        pytest.skip(
            f"Model Registry OpenAPI not found at {MODEL_REGISTRY} (shared/specs is only in the development workspace)"
        )
    with FakeModelRegistry(MODEL_REGISTRY, max_page_size=2) as server:
        yield server
    assert server.faults == [], "the fake saw invalid requests, made invalid responses or crashed"
