"""`ai4mlops deploy`, `deployments` and `undeploy` on a real local run's model."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "torch-train.ipynb"


def ai4mlops(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "ai4mlops_lab.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_deploy_list_and_undeploy(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "train.ipynb")
    trained = ai4mlops("run", "train.ipynb", "--param", "epochs=5", "--json", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    run_id = json.loads(trained.stdout)["id"]

    deployed = ai4mlops("deploy", run_id, "--name", "cli-demo", cwd=tmp_path)
    try:
        assert deployed.returncode == 0, deployed.stderr
        assert "Deployment 'cli-demo' is running" in deployed.stdout
        assert "/v2/models/cli-demo/infer" in deployed.stdout
        listed = ai4mlops("deployments", "--json", cwd=tmp_path)
        [record] = json.loads(listed.stdout)
        assert record["name"] == "cli-demo" and record["status"] == "running" and record["run_id"] == run_id
    finally:
        removed = ai4mlops("undeploy", "cli-demo", cwd=tmp_path)
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert json.loads(ai4mlops("deployments", "--json", cwd=tmp_path).stdout) == []


def test_deploying_an_unknown_run_is_a_clear_error(tmp_path):
    done = ai4mlops("deploy", "nosuchrun", cwd=tmp_path)
    assert done.returncode == 2 and "error:" in done.stderr
