"""The promotion loop end to end on the local target, with runs of the example and real model servers: v1 is
registered and serves as champion; a worse v2 is refused by the gate (recorded); a better v3 gets a 20 % canary
(the split measured over 2,000 requests), passes the gate and is promoted; rolling back restores v1."""

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from ai4mlops_lab.errors import UserError
from ai4mlops_lab.registry.deploy import deploy_version
from ai4mlops_lab.workspace import Workspace

from ..serving.test_router import Client

ROOT = Path(__file__).resolve().parents[2]


def run_example(workspace: Workspace, epochs: int) -> dict:
    service = workspace.run_service
    run_id = service.start(workspace.root / "torch-train.ipynb", parameters={"epochs": epochs})["id"]
    deadline = time.monotonic() + 180
    while service.run(run_id)["status"] not in ("succeeded", "failed", "cancelled", "interrupted"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    run = service.run(run_id)
    assert run["status"] == "succeeded", run["error"]
    return run


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("promotion")
    (root / "torch-train.ipynb").write_bytes((ROOT / "examples/torch-train.ipynb").read_bytes())
    return Workspace(root / ".ai4mlops", root=root)


def test_worse_refused_better_canaried_promoted_then_rolled_back(workspace):
    registry, rollouts, deployments = workspace.registry, workspace.rollouts, workspace.deployments
    runs = {epochs: run_example(workspace, epochs) for epochs in (8, 1, 40)}
    accuracy = {epochs: run["metrics"]["accuracy"] for epochs, run in runs.items()}
    assert accuracy[1] < accuracy[8] < accuracy[40], accuracy  # the example learns with more epochs (fixed seed)
    v1 = registry.register(runs[8]["id"], name="iris", aliases=["champion"])
    deployed = deploy_version(registry, deployments, "iris", "champion", name="iris")
    try:
        v2 = registry.register(runs[1]["id"], name="iris")
        with pytest.raises(UserError, match="refuses v2") as refused:
            rollouts.start("iris", v2["version"])
        assert refused.value.status == 409 and refused.value.code == "gate_refused"
        decision = rollouts.decisions("iris")[0]
        assert decision["action"] == "refused" and decision["candidate_version"] == 2
        assert decision["evidence"]["checks"][0]["candidate"] == pytest.approx(accuracy[1])
        assert decision["evidence"]["checks"][0]["stable"] == pytest.approx(accuracy[8])
        assert "champion" in registry.version("iris", 1)["aliases"], "the champion keeps serving"

        rollouts.set_policy("iris", {"min_requests": 300, "max_p99_ratio": 10.0, "auto": False})
        v3 = registry.register(runs[40]["id"], name="iris")
        state = rollouts.start("iris", v3["version"], percent=20)
        assert state["candidate"]["version"] == 3 and state["percent"] == 20 and state["mode"] == "canary"
        assert registry.model("iris")["aliases"] == {"champion": 1, "challenger": 3}

        artifact = next(a for a in runs[8]["artifacts"] if a["name"] == "model")
        rows = np.load(os.path.join(artifact["uri"], "reference.npy")).tolist()
        client, answered, labels = Client(deployed["port"], model="iris"), {"v1": 0, "v3": 0}, []
        for i in range(2000):
            status, version, body = client.predict(rows[i % len(rows)], request_id=f"q{i}")
            assert status == 200, body
            answered[version] += 1
            # ground truth that says the stable version is always right and the candidate always wrong
            predicted = int(np.argmax(body["predictions"][0]))
            labels.append({"id": f"q{i}", "label": predicted if version == "v1" else 1 - predicted})
        client.close()
        assert 0.17 <= answered["v3"] / 2000 <= 0.23, answered  # 20 % +- 3 %
        time.sleep(0.7)  # the router writes its counts every 0.5 s
        state = rollouts.state("iris")
        assert state["candidate"]["requests"] == answered["v3"] and state["stable"]["requests"] == answered["v1"]
        assert state["gate"]["verdict"] == "pass", state["gate"]
        assert [c["name"] for c in state["gate"]["checks"] if c["passed"]] == [
            "offline_metric",
            "requests",
            "error_rate",
            "p99_latency",
        ]

        # Asked to judge labelled predictions too, the gate sees the candidate is worse on them.
        workspace.outcome_monitor.add_labels("iris", json.dumps({"labels": labels}).encode(), "application/json")
        rollouts.set_policy("iris", {"min_labels": 100})
        judged = rollouts.state("iris")["gate"]
        assert judged["verdict"] == "fail", judged
        (live,) = [c for c in judged["checks"] if c["name"] == "live_performance"]
        assert (live["candidate"], live["stable"]) == (0.0, 1.0) and "worse than the allowed drop" in live["detail"]
        rollouts.set_policy("iris", {"min_labels": 0})

        outcome = rollouts.promote("iris", reason="better accuracy on the canary")
        assert outcome["decision"]["action"] == "promoted" and outcome["decision"]["candidate_version"] == 3
        assert outcome["decision"]["evidence"]["candidate"]["requests"] == answered["v3"]
        assert registry.model("iris")["aliases"] == {"champion": 3}
        record = deployments.get("iris")
        assert record["run_id"] == runs[40]["id"] and record["config"]["version"]["version"] == 3
        assert outcome["rollout"]["candidate"] is None

        undone = rollouts.rollback("iris", reason="customers complain")
        assert undone["decision"]["action"] == "rolled_back"
        assert undone["decision"]["candidate_version"] == 3 and undone["decision"]["stable_version"] == 1
        assert registry.model("iris")["aliases"]["champion"] == 1
        assert deployments.get("iris")["run_id"] == runs[8]["id"]
        client = Client(deployed["port"], model="iris")
        assert {client.predict(rows[i])[1] for i in range(10)} == {"v1"}
        client.close()
        actions = [d["action"] for d in rollouts.decisions("iris")]
        assert actions == ["rolled_back", "promoted", "started", "refused"]
        assert v1["version"] == 1 and json.dumps(rollouts.decisions("iris"))  # every decision is plain JSON

        # Retraining hands its model to the gate (a run registered already keeps its version), refused: worse.
        with pytest.raises(UserError, match="refuses v2") as refused:
            rollouts.challenge("iris", runs[1]["id"], alert_id=7)
        assert refused.value.code == "gate_refused"
        latest = rollouts.decisions("iris")[0]
        assert (latest["action"], latest["by"], latest["alert_id"], latest["candidate_version"]) == (
            "refused",
            "gate",
            7,
            2,
        )
        assert deployments.get("iris")["run_id"] == runs[8]["id"], "the champion keeps serving"
    finally:
        deployments.stop("iris")
