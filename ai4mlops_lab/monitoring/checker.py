"""Checking windows: a deployment's logged requests cut into windows, each tested against the model's reference,
stored with the alert policy applied.

Several processes may check the same deployment: each check is committed only if the monitor did not move
meanwhile (see `DriftStore.commit`), so every window is checked once.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
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
from .reference_data import load_reference
from .report import public_window
from .results import OK
from .windows import count_windows, time_windows

#: Wide inputs are projected to this many dimensions for the MMD test.
PROJECTION_DIM = 32
#: Time windows close this long after their end (at most), so that slightly late events still count.
MAX_GRACE_S = 60.0


@dataclass
class Fitted:
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


class WindowChecker:
    """Checks deployments' logged requests for drift, window by window. `on_alert(alert_id, policy)` is called
    for each alert a check raises (e.g. to retrain automatically)."""

    def __init__(
        self,
        store: DriftStore,
        events: EventStore,
        records: DeploymentStore,
        workspace: Path,
        *,
        on_alert: Callable[[int, Policy], None] | None = None,
    ):
        self.store, self.events, self.records = store, events, records
        self.workspace = Path(workspace)
        self.on_alert = on_alert
        self._fitted: dict[str, Fitted] = {}
        # per deployment: (its monitor, model and newest request when count windows last found no full window,
        # that answer): while they stay, the pending rows (maybe most of one big request) are not decoded again
        self._waiting: dict[str, tuple[tuple, dict]] = {}
        self._cursor_rows: dict[str, tuple[tuple, np.ndarray]] = {}  # name -> ((event id, reference), its rows)
        self._lock = threading.RLock()

    # -- reference and policy ------------------------------------------------------------------

    def reference(self, record: dict, policy: Policy) -> Fitted:
        """The deployment's fitted reference (cached while its model, reference and test settings stay)."""
        key = (
            record["model_uri"],
            json.dumps(record["config"].get("reference")),
            policy.method,
            policy.alpha,
            policy.correction,
        )
        fitted = self._fitted.get(record["name"])
        if fitted is not None and fitted.key == key:
            return fitted
        profile, source = load_reference(record, self.workspace / "deployments" / record["name"] / "model")
        wide = len(profile.numeric_names) > WIDE
        method = policy.method
        if method != "features" and not profile.numeric_names:
            method = "features"  # MMD needs numeric features
        detector = DriftDetector(
            profile,
            method=method,
            alpha=policy.alpha,
            correction=policy.correction,
            projection_dim=PROJECTION_DIM if wide else None,
        )
        tensor = recorded_input(record)
        fitted = Fitted(key, profile, profile.to_dict(), detector, source, tensor.get("name"), tensor.get("features"))
        self._fitted[record["name"]] = fitted
        return fitted

    def monitor(self, name: str) -> dict:
        """The deployment's monitor state (created with the default policy for its model's width)."""
        record = self.records.get(name)
        shape = (recorded_input(record).get("shape") or [-1])[1:]
        return self.store.monitor(name, Policy.default_for(math.prod(max(n, 1) for n in shape)).to_dict())

    def policy(self, name: str) -> Policy:
        return Policy(**self.monitor(name)["policy"])

    def set_policy(self, name: str, changes: dict) -> dict:
        """Change some policy settings (the rest stay); applies to windows checked from now on."""
        with self._lock:
            monitor = self.monitor(name)
            before = Policy(**monitor["policy"])
            policy = before.updated(changes)
            self.store.set_policy(
                name, policy.to_dict(), self._switch(monitor) if policy.window != before.window else None
            )
        return policy.to_dict()

    def _switch(self, monitor: dict) -> dict:
        """Where the other kind of window starts, so that each request is windowed once: time windows from the
        open count window's first request on, count windows at the first request of the open hour. (Time
        windows take requests from id `cursor_event` on.)"""
        if Policy(**monitor["policy"]).window == "count":
            return {"watermark": None, "last_event": monitor["cursor_event"] - 1}
        first = self.events.first_request_since(
            monitor["deployment"], monitor["watermark"] or 0.0, monitor["cursor_event"]
        )
        return {"cursor_event": first if first is not None else monitor["last_event"] + 1, "cursor_row": 0}

    def reference_summary(self, name: str) -> dict:
        """`GET .../drift/reference`: where the reference comes from and its per-feature summary."""
        fitted = self.reference(self.records.get(name), self.policy(name))
        return {"deployment": name, "source": fitted.source, **fitted.summary}

    # -- checking ------------------------------------------------------------------------------

    def process(self, name: str) -> dict:
        """Check every window completed since the last call; `{added, pending_rows, pending_undecodable}`."""
        with self._lock:
            for _ in range(3):  # another process may move the monitor meanwhile: read it again
                monitor = self.monitor(name)
                policy = Policy(**monitor["policy"])
                fitted = self.reference(self.records.get(name), policy)
                try:
                    if policy.window == "count":
                        return self._process_count(monitor, policy, fitted)
                    return self._process_time(monitor, policy, fitted)
                except MonitorMoved:
                    continue
            return {"added": [], "pending_rows": 0, "pending_undecodable": 0}

    def pending(self, name: str) -> dict:
        """`{pending_rows, pending_undecodable}`: the requests not windowed yet, counted without checking or
        storing anything (the answer of the last `process` while nothing changed)."""
        with self._lock:
            monitor = self.monitor(name)
            policy = Policy(**monitor["policy"])
            fitted = self.reference(self.records.get(name), policy)
            if policy.window != "count":
                since = monitor["watermark"] if monitor["watermark"] is not None else 0.0
                return {
                    "pending_rows": self.events.rows_between(name, since, math.inf, monitor["cursor_event"]),
                    "pending_undecodable": 0,
                }
            waiting = self._waiting.get(name)
            if waiting is not None and waiting[0] == self._count_state(monitor, policy, fitted):
                return {key: waiting[1][key] for key in ("pending_rows", "pending_undecodable")}
            events = self.events.events(
                name, "request", after=monitor["cursor_event"] - 1, limit=max(5000, policy.window_size + 1000)
            )
            rows = self._decode(events, fitted, (monitor["cursor_event"], monitor["cursor_row"]), name)
            return {"pending_rows": len(rows.table), "pending_undecodable": len(rows.undecodable)}

    def _count_state(self, monitor: dict, policy: Policy, fitted: Fitted) -> tuple:
        """What a count-window answer depends on: the monitor's cursor, the policy, the reference, the newest
        request."""
        return (
            monitor["cursor_event"],
            monitor["cursor_row"],
            monitor["rows_seen"],
            policy.window_size,
            fitted.key,
            self.events.newest_request(monitor["deployment"]),
        )

    def _decode(
        self,
        events: list[dict],
        fitted: Fitted,
        skip: tuple[int, int] = (0, 0),
        name: str = "",
        decoded: dict | None = None,
    ) -> _Rows:
        """The rows of `events` (the first `skip[1]` rows of event `skip[0]` left out); `decoded` gets each
        event's rows by id.

        With `name`, the rows of the event at the cursor (`skip[0]`, maybe one big request that is windowed
        over many checks) come from memory when `_keep_cursor_rows` kept them.
        """
        width = len(fitted.profile.feature_names)
        tables, ids, positions, stamps, bad = [], [], [], [], []
        for event in events:
            try:
                rows = (
                    self._cursor_event_rows(name, event, fitted)
                    if name and event["id"] == skip[0]
                    else request_rows(event["body"], fitted.input_name, fitted.features)
                )
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

    def _cursor_event_rows(self, name: str, event: dict, fitted: Fitted) -> np.ndarray:
        """The decoded rows of the event at `name`'s cursor, from memory when kept."""
        kept = self._cursor_rows.get(name)
        if kept is not None and kept[0] == (event["id"], fitted.key):
            return kept[1]
        return request_rows(event["body"], fitted.input_name, fitted.features)

    def _keep_cursor_rows(self, name: str, cursor_event: int, fitted: Fitted, decoded: dict) -> None:
        """Keep the rows of the event the cursor now points into (only that one: it is not used up yet)."""
        if cursor_event in decoded:
            self._cursor_rows[name] = ((cursor_event, fitted.key), decoded[cursor_event])
        else:
            self._cursor_rows.pop(name, None)

    def _check_rows(
        self, fitted: Fitted, table: np.ndarray, stamps: np.ndarray, bounds: dict, trigger: str = "auto"
    ) -> dict:
        """Test one window's rows; the window record to store."""
        numeric, categorical = fitted.profile.split(table)
        result = fitted.detector.detect_split(numeric, categorical, bounds)
        return {
            "trigger": trigger,
            "kind": bounds["kind"],
            "start": bounds["start"],
            "end": bounds["end"],
            "first_at": times.from_epoch(float(stamps.min())) if len(stamps) else None,
            "last_at": times.from_epoch(float(stamps.max())) if len(stamps) else None,
            "n": result.n,
            "status": result.status,
            "drift": result.drift,
            "p_value": result.p_value,
            "result": result.to_dict(),
            # per-feature distributions say little about wide inputs such as images, and would bloat the history
            "histograms": (
                window_histograms(fitted.profile, fitted.summary, numeric, categorical)
                if len(fitted.profile.feature_names) <= WIDE
                else {}
            ),
        }

    def _process_count(self, monitor: dict, policy: Policy, fitted: Fitted) -> dict:
        name, size = monitor["deployment"], policy.window_size
        chunk = max(5000, size + 1000)
        added = []
        while True:
            state = self._count_state(monitor, policy, fitted)  # read before the events, so none is missed
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
            windows = [
                self._check_rows(
                    fitted,
                    rows.table[w.indices],
                    rows.times[w.indices],
                    {"kind": "count", "start": seen + w.start, "end": seen + w.end},
                )
                for w in cut
            ]
            passed = [reason for event_id, reason in rows.undecodable if event_id < cursor[0]]
            changes = {
                "cursor_event": cursor[0],
                "cursor_row": cursor[1],
                "rows_seen": monitor["rows_seen"] + end,
                "last_event": max(monitor["last_event"], cursor[0] - 1),
            }
            if passed:
                changes.update(undecodable=monitor["undecodable"] + len(passed), undecodable_reason=passed[-1])
            added += self._commit(monitor, policy, changes, windows)
            monitor = self.monitor(name)

    def _process_time(self, monitor: dict, policy: Policy, fitted: Fitted) -> dict:
        name, width = monitor["deployment"], float(policy.window_seconds)
        closed_until = math.floor((time.time() - min(MAX_GRACE_S, width / 10)) / width) * width
        new = self.events.request_times(name, after=monitor["last_event"])
        watermark = monitor["watermark"]
        if watermark is None:
            watermark = min((math.floor(ts / width) * width for _, ts in new), default=closed_until)
        late = sorted({math.floor(ts / width) * width for _, ts in new if ts < watermark})
        floor = monitor["cursor_event"]
        fresh = self._decode(
            self.events.requests_between(name, watermark, closed_until, floor) if closed_until > watermark else [],
            fitted,
        )
        undecodable = list(fresh.undecodable)
        windows = [
            self._check_rows(fitted, fresh.table[w.indices], fresh.times[w.indices], w.bounds())
            for w in time_windows(fresh.times, width)
        ]
        streak_flags = [True] * len(windows)
        for start in late:  # an hour checked before got late requests: check it again, whole
            rows = self._decode(self.events.requests_between(name, start, start + width, floor), fitted)
            undecodable += rows.undecodable
            windows.append(
                self._check_rows(fitted, rows.table, rows.times, {"kind": "time", "start": start, "end": start + width})
            )
            streak_flags.append(False)
        changes = {
            "watermark": max(watermark, closed_until),
            "last_event": max([monitor["last_event"], *(event_id for event_id, _ in new)]),
        }
        if undecodable:
            changes.update(undecodable=monitor["undecodable"] + len(undecodable), undecodable_reason=undecodable[-1][1])
        added = self._commit(monitor, policy, changes, windows, streak_flags)
        return {
            "added": added,
            "pending_rows": self.events.rows_between(name, changes["watermark"], math.inf, floor),
            "pending_undecodable": 0,
        }

    def _commit(
        self, monitor: dict, policy: Policy, changes: dict, windows: list[dict], in_streak: list[bool] | None = None
    ) -> list[int]:
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
                alert = _alert_for(streak[-policy.consecutive :], windows, self.store)
        changes["consecutive"] = consecutive
        ids = self.store.commit(monitor, changes, windows, alert, attach)
        if alert is not None and self.on_alert is not None:
            self.on_alert(self.store.active_alert(name)["id"], policy)
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
            fitted = self.reference(self.records.get(name), policy)
            if policy.window == "count":
                rows = self._decode(self.events.latest_requests(name, policy.window_size), fitted)
                table, stamps = rows.table[-policy.window_size :], rows.times[-policy.window_size :]
                end = self.monitor(name)["rows_seen"] + pending
                bounds = {"kind": "count", "start": end - len(table), "end": end}
            else:
                width = float(policy.window_seconds)
                start = math.floor(time.time() / width) * width
                floor = self.monitor(name)["cursor_event"]
                rows = self._decode(self.events.requests_between(name, start, math.inf, floor), fitted)
                table, stamps = rows.table, rows.times
                bounds = {"kind": "time", "start": start, "end": start + width}
            if not len(table):
                raise UserError(
                    f"{name} has no decodable requests to check yet.",
                    "Send it some prediction requests first.",
                    status=409,
                    code="no_requests",
                )
            return public_window(self.store.add_check(name, self._check_rows(fitted, table, stamps, bounds, "check")))


def _alert_for(streak: list[tuple[str, int]], windows: list[dict], store: DriftStore) -> dict:
    """The alert a streak of drifted windows raises: its message and evidence."""
    results = [windows[ref]["result"] if kind == "new" else store.window(ref)["result"] for kind, ref in streak]
    drifted: dict[str, dict] = {}
    for result in results:
        for f in result.get("features", []):
            if f["drift"]:
                best = drifted.setdefault(
                    f["name"],
                    {"name": f["name"], "effect_size": f["effect_size"], "adjusted_p_value": f["adjusted_p_value"]},
                )
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
