"""Drift monitoring in the store: each deployment's monitor state, its checked windows and its alerts.

A monitor: `{deployment, policy, cursor_event, cursor_row, rows_seen, last_event, watermark, consecutive,
undecodable, undecodable_reason, updated_at}`. Count windows start at (`cursor_event`, `cursor_row`): the
first request event of the open window and the rows of it already used; time windows are closed up to
`watermark` (epoch seconds) and `last_event` is the newest event looked at.

A window: `{id, deployment, trigger, kind, start, end, first_at, last_at, n, status, drift, p_value, result,
histograms, alert_id, checked_at}` (`result` is a `DriftResult.to_dict()`).

An alert: `{id, deployment, status, message, window_ids, evidence, retrain_run_id, retrain_parameters,
redeploy, redeployed_at, error, raised_at, updated_at}`.
"""

from __future__ import annotations

import json
import sqlite3

from ..errors import NotFoundError, UserError
from ..records import AlertRecord
from ..states import AlertStatus
from . import pages, times
from .db import StoreFile, transaction

ALERT_STATUSES = tuple(AlertStatus)
#: The kinds of alert: raised by drifted request windows, and by outcomes (see `store/outcomes.py`).
DATA_DRIFT = ("data_drift",)
OUTCOME_ALERTS = ("performance", "concept_drift")
ALERT_KINDS = DATA_DRIFT + OUTCOME_ALERTS
#: The filters of an alerts list, by argument.
_ALERT_FILTERS = {"deployment": "deployment = :deployment", "status": "status = :status", "before": "id < :before"}
_ALERT_UPDATABLE = ("status", "retrain_run_id", "retrain_parameters", "redeploy", "redeployed_at", "error")
_MONITOR_UPDATABLE = (
    "cursor_event",
    "cursor_row",
    "rows_seen",
    "last_event",
    "watermark",
    "consecutive",
    "undecodable",
    "undecodable_reason",
)


class MonitorMoved(Exception):
    """The monitor's position changed since it was read (another process checked the same windows)."""


class DriftStore(StoreFile):
    """Monitor state, window results and alerts in the SQLite store at `path`."""

    # -- monitors ----------------------------------------------------------------------------

    def monitor(self, deployment: str, default_policy: dict) -> dict:
        """The deployment's monitor, created with `default_policy` the first time."""
        conn = self._conn()
        row = conn.execute("SELECT * FROM drift_monitors WHERE deployment = ?", (deployment,)).fetchone()
        if row is None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO drift_monitors (deployment, policy, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (deployment) DO NOTHING",
                    (deployment, json.dumps(default_policy), times.now()),
                )
            row = conn.execute("SELECT * FROM drift_monitors WHERE deployment = ?", (deployment,)).fetchone()
        return _monitor(row)

    def set_policy(self, deployment: str, policy: dict, position: dict | None = None) -> None:
        """Store a new policy, and with `position` (some of the monitor's cursor columns) move the monitor."""
        position = position or {}
        unknown = set(position) - set(_MONITOR_UPDATABLE)
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)} of a monitor")
        assignments = "".join(f", {column} = :{column}" for column in position)
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                f"UPDATE drift_monitors SET policy = :policy, updated_at = :now{assignments} "
                "WHERE deployment = :deployment",
                {**position, "policy": json.dumps(policy), "now": times.now(), "deployment": deployment},
            )

    def reset_streak(self, deployment: str) -> None:
        """Forget the run of drifted windows (after an alert is dealt with)."""
        conn = self._conn()
        with transaction(conn):
            conn.execute("UPDATE drift_monitors SET consecutive = 0 WHERE deployment = ?", (deployment,))

    # -- windows -----------------------------------------------------------------------------

    def commit(
        self,
        monitor: dict,
        changes: dict,
        windows: list[dict],
        alert: dict | None = None,
        attach: dict[int, int | None] | None = None,
    ) -> list[int]:
        """Store checked windows and move the monitor, all or nothing; returns the new window ids.

        `monitor` is the state the windows were computed from: if the stored one differs, nothing is written
        and MonitorMoved is raised. `alert` (`{message, evidence, earlier_ids, new_indexes}`: the stored windows
        of its streak and positions in `windows`) is raised with them; `attach` maps positions in `windows` to
        an existing alert id (None: the new alert).
        """
        conn = self._conn()
        with transaction(conn):
            moved = (
                conn.execute(
                    """UPDATE drift_monitors SET updated_at = ? WHERE deployment = ? AND cursor_event = ?
                   AND cursor_row = ? AND last_event = ? AND consecutive = ?""",
                    (
                        times.now(),
                        monitor["deployment"],
                        monitor["cursor_event"],
                        monitor["cursor_row"],
                        monitor["last_event"],
                        monitor["consecutive"],
                    ),
                ).rowcount
                == 0
            )
            if moved:
                raise MonitorMoved(monitor["deployment"])
            unknown = set(changes) - set(_MONITOR_UPDATABLE)
            if unknown:
                raise ValueError(f"cannot update {sorted(unknown)} of a monitor")
            if changes:
                assignments = ", ".join(f"{column} = :{column}" for column in changes)
                conn.execute(
                    f"UPDATE drift_monitors SET {assignments} WHERE deployment = :deployment",
                    {**changes, "deployment": monitor["deployment"]},
                )
            ids = [self._insert_window(conn, monitor["deployment"], w) for w in windows]
            alert_id = None
            if alert is not None:
                window_ids = alert["earlier_ids"] + [ids[i] for i in alert["new_indexes"]]
                now = times.now()
                alert_id = conn.execute(
                    """INSERT INTO alerts (deployment, status, message, window_ids, evidence, raised_at, updated_at)
                       VALUES (?, 'open', ?, ?, ?, ?, ?)""",
                    (
                        monitor["deployment"],
                        alert["message"],
                        json.dumps(window_ids),
                        json.dumps(alert["evidence"]),
                        now,
                        now,
                    ),
                ).lastrowid
                conn.executemany(
                    "UPDATE drift_windows SET alert_id = ? WHERE id = ?", [(alert_id, w) for w in window_ids]
                )
            for index, target in (attach or {}).items():
                target = alert_id if target is None else target
                conn.execute("UPDATE drift_windows SET alert_id = ? WHERE id = ?", (target, ids[index]))
                conn.execute(
                    "UPDATE alerts SET window_ids = json_insert(window_ids, '$[#]', ?), updated_at = ? WHERE id = ?",
                    (ids[index], times.now(), target),
                )
        return ids

    @staticmethod
    def _insert_window(conn: sqlite3.Connection, deployment: str, w: dict) -> int:
        values = (
            deployment,
            w["trigger"],
            w["kind"],
            w["start"],
            w["end"],
            w.get("first_at"),
            w.get("last_at"),
            w["n"],
            w["status"],
            int(w["drift"]),
            w["p_value"],
            json.dumps(w["result"]),
            json.dumps(w["histograms"]),
            times.now(),
        )
        if w["trigger"] == "auto" and w["kind"] == "time":  # a late event re-checks its hour: replace it
            conn.execute(
                "DELETE FROM drift_windows WHERE deployment = ? AND trigger = 'auto' AND kind = 'time' AND start = ?",
                (deployment, w["start"]),
            )
        return conn.execute(
            """INSERT INTO drift_windows (deployment, trigger, kind, start, end, first_at, last_at, n, status, drift,
                   p_value, result, histograms, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            values,
        ).lastrowid

    def add_check(self, deployment: str, window: dict) -> dict:
        """Store a window checked on request (it takes no part in the alert policy)."""
        conn = self._conn()
        with transaction(conn):
            window_id = self._insert_window(conn, deployment, {**window, "trigger": "check"})
        return self.window(window_id)

    def window(self, window_id: int) -> dict:
        row = self._conn().execute("SELECT * FROM drift_windows WHERE id = ?", (window_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"No drift window {window_id}.")
        return _window(row)

    def windows(
        self,
        deployment: str,
        since: str | None = None,
        until: str | None = None,
        limit: int = 500,
        trigger: str | None = None,
    ) -> list[dict]:
        """The deployment's newest `limit` windows whose last request is in [since, until], oldest first."""
        rows = (
            self._conn()
            .execute(
                """SELECT * FROM drift_windows WHERE deployment = :d AND (:since IS NULL OR last_at >= :since)
                   AND (:until IS NULL OR last_at <= :until) AND (:trigger IS NULL OR trigger = :trigger)
               ORDER BY id DESC LIMIT :limit""",
                {"d": deployment, "since": since, "until": until, "trigger": trigger, "limit": limit},
            )
            .fetchall()
        )
        return [_window(row) for row in reversed(rows)]

    def last_ids(self, deployment: str) -> tuple[int, int]:
        """The newest window id and the newest alert id of `deployment` (0: none)."""
        conn = self._conn()
        window = conn.execute("SELECT max(id) FROM drift_windows WHERE deployment = ?", (deployment,)).fetchone()[0]
        alert = conn.execute("SELECT max(id) FROM alerts WHERE deployment = ?", (deployment,)).fetchone()[0]
        return window or 0, alert or 0

    def windows_after(self, deployment: str, window_id: int) -> list[dict]:
        """The deployment's windows with ids above `window_id`, oldest first."""
        rows = self._conn().execute(
            "SELECT * FROM drift_windows WHERE deployment = ? AND id > ? ORDER BY id", (deployment, window_id)
        )
        return [_window(row) for row in rows]

    def alerts_after(self, deployment: str, alert_id: int) -> list[AlertRecord]:
        """The deployment's alerts with ids above `alert_id`, oldest first."""
        rows = self._conn().execute(
            "SELECT * FROM alerts WHERE deployment = ? AND id > ? ORDER BY id", (deployment, alert_id)
        )
        return [_alert(row) for row in rows]

    # -- alerts ------------------------------------------------------------------------------

    def alert(self, alert_id: int) -> AlertRecord:
        row = self._conn().execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"No alert {alert_id}.", "List the alerts to see their ids.")
        return _alert(row)

    def alerts(
        self, deployment: str | None = None, status: str | None = None, kinds: tuple[str, ...] | None = None
    ) -> list[AlertRecord]:
        """Every alert (of one deployment, in one status, of some kinds, or all), newest first."""
        return self._alert_rows(deployment, status, kinds, -1, None)

    def alert_page(
        self,
        deployment: str | None = None,
        status: str | None = None,
        kinds: tuple[str, ...] | None = None,
        *,
        limit: int = pages.DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> dict:
        """`{alerts, next_cursor}`: up to `limit` of the alerts that `alerts` lists, after `cursor` (from the
        newest without one); `next_cursor` reads on (None at the end)."""
        after = pages.position("alerts", cursor, (int,))
        rows = self._alert_rows(deployment, status, kinds, limit + 1, after[0] if after else None)
        rows, next_cursor = pages.split(rows, limit, "alerts", lambda alert: (alert["id"],))
        return {"alerts": rows, "next_cursor": next_cursor}

    def _alert_rows(
        self, deployment: str | None, status: str | None, kinds: tuple[str, ...] | None, limit: int, before: int | None
    ) -> list[AlertRecord]:
        """Up to `limit` (-1: all) alerts with ids below `before` (None: any), newest first; each filter given
        narrows them, through an index (the newest of each kind asked for, then the newest of those)."""
        if status is not None and status not in ALERT_STATUSES:
            raise UserError(f"Unknown alert status {status!r}.", f"Use one of: {', '.join(ALERT_STATUSES)}.")
        unknown = [kind for kind in kinds or () if kind not in ALERT_KINDS]
        if unknown:
            raise UserError(f"Unknown alert kind {unknown[0]!r}.", f"Use one of: {', '.join(ALERT_KINDS)}.")
        args = {"deployment": deployment, "status": status, "before": before, "limit": limit}
        where = [condition for name, condition in _ALERT_FILTERS.items() if args[name] is not None]
        branches = [where]
        if kinds is not None:
            args.update({f"kind{k}": kind for k, kind in enumerate(kinds)})
            branches = [[*where, f"kind = :kind{k}"] for k in range(len(kinds))]
        newest = " UNION ALL ".join(
            f"SELECT * FROM (SELECT * FROM alerts {_where(conditions)}ORDER BY id DESC LIMIT :limit)"
            for conditions in branches
        )
        rows = self._conn().execute(f"SELECT * FROM ({newest}) ORDER BY id DESC LIMIT :limit", args)
        return [_alert(row) for row in rows.fetchall()]

    def active_alert(self, deployment: str) -> AlertRecord | None:
        """The deployment's open or retraining data-drift alert, if any."""
        row = (
            self._conn()
            .execute(
                "SELECT * FROM alerts WHERE deployment = ? AND kind = 'data_drift' "
                "AND status IN ('open', 'retraining') ORDER BY id DESC LIMIT 1",
                (deployment,),
            )
            .fetchone()
        )
        return None if row is None else _alert(row)

    def update_alert(self, alert_id: int, *, expect: tuple[str, ...] | None = None, **values) -> AlertRecord:
        """Set some of `status, retrain_run_id, retrain_parameters, redeploy, redeployed_at, error`; with
        `expect`, only while the alert's status is one of those (else a 409)."""
        unknown = set(values) - set(_ALERT_UPDATABLE)
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)} of an alert")
        if "retrain_parameters" in values:
            values["retrain_parameters"] = json.dumps(values["retrain_parameters"])
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        conn = self._conn()
        with transaction(conn):
            current = self.alert(alert_id)
            if expect is not None and current["status"] not in expect:
                raise UserError(
                    f"Alert {alert_id} is {current['status']}.",
                    "Only an open alert can be retrained or dismissed.",
                    status=409,
                    code="conflict",
                )
            conn.execute(
                f"UPDATE alerts SET {assignments}, updated_at = :now WHERE id = :id",
                {**values, "now": times.now(), "id": alert_id},
            )
        return self.alert(alert_id)

    def counts(self, deployment: str) -> dict:
        """How many windows were checked and how many drifted."""
        row = (
            self._conn()
            .execute("SELECT windows, drifted FROM drift_window_counts WHERE deployment = ?", (deployment,))
            .fetchone()
        )
        return {"windows": row["windows"], "drifted": row["drifted"]} if row else {"windows": 0, "drifted": 0}

    def forget(self, deployment: str) -> None:
        """Drop a deployment's monitor, windows and logged events; its alerts stay as history, the active
        ones dismissed (nothing is left to retrain or redeploy)."""
        conn = self._conn()
        with transaction(conn):
            for table in (
                "drift_monitors",
                "drift_windows",
                "inference_events",
                "monitor_job_imports",
                "monitor_job_status",
            ):
                conn.execute(f"DELETE FROM {table} WHERE deployment = ?", (deployment,))
            conn.execute(
                "UPDATE alerts SET status = 'dismissed', error = 'The deployment was removed.', updated_at = ? "
                "WHERE deployment = ? AND status IN ('open', 'retraining')",
                (times.now(), deployment),
            )


def _where(conditions: list[str]) -> str:
    return f"WHERE {' AND '.join(conditions)} " if conditions else ""


def _monitor(row: sqlite3.Row) -> dict:
    record = dict(row)
    record["policy"] = json.loads(record["policy"])
    return record


def _window(row: sqlite3.Row) -> dict:
    record = dict(row)
    record["drift"] = bool(record["drift"])
    record["result"] = json.loads(record["result"])
    record["histograms"] = json.loads(record["histograms"])
    return record


def _alert(row: sqlite3.Row) -> dict:
    record = dict(row)
    record["window_ids"] = json.loads(record["window_ids"])
    record["evidence"] = json.loads(record["evidence"])
    record["redeploy"] = bool(record["redeploy"])
    if record["retrain_parameters"] is not None:
        record["retrain_parameters"] = json.loads(record["retrain_parameters"])
    return record
