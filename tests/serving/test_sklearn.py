"""A scikit-learn pipeline trained in a notebook step: saved as a Model with its signature, served
locally, and predicting what the notebook's model predicts."""

import time

import joblib
import numpy as np
import pytest

from ai4mlops_lab.runs.service import RunService
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

from ..notebooks import write_notebook
from .conftest import local_deployments

pytest.importorskip("sklearn")

NOTEBOOK = (
    (
        "import numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
        "from sklearn.pipeline import make_pipeline\nfrom sklearn.preprocessing import StandardScaler",
        ["imports"],
    ),
    (
        "rng = np.random.default_rng(0)\nfeatures = rng.normal(size=(300, 4))\n"
        "labels = (features[:, 0] + features[:, 1] > 0).astype(int)",
        ["step:load"],
    ),
    (
        "model = make_pipeline(StandardScaler(), LogisticRegression()).fit(features, labels)\n"
        "accuracy = float(model.score(features, labels))",
        ["step:train"],
    ),
    ("print(accuracy)", ["pipeline-metrics"]),
)


def test_sklearn_pipeline_is_saved_served_and_predicts_like_the_notebook(tmp_path):
    workspace = tmp_path / ".ai4mlops"
    runs = RunService(workspace, RunStore(workspace / STORE_FILE), root=tmp_path)
    run_id = runs.start(write_notebook(tmp_path, "iris.ipynb", NOTEBOOK))["id"]
    for _ in range(600):
        run = runs.run(run_id)
        if run["status"] not in ("pending", "running"):
            break
        time.sleep(0.2)
    assert run["status"] == "succeeded", run["error"]
    [artifact] = [a for a in run["artifacts"] if a["name"] == "model"]
    model_info = artifact["metadata"]["model"]
    assert model_info["framework"] == "sklearn"
    assert [int(n) for n in model_info["signature"]["inputs"][0]["shape"]] == [-1, 4]

    deployments = local_deployments(workspace)
    deployment = deployments.deploy(run_id, name="iris-lr")
    try:
        rows = np.random.default_rng(1).normal(size=(5, 4))
        answer = deployments.predict("iris-lr", {"instances": rows.tolist()})
        model = joblib.load(next((workspace / "deployments" / "iris-lr" / "model").glob("model.joblib")))
        assert answer["predictions"] == model.predict(rows).tolist()
        assert deployment["signature"]["inputs"][0]["shape"] == [-1, 4]
    finally:
        deployments.stop("iris-lr")
