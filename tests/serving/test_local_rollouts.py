"""Rollouts of a real local deployment: canary, change of share, promotion, shadow, rollback, stop and restart, on
the deployment's own port, with two models trained by real runs."""

import os
import time
from pathlib import Path

import numpy as np
import pytest

from ai4mlops_lab.errors import UserError
from ai4mlops_lab.runs import processes
from ai4mlops_lab.runs.service import RunService
from ai4mlops_lab.serving.local_rollouts import LocalRollouts
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

from .conftest import local_deployments
from .test_router import Client

NAME = "rollout"


@pytest.fixture(scope="module")
def second_run(trained):
    """A run of the example for 2 epochs in the trained workspace (a worse model)."""
    workspace, _ = trained
    service = RunService(workspace, RunStore(workspace / STORE_FILE), root=workspace.parent)
    run_id = service.start(workspace.parent / "torch-train.ipynb", parameters={"epochs": 2})["id"]
    deadline = time.monotonic() + 180
    while service.run(run_id)["status"] not in ("succeeded", "failed", "cancelled", "interrupted"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert service.run(run_id)["status"] == "succeeded"
    return service.run(run_id)


def answers(port, rows, count):
    """The versions that answered `count` V1 inferences, each with its outputs."""
    client = Client(port)
    try:
        seen = []
        for i in range(count):
            status, version, body = client.predict(rows[i % len(rows)])
            assert status == 200, body
            seen.append((version, body["predictions"]))
        return seen
    finally:
        client.close()


def test_canary_promote_shadow_rollback_on_the_deployments_port(trained, second_run):
    workspace, first_run = trained
    deployments = local_deployments(workspace)
    rollouts = LocalRollouts(deployments)
    artifact = next(a for a in first_run["artifacts"] if a["name"] == "model")
    rows = np.load(os.path.join(artifact["uri"], "reference.npy"))[:40].tolist()
    deployed = deployments.deploy(first_run["id"], name=NAME)
    port, first_pid = deployed["port"], deployed["pid"]
    stable = f"run-{first_run['id'][:12]}"
    try:
        with pytest.raises(UserError, match="no rollout running"):
            rollouts.promote(NAME)
        with pytest.raises(UserError, match="not a number from 0 to 100"):
            rollouts.start_rollout(NAME, second_run["id"], model=None, version="v2", mode="canary", percent=120)

        record = rollouts.start_rollout(NAME, second_run["id"], model=None, version="v2", mode="canary", percent=30)
        assert record["port"] == port and record["status"] == "running"
        assert record["config"]["rollout"]["candidate"] == {
            "version": "v2",
            "run_id": second_run["id"],
            "model": "train/model",
        }
        assert not processes.is_alive(first_pid), "the first server handed the port to the router"
        seen = answers(port, rows, 200)
        share = sum(version == "v2" for version, _ in seen) / len(seen)
        assert 0.15 < share < 0.45, share  # 30 % of 200 (3.5 standard deviations either side)
        time.sleep(0.7)  # the router writes its counts every 0.5 s
        live = rollouts.rollout_live(NAME)
        assert live["candidate"]["requests"] == sum(version == "v2" for version, _ in seen)
        assert live["stable"]["requests"] + live["candidate"]["requests"] == 200
        assert live["candidate"]["errors"] == 0 and live["candidate"]["p99_ms"] > 0

        with pytest.raises(UserError, match="rollout running already"):
            rollouts.start_rollout(NAME, second_run["id"], model=None, version="v3", mode="canary", percent=10)
        assert rollouts.change(NAME, 100)["config"]["rollout"]["percent"] == 100
        assert {version for version, _ in answers(port, rows, 20)} == {"v2"}

        promoted = rollouts.promote(NAME)
        assert promoted["run_id"] == second_run["id"] and "rollout" not in promoted["config"]
        assert promoted["config"]["servers"]["stable"]["slot"] == "v2"
        assert {version for version, _ in answers(port, rows, 20)} == {"v2"}
        second = next(a for a in second_run["artifacts"] if a["name"] == "model")
        assert promoted["config"]["metadata"] == second["metadata"]
        copied = deployments.folder(NAME) / "model" / "reference.npy"
        assert copied.read_bytes() == (Path(second["uri"]) / "reference.npy").read_bytes()
        assert not (deployments.folder(NAME) / "servers" / stable).exists()

        rollouts.start_rollout(NAME, first_run["id"], model=None, version="v3", mode="shadow", percent=0)
        seen = answers(port, rows, 30)
        assert {version for version, _ in seen} == {"v2"}, "a shadow never answers a client"
        deadline = time.monotonic() + 10
        while rollouts.rollout_live(NAME)["candidate"]["requests"] < 30:
            assert time.monotonic() < deadline, rollouts.rollout_live(NAME)
            time.sleep(0.2)
        rolled_back = rollouts.rollback(NAME)
        assert "rollout" not in rolled_back["config"] and set(rolled_back["config"]["servers"]) == {"stable"}
        assert {version for version, _ in answers(port, rows, 10)} == {"v2"}
        assert not (deployments.folder(NAME) / "servers" / "v3").exists()

        stopped = deployments.stop(NAME)
        assert stopped["status"] == "stopped" and "servers" not in stopped["config"]
        restarted = deployments.restart(NAME)
        assert restarted["port"] == port and restarted["run_id"] == second_run["id"]
        status, version, _ = Client(port).predict(rows[0])
        assert status == 200 and version is None, "a plain model server again, serving the promoted model"
    finally:
        deployments.stop(NAME)
