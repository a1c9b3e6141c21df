"""The rollout and gate routes on a real store: policies, a refusal by the gate, and every mistake answered at its
field or as a conflict (no model server is started here: test_drift_loop and tests/registry run real rollouts)."""

import pytest

from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.workspace import STORE_FILE

from ..model_runs import model_run
from .test_models_api import api, refused


@pytest.fixture
def served(jp_root_dir):
    """Model `iris`: v1 (accuracy 0.9) served by deployment `iris` (a record: no server), v2 (accuracy 0.8)."""
    workspace = jp_root_dir / ".ai4mlops"
    runs = [
        model_run(workspace, jp_root_dir / "artifacts" / f"model-{i}", metrics={"accuracy": accuracy, "loss": 0.5})
        for i, accuracy in enumerate((0.9, 0.8))
    ]
    return workspace, runs


async def register(jp_fetch, runs):
    for run_id in runs:
        await api(jp_fetch, "models", method="POST", body={"run_id": run_id, "name": "iris"})


def deployment_of_v1(workspace, run_id):
    store = DeploymentStore(workspace / STORE_FILE)
    store.create(
        name="iris",
        run_id=run_id,
        model_name="train/model",
        model_uri="unused",
        target="local",
        config={"metadata": {}, "version": {"model": "iris", "version": 1, "alias": None}},
    )
    store.close()


async def test_the_policy_has_defaults_and_refuses_bad_settings_at_their_field(jp_fetch, served):
    await register(jp_fetch, served[1])
    policy = await api(jp_fetch, "models", "iris", "policy")
    assert policy["min_gain"] == 0 and policy["min_requests"] == 100 and policy["auto"] is True
    changed = await api(jp_fetch, "models", "iris", "policy", method="PUT", body={"metric": "loss", "min_gain": 0.01})
    assert (changed["metric"], changed["min_gain"], changed["canary_percent"]) == ("loss", 0.01, 20)
    assert await api(jp_fetch, "models", "iris", "policy") == changed
    for body, field in (
        ({"min_gain": -1}, "min_gain"),
        ({"max_error_rate": 2}, "max_error_rate"),
        ({"min_requests": 2.5}, "min_requests"),
        ({"direction": "up"}, "direction"),
        ({"auto": "yes"}, "auto"),
        ({"speed": 1}, "speed"),
    ):
        code, error = await refused(jp_fetch, "models", "iris", "policy", method="PUT", body=body)
        assert (code, error["error"], error["field"]) == (422, "bad_policy", field), error
    assert await api(jp_fetch, "models", "iris", "policy") == changed, "a refused change changes nothing"
    code, _ = await refused(jp_fetch, "models", "nope", "policy")
    assert code == 404


async def test_a_worse_candidate_is_refused_before_any_traffic_moves_and_the_refusal_is_recorded(jp_fetch, served):
    workspace, runs = served
    await register(jp_fetch, runs)
    deployment_of_v1(workspace, runs[0])
    state = await api(jp_fetch, "deployments", "iris", "rollout")
    assert state["stable"]["version"] == 1 and state["candidate"] is None and state["gate"] is None
    assert state["stable"]["metric"] == {"name": "accuracy", "value": 0.9}

    code, error = await refused(jp_fetch, "deployments", "iris", "rollout", method="POST", body={"version": 2})
    assert (code, error["error"]) == (409, "gate_refused")
    assert "accuracy 0.8 vs 0.9 (higher is better): gain -0.1" in error["detail"] and "force" in error["hint"]
    [decision] = (await api(jp_fetch, "models", "iris", "decisions"))["decisions"]
    assert (decision["action"], decision["candidate_version"], decision["stable_version"]) == ("refused", 2, 1)
    [check] = decision["evidence"]["checks"]
    assert (check["name"], check["passed"], check["candidate"], check["stable"]) == ("offline_metric", False, 0.8, 0.9)
    assert (await api(jp_fetch, "deployments", "iris", "rollout"))["candidate"] is None
    assert (await api(jp_fetch, "models", "iris"))["aliases"] == {}, "no challenger alias for a refused version"


async def test_rollout_mistakes_are_answered_at_their_field_or_as_conflicts(jp_fetch, served):
    workspace, runs = served
    await register(jp_fetch, runs)
    deployment_of_v1(workspace, runs[0])
    path = ("deployments", "iris", "rollout")
    for body, field in (
        ({}, "version"),
        ({"version": 2, "force": "yes"}, "force"),
        ({"version": 2, "reason": 3}, "reason"),
    ):
        code, error = await refused(jp_fetch, *path, method="POST", body=body)
        assert (code, error.get("field")) == (422, field), error
    code, error = await refused(jp_fetch, *path, method="POST", body={"version": 1})
    assert code == 409 and "serves v1 of 'iris' already" in error["detail"]
    code, error = await refused(jp_fetch, *path, method="POST", body={"version": 7})
    assert code == 404
    for action in ("promote", "rollback", "evaluate"):
        code, error = await refused(jp_fetch, *path, action, method="POST", body={})
        assert code == 409 and "no rollout running" in error["detail"], (action, error)
    code, error = await refused(jp_fetch, *path, method="PATCH", body={})
    assert (code, error.get("field")) == (422, "percent")
    code, _ = await refused(jp_fetch, "deployments", "nope", "rollout")
    assert code == 404
