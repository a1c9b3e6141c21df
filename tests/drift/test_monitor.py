"""DriftMonitor on a real store: logged V1/V2 requests cut into windows, tested, stored, alerts raised."""

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from ai4mlops_lab.errors import UserError
from ai4mlops_lab.monitoring.monitor import DriftMonitor
from ai4mlops_lab.store.event_records import TEST_SOURCE_SUFFIX, InferenceEvent
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.workspace import STORE_FILE

from ..requests import NAME, deploy_record, rows, send


@pytest.fixture
def workspace(tmp_path):
    return tmp_path / ".ai4mlops"


@pytest.fixture
def setup(workspace):
    deploy_record(workspace)
    events = EventStore(workspace / STORE_FILE)
    return DriftMonitor(workspace / STORE_FILE, workspace), events


def checked(monitor: DriftMonitor) -> DriftMonitor:
    """The monitor after checking every pending window (the report itself checks none)."""
    monitor.catch_up()
    return monitor


def test_count_windows_split_batches_and_keep_the_rest_pending(setup):
    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 100})
    send(events, rows(330), batch=30)
    unchecked = monitor.report(NAME)  # a read: it checks nothing
    assert unchecked["windows"] == [] and unchecked["pending"]["rows"] == 330
    assert monitor.report(NAME)["windows"] == []
    report = checked(monitor).report(NAME)
    assert [(w["start"], w["end"], w["n"]) for w in report["windows"]] == [
        (0, 100, 100),
        (100, 200, 100),
        (200, 300, 100),
    ]
    assert report["pending"]["rows"] == 30
    send(events, rows(70, seed=2), batch=70, protocol="v2")  # completes the 4th window across two events
    again = checked(monitor).report(NAME)
    assert [w["start"] for w in again["windows"]] == [0, 100, 200, 300] and again["pending"]["rows"] == 0
    assert again["counts"]["requests"] == 12 and again["counts"]["windows"] == 4


def test_in_distribution_windows_pass_and_a_shift_raises_one_alert(setup):
    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 200, "consecutive": 2})
    send(events, rows(600, seed=3))
    calm = checked(monitor).report(NAME)
    assert [w["drift"] for w in calm["windows"]] == [False, False, False] and calm["alerts"] == []
    send(events, rows(800, shift=0.5, seed=4), protocol="v2")
    report = checked(monitor).report(NAME)
    assert [w["drift"] for w in report["windows"]] == [False] * 3 + [True] * 4
    [alert] = report["alerts"]
    assert alert["status"] == "open" and alert["window_ids"] == [w["id"] for w in report["windows"][3:]]
    assert {f["name"] for f in alert["evidence"]["features"]} == {"f0", "f1", "f2"}
    assert "2 consecutive windows" in alert["message"]
    assert all(w["alert_id"] == alert["id"] for w in report["windows"][3:])
    latest = report["latest"]
    assert latest["p_value"] < 0.05 and latest["score"] > 0.95
    assert {f["name"] for f in latest["features"] if f["drift"]} == {"f0", "f1", "f2"}


def test_feature_view_has_reference_and_current_histograms_on_the_same_bins(setup):
    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 100})
    send(events, rows(100, shift=3.0))
    view = checked(monitor).report(NAME, feature="f0")
    feature = view["feature"]
    assert feature["current"]["edges"] == feature["reference"]["edges"] and len(feature["reference"]["counts"]) == 20
    current = feature["current"]
    assert sum(current["counts"]) + current["below"] + current["above"] == 100 and current["above"] > 30
    assert all(len(w["features"]) == 1 for w in view["windows"])
    with pytest.raises(UserError, match="no feature 'nope'"):
        checked(monitor).report(NAME, feature="nope")


def test_two_monitors_on_one_store_check_each_window_once(setup, workspace):
    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 50})
    other = DriftMonitor(workspace / STORE_FILE, workspace)
    send(events, rows(500))
    monitor.process(NAME)
    other.process(NAME)
    starts = [w["start"] for w in checked(monitor).report(NAME)["windows"]]
    assert starts == list(range(0, 500, 50))


def test_undecodable_requests_are_counted_with_the_reason(setup):
    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 50})
    send(events, rows(50))
    events.add(InferenceEvent("bad-1", "request", NAME, "", "", "", "t", "", "application/json", b"not json"))
    events.add(
        InferenceEvent(
            "bad-2",
            "request",
            NAME,
            "",
            "",
            "",
            "t",
            "",
            "application/json",
            json.dumps({"instances": [[1.0, 2.0]]}).encode(),
        )
    )
    send(events, rows(50, seed=5))
    report = checked(monitor).report(NAME)
    assert len(report["windows"]) == 2 and report["counts"]["undecodable"] == 2
    assert report["counts"]["undecodable_reason"] == "2 features per row, the model takes 10"


def test_time_windows_per_hour_and_late_events_recheck_their_hour(setup):
    monitor, events = setup
    monitor.set_policy(NAME, {"window": "time", "window_seconds": 3600})
    hour = (int(datetime.now(UTC).timestamp()) // 3600 - 5) * 3600
    send(events, rows(60, seed=6), at=hour + 10)
    send(events, rows(40, shift=3.0, seed=7), at=hour + 3600 + 10)
    first = checked(monitor).report(NAME)["windows"]
    assert [(w["start"], w["n"], w["drift"]) for w in first] == [(hour, 60, False), (hour + 3600, 40, True)]
    send(events, rows(25, seed=8), at=hour + 20)  # late: belongs to the first hour
    windows = checked(monitor).report(NAME)["windows"]
    assert sorted((w["start"], w["n"]) for w in windows) == [(hour, 85), (hour + 3600, 40)]


def test_a_check_tests_the_latest_rows_and_raises_no_alert(setup):
    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 500, "consecutive": 1})
    send(events, rows(120, shift=2.0))
    window = monitor.check(NAME)
    assert window["trigger"] == "check" and window["n"] == 120 and window["drift"] is True
    assert (window["start"], window["end"]) == (0, 120)
    assert monitor.alerts(NAME) == {"alerts": [], "next_cursor": None}


def test_a_check_without_requests_says_to_send_some(setup):
    monitor, _ = setup
    with pytest.raises(UserError, match="no decodable requests"):
        monitor.check(NAME)


def test_policy_errors_name_the_field(setup):
    monitor, _ = setup
    for changes, field in [
        ({"window_size": 3}, "window_size"),
        ({"alpha": 2}, "alpha"),
        ({"method": "magic"}, "method"),
        ({"colour": 1}, "colour"),
        ({"auto_retrain": "yes"}, "auto_retrain"),
    ]:
        with pytest.raises(UserError) as caught:
            monitor.set_policy(NAME, changes)
        assert f"'{field}'" in caught.value.message and caught.value.status == 422
    assert monitor.set_policy(NAME, {"consecutive": 3})["consecutive"] == 3


def test_without_reference_data_the_report_says_what_to_do(workspace):
    deploy_record(workspace, name="bare", reference=False)
    report = DriftMonitor(workspace / STORE_FILE, workspace).report("bare")
    assert report["reference"]["available"] is False
    assert "reference:VARIABLE" in report["reference"]["hint"] and report["windows"] == []


def test_dismissing_an_alert_needs_a_new_streak(setup):
    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 100, "consecutive": 2})
    send(events, rows(200, shift=1.0))
    [alert] = checked(monitor).report(NAME)["alerts"]
    assert monitor.dismiss(alert["id"])["status"] == "dismissed"
    with pytest.raises(UserError, match="is dismissed"):
        monitor.dismiss(alert["id"])
    send(events, rows(100, shift=1.0, seed=9))
    assert [a["status"] for a in checked(monitor).report(NAME)["alerts"]] == ["dismissed"]
    send(events, rows(100, shift=1.0, seed=10))
    assert [a["status"] for a in checked(monitor).report(NAME)["alerts"]] == ["open", "dismissed"]


def test_image_inputs_are_flattened_and_tested_jointly_on_a_projection(workspace):
    deploy_record(workspace, name="leaves", shape=(3, 10, 10))
    monitor, events = DriftMonitor(workspace / STORE_FILE, workspace), EventStore(workspace / STORE_FILE)
    policy = monitor.set_policy("leaves", {"window_size": 100})
    assert policy["method"] == "mmd"  # 300 inputs: one joint test instead of 300 per-pixel ones
    rng = np.random.default_rng(11)
    send(events, rng.normal(size=(100, 3, 10, 10)), name="leaves", protocol="v2")
    send(events, rng.normal(size=(100, 3, 10, 10)) + 0.5, name="leaves", protocol="v2")
    report = checked(monitor).report("leaves")
    assert [w["drift"] for w in report["windows"]] == [False, True]
    assert report["windows"][1]["multivariate"]["method"] == "mmd" and report["windows"][1]["features"] == []
    assert report["windows"][1]["settings"]["projection_dim"] == 32
    assert report["reference"]["features"][299]["name"] == "x299"


def test_switching_window_kinds_windows_each_request_once(setup):
    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 100})
    hour = (int(datetime.now(UTC).timestamp()) // 3600 - 3) * 3600
    send(events, rows(150), at=hour + 5)  # one count window, 50 rows waiting
    assert checked(monitor).report(NAME)["pending"]["rows"] == 50
    monitor.set_policy(NAME, {"window": "time"})
    send(events, rows(30, seed=2), at=hour + 3600 + 5)
    windows = checked(monitor).report(NAME)["windows"]
    assert [(w["kind"], w["n"]) for w in windows] == [("count", 100), ("time", 50), ("time", 30)]
    send(events, rows(20, seed=3))  # now: in the open hour
    monitor.set_policy(NAME, {"window": "count", "window_size": 20})
    windows = checked(monitor).report(NAME)["windows"]
    assert [(w["kind"], w["n"]) for w in windows][-1] == ("count", 20) and len(windows) == 4


def test_forgetting_a_deployment_keeps_its_alerts_as_history(setup, workspace):
    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 100, "consecutive": 1})
    send(events, rows(100, shift=1.0))
    [alert] = checked(monitor).report(NAME)["alerts"]
    monitor.store.forget(NAME)
    assert monitor.events.counts(NAME)["requests"] == 0 and monitor.store.windows(NAME) == []
    [kept] = monitor.alerts(NAME)["alerts"]
    assert (
        kept["id"] == alert["id"] and kept["status"] == "dismissed" and kept["error"] == "The deployment was removed."
    )


def test_an_alert_whose_retraining_run_is_still_being_started_is_left_alone(setup):
    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 100, "consecutive": 1})
    send(events, rows(100, shift=1.0))
    [alert] = checked(monitor).report(NAME)["alerts"]
    monitor.store.update_alert(alert["id"], status="retraining")  # as retrain() does before the run exists
    monitor.runs = monitor.deployments = object()  # following must not touch either
    monitor.follow_retraining()
    assert monitor.store.alert(alert["id"])["status"] == "retraining"


def test_a_big_request_once_windowed_is_not_decoded_again_while_nothing_new_comes(setup, monkeypatch):
    import ai4mlops_lab.monitoring.checker as monitor_module

    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 100})
    send(events, rows(1050), batch=1050)  # one request: 10 windows and 50 rows pending
    decoded = []
    real = monitor_module.request_rows
    monkeypatch.setattr(monitor_module, "request_rows", lambda *args: decoded.append(1) or real(*args))
    first = monitor.process(NAME)
    assert len(first["added"]) == 10 and first["pending_rows"] == 50
    calls = len(decoded)
    for _ in range(5):  # the server's background loop, idle
        assert monitor.process(NAME) == {"added": [], "pending_rows": 50, "pending_undecodable": 0}
    assert len(decoded) == calls
    send(events, rows(50, seed=2), batch=50)  # new rows are decoded and complete the next window
    assert len(monitor.process(NAME)["added"]) == 1 and len(decoded) > calls


def test_a_big_request_is_decoded_once_while_small_ones_trickle_in(setup, monkeypatch):
    """Issue 10, item 4: the event at the cursor is decoded once, not again at every check that has new rows."""
    import ai4mlops_lab.monitoring.checker as monitor_module

    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 100})
    send(events, rows(1050), batch=1050)
    decoded = []
    real = monitor_module.request_rows
    monkeypatch.setattr(
        monitor_module, "request_rows", lambda body, *args: decoded.append(len(body)) or real(body, *args)
    )
    assert len(monitor.process(NAME)["added"]) == 10
    for seed in range(4):  # 40 more rows, 10 at a time: still short of the next window
        send(events, rows(10, seed=seed + 2), batch=10)
        assert monitor.process(NAME)["pending_rows"] == 50 + 10 * (seed + 1)
    big = max(decoded)
    assert decoded.count(big) == 1
    send(events, rows(10, seed=9), batch=10)
    assert len(monitor.process(NAME)["added"]) == 1 and decoded.count(big) == 1


@pytest.mark.parametrize("window", ["count", "time"])
def test_test_predictions_are_counted_but_never_windowed(setup, window):
    """Issue 10, item 4: traffic of the deployments view's test box does not count toward drift."""
    monitor, events = setup
    monitor.set_policy(NAME, {"window": window, "window_size": 100})
    send(events, rows(300, shift=3.0), batch=30, source="http://127.0.0.1:1/" + TEST_SOURCE_SUFFIX)
    report = checked(monitor).report(NAME)
    assert report["windows"] == [] and report["pending"]["rows"] == 0
    assert report["counts"]["requests"] == 10
    send(events, rows(100), batch=50)
    assert [w["n"] for w in checked(monitor).report(NAME)["windows"]] == ([100] if window == "count" else [])


def test_a_redeployed_model_starts_its_verdicts_afresh(setup, workspace):
    """After a retrained model replaces the drifted one, the report's verdict is not the old model's."""
    from ai4mlops_lab.store.deployments import DeploymentStore

    monitor, events = setup
    monitor.set_policy(NAME, {"window_size": 100})
    send(events, rows(100, shift=3.0))
    drifted = checked(monitor).report(NAME)["latest"]
    assert drifted["drift"]
    old = DeploymentStore(workspace / STORE_FILE).get(NAME)
    DeploymentStore(workspace / STORE_FILE).create(
        name=NAME,
        run_id=None,
        model_name=old["model_name"],
        model_uri=old["model_uri"],
        target="local",
        config=old["config"],
        replace=True,
    )
    replaced = checked(monitor).report(NAME)
    assert replaced["latest"] is None and replaced["previous"]["id"] == drifted["id"]
    assert replaced["model"]["since"] > drifted["last_at"]
    assert [w["id"] for w in replaced["windows"]] == [drifted["id"]]  # the history stays
    send(events, rows(100, seed=5))
    fresh = checked(monitor).report(NAME)
    assert fresh["latest"]["drift"] is False and fresh["previous"] is None
