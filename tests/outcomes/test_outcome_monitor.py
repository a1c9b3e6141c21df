"""OutcomeMonitor on a real store: logged answers become predictions, labels join them in any order, windows get
realized and estimated performance, detectors and alerts fire; two monitors never count anything twice."""

import json
import re
import threading

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, log_loss

from ai4mlops_lab.monitoring.outcomes import OutcomeMonitor
from ai4mlops_lab.monitoring.performance import probabilities
from ai4mlops_lab.monitoring.retraining import Retraining
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.drift import DriftStore
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.workspace import STORE_FILE

from ..requests import NAME, deploy_record
from .exchanges import CLASSES, answers, labels_for, log_predictions


@pytest.fixture
def store_path(tmp_path):
    workspace = tmp_path / ".ai4mlops"
    deploy_record(workspace, outputs=CLASSES)
    return workspace / STORE_FILE


@pytest.fixture
def events(store_path):
    return EventStore(store_path)


@pytest.fixture
def monitor(store_path):
    return OutcomeMonitor(store_path)


def post(monitor, keys, labels, content_type="application/json"):
    if content_type == "text/csv":
        body = ("id,label\n" + "".join(f"{k},{int(v)}\n" for k, v in zip(keys, labels))).encode()
    else:
        body = json.dumps({"labels": [{"id": k, "label": int(v)} for k, v in zip(keys, labels)]}).encode()
    return monitor.add_labels(NAME, body, content_type)


def keys(first, n):
    return [f"r{i}" for i in range(first, first + n)]


def test_labels_join_in_either_order_once_and_never_change(monitor, events):
    logits, predicted = answers(10)
    log_predictions(events, NAME, logits)
    monitor.process(NAME)
    early = post(monitor, keys(5, 10), predicted.tolist() + [0] * 5)  # r10..r14 have no prediction yet
    assert (early["stored"], early["joined"], early["refused_count"]) == (10, 5, 0)
    assert monitor.report(NAME)["coverage"] == {
        "predictions": 10,
        "labelled": 5,
        "waiting_labels": 5,
        "median_delay_s": monitor.report(NAME)["coverage"]["median_delay_s"],
    }
    log_predictions(events, NAME, answers(5, seed=1)[0], first=10)
    monitor.process(NAME)
    coverage = monitor.report(NAME)["coverage"]
    assert (coverage["predictions"], coverage["labelled"], coverage["waiting_labels"]) == (15, 10, 0)
    again = post(monitor, keys(5, 10), predicted.tolist() + [0] * 5, "text/csv")
    assert (again["stored"], again["unchanged"], again["joined"]) == (0, 10, 0)
    changed = post(monitor, ["r5"], [(predicted[5] + 1) % CLASSES])
    assert changed["refused_count"] == 1 and changed["refused"][0]["row"] == "id r5"
    assert "labels never change" in changed["refused"][0]["message"]
    assert monitor.report(NAME)["refused_labels"]["count"] == 1


def test_realized_metrics_per_window_equal_scikit_learn(monitor, events):
    monitor.set_policy(NAME, {"window_size": 100, "estimate": False})
    logits, predicted = answers(300, seed=2, confidence=1.0)
    truth = labels_for(predicted, 0.7, seed=2)
    log_predictions(events, NAME, logits)
    post(monitor, keys(0, 300), truth)
    monitor.process(NAME)
    windows = monitor.report(NAME)["windows"]
    assert [w["labelled"] for w in windows] == [100, 100, 100]
    probs = probabilities(logits)
    for w, rows in zip(windows, (slice(0, 100), slice(100, 200), slice(200, 300))):
        assert w["realized"]["accuracy"] == pytest.approx(accuracy_score(truth[rows], predicted[rows]))
        assert w["realized"]["f1_macro"] == pytest.approx(f1_score(truth[rows], predicted[rows], average="macro"))
        assert w["realized"]["log_loss"] == pytest.approx(
            log_loss(truth[rows], probs[rows], labels=[0, 1, 2]), rel=1e-4
        )


def test_labels_arriving_late_update_the_window_they_belong_to(monitor, events):
    monitor.set_policy(NAME, {"window_size": 50, "estimate": False})
    logits, predicted = answers(100, seed=3)
    log_predictions(events, NAME, logits)
    monitor.process(NAME)
    assert [w["labelled"] for w in monitor.report(NAME)["windows"]] == [0, 0]
    post(monitor, keys(60, 40)[::-1], predicted[60:][::-1])  # out of order, for the second window only
    monitor.process(NAME)
    first, second = monitor.report(NAME)["windows"]
    assert (first["labelled"], first["realized"]) == (0, None)
    assert second["labelled"] == 40 and second["realized"]["accuracy"] == 1.0


def test_a_drop_below_the_alert_level_raises_one_alert_and_dismissing_needs_a_new_window(monitor, events, store_path):
    monitor.set_policy(
        NAME, {"window_size": 100, "min_labels": 50, "threshold": 0.7, "estimate": False, "detector": "none"}
    )
    logits, predicted = answers(600, seed=4)
    truth = np.concatenate([labels_for(predicted[:300], 0.9), labels_for(predicted[300:], 0.4, seed=5)])
    log_predictions(events, NAME, logits)
    post(monitor, keys(0, 600), truth)
    result = monitor.process(NAME)
    assert result["alerts"] == 1
    report = monitor.report(NAME)
    (alert,) = report["alerts"]
    assert alert["kind"] == "performance" and alert["status"] == "open"
    assert alert["evidence"]["window"] == 3 and alert["evidence"]["source"] == "realized"
    assert re.match(
        r"accuracy 0\.[34]\d* in window 3 \(realized on 100 labels\) is below its alert level 0\.7", alert["message"]
    )
    assert report["status"] == "degraded"
    assert monitor.process(NAME)["alerts"] == 0  # windows 4 and 5 join no new alert while it is open
    Retraining(DriftStore(store_path), DeploymentStore(store_path)).dismiss(alert["id"])
    assert monitor.process(NAME)["alerts"] == 0  # windows 4 and 5 stay with the dismissed alert...
    log_predictions(events, NAME, answers(100, seed=6)[0], first=600)
    post(monitor, keys(600, 100), np.zeros(100))
    assert monitor.process(NAME)["alerts"] == 1  # ...until a new window crosses it


def test_performance_is_estimated_before_labels_and_a_confidence_drop_alerts(monitor, events):
    monitor.set_policy(NAME, {"window_size": 100, "calibration_size": 200, "threshold": 0.7, "detector": "none"})
    confident, predicted = answers(300, seed=7, confidence=4.0)
    log_predictions(events, NAME, confident)
    post(monitor, keys(0, 300), labels_for(predicted, 0.9, seed=7))
    monitor.process(NAME)
    assert monitor.report(NAME)["estimator"]["status"] == "calibrated"
    unsure, _ = answers(300, seed=8, confidence=0.3)
    log_predictions(events, NAME, unsure, first=300)  # no labels for these
    monitor.process(NAME)
    report = monitor.report(NAME)
    later = report["windows"][3:]
    assert all(w["realized"]["accuracy"] > 0.85 for w in report["windows"][:3])
    assert all(w["labelled"] == 0 and w["estimated"]["accuracy"]["value"] < 0.7 for w in later)
    band = later[0]["estimated"]["accuracy"]
    assert band["lower"] < band["value"] < band["upper"]
    (alert,) = report["alerts"]
    assert alert["evidence"]["source"] == "estimated" and alert["evidence"]["window"] == 3


@pytest.mark.parametrize(("detector", "title"), [("ddm", "DDM"), ("auto", "ADWIN")])
def test_concept_drift_is_detected_once_and_the_detector_survives_a_restart(store_path, events, detector, title):
    first = OutcomeMonitor(store_path)
    first.set_policy(NAME, {"window_size": 500, "estimate": False, "detector": detector})
    logits, predicted = answers(2000, seed=9)
    truth = np.concatenate([labels_for(predicted[:1000], 0.9, seed=9), labels_for(predicted[1000:], 0.5, seed=10)])
    log_predictions(events, NAME, logits)
    post(first, keys(0, 1000), truth[:1000])
    first.process(NAME)
    assert [d for d in first.report(NAME)["detections"] if d["kind"] == "drift"] == []
    restarted = OutcomeMonitor(store_path)  # a new process: the detector's state comes from the store
    post(restarted, keys(1000, 1000), truth[1000:])
    restarted.process(NAME)
    report = restarted.report(NAME)
    drifts = [d for d in report["detections"] if d["kind"] == "drift"]
    assert drifts and drifts[0]["error_rate_after"] > drifts[0]["error_rate_before"]
    concept = [a for a in report["alerts"] if a["kind"] == "concept_drift"]
    assert len(concept) == 1 and f"Concept drift: {title} found the error rate rose" in concept[0]["message"]
    assert report["status"] == "degraded"  # the latest window has no alert level to cross; the alert is open


def test_output_drift_compares_each_window_with_the_first(monitor, events):
    monitor.set_policy(NAME, {"window_size": 200, "estimate": False})
    logits, _ = answers(400, seed=11)
    skewed = np.tile([5.0, 0.0, 0.0], (200, 1))  # everything predicted as class 0
    log_predictions(events, NAME, np.vstack([logits, skewed]))
    monitor.process(NAME)
    windows = monitor.report(NAME)["windows"]
    assert [w["outputs"]["drift"] for w in windows] == [False, False, True]
    assert windows[2]["outputs"]["counts"] == [200, 0, 0]
    assert monitor.report(NAME)["reference_outputs"]["window"] == 0


def test_two_monitors_count_every_prediction_and_window_once(store_path, events):
    OutcomeMonitor(store_path).set_policy(NAME, {"window_size": 50, "estimate": False})
    logits, predicted = answers(1000, seed=12)
    log_predictions(events, NAME, logits)
    post(OutcomeMonitor(store_path), keys(0, 1000), predicted)
    monitors = [OutcomeMonitor(store_path), OutcomeMonitor(store_path)]
    threads = [threading.Thread(target=m.process, args=(NAME,)) for m in monitors for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = monitors[0].report(NAME)
    assert report["coverage"]["predictions"] == 1000 and report["coverage"]["labelled"] == 1000
    assert [w["idx"] for w in report["windows"]] == list(range(20))
    assert all(w["labelled"] == 50 and w["realized"]["accuracy"] == 1.0 for w in report["windows"])


def test_a_rollouts_sides_are_judged_on_their_own_labels(monitor, events):
    logits, predicted = answers(200, seed=13)
    log_predictions(events, NAME, logits[:100], endpoint="default")
    log_predictions(events, NAME, logits[100:], first=100, endpoint="canary")
    truth = np.concatenate([predicted[:100], labels_for(predicted[100:], 0.5, seed=13)])
    post(monitor, keys(0, 200), truth)
    live = monitor.rollout_performance(NAME, 0.0)
    assert live["stable"] == {"labelled": 100, "value": 1.0}
    assert live["candidate"]["labelled"] == 100 and live["candidate"]["value"] < 0.7
    assert live["metric"] == "accuracy" and live["higher"] is True


def test_policy_mistakes_name_their_setting(monitor):
    from ai4mlops_lab.errors import FieldError

    for change, field in (
        ({"window_size": 3}, "window_size"),
        ({"metric": "mae"}, "metric"),
        ({"detector": "ddm", "task": "regression"}, "detector"),
        ({"id_source": "field"}, "id_field"),
        ({"classes": ["only"]}, "classes"),
        ({"nope": 1}, "nope"),
        ({"threshold": "high"}, "threshold"),
    ):
        with pytest.raises(FieldError) as err:
            monitor.set_policy(NAME, change)
        assert err.value.field == field, change
