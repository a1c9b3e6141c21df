"""`ai4mlops deploy NOTEBOOK`: the notebook's best run is served, and the command says which and why."""

import json
import shutil
from pathlib import Path

from ..model_runs import model_run
from .test_deploy_cli import EXAMPLE, ai4mlops


def test_deploying_a_notebook_serves_its_best_run_not_its_latest(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "train.ipynb")
    trained = ai4mlops("run", "train.ipynb", "--param", "epochs=5", "--json", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    good = json.loads(trained.stdout)
    [model] = [a for a in good["artifacts"] if a["metadata"].get("model")]
    # a newer re-run of the same notebook that scored worse
    worse = model_run(
        tmp_path / ".ai4mlops",
        Path(model["uri"]),
        notebook_path="train.ipynb",
        parameters={**good["parameters"], "epochs": 1},
        metrics={"accuracy": good["metrics"]["accuracy"] - 0.3, "loss": 0.01},
        metadata=model["metadata"],
    )

    deployed = ai4mlops("deploy", "train.ipynb", "--name", "best-demo", cwd=tmp_path)
    try:
        assert deployed.returncode == 0, deployed.stderr
        said = deployed.stdout
        assert f"({good['id']})" in said and "epochs=5" in said and "highest accuracy of 2" in said
        assert "the latest" in said and "epochs=1" in said and "is worse" in said
        assert worse not in said
        [record] = json.loads(ai4mlops("deployments", "--json", cwd=tmp_path).stdout)
        assert record["run_id"] == good["id"] and record["config"]["run"]["metric"]["name"] == "accuracy"
    finally:
        ai4mlops("undeploy", "best-demo", cwd=tmp_path)


def test_deploying_a_notebook_that_never_ran_says_to_run_it(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "train.ipynb")
    (tmp_path / ".ai4mlops").mkdir()
    done = ai4mlops("deploy", "train.ipynb", cwd=tmp_path)
    assert done.returncode == 2 and "has no succeeded run" in done.stderr and "ai4mlops run train.ipynb" in done.stderr
