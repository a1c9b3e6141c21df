"""The closed loop through the real server: train, deploy, drifted requests replayed by the CLI and logged by
the model server, an alert, retraining from it, the better model's canary promoted by the gate, then an automatic
retraining whose model is no better refused by the gate, all linked."""

import asyncio
import json
import time

import numpy as np

from ai4mlops_lab.cli.main import main
from ai4mlops_lab.serving import prediction

from .test_deployments_api import api, trained_run


async def poll(jp_fetch, *parts, until, seconds=240.0, **params):
    """GET a route until `until(answer)` holds (the model server logs and the server checks in the background;
    runs take longer on a busy machine, hence the generous deadline)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = await api(jp_fetch, *parts, **params)
        if until(answer):
            return answer
        await asyncio.sleep(0.2)
    raise AssertionError(f"{'/'.join(parts)} never reached the expected state; last answer: {answer}")


async def test_drift_alert_retraining_and_the_gate_promoting_then_refusing(jp_fetch, jp_root_dir, capsys):
    run = await trained_run(jp_fetch, jp_root_dir)
    await api(jp_fetch, "deployments", method="POST", body={"run_id": run["id"], "name": "loop"})
    try:
        await api(
            jp_fetch, "deployments", "loop", "drift", "policy", method="PUT", body={"window_size": 50, "consecutive": 2}
        )
        np.save(jp_root_dir / "shifted.npy", np.random.default_rng(0).normal(size=(100, 10)) + 3.0)
        workspace = str(jp_root_dir / ".ai4mlops")
        code = await asyncio.to_thread(
            main,
            ["drift", "loop", "--workspace", workspace, "--send", str(jp_root_dir / "shifted.npy"), "--protocol", "v2"],
        )
        printed = capsys.readouterr().out
        assert code == 1, printed  # the latest window drifted
        assert "Sent 100 rows to loop in 4 V2 requests" in printed and "DRIFT in the window" in printed
        assert "-> ai4mlops retrain" in printed
        report = await poll(jp_fetch, "deployments", "loop", "drift", until=lambda r: r["alerts"])
        [alert] = report["alerts"]
        assert [w["drift"] for w in report["windows"]] == [True, True] and report["counts"]["requests"] == 4
        assert alert["status"] == "open" and alert["window_ids"] == [w["id"] for w in report["windows"]]

        retraining = await api(
            jp_fetch, "alerts", str(alert["id"]), "retrain", method="POST", body={"parameters": {"epochs": 8}}
        )
        assert retraining["status"] == "retraining" and retraining["retrain_parameters"]["epochs"] == 8
        resolved = await poll(jp_fetch, "alerts", until=lambda a: a["alerts"][0]["status"] != "retraining")
        [done] = resolved["alerts"]
        assert done["status"] == "resolved" and done["redeployed_at"], done
        new_run = await api(jp_fetch, "runs", done["retrain_run_id"])
        assert new_run["parameters"]["epochs"] == 8 and new_run["notebook_path"] == run["notebook_path"]
        assert await asyncio.to_thread(main, ["alerts", "--workspace", workspace]) == 0
        assert f"#{alert['id']}  resolved" in capsys.readouterr().out

        # The better model (8 epochs against 5) is the challenger's canary; the gate promotes it once it has seen
        # the policy's requests, by itself (the background loop).
        rollout = await api(jp_fetch, "deployments", "loop", "rollout")
        assert rollout["model"] == "train-model" and rollout["mode"] == "canary" and rollout["percent"] == 20
        assert (rollout["stable"]["version"], rollout["candidate"]["version"]) == (1, 2)
        assert rollout["candidate"]["run_id"] == done["retrain_run_id"] and rollout["gate"]["verdict"] == "waiting"
        await api(jp_fetch, "models", "train-model", "policy", method="PUT", body={"min_requests": 5})
        await api(jp_fetch, "deployments", "loop", "rollout", method="PATCH", body={"percent": 100})
        v1 = (await api(jp_fetch, "deployments", "loop"))["endpoints"]["v1"]
        for row in np.random.default_rng(1).normal(size=(6, 10)):
            status, _ = await asyncio.to_thread(prediction.http, v1, json.dumps({"instances": [row.tolist()]}), 30.0)
            assert status == 200
        promoted = await poll(jp_fetch, "deployments", "loop", until=lambda d: d["run_id"] == done["retrain_run_id"])
        assert promoted["config"]["version"] == {"model": "train-model", "version": 2, "alias": "champion"}
        decisions = (await api(jp_fetch, "models", "train-model", "decisions"))["decisions"]
        assert [(d["action"], d["by"], d["automatic"], d["alert_id"]) for d in decisions] == [
            ("promoted", "gate", True, alert["id"]),
            ("started", "gate", False, alert["id"]),
        ]
        assert decisions[0]["evidence"]["candidate"]["requests"] >= 5

        # Automatic retraining: the next alert starts a run by itself with the served model's parameters; its
        # model is no better, so the gate refuses it and the alert reopens saying why.
        await api(jp_fetch, "deployments", "loop", "drift", "policy", method="PUT", body={"auto_retrain": True})
        for start in range(0, 100, 25):  # a client of the model server (the predict route's tests never count)
            body = json.dumps({"instances": (np.full((25, 10), 3.0) + start / 100).tolist()}).encode()
            status, _ = await asyncio.to_thread(prediction.http, v1, body, 30.0)
            assert status == 200
        automatic = await poll(
            jp_fetch, "alerts", until=lambda a: len(a["alerts"]) == 2 and a["alerts"][0]["error"] is not None
        )
        reopened = automatic["alerts"][0]
        assert reopened["status"] == "open" and "The gate refuses v3 of 'train-model'" in reopened["error"]
        assert reopened["retrain_run_id"] not in (None, done["retrain_run_id"])
        assert (await api(jp_fetch, "deployments", "loop"))["run_id"] == done["retrain_run_id"]
        refused = (await api(jp_fetch, "models", "train-model", "decisions"))["decisions"][0]
        assert (refused["action"], refused["alert_id"], refused["candidate_version"]) == ("refused", reopened["id"], 3)
    finally:
        await api(jp_fetch, "deployments", "loop", method="DELETE")
