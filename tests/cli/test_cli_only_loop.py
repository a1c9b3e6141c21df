"""The closed loop with the CLI alone, no Jupyter server anywhere: train, deploy, replay drifted rows, an alert,
retraining from it, the new model's canary through the promotion gate and its promotion. The model server,
deployed with no ingest URL, writes its request events straight into the workspace's store, and `ai4mlops drift`
checks the windows itself."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ai4mlops_lab.serving import prediction

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "torch-train.ipynb"
#: No ingest endpoint from the machine: the model server must log into the store.
ENV = {k: v for k, v in os.environ.items() if k != "AI4MLOPS_INGEST_URL"} | {"PYTHONUNBUFFERED": "1"}


def ai4mlops(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "ai4mlops_lab.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=ENV
    )


def test_deploy_traffic_drift_alert_retrain_with_no_jupyter_server(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "train.ipynb")
    trained = ai4mlops("run", "train.ipynb", "--param", "epochs=5", "--json", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    run_id = json.loads(trained.stdout)["id"]
    deployed = ai4mlops("deploy", run_id, "--name", "loop", cwd=tmp_path)
    assert deployed.returncode == 0, deployed.stderr
    try:
        np.save(tmp_path / "drifted.npy", np.random.default_rng(0).normal(size=(100, 10)) + 3.0)
        drifted = ai4mlops(
            "drift",
            "loop",
            "--send",
            "drifted.npy",
            "--protocol",
            "v2",
            "--set",
            "window_size=50",
            "--set",
            "consecutive=2",
            cwd=tmp_path,
        )
        assert drifted.returncode == 1, drifted.stdout + drifted.stderr  # the latest window drifted
        printed = drifted.stdout
        assert "Sent 100 rows to loop in 4 V2 requests" in printed and "warning" not in printed
        assert "2 windows checked, 2 drifted" in printed and "DRIFT in the window" in printed
        assert "alert #1 open: Drift in 2 consecutive windows (" in printed and "-> ai4mlops retrain 1" in printed

        retrained = ai4mlops("retrain", "1", "--param", "epochs=8", cwd=tmp_path)
        assert retrained.returncode == 0, retrained.stdout + retrained.stderr
        new_run = retrained.stdout.split("retraining loop in run ")[1].split()[0]
        assert "Alert #1 is resolved" in retrained.stdout, retrained.stdout
        assert f"The model of run {new_run} went to the promotion gate:" in retrained.stdout
        assert "loop: canary 20 % of torch-train-model" in retrained.stdout and "Gate: waiting" in retrained.stdout

        # The canary takes every request, the gate needs 20 of them; then it promotes the better model.
        policy = ai4mlops("models", "policy", "torch-train-model", "--set", "min_requests=20", cwd=tmp_path)
        assert re.search(r"^min_requests +20$", policy.stdout, re.M), policy.stdout + policy.stderr
        assert ai4mlops("models", "rollout", "torch-train-model", "--percent", "100", cwd=tmp_path).returncode == 0
        [record] = json.loads(ai4mlops("deployments", "--json", cwd=tmp_path).stdout)
        for row in np.random.default_rng(1).normal(size=(20, 10)):
            body = json.dumps({"instances": [row.tolist()]}).encode()
            assert prediction.http(record["endpoints"]["v1"], body, 30.0)[0] == 200
        time.sleep(0.7)  # the router writes its counts every 0.5 s
        evaluated = ai4mlops("models", "evaluate", "torch-train-model", cwd=tmp_path)
        assert evaluated.returncode == 0, evaluated.stdout + evaluated.stderr
        assert evaluated.stdout.startswith("promoted v2 (stable v1) by "), evaluated.stdout

        [record] = json.loads(ai4mlops("deployments", "--json", cwd=tmp_path).stdout)
        assert record["run_id"] == new_run != run_id and record["status"] == "running"
        assert record["config"]["version"] == {"model": "torch-train-model", "version": 2, "alias": "champion"}
        [alert] = json.loads(ai4mlops("alerts", "--json", cwd=tmp_path).stdout)
        assert alert["status"] == "resolved" and alert["retrain_run_id"] == new_run
        runs = {run["id"]: run for run in json.loads(ai4mlops("runs", "--json", cwd=tmp_path).stdout)}
        assert runs[new_run]["parameters"]["epochs"] == 8
        decisions = json.loads(ai4mlops("models", "decisions", "torch-train-model", "--json", cwd=tmp_path).stdout)
        assert [(d["action"], d["alert_id"]) for d in decisions] == [("promoted", 1), ("started", 1)]
    finally:
        removed = ai4mlops("undeploy", "loop", cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
