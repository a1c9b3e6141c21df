"""Outcome monitoring of deployments: labels joined to logged predictions, realized and estimated performance per
window, output drift, concept-drift detection on the errors, and the alerts they raise. The one place the REST
handlers, the server's background loop and the CLI go through.

A round (`process`) reads new answered requests into predictions, closes full windows of served predictions
(estimated performance and output drift, which need no labels), updates the realized performance of windows
that got labels, feeds new errors to the detector, and raises alerts. Each step is committed with a
compare-and-set on the monitor, so two processes never count the same rows twice.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..serving.artifacts import recorded_output, recorded_signature
from ..store import times
from ..store.deployments import DeploymentStore
from ..store.drift import OUTCOME_ALERTS, DriftStore, MonitorMoved
from ..store.events import EventStore
from ..store.outcomes import OutcomeStore
from ..store.runs import RunStore
from .cbpe import CBPE
from .concept_drift import TITLES, detector_from_state, make_detector
from .labels import npy_labels, parse_labels
from .outcome_policy import OutcomePolicy
from .outcome_windows import alert_level, crossed, errors, output_drift, output_summary, realized
from .payloads import UndecodableRequest
from .performance import HIGHER_IS_BETTER
from .report import SHOWN_ALERTS
from .responses import exchange_predictions

#: An answer whose request event is not in after this long is counted as undecodable (the logger lost it).
REQUEST_WAIT_S = 30.0
#: Answered requests read per step.
CHUNK = 2000
#: The error rates around a concept-drift detection: over this many labelled predictions before it (and a
#: quarter as many after).
RATE_SPAN = 400
#: An estimate's band: this many standard deviations of its sampling error each side (NannyML's default alert
#: threshold is 3).
BAND_STDS = 3.0


class OutcomeMonitor:
    """Outcomes of deployments. `on_alert(alert_id, policy)` is called for each alert raised (to retrain)."""

    def __init__(
        self,
        store_path: Path,
        *,
        on_alert: Callable[[int, OutcomePolicy], None] | None = None,
    ):
        self.store = OutcomeStore(store_path, check=False)
        self.events = EventStore(store_path, check=False)
        self.records = DeploymentStore(store_path, check=False)
        self.runs = RunStore(store_path, check=False)
        self.alerts = DriftStore(store_path, check=False)
        self.on_alert = on_alert
        self._lock = threading.RLock()

    # -- policy ------------------------------------------------------------------------------

    def monitor(self, name: str) -> dict:
        self.records.get(name)  # a NotFoundError for an unknown deployment
        return self.store.monitor(name, OutcomePolicy().to_dict())

    def policy(self, name: str) -> OutcomePolicy:
        return OutcomePolicy(**self.monitor(name)["policy"])

    def set_policy(self, name: str, changes: dict) -> dict:
        """Change some settings (the rest stay). A new detector or detector setting starts it afresh."""
        if not isinstance(changes, dict):
            raise UserError("The policy change is not a JSON object.", 'Send e.g. {"min_labels": 50}.', status=422)
        with self._lock:
            before = self.policy(name)
            policy = before.updated(changes)
            policy.checked_for(policy.task_for(self._outputs(self.records.get(name))))
            self.store.set_policy(name, policy.to_dict(), reset_detector=policy.detector != before.detector)
        return policy.to_dict()

    # -- labels ------------------------------------------------------------------------------

    def add_labels(self, name: str, body: bytes, content_type: str) -> dict:
        """Store labels sent as JSON or CSV (see `labels.py`); good rows are kept, bad ones refused by row."""
        classes = self.policy(name).classes
        return self._store_labels(name, *parse_labels(body, content_type, classes))

    def add_label_array(self, name: str, array: np.ndarray) -> dict:
        """Store labels from an `.npy` array (the CLI)."""
        return self._store_labels(name, *npy_labels(array, self.policy(name).classes))

    def _store_labels(self, name: str, rows: list, refused: list[dict]) -> dict:
        """`{received, stored, unchanged, joined, refused: [{row, field, message}]}` (at most 100 refusals
        listed; `refused_count` has them all)."""
        self.monitor(name)
        received = len(rows) + len(refused)
        result = self.store.add_labels(name, rows)
        for position, before in result.pop("conflicts"):
            key, label = rows[position]
            refused.append(
                {
                    "row": f"id {key}",
                    "field": "label",
                    "message": f"id {key} was labelled {before:g} before, not {label:g}: labels never change",
                }
            )
        if refused:
            self.store.count_refused_labels(name, len(refused), f"{refused[-1]['row']}: {refused[-1]['message']}")
        return {"received": received, **result, "refused_count": len(refused), "refused": refused[:100]}

    # -- processing --------------------------------------------------------------------------

    def process(self, name: str) -> dict:
        """One round for a deployment; `{predictions, windows, detections, alerts}` added."""
        with self._lock:
            for _ in range(3):  # another process moved the monitor meanwhile: read it again
                try:
                    return self._round(name)
                except MonitorMoved:
                    continue
            return {"predictions": 0, "windows": 0, "detections": 0, "alerts": 0}

    def process_all(self) -> None:
        """A round for every deployment that has answered requests (the server's background loop)."""
        for record in self.records.list():
            try:
                self.process(record["name"])
            except UserError:  # e.g. removed meanwhile; the others still get their round
                continue

    def _round(self, name: str) -> dict:
        record = self.records.get(name)
        monitor = self.monitor(name)
        policy = OutcomePolicy(**monitor["policy"])
        task = policy.task_for(self._outputs(record))
        added = self._read_predictions(monitor, policy, task, recorded_output(record).get("name"))
        monitor = self.monitor(name)
        self._refresh_model(monitor, record)
        monitor = self.monitor(name)
        windows = self._close_windows(monitor, policy, task, record)
        monitor = self.monitor(name)
        new = self.store.outcomes(name, after=monitor["outcome_cursor"])
        self._update_realized(name, task, new, record)
        self._calibrate(monitor, policy, task, record)
        detections, detector_alerts = self._feed_detector(monitor, policy, task, new)
        alerts = detector_alerts + self._judge_windows(name, policy, task, record)
        return {"predictions": added, "windows": windows, "detections": detections, "alerts": alerts}

    def _read_predictions(self, monitor: dict, policy: OutcomePolicy, task: str, output_name: str | None) -> int:
        name, stored = monitor["deployment"], 0
        while True:
            exchanges = self.events.exchanges(name, after=monitor["response_cursor"], limit=CHUNK)
            predictions, cursor, bad = [], monitor["response_cursor"], []
            for exchange in exchanges:
                if exchange["request"] is None and time.time() - exchange["event_ts"] < REQUEST_WAIT_S:
                    break  # its request event is on its way: read it next round
                try:
                    if exchange["request"] is None:
                        raise UndecodableRequest("its request was never logged")
                    predictions += exchange_predictions(exchange, policy, task, output_name)
                except UndecodableRequest as err:
                    bad.append(f"answer {exchange['ce_id']}: {err}")
                cursor = exchange["id"]
            if cursor == monitor["response_cursor"]:
                return stored
            changes = {"response_cursor": cursor}
            if bad:
                changes.update(undecodable=monitor["undecodable"] + len(bad), undecodable_reason=bad[-1])
            stored += self.store.add_predictions(monitor, predictions, changes)["stored"]
            monitor = self.monitor(name)
            if len(exchanges) < CHUNK:
                return stored

    def _refresh_model(self, monitor: dict, record: dict) -> None:
        """A new model (a promotion, a redeploy) gets its own reference period, calibration and detector."""
        changes = {
            column: None
            for column in ("reference_outputs", "estimator", "detector")
            if monitor[column] is not None and monitor[column].get("model_uri") != record["model_uri"]
        }
        if changes:
            self.store.update_monitor(monitor["deployment"], **changes)

    def _close_windows(self, monitor: dict, policy: OutcomePolicy, task: str, record: dict) -> int:
        name, size = monitor["deployment"], policy.window_size
        n_classes = self._outputs(record) if task == "classification" else None
        last = self.store.windows(name, limit=1)
        after = last[0]["last_prediction"] if last else 0
        next_idx = last[0]["idx"] + 1 if last else 0
        if self.store.count_served(name, after, size) < size:  # most rounds: no full window yet
            return 0
        pending = self.store.served_predictions(name, after=after, limit=size * 20)
        full = len(pending) // size
        reference = monitor["reference_outputs"]
        fitted = monitor["estimator"]
        estimator = CBPE.from_state(fitted["state"]) if fitted and fitted.get("state") else None
        windows = []
        for i in range(full):
            rows = pending[i * size : (i + 1) * size]
            if reference is None:  # the model's first window is the reference period of its outputs
                reference = {
                    "model_uri": record["model_uri"],
                    "window": next_idx + i,
                    **output_summary(task, rows, n_classes),
                }
            labelled = self.store.labelled_between(name, rows[0]["id"], rows[-1]["id"])
            windows.append(
                {
                    "idx": next_idx + i,
                    "first_prediction": rows[0]["id"],
                    "last_prediction": rows[-1]["id"],
                    "n": len(rows),
                    "start_ts": rows[0]["predicted_at"],
                    "end_ts": rows[-1]["predicted_at"],
                    "estimated": self._estimate(estimator, policy, task, rows),
                    "outputs": output_drift(task, reference, rows, n_classes),
                    "labelled": len(labelled),
                    "realized": realized(task, labelled, n_classes),
                }
            )
        changes = {} if monitor["reference_outputs"] is not None else {"reference_outputs": reference}
        self.store.commit_windows(monitor, changes, windows)
        return len(windows)

    @staticmethod
    def _estimate(estimator: CBPE | None, policy: OutcomePolicy, task: str, rows: list[dict]) -> dict | None:
        if estimator is None or not policy.estimate or task != "classification":
            return None
        estimate = estimator.estimate(np.array([r["scores"] for r in rows]))
        bands = {}
        for metric in ("accuracy", "f1_macro", "roc_auc"):
            value, error = estimate[metric], estimate["sampling_error"].get(metric) or 0.0
            if value is not None:
                bands[metric] = {
                    "value": value,
                    "lower": max(0.0, value - BAND_STDS * error),
                    "upper": min(1.0, value + BAND_STDS * error),
                }
        return bands

    def _update_realized(self, name: str, task: str, new: list[dict], record: dict) -> None:
        """Recompute the realized performance of the stored windows that got labels."""
        served = [o["prediction_id"] for o in new if o["endpoint"] != "shadow"]
        n_classes = self._outputs(record) if task == "classification" else None
        for idx in self.store.windows_of(name, served):
            window = self.store.window(name, idx)
            labelled = self.store.labelled_between(name, window["first_prediction"], window["last_prediction"])
            self.store.set_realized(name, idx, len(labelled), realized(task, labelled, n_classes))

    def _calibrate(self, monitor: dict, policy: OutcomePolicy, task: str, record: dict) -> None:
        """Fit the estimator once the model has `calibration_size` labelled served predictions."""
        if monitor["estimator"] is not None or not policy.estimate or task != "classification":
            return
        labelled = [
            o
            for o in self.store.outcomes(monitor["deployment"], limit=policy.calibration_size * 4)
            if o["endpoint"] != "shadow" and o["scores"]
        ][: policy.calibration_size]
        if len(labelled) < policy.calibration_size:
            return
        try:
            estimator = CBPE.fit(np.array([o["scores"] for o in labelled]), _class_indexes(labelled))
        except UserError as err:
            self.store.update_monitor(
                monitor["deployment"], estimator={"model_uri": record["model_uri"], "error": err.message, "state": None}
            )
            return
        self.store.update_monitor(
            monitor["deployment"],
            estimator={"model_uri": record["model_uri"], "rows": len(labelled), "state": estimator.state()},
        )

    def _feed_detector(self, monitor: dict, policy: OutcomePolicy, task: str, new: list[dict]) -> tuple[int, int]:
        """Feed the new served outcomes' errors to the concept-drift detector; a drift raises an alert."""
        method = policy.detector_for(task)
        if not new:
            return 0, 0
        cursor = new[-1]["outcome_id"]
        served = [o for o in new if o["endpoint"] != "shadow"]
        if method == "none" or not served:
            self.store.feed_detector(monitor, {"outcome_cursor": cursor}, [])
            return 0, 0
        stored = monitor["detector"]
        if stored:
            detector = detector_from_state(stored["state"])
        else:
            detector = make_detector(method, scaled=task == "regression")
        errs = errors(task, served)
        found = detector.update_many(errs)
        earlier = errors(task, self.store.outcomes_before(monitor["deployment"], new[0]["outcome_id"], RATE_SPAN))
        detections = []
        for index, kind in found:
            before = np.concatenate([earlier, errs[:index]])[-RATE_SPAN:]
            after = errs[index : index + RATE_SPAN // 4]
            detections.append(
                {
                    "method": method,
                    "kind": kind,
                    "outcome_id": served[index]["outcome_id"],
                    "predicted_at": served[index]["predicted_at"],
                    "error_rate_before": float(before.mean()) if len(before) else None,
                    "error_rate_after": float(after.mean()) if len(after) else None,
                }
            )
        drifts = [d for d in detections if d["kind"] == "drift"]
        alert = None
        if drifts and self.store.active_alert_id(monitor["deployment"], "concept_drift") is None:
            alert = _concept_alert(method, task, drifts[-1])
        state = {"model_uri": self.records.get(monitor["deployment"])["model_uri"], "state": detector.state()}
        self.store.feed_detector(monitor, {"outcome_cursor": cursor, "detector": state}, detections, alert)
        if alert is not None and self.on_alert is not None:
            self.on_alert(self.store.active_alert_id(monitor["deployment"], "concept_drift"), policy)
        return len(detections), int(alert is not None)

    def _judge_windows(self, name: str, policy: OutcomePolicy, task: str, record: dict) -> int:
        """Alert on windows whose metric crossed the alert level (realized once a window has `min_labels` labels,
        else estimated): they join the active performance alert, or the first raises one. A window once attached
        stays so: after a dismissal, only a window not seen crossing before raises a new alert."""
        metric = policy.metric_for(task)
        baseline = self.baseline(record, metric)
        level = alert_level(metric, policy.threshold, policy.max_drop, baseline)
        crossing = []
        for window in self.store.windows(name):
            value, source = self._value(window, metric, policy)
            if window["alert_id"] is None and crossed(metric, value, level):
                crossing.append((window, value, source))
        if not crossing:
            return 0
        window, value, source = crossing[0]
        alert = _performance_alert(window, metric, value, source, baseline, level)
        alert_id, new = self.store.alert_windows(name, [w["idx"] for w, _, _ in crossing], alert)
        if new and self.on_alert is not None:
            self.on_alert(alert_id, policy)
        return int(new)

    @staticmethod
    def _value(window: dict, metric: str, policy: OutcomePolicy) -> tuple[float | None, str]:
        if window["realized"] and window["labelled"] >= policy.min_labels:
            return window["realized"].get(metric), "realized"
        if window["estimated"]:
            return window["estimated"].get(metric, {}).get("value"), "estimated"
        return None, ""

    # -- what it knows -----------------------------------------------------------------------

    def report(self, name: str, limit: int = 200) -> dict:
        """`GET .../performance`: the policy, coverage, windows, detections and alerts of a deployment."""
        record = self.records.get(name)
        monitor = self.monitor(name)
        policy = OutcomePolicy(**monitor["policy"])
        task = policy.task_for(self._outputs(record))
        metric = policy.metric_for(task)
        baseline = self.baseline(record, metric)
        level = alert_level(metric, policy.threshold, policy.max_drop, baseline)
        windows = self.store.windows(name, limit)
        latest = next((w for w in reversed(windows) if self._value(w, metric, policy)[0] is not None), None)
        value, source = self._value(latest, metric, policy) if latest else (None, "")
        alerts = self.alerts.alert_page(name, kinds=OUTCOME_ALERTS, limit=SHOWN_ALERTS)
        active = any(self.store.active_alert_id(name, kind) is not None for kind in OUTCOME_ALERTS)
        return {
            "deployment": name,
            "policy": policy.to_dict(),
            "task": task,
            "metric": metric,
            "higher_is_better": HIGHER_IS_BETTER[metric],
            "baseline": baseline,
            "alert_level": level,
            "status": _status(metric, value, level, active),
            "latest": {"window": latest["idx"], "value": value, "source": source} if latest else None,
            "coverage": self.store.coverage(name),
            "open_window": self._open_window(name, windows, policy.window_size),
            "estimator": _estimator_state(monitor, policy, task),
            "detector": policy.detector_for(task),
            "reference_outputs": monitor["reference_outputs"],
            "unreadable": {"count": monitor["undecodable"], "last_reason": monitor["undecodable_reason"]},
            "duplicate_ids": monitor["duplicates"],
            "refused_labels": {"count": monitor["refused_labels"], "last_reason": monitor["refused_reason"]},
            "windows": [_public_window(w) for w in windows],
            "detections": [_public_detection(d) for d in self.store.detections(name)],
            "alerts": alerts["alerts"],
            "alerts_next_cursor": alerts["next_cursor"],
        }

    def rollout_performance(self, name: str, since_ts: float) -> dict:
        """The realized metric of each side of a rollout on the predictions labelled since it started: `{metric,
        higher, stable: {labelled, value}, candidate: {labelled, value}}` (the stable version answers as `default`,
        the candidate as `canary` or `shadow`)."""
        record = self.records.get(name)
        policy = self.policy(name)
        task = policy.task_for(self._outputs(record))
        metric = policy.metric_for(task)
        n_classes = self._outputs(record) if task == "classification" else None
        self.process(name)
        rows = self.store.labelled_since(name, since_ts)
        sides = {}
        for side, endpoints in (("stable", ("default",)), ("candidate", ("canary", "shadow"))):
            chosen = [r for r in rows if r["endpoint"] in endpoints]
            values = realized(task, chosen, n_classes)
            sides[side] = {"labelled": len(chosen), "value": values.get(metric) if values else None}
        return {"metric": metric, "higher": HIGHER_IS_BETTER[metric], **sides}

    def _open_window(self, name: str, windows: list[dict], size: int) -> dict:
        after = windows[-1]["last_prediction"] if windows else 0
        return {"predictions": len(self.store.served_predictions(name, after=after, limit=size)), "size": size}

    def baseline(self, record: dict, metric: str) -> float | None:
        """The model's validation value of `metric` from the run that trained it: the metric itself, else a
        validation or test variant of it (`val_accuracy`, `test_accuracy`)."""
        if not record["run_id"]:
            return None
        try:
            metrics = self.runs.run(record["run_id"]).get("metrics") or {}
        except UserError:
            return None
        if metric in metrics:
            return metrics[metric]
        variants = sorted(
            k
            for k in metrics
            if k.endswith(metric) and k.split(metric)[0].strip("_") in ("val", "test", "valid", "validation")
        )
        return metrics[variants[0]] if variants else None

    @staticmethod
    def _outputs(record: dict) -> int | None:
        """How many values the model gives per row, from its signature (None when it records none)."""
        signature = recorded_signature(record)
        if not signature or not signature.get("outputs"):
            return None
        shape = signature["outputs"][0].get("shape") or []
        return int(math.prod(max(int(n), 1) for n in shape[1:])) if len(shape) > 1 else 1


def _performance_alert(window: dict, metric: str, value: float, source: str, baseline, level: float) -> dict:
    words = "below" if HIGHER_IS_BETTER[metric] else "above"
    basis = f"validation {baseline:.3g}" if baseline is not None else "the policy's threshold"
    count = f"on {window['labelled']} labels" if source == "realized" else "before labels, from the model's confidence"
    return {
        "kind": "performance",
        "message": f"{metric} {value:.3g} in window {window['idx']} ({source} {count}) is {words} its alert "
        f"level {level:.3g} ({basis}).",
        "evidence": {
            "window": window["idx"],
            "metric": metric,
            "value": value,
            "source": source,
            "baseline": baseline,
            "alert_level": level,
            "labelled": window["labelled"],
            "predictions": window["n"],
        },
    }


def _concept_alert(method: str, task: str, detection: dict) -> dict:
    what = "error rate" if task == "classification" else "absolute error"
    before, after = detection["error_rate_before"], detection["error_rate_after"]
    change = f" ({before:.3g} before, {after:.3g} after)" if before is not None and after is not None else ""
    return {
        "kind": "concept_drift",
        "message": f"Concept drift: {TITLES[method]} found the {what} rose at the prediction of "
        f"{times.from_epoch(detection['predicted_at'])}{change}.",
        "evidence": {**detection, "predicted_at": times.from_epoch(detection["predicted_at"])},
    }


def _estimator_state(monitor: dict, policy: OutcomePolicy, task: str) -> dict:
    if not policy.estimate or task != "classification":
        return {"status": "off"}
    fitted = monitor["estimator"]
    if fitted is None:
        return {"status": "calibrating", "needs": policy.calibration_size}
    if fitted.get("error"):
        return {"status": "failed", "error": fitted["error"]}
    return {"status": "calibrated", "rows": fitted["rows"]}


def _public_window(window: dict) -> dict:
    return {
        "idx": window["idx"],
        "start": times.from_epoch(window["start_ts"]),
        "end": times.from_epoch(window["end_ts"]),
        "predictions": window["n"],
        "labelled": window["labelled"],
        "realized": window["realized"],
        "estimated": window["estimated"],
        "outputs": window["outputs"],
        "alert_id": window["alert_id"],
    }


def _public_detection(detection: dict) -> dict:
    return {
        "method": detection["method"],
        "kind": detection["kind"],
        "predicted_at": times.from_epoch(detection["predicted_at"]),
        "error_rate_before": detection["error_rate_before"],
        "error_rate_after": detection["error_rate_after"],
        "alert_id": detection["alert_id"],
    }


def _class_indexes(outcomes: list[dict]) -> np.ndarray:
    """The labels of a classifier's outcomes as class indexes (labels with fractions stay floats: refused)."""
    labels = np.array([o["label"] for o in outcomes])
    return labels.astype(int) if np.all(labels == np.round(labels)) else labels


def _status(metric: str, value: float | None, level: float | None, alert_active: bool) -> str:
    """`degraded` while the latest value is past the alert level or an outcome alert is still active (an older
    window's drop, a concept drift), `unknown` before any value, else `ok`."""
    if crossed(metric, value, level) or alert_active:
        return "degraded"
    return "unknown" if value is None else "ok"
