"""The results of deployments' monitoring jobs on the cluster imported into this store, each once.

A window or alert the job found (its id in the job's own store: `job_id`) is inserted with its row in
`monitor_job_imports` in one transaction: importing the same results again, or after a crash, adds nothing.
"""

from __future__ import annotations

import json

from . import times
from .db import StoreFile, transaction
from .drift import DriftStore


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
