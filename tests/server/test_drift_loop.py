"""The closed loop through the real server: train, deploy, drifted requests replayed by the CLI and logged by
the model server, an alert, retraining from it and the redeploy of the new model, all linked."""

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


async def test_drifted_requests_raise_an_alert_and_retraining_redeploys(jp_fetch, jp_root_dir, capsys):
    run = await trained_run(jp_fetch, jp_root_dir)
    deployment = await api(jp_fetch, "deployments", method="POST", body={"run_id": run["id"], "name": "loop"})
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
            jp_fetch, "alerts", str(alert["id"]), "retrain", method="POST", body={"parameters": {"epochs": 3}}
        )
        assert retraining["status"] == "retraining" and retraining["retrain_parameters"]["epochs"] == 3
        resolved = await poll(jp_fetch, "alerts", until=lambda a: a["alerts"][0]["status"] != "retraining")
        [done] = resolved["alerts"]
        assert done["status"] == "resolved" and done["redeployed_at"], done
        redeployed = await api(jp_fetch, "deployments", "loop")
        assert redeployed["run_id"] == done["retrain_run_id"] != deployment["run_id"]
        assert redeployed["status"] == "running"
        new_run = await api(jp_fetch, "runs", done["retrain_run_id"])
        assert new_run["parameters"]["epochs"] == 3 and new_run["notebook_path"] == run["notebook_path"]
        assert await asyncio.to_thread(main, ["alerts", "--workspace", workspace]) == 0
        assert f"#{alert['id']}  resolved" in capsys.readouterr().out

        # Automatic retraining: the next alert starts a run by itself and redeploys once it succeeds.
        await api(jp_fetch, "deployments", "loop", "drift", "policy", method="PUT", body={"auto_retrain": True})
        v1 = (await api(jp_fetch, "deployments", "loop"))["endpoints"]["v1"]
        for start in range(0, 100, 25):  # a client of the model server (the predict route's tests never count)
            body = json.dumps({"instances": (np.full((25, 10), 3.0) + start / 100).tolist()}).encode()
            status, _ = await asyncio.to_thread(prediction.http, v1, body, 30.0)
            assert status == 200
        automatic = await poll(
            jp_fetch, "alerts", until=lambda a: len(a["alerts"]) == 2 and a["alerts"][0]["status"] == "resolved"
        )
        assert automatic["alerts"][0]["retrain_run_id"] not in (None, done["retrain_run_id"])
        assert (await api(jp_fetch, "deployments", "loop"))["run_id"] == automatic["alerts"][0]["retrain_run_id"]
    finally:
        await api(jp_fetch, "deployments", "loop", method="DELETE")
