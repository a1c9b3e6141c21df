"""The results of deployments' monitoring jobs on the cluster imported into this store, each once, and whether
each job is alive as the imports saw it.

A window or alert the job found (its id in the job's own store: `job_id`) is inserted with its row in
`monitor_job_imports` in one transaction: importing the same results again, or after a crash, adds nothing. Each
check of a job's results (`JobStatusStore.record`) is one row of `monitor_job_status`, written in one transaction,
apart from the deployment's record (whose config other writers change).
"""

from __future__ import annotations

import json

from . import times
from .db import StoreFile, transaction
from .drift import DriftStore

#: A check that changed nothing but its time is recorded at most this often: the background loop checks every round,
#: and each write makes the store's change counter (the runs list's ETag) move.
CHECKED_EVERY_S = 60.0


class JobImportStore(StoreFile):
    """Windows and alerts of monitoring jobs, imported into the drift tables."""

    def last_imported(self, deployment: str, kind: str) -> int:
        """The newest job id of `kind` (window or alert) imported for `deployment` (0: none)."""
        row = (
            self._conn()
            .execute(
                "SELECT max(job_id) FROM monitor_job_imports WHERE deployment = ? AND kind = ?", (deployment, kind)
            )
            .fetchone()
        )
        return row[0] or 0

    def import_window(self, deployment: str, window: dict) -> int | None:
        """Insert the job's `window` (linked to its alert when that was imported); its local id, None when it was
        imported before."""
        conn = self._conn()
        with transaction(conn):
            if self._local_id(deployment, "window", window["id"]) is not None:
                return None
            local = DriftStore._insert_window(conn, deployment, window)
            alert = window.get("alert_id") and self._local_id(deployment, "alert", window["alert_id"])
            if alert:
                conn.execute("UPDATE drift_windows SET alert_id = ? WHERE id = ?", (alert, local))
                conn.execute(
                    "UPDATE alerts SET window_ids = json_insert(window_ids, '$[#]', ?), updated_at = ? WHERE id = ?",
                    (local, times.now(), alert),
                )
            self._remember(deployment, "window", window["id"], local, window.get("alert_id"))
        return local

    def import_alert(self, deployment: str, alert: dict) -> int | None:
        """Insert the job's data-drift `alert` with the imported windows of its streak (`window_ids`, the job's) and
        those that joined it; its local id, None when it was imported before."""
        conn = self._conn()
        with transaction(conn):
            if self._local_id(deployment, "alert", alert["id"]) is not None:
                return None
            streak = {self._local_id(deployment, "window", job_id) for job_id in alert["window_ids"]}
            joined = conn.execute(
                "SELECT local_id FROM monitor_job_imports WHERE deployment = ? AND kind = 'window' "
                "AND job_alert_id = ?",
                (deployment, alert["id"]),
            )
            windows = sorted((streak | {local for (local,) in joined}) - {None})
            local = conn.execute(
                """INSERT INTO alerts (deployment, status, message, window_ids, evidence, raised_at, updated_at)
                   VALUES (?, 'open', ?, ?, ?, ?, ?)""",
                (
                    deployment,
                    alert["message"],
                    json.dumps(windows),
                    json.dumps(alert["evidence"]),
                    alert["raised_at"],
                    times.now(),
                ),
            ).lastrowid
            conn.executemany("UPDATE drift_windows SET alert_id = ? WHERE id = ?", [(local, w) for w in windows])
            self._remember(deployment, "alert", alert["id"], local)
        return local

    def closed_alerts(self, deployment: str) -> list[int]:
        """The job ids of imported alerts dealt with here (dismissed or resolved) that the job was not told of."""
        rows = self._conn().execute(
            """SELECT i.job_id FROM monitor_job_imports i JOIN alerts a ON a.id = i.local_id
               WHERE i.deployment = ? AND i.kind = 'alert' AND i.closed = 0
               AND a.status NOT IN ('open', 'retraining') ORDER BY i.job_id""",
            (deployment,),
        )
        return [job_id for (job_id,) in rows]

    def mark_closed(self, deployment: str, job_id: int) -> None:
        """The job was told that its alert `job_id` was dealt with."""
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                "UPDATE monitor_job_imports SET closed = 1 WHERE deployment = ? AND kind = 'alert' AND job_id = ?",
                (deployment, job_id),
            )

    def _local_id(self, deployment: str, kind: str, job_id: int) -> int | None:
        row = (
            self._conn()
            .execute(
                "SELECT local_id FROM monitor_job_imports WHERE deployment = ? AND kind = ? AND job_id = ?",
                (deployment, kind, job_id),
            )
            .fetchone()
        )
        return None if row is None else row[0]

    def _remember(self, deployment: str, kind: str, job_id: int, local_id: int, job_alert_id: int | None = None):
        self._conn().execute(
            "INSERT INTO monitor_job_imports (deployment, kind, job_id, local_id, job_alert_id) VALUES (?, ?, ?, ?, ?)",
            (deployment, kind, job_id, local_id, job_alert_id),
        )


class JobStatusStore(StoreFile):
    """When each deployment's monitoring job last passed, and when this store last checked and imported its results
    (`monitor_job_status`)."""

    def record(
        self, deployment: str, *, cursor_pass: tuple | None = None, imported: int = 0, error=None, now: str = ""
    ) -> None:
        """A check of the deployment's results at `now` (default: now): `cursor_pass`, the (time, counts) of the pass
        whose cursor was read (`cluster_job.last_pass`; None: none was read), `imported` windows and alerts, `error`
        the UserError that stopped it (None clears the last one). The results count as imported when something was
        or the cursor is of a newer pass than the last one read."""
        now = now or times.now()
        conn = self._conn()
        with transaction(conn):
            row = conn.execute("SELECT * FROM monitor_job_status WHERE deployment = ?", (deployment,)).fetchone()
            before = dict(row) if row else dict.fromkeys(STATUS_COLUMNS) | {"deployment": deployment}
            after = {
                **before,
                "error": error.message if error else None,
                "error_hint": (error.hint or None) if error else None,
            }
            if cursor_pass is not None:
                passed_at, counts = cursor_pass
                if imported or passed_at != before["last_pass_at"]:
                    after["last_imported_at"] = now
                after["last_pass_at"] = passed_at
                after["last_pass"] = json.dumps(counts, sort_keys=True) if counts is not None else None
            since = times.seconds_between(before["last_checked_at"], now)
            if after == before and since is not None and since < CHECKED_EVERY_S:
                return
            after["last_checked_at"] = now
            conn.execute(
                f"INSERT OR REPLACE INTO monitor_job_status (deployment, {', '.join(STATUS_COLUMNS)}) "
                f"VALUES (:deployment, {', '.join(':' + column for column in STATUS_COLUMNS)})",
                after,
            )

    def status(self, deployment: str) -> dict:
        """`{last_pass_at, last_pass, last_checked_at, last_imported_at, windows_imported, alerts_imported, error,
        error_hint}`; None times before the first check."""
        conn = self._conn()
        row = conn.execute("SELECT * FROM monitor_job_status WHERE deployment = ?", (deployment,)).fetchone()
        values = dict(row) if row else dict.fromkeys(STATUS_COLUMNS)
        counts = dict(
            conn.execute(
                "SELECT kind, count(*) FROM monitor_job_imports WHERE deployment = ? GROUP BY kind", (deployment,)
            ).fetchall()
        )
        return {
            "last_pass_at": values["last_pass_at"],
            "last_pass": json.loads(values["last_pass"]) if values["last_pass"] else None,
            "last_checked_at": values["last_checked_at"],
            "last_imported_at": values["last_imported_at"],
            "windows_imported": counts.get("window", 0),
            "alerts_imported": counts.get("alert", 0),
            "error": values["error"],
            "error_hint": values["error_hint"],
        }


#: The columns of `monitor_job_status` after its key.
STATUS_COLUMNS = ("last_checked_at", "last_imported_at", "last_pass_at", "last_pass", "error", "error_hint")
