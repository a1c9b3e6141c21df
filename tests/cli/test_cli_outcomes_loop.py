"""Outcomes end to end with the CLI alone: a deployed model answers requests carrying ids, labels arrive late and
out of order, the realized accuracy falls, a performance alert is raised, and retraining from it hands a new
model to the promotion gate. The model server logs into the workspace's store; `ai4mlops performance` reads."""

import json
import time

import numpy as np

from ai4mlops_lab.serving import prediction
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.workspace import STORE_FILE

from .test_cli_only_loop import EXAMPLE, ai4mlops


def answer(url, key, row):
    """Send one V2 request with id `key`; the class the model predicts."""
    body = {"id": key, "inputs": [{"name": "input-0", "shape": [1, 10], "datatype": "FP32", "data": row.tolist()}]}
    status, reply = prediction.http(url, json.dumps(body).encode(), 30.0)
    assert status == 200, reply
    outputs = json.loads(reply)["outputs"][0]
    assert json.loads(reply)["id"] == key
    return int(np.argmax(outputs["data"]))


def wait_logged(store, name, count, timeout=20.0):
    deadline = time.monotonic() + timeout
    while EventStore(store).counts(name)["responses"] < count:
        assert time.monotonic() < deadline, "the model server did not log every answer"
        time.sleep(0.2)


def write_labels(path, pairs):
    path.write_text("id,label\n" + "".join(f"{key},{label}\n" for key, label in pairs))


def test_late_labels_reveal_a_drop_that_retraining_hands_to_the_gate(tmp_path):
    import shutil

    shutil.copy(EXAMPLE, tmp_path / "train.ipynb")
    trained = ai4mlops("run", "train.ipynb", "--param", "epochs=5", "--json", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert ai4mlops("deploy", json.loads(trained.stdout)["id"], "--name", "outcomes", cwd=tmp_path).returncode == 0
    try:
        [record] = json.loads(ai4mlops("deployments", "--json", cwd=tmp_path).stdout)
        rows = np.random.default_rng(0).normal(size=(80, 10)).astype(np.float32)
        predicted = [answer(record["endpoints"]["v2"], f"p{i}", row) for i, row in enumerate(rows)]
        wait_logged(tmp_path / ".ai4mlops" / STORE_FILE, "outcomes", 80)

        policy = ai4mlops("performance", "outcomes", "--set", "window_size=40", "--set", "min_labels=20", cwd=tmp_path)
        assert policy.returncode == 0, policy.stdout + policy.stderr
        assert "classification, accuracy (higher is better), validation 0.575, alert level 0.525" in policy.stdout
        assert "80 predictions, 0 labelled" in policy.stdout and "calibrating on the first 500" in policy.stdout

        # the second window's labels come first, newest first, and every one of them says the model was wrong;
        # two labels are for predictions not logged yet
        late = [(f"p{i}", 1 - predicted[i]) for i in reversed(range(40, 80))] + [("p80", 0), ("p81", 1)]
        write_labels(tmp_path / "late.csv", late)
        sent = ai4mlops("labels", "outcomes", "late.csv", cwd=tmp_path)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "42 labels read, 42 stored (40 joined to predictions), 0 sent before, 0 refused" in sent.stdout
        write_labels(tmp_path / "early.csv", [(f"p{i}", predicted[i]) for i in range(40)] + [("p3", predicted[3])])
        assert (
            "40 stored (40 joined to predictions), 1 sent before"
            in ai4mlops("labels", "outcomes", "early.csv", cwd=tmp_path).stdout
        )

        report = ai4mlops("performance", "outcomes", cwd=tmp_path)
        assert report.returncode == 1, report.stdout + report.stderr  # an open performance alert
        assert (
            "80 predictions, 80 labelled" in report.stdout and "2 labels waiting for their prediction" in report.stdout
        )
        assert "Now: DEGRADED (accuracy 0, realized)" in report.stdout
        assert "alert #1 open: accuracy 0 in window 1 (realized on 40 labels) is below its alert level 0.525" in (
            report.stdout
        )
        data = json.loads(ai4mlops("performance", "outcomes", "--json", cwd=tmp_path).stdout)
        assert [w["realized"]["accuracy"] for w in data["windows"]] == [1.0, 0.0]

        retrained = ai4mlops("retrain", "1", "--param", "epochs=8", cwd=tmp_path)
        assert retrained.returncode == 0, retrained.stdout + retrained.stderr
        assert "Alert #1 is resolved" in retrained.stdout
        assert "outcomes: canary 20 % of torch-train-model" in retrained.stdout
        [alert] = json.loads(ai4mlops("alerts", "--json", cwd=tmp_path).stdout)
        assert (alert["kind"], alert["status"]) == ("performance", "resolved")
    finally:
        removed = ai4mlops("undeploy", "outcomes", cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
