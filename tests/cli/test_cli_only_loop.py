"""The closed loop with the CLI alone, no Jupyter server anywhere: train, deploy, replay drifted rows, an alert,
retraining from it and the redeploy of the new model. The model server, deployed with no ingest URL, writes its
request events straight into the workspace's store, and `ai4mlops drift` checks the windows itself."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

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

        retrained = ai4mlops("retrain", "1", "--param", "epochs=3", cwd=tmp_path)
        assert retrained.returncode == 0, retrained.stdout + retrained.stderr
        new_run = retrained.stdout.split("retraining loop in run ")[1].split()[0]
        assert f"Alert #1 is resolved; loop now serves the model of run {new_run}" in retrained.stdout

        [record] = json.loads(ai4mlops("deployments", "--json", cwd=tmp_path).stdout)
        assert record["run_id"] == new_run != run_id and record["status"] == "running"
        [alert] = json.loads(ai4mlops("alerts", "--json", cwd=tmp_path).stdout)
        assert alert["status"] == "resolved" and alert["retrain_run_id"] == new_run
        runs = {run["id"]: run for run in json.loads(ai4mlops("runs", "--json", cwd=tmp_path).stdout)}
        assert runs[new_run]["parameters"]["epochs"] == 3
    finally:
        removed = ai4mlops("undeploy", "loop", cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
