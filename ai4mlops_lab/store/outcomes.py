"""Outcomes in the store: predictions read from logged responses, ground-truth labels, their joins, each
deployment's outcome monitor, its windows of predictions and its concept-drift detections.

A prediction: `{id, deployment, key, endpoint, version, event_id, row, predicted_at, value, scores}` (`value` is
the class index or the regression value; `scores` the class probabilities, or None). A label joins every
prediction of its deployment with its key (the served one and a shadow's); each join is an outcome, numbered in
the order joins happen: the stream the concept-drift detectors read.

A monitor: `{deployment, policy, response_cursor, outcome_cursor, detector, estimator, reference_outputs,
undecodable, undecodable_reason, duplicates, refused_labels, refused_reason, updated_at}`. Writers that move it
compare-and-set its position (`response_cursor`, `outcome_cursor`), so the server's loop and the CLI never read
or feed the same rows twice.

A window: `{deployment, idx, first_prediction, last_prediction, n, start_ts, end_ts, estimated, outputs,
labelled, realized, alert_id}`: the idx-th block of `window_size` served predictions.
"""

from __future__ import annotations

import json
import sqlite3
import time
from bisect import bisect_left
from collections.abc import Iterable

from . import times
from .db import StoreFile, transaction
from .drift import MonitorMoved

_POSITION = ("response_cursor", "outcome_cursor")
_JSON_COLUMNS = ("policy", "detector", "estimator", "reference_outputs")
_UPDATABLE = (*_POSITION, *_JSON_COLUMNS[1:], "undecodable", "undecodable_reason", "duplicates")
#: The columns of a joined outcome read back: the prediction and its label.
#: The median label delay is taken over this many of the latest labels.
DELAY_SAMPLE = 10_000
_TABLES = ("predictions", "labels", "outcomes", "outcome_monitors", "outcome_windows", "concept_detections")
_OUTCOME = """o.id AS outcome_id, o.label, o.joined_at, p.id AS prediction_id, p.key, p.endpoint, p.version,
    p.predicted_at, p.value, p.scores"""


class OutcomeStore(StoreFile):
    """Predictions, labels and outcome monitoring in the SQLite store at `path`."""

    # -- monitors ----------------------------------------------------------------------------

    def monitor(self, deployment: str, default_policy: dict) -> dict:
        """The deployment's outcome monitor, created with `default_policy` the first time."""
        conn = self._conn()
        row = conn.execute("SELECT * FROM outcome_monitors WHERE deployment = ?", (deployment,)).fetchone()
        if row is None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO outcome_monitors (deployment, policy, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (deployment) DO NOTHING",
                    (deployment, json.dumps(default_policy), times.now()),
                )
            row = conn.execute("SELECT * FROM outcome_monitors WHERE deployment = ?", (deployment,)).fetchone()
        return _monitor(row)

    def set_policy(self, deployment: str, policy: dict, *, reset_detector: bool = False) -> None:
        """Store a new policy; `reset_detector` forgets the detector's state (its method or settings changed)."""
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                "UPDATE outcome_monitors SET policy = ?, updated_at = ?"
                + (", detector = NULL" if reset_detector else "")
                + " WHERE deployment = ?",
                (json.dumps(policy), times.now(), deployment),
            )

    def update_monitor(self, deployment: str, **values) -> None:
        """Set some of the monitor's state columns that carry no position (the estimator, reference outputs)."""
        conn = self._conn()
        with transaction(conn):
            self._update(conn, deployment, values)

    @staticmethod
    def _update(conn: sqlite3.Connection, deployment: str, values: dict) -> None:
        """Inside a transaction: set some of the monitor's columns."""
        unknown = set(values) - set(_UPDATABLE)
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)} of an outcome monitor")
        if not values:
            return
        encoded = {k: json.dumps(v) if k in _JSON_COLUMNS and v is not None else v for k, v in values.items()}
        assignments = ", ".join(f"{column} = :{column}" for column in encoded)
        conn.execute(
            f"UPDATE outcome_monitors SET {assignments}, updated_at = :now WHERE deployment = :deployment",
            {**encoded, "now": times.now(), "deployment": deployment},
        )

    @staticmethod
    def _claim(conn: sqlite3.Connection, monitor: dict) -> None:
        """Inside a transaction: raise MonitorMoved unless the stored position is still `monitor`'s."""
        where = " AND ".join(f"{column} = :{column}" for column in _POSITION)
        moved = (
            conn.execute(
                f"UPDATE outcome_monitors SET updated_at = :now WHERE deployment = :deployment AND {where}",
                {**{c: monitor[c] for c in _POSITION}, "now": times.now(), "deployment": monitor["deployment"]},
            ).rowcount
            == 0
        )
        if moved:
            raise MonitorMoved(monitor["deployment"])

    # -- predictions and labels --------------------------------------------------------------

    def add_predictions(self, monitor: dict, predictions: list[dict], changes: dict) -> dict:
        """Store predictions read from responses and move the monitor (`changes`), all or nothing; join those
        whose label came first. `{stored, duplicates, joined}`; MonitorMoved when another reader moved it."""
        conn = self._conn()
        deployment = monitor["deployment"]
        stored = joined = 0
        now = time.time()
        with transaction(conn):
            self._claim(conn, monitor)
            for p in predictions:
                cursor = conn.execute(
                    """INSERT INTO predictions (deployment, key, endpoint, version, event_id, row, predicted_at,
                       value, scores) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (deployment, key, endpoint) DO NOTHING""",
                    (
                        deployment,
                        p["key"],
                        p["endpoint"],
                        p["version"],
                        p["event_id"],
                        p["row"],
                        p["predicted_at"],
                        p["value"],
                        json.dumps(p["scores"]) if p["scores"] is not None else None,
                    ),
                )
                if cursor.rowcount == 0:
                    continue
                stored += 1
                label = conn.execute(
                    "SELECT label FROM labels WHERE deployment = ? AND key = ?", (deployment, p["key"])
                ).fetchone()
                if label is not None:
                    joined += self._join(conn, deployment, cursor.lastrowid, label[0], now)
            changes = {**changes, "duplicates": monitor["duplicates"] + len(predictions) - stored}
            self._update(conn, deployment, changes)
        return {"stored": stored, "duplicates": len(predictions) - stored, "joined": joined}

    def add_labels(self, deployment: str, labels: Iterable[tuple[str, float]]) -> dict:
        """Store labels by key and join them to their predictions, in one transaction. A label sent again with
        the same value changes nothing; another value for a stored key is refused (labels never change).
        `{stored, unchanged, joined, conflicts: [(position, stored value)]}`."""
        conn = self._conn()
        now = time.time()
        stored = unchanged = joined = 0
        conflicts = []
        with transaction(conn):
            for position, (key, label) in enumerate(labels):
                inserted = conn.execute(
                    "INSERT INTO labels (deployment, key, label, received_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (deployment, key) DO NOTHING",
                    (deployment, key, label, now),
                ).rowcount
                if not inserted:
                    before = conn.execute(
                        "SELECT label FROM labels WHERE deployment = ? AND key = ?", (deployment, key)
                    ).fetchone()[0]
                    if before == label:
                        unchanged += 1
                    else:
                        conflicts.append((position, before))
                    continue
                stored += 1
                for (prediction_id,) in conn.execute(
                    "SELECT id FROM predictions WHERE deployment = ? AND key = ?", (deployment, key)
                ).fetchall():
                    joined += self._join(conn, deployment, prediction_id, label, now)
        return {"stored": stored, "unchanged": unchanged, "joined": joined, "conflicts": conflicts}

    @staticmethod
    def _join(conn: sqlite3.Connection, deployment: str, prediction_id: int, label: float, now: float) -> int:
        return conn.execute(
            "INSERT INTO outcomes (deployment, prediction_id, label, joined_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (prediction_id) DO NOTHING",
            (deployment, prediction_id, label, now),
        ).rowcount

    def count_refused_labels(self, deployment: str, count: int, reason: str) -> None:
        """Count label rows refused, with the last reason."""
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                "UPDATE outcome_monitors SET refused_labels = refused_labels + ?, refused_reason = ?, updated_at = ? "
                "WHERE deployment = ?",
                (count, reason, times.now(), deployment),
            )

    def count_served(self, deployment: str, after: int, limit: int) -> int:
        """How many served predictions have ids above `after`, counting up to `limit` at most."""
        return (
            self._conn()
            .execute(
                "SELECT count(*) FROM (SELECT 1 FROM predictions WHERE deployment = ? AND endpoint <> 'shadow' "
                "AND id > ? LIMIT ?)",
                (deployment, after, limit),
            )
            .fetchone()[0]
        )

    def served_predictions(self, deployment: str, after: int, limit: int) -> list[dict]:
        """Served predictions (a shadow's left out) with ids above `after`, oldest first."""
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM predictions WHERE deployment = ? AND endpoint <> 'shadow' AND id > ? "
                "ORDER BY id LIMIT ?",
                (deployment, after, limit),
            )
            .fetchall()
        )
        return [_prediction(row) for row in rows]

    def outcomes(self, deployment: str, after: int = 0, limit: int = 10_000) -> list[dict]:
        """Joined outcomes with ids above `after`, in join order (every endpoint)."""
        rows = (
            self._conn()
            .execute(
                f"""SELECT {_OUTCOME} FROM outcomes o JOIN predictions p ON p.id = o.prediction_id
                WHERE o.deployment = ? AND o.id > ? ORDER BY o.id LIMIT ?""",
                (deployment, after, limit),
            )
            .fetchall()
        )
        return [_prediction(row) for row in rows]

    def outcomes_before(self, deployment: str, before: int, limit: int) -> list[dict]:
        """The last `limit` served outcomes with ids below `before`, in join order."""
        rows = (
            self._conn()
            .execute(
                f"""SELECT {_OUTCOME} FROM outcomes o JOIN predictions p ON p.id = o.prediction_id
                WHERE o.deployment = ? AND o.id < ? AND p.endpoint <> 'shadow' ORDER BY o.id DESC LIMIT ?""",
                (deployment, before, limit),
            )
            .fetchall()
        )
        return [_prediction(row) for row in reversed(rows)]

    def labelled_between(self, deployment: str, first: int, last: int) -> list[dict]:
        """The served predictions with ids in [first, last] that have a label, with it."""
        rows = (
            self._conn()
            .execute(
                f"""SELECT {_OUTCOME} FROM outcomes o JOIN predictions p ON p.id = o.prediction_id
                WHERE o.deployment = ? AND p.endpoint <> 'shadow' AND p.id BETWEEN ? AND ? ORDER BY p.id""",
                (deployment, first, last),
            )
            .fetchall()
        )
        return [_prediction(row) for row in rows]

    def labelled_since(self, deployment: str, since_ts: float) -> list[dict]:
        """Labelled predictions (every endpoint) made from `since_ts` on: the live performance of a rollout."""
        rows = (
            self._conn()
            .execute(
                f"""SELECT {_OUTCOME} FROM outcomes o JOIN predictions p ON p.id = o.prediction_id
                WHERE o.deployment = ? AND p.predicted_at >= ? ORDER BY p.id""",
                (deployment, since_ts),
            )
            .fetchall()
        )
        return [_prediction(row) for row in rows]

    def coverage(self, deployment: str) -> dict:
        """`{predictions, labelled, waiting_labels, median_delay_s}`: served predictions, how many have a label,
        labels whose prediction is not in yet, and the median time from prediction to label (of the latest
        `DELAY_SAMPLE` labels)."""
        conn = self._conn()
        predictions = conn.execute(
            "SELECT count(*) FROM predictions WHERE deployment = ? AND endpoint <> 'shadow'", (deployment,)
        ).fetchone()[0]
        labelled = conn.execute(
            """SELECT count(*) FROM outcomes o JOIN predictions p ON p.id = o.prediction_id
            WHERE o.deployment = ? AND p.endpoint <> 'shadow'""",
            (deployment,),
        ).fetchone()[0]
        delays = sorted(
            row[0]
            for row in conn.execute(
                """SELECT o.joined_at - p.predicted_at FROM outcomes o JOIN predictions p ON p.id = o.prediction_id
                WHERE o.deployment = ? AND p.endpoint <> 'shadow' ORDER BY o.id DESC LIMIT ?""",
                (deployment, DELAY_SAMPLE),
            )
        )
        waiting = conn.execute(
            """SELECT count(*) FROM labels l WHERE l.deployment = ?
            AND NOT EXISTS (SELECT 1 FROM predictions p WHERE p.deployment = l.deployment AND p.key = l.key)""",
            (deployment,),
        ).fetchone()[0]
        return {
            "predictions": predictions,
            "labelled": labelled,
            "waiting_labels": waiting,
            "median_delay_s": max(0.0, delays[len(delays) // 2]) if delays else None,
        }

    # -- windows and detections --------------------------------------------------------------

    def commit_windows(self, monitor: dict, changes: dict, windows: list[dict]) -> None:
        """Store new windows and move the monitor, all or nothing."""
        conn = self._conn()
        with transaction(conn):
            self._claim(conn, monitor)
            for w in windows:
                conn.execute(
                    """INSERT INTO outcome_windows (deployment, idx, first_prediction, last_prediction, n, start_ts,
                       end_ts, estimated, outputs, labelled, realized, alert_id)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (deployment, idx) DO NOTHING""",
                    (
                        monitor["deployment"],
                        w["idx"],
                        w["first_prediction"],
                        w["last_prediction"],
                        w["n"],
                        w["start_ts"],
                        w["end_ts"],
                        _dumps(w.get("estimated")),
                        _dumps(w.get("outputs")),
                        w.get("labelled", 0),
                        _dumps(w.get("realized")),
                        None,
                    ),
                )
            self._update(conn, monitor["deployment"], changes)

    def set_realized(self, deployment: str, idx: int, labelled: int, realized: dict | None) -> None:
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                "UPDATE outcome_windows SET labelled = ?, realized = ? WHERE deployment = ? AND idx = ?",
                (labelled, _dumps(realized), deployment, idx),
            )

    def alert_windows(self, deployment: str, idxs: list[int], alert: dict) -> tuple[int, bool]:
        """Attach windows to the deployment's active alert of `alert["kind"]`, or raise `alert` on them when none
        is active, in one transaction (two processes never raise two); `(alert id, whether it is new)`."""
        conn = self._conn()
        with transaction(conn):
            alert_id = self.active_alert_id(deployment, alert["kind"])
            new = alert_id is None
            if new:
                alert_id = self._raise(conn, deployment, alert)
            conn.executemany(
                "UPDATE outcome_windows SET alert_id = ? WHERE deployment = ? AND idx = ?",
                [(alert_id, deployment, idx) for idx in idxs],
            )
        return alert_id, new

    def windows_of(self, deployment: str, prediction_ids: list[int]) -> list[int]:
        """The indexes of the stored windows that hold any of `prediction_ids`."""
        if not prediction_ids:
            return []
        low, high = min(prediction_ids), max(prediction_ids)
        rows = self._conn().execute(
            "SELECT idx, first_prediction, last_prediction FROM outcome_windows WHERE deployment = ? "
            "AND last_prediction >= ? AND first_prediction <= ?",
            (deployment, low, high),
        )
        ids = sorted(prediction_ids)
        found = []
        for idx, first, last in rows:
            at = bisect_left(ids, first)
            if at < len(ids) and ids[at] <= last:
                found.append(idx)
        return found

    def window(self, deployment: str, idx: int) -> dict | None:
        row = (
            self._conn()
            .execute("SELECT * FROM outcome_windows WHERE deployment = ? AND idx = ?", (deployment, idx))
            .fetchone()
        )
        return _window(row) if row is not None else None

    def windows(self, deployment: str, limit: int = 500) -> list[dict]:
        """The newest `limit` windows, oldest first."""
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM outcome_windows WHERE deployment = ? ORDER BY idx DESC LIMIT ?", (deployment, limit)
            )
            .fetchall()
        )
        return [_window(row) for row in reversed(rows)]

    def feed_detector(self, monitor: dict, changes: dict, detections: list[dict], alert: dict | None = None) -> None:
        """Store the detector's new state (in `changes`, with the outcome cursor) and its detections, and raise
        `alert` on the last drift among them, all or nothing."""
        conn = self._conn()
        with transaction(conn):
            self._claim(conn, monitor)
            alert_id = self._raise(conn, monitor["deployment"], alert) if alert else None
            for d in detections:
                conn.execute(
                    """INSERT INTO concept_detections (deployment, method, kind, outcome_id, predicted_at,
                       error_rate_before, error_rate_after, alert_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        monitor["deployment"],
                        d["method"],
                        d["kind"],
                        d["outcome_id"],
                        d["predicted_at"],
                        d["error_rate_before"],
                        d["error_rate_after"],
                        alert_id if d["kind"] == "drift" else None,
                        times.now(),
                    ),
                )
            self._update(conn, monitor["deployment"], changes)

    def detections(self, deployment: str, limit: int = 200) -> list[dict]:
        """The newest concept-drift warnings and detections, oldest first."""
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM concept_detections WHERE deployment = ? ORDER BY id DESC LIMIT ?", (deployment, limit)
            )
            .fetchall()
        )
        return [dict(row) for row in reversed(rows)]

    @staticmethod
    def _raise(conn: sqlite3.Connection, deployment: str, alert: dict) -> int:
        now = times.now()
        return conn.execute(
            """INSERT INTO alerts (deployment, kind, status, message, window_ids, evidence, raised_at, updated_at)
               VALUES (?, ?, 'open', ?, '[]', ?, ?, ?)""",
            (deployment, alert["kind"], alert["message"], json.dumps(alert["evidence"]), now, now),
        ).lastrowid

    def active_alert_id(self, deployment: str, kind: str) -> int | None:
        """The id of the deployment's open or retraining alert of `kind`, if any."""
        row = (
            self._conn()
            .execute(
                "SELECT id FROM alerts WHERE deployment = ? AND kind = ? AND status IN ('open', 'retraining') "
                "ORDER BY id DESC LIMIT 1",
                (deployment, kind),
            )
            .fetchone()
        )
        return None if row is None else row[0]

    def forget(self, deployment: str) -> None:
        """Drop a deployment's outcome monitoring: predictions, labels, outcomes, windows, detections."""
        conn = self._conn()
        with transaction(conn):
            for table in _TABLES:
                conn.execute(f"DELETE FROM {table} WHERE deployment = ?", (deployment,))


def _dumps(value) -> str | None:
    return json.dumps(value) if value is not None else None


def _monitor(row: sqlite3.Row) -> dict:
    record = dict(row)
    for column in _JSON_COLUMNS:
        if record[column] is not None:
            record[column] = json.loads(record[column])
    return record


def _prediction(row: sqlite3.Row) -> dict:
    record = dict(row)
    if record.get("scores") is not None:
        record["scores"] = json.loads(record["scores"])
    return record


def _window(row: sqlite3.Row) -> dict:
    record = dict(row)
    for column in ("estimated", "outputs", "realized"):
        if record[column] is not None:
            record[column] = json.loads(record[column])
    return record
