"""Drift monitoring of deployments: logged requests cut into windows, each window tested against the model's
reference, the results kept as history, alerts raised by the deployment's policy, retraining started from them.

`DriftMonitor` is the one place the REST handlers, the server's background loop and the CLI go through.
Several processes may check the same deployment: each check is committed only if the monitor did not move
meanwhile (see `DriftStore.commit`), so every window is checked once.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import NotFoundError, UserError
from ..serving.artifacts import recorded_input
from ..store import times
from ..store.deployments import DeploymentStore
from ..store.drift import DriftStore, MonitorMoved
from ..store.events import EventStore
from .detectors import DriftDetector
from .histograms import window_histograms
from .payloads import UndecodableRequest, request_rows
from .policy import WIDE, Policy
from .profile import ReferenceProfile
from .reference_data import NoReference, load_reference
from .results import OK
from .windows import count_windows, time_windows

#: Wide inputs are projected to this many dimensions for the MMD test.
PROJECTION_DIM = 32
#: Time windows close this long after their end (at most), so that slightly late events still count.
MAX_GRACE_S = 60.0
SHOWN_WINDOWS = 500


@dataclass
class _Fitted:
    """A deployment's reference, fitted once per model and policy."""

    key: tuple
    profile: ReferenceProfile
    summary: dict
    detector: DriftDetector
    source: str
    input_name: str | None
    features: list[str] | None


@dataclass
class _Rows:
    """Decoded request rows and, per row, its event id, position in the event and event time."""

    table: np.ndarray
    event_ids: np.ndarray
    positions: np.ndarray
    times: np.ndarray
    undecodable: list[tuple[int, str]]


class DriftMonitor:
    """Checks deployments' logged requests for drift. `runs` (a RunService) and `deployments` (the
    Deployments service) are needed to retrain and redeploy from alerts."""

    def __init__(self, store_path: Path, workspace: Path, *, runs=None, deployments=None):
        # the run store of the same file runs the integrity check when it opens it; no need to repeat it
        self.store = DriftStore(store_path, check=False)
        self.events = EventStore(store_path, check=False)
        self.records = DeploymentStore(store_path, check=False)
        self.workspace = Path(workspace)
        self.runs, self.deployments = runs, deployments
        self._fitted: dict[str, _Fitted] = {}
        # per deployment: (its monitor, model and newest request when count windows last found no full window,
        # that answer): while they stay, the pending rows (maybe most of one big request) are not decoded again
        self._waiting: dict[str, tuple[tuple, dict]] = {}
        self._cursor_rows: dict[str, tuple[tuple, np.ndarray]] = {}  # name -> ((event id, reference), its rows)
        self._lock = threading.RLock()

    # -- reference and policy ------------------------------------------------------------------

    def _reference(self, record: dict, policy: Policy) -> _Fitted:
        """The deployment's fitted reference (cached while its model, reference and test settings stay)."""
        key = (record["model_uri"], json.dumps(record["config"].get("reference")), policy.method, policy.alpha,
               policy.correction)
        fitted = self._fitted.get(record["name"])
        if fitted is not None and fitted.key == key:
            return fitted
        profile, source = load_reference(record, self.workspace / "deployments" / record["name"] / "model")
        wide = len(profile.numeric_names) > WIDE
        method = policy.method
        if method != "features" and not profile.numeric_names:
            method = "features"  # MMD needs numeric features
        detector = DriftDetector(profile, method=method, alpha=policy.alpha, correction=policy.correction,
                                 projection_dim=PROJECTION_DIM if wide else None)
        tensor = recorded_input(record)
        fitted = _Fitted(key, profile, profile.to_dict(), detector, source, tensor.get("name"),
                         tensor.get("features"))
        self._fitted[record["name"]] = fitted
        return fitted

    def _monitor(self, name: str) -> dict:
        """The deployment's monitor state (created with the default policy for its model's width)."""
        record = self.records.get(name)
        shape = (recorded_input(record).get("shape") or [-1])[1:]
        return self.store.monitor(name, Policy.default_for(math.prod(max(n, 1) for n in shape)).to_dict())

    def policy(self, name: str) -> Policy:
        return Policy(**self._monitor(name)["policy"])

    def set_policy(self, name: str, changes: dict) -> dict:
        """Change some policy settings (the rest stay); applies to windows checked from now on."""
        with self._lock:
            monitor = self._monitor(name)
            before = Policy(**monitor["policy"])
            policy = before.updated(changes)
            self.store.set_policy(name, policy.to_dict(), self._switch(monitor) if policy.window != before.window
                                  else None)
        return policy.to_dict()

    def _switch(self, monitor: dict) -> dict:
        """Where the other kind of window starts, so that each request is windowed once: time windows from the
        open count window's first request on, count windows at the first request of the open hour. (Time
        windows take requests from id `cursor_event` on.)"""
        if Policy(**monitor["policy"]).window == "count":
            return {"watermark": None, "last_event": monitor["cursor_event"] - 1}
        first = self.events.first_request_since(monitor["deployment"], monitor["watermark"] or 0.0,
                                                monitor["cursor_event"])
        return {"cursor_event": first if first is not None else monitor["last_event"] + 1, "cursor_row": 0}

    def reference_summary(self, name: str) -> dict:
        """`GET .../drift/reference`: where the reference comes from and its per-feature summary."""
        fitted = self._reference(self.records.get(name), self.policy(name))
        return {"deployment": name, "source": fitted.source, **fitted.summary}

    # -- checking ------------------------------------------------------------------------------

    def process(self, name: str) -> dict:
        """Check every window completed since the last call; `{added, pending_rows, pending_undecodable}`."""
        with self._lock:
            for _ in range(3):  # another process may move the monitor meanwhile: read it again
                monitor = self._monitor(name)
                policy = Policy(**monitor["policy"])
                fitted = self._reference(self.records.get(name), policy)
                try:
                    if policy.window == "count":
                        return self._process_count(monitor, policy, fitted)
                    return self._process_time(monitor, policy, fitted)
                except MonitorMoved:
                    continue
            return {"added": [], "pending_rows": 0, "pending_undecodable": 0}

    def _decode(self, events: list[dict], fitted: _Fitted, skip: tuple[int, int] = (0, 0), name: str = "",
                decoded: dict | None = None) -> _Rows:
        """The rows of `events` (the first `skip[1]` rows of event `skip[0]` left out); `decoded` gets each
        event's rows by id.

        With `name`, the rows of the event at the cursor (`skip[0]`, maybe one big request that is windowed
        over many checks) come from memory when `_keep_cursor_rows` kept them.
        """
        width = len(fitted.profile.feature_names)
        tables, ids, positions, stamps, bad = [], [], [], [], []
        for event in events:
            try:
                rows = self._cursor_event_rows(name, event, fitted) if name and event["id"] == skip[0] else \
                    request_rows(event["body"], fitted.input_name, fitted.features)
            except UndecodableRequest as err:
                bad.append((event["id"], str(err)))
                continue
            if rows.shape[1] != width:
                bad.append((event["id"], f"{rows.shape[1]} features per row, the model takes {width}"))
                continue
            if decoded is not None:
                decoded[event["id"]] = rows
            first = skip[1] if event["id"] == skip[0] else 0
            rows = rows[first:]
            tables.append(rows)
            ids.append(np.full(len(rows), event["id"]))
            positions.append(np.arange(first, first + len(rows)))
            stamps.append(np.full(len(rows), event["event_ts"]))
        if not tables:
            empty = np.empty(0)
            return _Rows(np.empty((0, width)), empty.astype(int), empty.astype(int), empty, bad)
        kinds = {t.dtype.kind for t in tables}
        table = np.concatenate([t.astype(object) for t in tables]) if "O" in kinds else np.concatenate(tables)
        return _Rows(table, np.concatenate(ids), np.concatenate(positions), np.concatenate(stamps), bad)

    def _cursor_event_rows(self, name: str, event: dict, fitted: _Fitted) -> np.ndarray:
        """The decoded rows of the event at `name`'s cursor, from memory when kept."""
        kept = self._cursor_rows.get(name)
        if kept is not None and kept[0] == (event["id"], fitted.key):
            return kept[1]
        return request_rows(event["body"], fitted.input_name, fitted.features)

    def _keep_cursor_rows(self, name: str, cursor_event: int, fitted: _Fitted, decoded: dict) -> None:
        """Keep the rows of the event the cursor now points into (only that one: it is not used up yet)."""
        if cursor_event in decoded:
            self._cursor_rows[name] = ((cursor_event, fitted.key), decoded[cursor_event])
        else:
            self._cursor_rows.pop(name, None)

    def _check_rows(self, fitted: _Fitted, table: np.ndarray, stamps: np.ndarray, bounds: dict,
                    trigger: str = "auto") -> dict:
        """Test one window's rows; the window record to store."""
        numeric, categorical = fitted.profile.split(table)
        result = fitted.detector.detect_split(numeric, categorical, bounds)
        return {
            "trigger": trigger, "kind": bounds["kind"], "start": bounds["start"], "end": bounds["end"],
            "first_at": times.from_epoch(float(stamps.min())) if len(stamps) else None,
            "last_at": times.from_epoch(float(stamps.max())) if len(stamps) else None,
            "n": result.n, "status": result.status, "drift": result.drift, "p_value": result.p_value,
            "result": result.to_dict(),
            # per-feature distributions say little about wide inputs such as images, and would bloat the history
            "histograms": (window_histograms(fitted.profile, fitted.summary, numeric, categorical)
                           if len(fitted.profile.feature_names) <= WIDE else {}),
        }

    def _process_count(self, monitor: dict, policy: Policy, fitted: _Fitted) -> dict:
        name, size = monitor["deployment"], policy.window_size
        chunk = max(5000, size + 1000)
        added = []
        while True:
            state = (monitor["cursor_event"], monitor["cursor_row"], monitor["rows_seen"], size, fitted.key,
                     self.events.newest_request(name))  # read before the events, so none is missed
            waiting = self._waiting.get(name)
            if waiting is not None and waiting[0] == state:
                return {**waiting[1], "added": added}
            events = self.events.events(name, "request", after=monitor["cursor_event"] - 1, limit=chunk)
            decoded = {}
            rows = self._decode(events, fitted, (monitor["cursor_event"], monitor["cursor_row"]), name, decoded)
            cut = count_windows(len(rows.table), size)
            if not cut:
                if len(events) == chunk:  # a window needs more events than one read holds
                    chunk *= 2
                    continue
                result = {"added": added, "pending_rows": len(rows.table), "pending_undecodable": len(rows.undecodable)}
                self._waiting[name] = (state, result)
                return result
            end = cut[-1].end
            if end < len(rows.table):
                cursor = (int(rows.event_ids[end]), int(rows.positions[end]))
            else:
                cursor = (events[-1]["id"] + 1, 0)
            self._keep_cursor_rows(name, cursor[0], fitted, decoded)
            seen = monitor["rows_seen"]
            windows = [self._check_rows(fitted, rows.table[w.indices], rows.times[w.indices],
                                        {"kind": "count", "start": seen + w.start, "end": seen + w.end}) for w in cut]
            passed = [reason for event_id, reason in rows.undecodable if event_id < cursor[0]]
            changes = {"cursor_event": cursor[0], "cursor_row": cursor[1], "rows_seen": monitor["rows_seen"] + end,
                       "last_event": max(monitor["last_event"], cursor[0] - 1)}
            if passed:
                changes.update(undecodable=monitor["undecodable"] + len(passed), undecodable_reason=passed[-1])
            added += self._commit(monitor, policy, changes, windows)
            monitor = self._monitor(name)

    def _process_time(self, monitor: dict, policy: Policy, fitted: _Fitted) -> dict:
        name, width = monitor["deployment"], float(policy.window_seconds)
        closed_until = math.floor((time.time() - min(MAX_GRACE_S, width / 10)) / width) * width
        new = self.events.request_times(name, after=monitor["last_event"])
        watermark = monitor["watermark"]
        if watermark is None:
            watermark = min((math.floor(ts / width) * width for _, ts in new), default=closed_until)
        late = sorted({math.floor(ts / width) * width for _, ts in new if ts < watermark})
        floor = monitor["cursor_event"]
        fresh = self._decode(self.events.requests_between(name, watermark, closed_until, floor)
                             if closed_until > watermark else [], fitted)
        undecodable = list(fresh.undecodable)
        windows = [self._check_rows(fitted, fresh.table[w.indices], fresh.times[w.indices], w.bounds())
                   for w in time_windows(fresh.times, width)]
        streak_flags = [True] * len(windows)
        for start in late:  # an hour checked before got late requests: check it again, whole
            rows = self._decode(self.events.requests_between(name, start, start + width, floor), fitted)
            undecodable += rows.undecodable
            windows.append(self._check_rows(fitted, rows.table, rows.times,
                                            {"kind": "time", "start": start, "end": start + width}))
            streak_flags.append(False)
        changes = {"watermark": max(watermark, closed_until),
                   "last_event": max([monitor["last_event"], *(event_id for event_id, _ in new)])}
        if undecodable:
            changes.update(undecodable=monitor["undecodable"] + len(undecodable), undecodable_reason=undecodable[-1][1])
        added = self._commit(monitor, policy, changes, windows, streak_flags)
        return {"added": added, "pending_rows": self.events.rows_between(name, changes["watermark"], math.inf, floor),
                "pending_undecodable": 0}

    def _commit(self, monitor: dict, policy: Policy, changes: dict, windows: list[dict],
                in_streak: list[bool] | None = None) -> list[int]:
        """Store windows with the alert policy applied: `consecutive` drifted windows raise an alert, later
        drifted windows join the active one. `in_streak[i]` False leaves window i out (a re-checked hour)."""
        name = monitor["deployment"]
        active = self.store.active_alert(name)
        streak = self._streak(name, monitor["consecutive"])
        consecutive, alert, attach = monitor["consecutive"], None, {}
        for index, window in enumerate(windows):
            if window["status"] != OK or (in_streak is not None and not in_streak[index]):
                continue
            consecutive = consecutive + 1 if window["drift"] else 0
            streak = [*streak, ("new", index)] if window["drift"] else []
            if consecutive < policy.consecutive:
                continue
            if active is not None or alert is not None:
                attach[index] = active["id"] if active is not None else None
            else:
                alert = _alert_for(streak[-policy.consecutive:], windows, self.store)
        changes["consecutive"] = consecutive
        ids = self.store.commit(monitor, changes, windows, alert, attach)
        if alert is not None and policy.auto_retrain and self.runs is not None:
            raised = self.store.alerts(name, "open")[0]
            try:
                self.retrain(raised["id"], redeploy=policy.redeploy)
            except UserError as err:
                self.store.update_alert(raised["id"], error=f"automatic retraining did not start: {err.message}")
        return ids

    def _streak(self, name: str, consecutive: int) -> list[tuple[str, int]]:
        """The stored drifted windows that end the current streak (as ("old", id)), oldest first."""
        if consecutive == 0:
            return []
        recent = self.store.windows(name, limit=consecutive, trigger="auto")
        return [("old", w["id"]) for w in recent if w["drift"]]

    def check(self, name: str) -> dict:
        """`POST .../drift/check`: test the most recent rows now (count policy: the last `window_size` rows;
        time policy: the current, still open window). Stored as a `check` window; no alert comes of it."""
        with self._lock:
            pending = self.process(name)["pending_rows"]
            policy = self.policy(name)
            fitted = self._reference(self.records.get(name), policy)
            if policy.window == "count":
                rows = self._decode(self.events.latest_requests(name, policy.window_size), fitted)
                table, stamps = rows.table[-policy.window_size:], rows.times[-policy.window_size:]
                end = self._monitor(name)["rows_seen"] + pending
                bounds = {"kind": "count", "start": end - len(table), "end": end}
            else:
                width = float(policy.window_seconds)
                start = math.floor(time.time() / width) * width
                floor = self._monitor(name)["cursor_event"]
                rows = self._decode(self.events.requests_between(name, start, math.inf, floor), fitted)
                table, stamps = rows.table, rows.times
                bounds = {"kind": "time", "start": start, "end": start + width}
            if not len(table):
                raise UserError(f"{name} has no decodable requests to check yet.",
                                "Send it some prediction requests first.", status=409, code="no_requests")
            return public_window(self.store.add_check(name, self._check_rows(fitted, table, stamps, bounds, "check")))

    # -- reading -------------------------------------------------------------------------------

    def report(self, name: str, since: str | None = None, until: str | None = None,
               feature: str | None = None) -> dict:
        """`GET .../drift`: policy, reference, pending rows, counts, window series, alerts, one feature's
        distributions. A deployment without usable reference data reports why instead of windows."""
        record = self.records.get(name)
        policy = self.policy(name)
        try:
            progress = self.process(name)
            fitted = self._reference(record, policy)
            reference = {"available": True, "source": fitted.source, "n_rows": fitted.profile.n_rows,
                         "features": [{"name": n, "kind": k} for n, k in zip(fitted.profile.feature_names,
                                                                              fitted.profile.kinds)]}
        except NoReference as err:
            progress, fitted = {"pending_rows": 0, "pending_undecodable": 0}, None
            reference = {"available": False, **err.to_json()}
        monitor = self._monitor(name)
        stored = self.store.windows(name, since, until, limit=SHOWN_WINDOWS)
        if feature is not None and fitted is not None and feature not in fitted.profile.feature_names:
            raise UserError(f"{name} has no feature {feature!r}.",
                            f"Its features: {', '.join(fitted.profile.feature_names[:20])}.", status=404,
                            code="not_found")
        windows = [public_window(w, feature) for w in stored]
        return {
            "deployment": name,
            "policy": monitor["policy"],
            "reference": reference,
            "pending": {"rows": progress["pending_rows"]},
            "counts": {**self.events.counts(name), **self.store.counts(name),
                       "undecodable": monitor["undecodable"] + progress["pending_undecodable"],
                       "undecodable_reason": monitor["undecodable_reason"]},
            "windows": windows,
            "latest": windows[-1] if windows else None,
            "alerts": self.store.alerts(name),
            "feature": _feature_view(fitted, feature, stored) if fitted is not None and feature else None,
        }

    def alerts(self, deployment: str | None = None, status: str | None = None) -> list[dict]:
        return self.store.alerts(deployment, status)

    # -- alerts --------------------------------------------------------------------------------

    def retrain(self, alert_id: int, parameters: dict | None = None, redeploy: bool = True) -> dict:
        """Start a new run of the notebook that trained the alerting deployment's model (its parameters,
        updated with `parameters`); when it succeeds the deployment is redeployed with it if `redeploy`."""
        if self.runs is None:
            raise UserError("Retraining needs the run service.", "Retrain from JupyterLab or the CLI.")
        if parameters is not None and not isinstance(parameters, dict):
            raise UserError("'parameters' must be an object of NAME: value.", 'Send e.g. {"epochs": 5}.')
        alert = self.store.update_alert(alert_id, expect=("open",), status="retraining", error=None,
                                        redeploy=bool(redeploy))
        try:
            record = self.records.get(alert["deployment"])
            if not record["run_id"]:
                raise UserError(f"The run that trained {record['name']} is no longer recorded.",
                                "Run its notebook again and deploy the new model.")
            run = self.runs.store.run(record["run_id"])
            notebook = Path(run["notebook_path"])
            notebook = notebook if notebook.is_absolute() else self.runs.root / notebook
            if not notebook.is_file():
                raise UserError(f"The notebook {run['notebook_path']} that trained {record['name']} is gone.",
                                "Restore it, or run the notebook that replaced it and redeploy.")
            values = {**run["parameters"], **(parameters or {})}
            new = self.runs.start(notebook, target=run["target"], parameters=values, experiment=run["experiment"])
        except UserError as err:
            self.store.update_alert(alert_id, status="open", error=err.message)
            raise
        return self.store.update_alert(alert_id, status="retraining", retrain_run_id=new["id"],
                                       retrain_parameters=values)

    def dismiss(self, alert_id: int) -> dict:
        """Close an open alert without retraining; the next alert needs a new streak of drifted windows."""
        alert = self.store.update_alert(alert_id, expect=("open",), status="dismissed")
        self.store.reset_streak(alert["deployment"])
        return alert

    def follow_retraining(self) -> None:
        """Resolve alerts whose retraining run finished: redeploy on success, reopen with the reason otherwise."""
        for alert in self.store.alerts(status="retraining"):
            if alert["retrain_run_id"] is None:  # its run is being started
                continue
            try:
                run = self.runs.run(alert["retrain_run_id"])
            except NotFoundError:
                self.store.update_alert(alert["id"], status="open",
                                        error=f"The retraining run {alert['retrain_run_id']} was deleted.")
                continue
            if run["status"] in ("pending", "running"):
                continue
            if run["status"] != "succeeded":
                self.store.update_alert(alert["id"], status="open",
                                        error=f"The retraining run {run['id']} {run['status']}.")
                continue
            try:
                if alert["redeploy"]:
                    self.deployments.redeploy(alert["deployment"], run["id"])
                self.store.update_alert(alert["id"], status="resolved",
                                        redeployed_at=times.now() if alert["redeploy"] else None)
                self.store.reset_streak(alert["deployment"])
            except UserError as err:
                self.store.update_alert(alert["id"], status="open", error=f"Redeploying failed: {err.message}")

    def tick(self) -> None:
        """One round of the server's background loop: check every deployment, follow retraining runs."""
        for record in self.records.list():
            try:
                self.process(record["name"])
            except UserError:  # no reference, removed meanwhile, ...: the report says why
                continue
        if self.runs is not None and self.deployments is not None:
            self.follow_retraining()


def public_window(window: dict, feature: str | None = None) -> dict:
    """A stored window as the API shows it: the result's evidence at the top level, no histograms."""
    result = window["result"]
    features = result.get("features", [])
    if feature is not None:
        features = [f for f in features if f["name"] == feature]
    return {
        **{k: window[k] for k in ("id", "trigger", "kind", "start", "end", "first_at", "last_at", "checked_at",
                                  "n", "status", "drift", "p_value", "alert_id")},
        "score": result.get("score"),
        "features": features,
        "multivariate": result.get("multivariate"),
        "settings": result.get("settings", {}),
    }


def _feature_view(fitted: _Fitted, feature: str, windows: list[dict]) -> dict:
    """One feature's reference distribution next to the newest window's."""
    summary = next(f for f in fitted.summary["features"] if f["name"] == feature)
    if summary["kind"] == "numeric":
        reference = {"edges": summary.get("histogram", {}).get("edges", []),
                     "counts": summary.get("histogram", {}).get("counts", [])}
    else:
        reference = {"categories": summary["categories"], "other": summary["other"]}
    latest = next((w for w in reversed(windows) if feature in w["histograms"]), None)
    current = None
    if latest is not None:
        current = {**latest["histograms"][feature], "window_id": latest["id"]}
        if "counts" in current:
            current["edges"] = reference["edges"]
    return {"name": feature, "kind": summary["kind"], "reference": reference, "current": current}


def _alert_for(streak: list[tuple[str, int]], windows: list[dict], store: DriftStore) -> dict:
    """The alert a streak of drifted windows raises: its message and evidence."""
    results = [windows[ref]["result"] if kind == "new" else store.window(ref)["result"] for kind, ref in streak]
    drifted: dict[str, dict] = {}
    for result in results:
        for f in result.get("features", []):
            if f["drift"]:
                best = drifted.setdefault(f["name"], {"name": f["name"], "effect_size": f["effect_size"],
                                                      "adjusted_p_value": f["adjusted_p_value"]})
                best["effect_size"] = max(best["effect_size"] or 0, f["effect_size"] or 0)
                best["adjusted_p_value"] = min(best["adjusted_p_value"], f["adjusted_p_value"])
    features = sorted(drifted.values(), key=lambda f: -(f["effect_size"] or 0))[:10]
    shown = ", ".join(f["name"] for f in features[:5]) or "the multivariate MMD test"
    more = f" and {len(drifted) - 5} more" if len(drifted) > 5 else ""
    return {
        "message": f"Drift in {len(streak)} consecutive windows ({shown}{more}).",
        "evidence": {"p_values": [r.get("p_value") for r in results], "features": features},
        "earlier_ids": [ref for kind, ref in streak if kind == "old"],
        "new_indexes": [ref for kind, ref in streak if kind == "new"],
    }
