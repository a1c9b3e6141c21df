"""Batch prediction jobs kept in the store: created by the batch service, their progress and end written by the
job's worker process (`batch/worker.py`). An end is final: a cancelled job's worker cannot mark it succeeded."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from ..errors import NotFoundError
from ..records import BatchJobRecord
from ..states import RUN_ACTIVE, RunStatus
from . import times
from .db import StoreFile, transaction

#: The unfinished statuses, as an SQL list.
_ACTIVE = ", ".join(f"'{status.value}'" for status in sorted(RUN_ACTIVE))


class BatchJobStore(StoreFile):
    """The batch jobs in the SQLite store at `path`, shared by the server and the jobs' workers."""

    def create(self, job_id: str, fields: dict) -> BatchJobRecord:
        """Record a pending job: `model`, `deployment`, `input_path`, `output_path`, `rejects_path`, `options`,
        `log` (and `target`: local by default)."""
        now = times.now()
        values = {**fields, "options": json.dumps(fields["options"]), "log": int(bool(fields["log"]))}
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                f"INSERT INTO batch_jobs (id, {', '.join(values)}, status, created_at, updated_at) "
                f"VALUES (:id, {', '.join(':' + c for c in values)}, 'pending', :now, :now)",
                {**values, "id": job_id, "now": now},
            )
        return self.get(job_id)

    def get(self, job_id: str) -> BatchJobRecord:
        row = self._conn().execute("SELECT * FROM batch_jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"There is no batch job {job_id!r}.", "List the batch jobs to see their ids.")
        return _record(row)

    def jobs(self, limit: int = 100) -> list[BatchJobRecord]:
        """The latest jobs, newest first."""
        rows = self._conn().execute("SELECT * FROM batch_jobs ORDER BY created_at DESC, id LIMIT ?", (limit,))
        return [_record(row) for row in rows]

    def started(self, job_id: str, worker_pid: int, model_description: str | None = None) -> bool:
        """The worker runs the job (unless it ended meanwhile: False)."""
        return self._update(
            job_id,
            "status = 'running', worker_pid = :pid, started_at = :now, "
            "model_description = coalesce(:described, model_description)",
            pid=worker_pid,
            described=model_description,
        )

    def progress(self, job_id: str, done: int, total: int, predicted: int, rejected: int) -> bool:
        """Rows done so far of `total`; False when the job has ended (cancelled: the worker stops)."""
        return self._update(
            job_id,
            "rows_done = :done, rows_total = :total, rows_predicted = :predicted, rejected = :rejected",
            done=done,
            total=total,
            predicted=predicted,
            rejected=rejected,
        )

    def stage(self, job_id: str, stage: str) -> bool:
        """The stage the job is in (downloading, predicting, uploading); False when it has ended."""
        return self._update(job_id, "stage = :stage", stage=stage)

    def submitted(self, job_id: str, kfp_run_id: str, kfp_url: str) -> bool:
        """A Kubeflow job's run was created; False when the job has ended."""
        running = "status = 'running', started_at = :now, kfp_run_id = :run, kfp_url = :url"
        return self._update(job_id, running, run=kfp_run_id, url=kfp_url)

    def kfp_jobs(self) -> list[BatchJobRecord]:
        """The unfinished jobs that run on Kubeflow."""
        rows = self._conn().execute(
            f"SELECT * FROM batch_jobs WHERE target = 'kfp' AND status IN ({_ACTIVE}) ORDER BY created_at"
        )
        return [_record(row) for row in rows]

    def finish(self, job_id: str, status: str, error: str | None = None, **counts: int) -> bool:
        """End an unfinished job with `status` (and `error`; `counts`: rows_done, rows_total, rows_predicted,
        rejected); False when it had ended already."""
        sets = "".join(f"{name} = :{name}, " for name in counts)
        return self._update(
            job_id, f"{sets}status = :status, error = :error, finished_at = :now", status=status, error=error, **counts
        )

    def mark_interrupted(self, is_alive: Callable[[int], bool], reason: str) -> int:
        """End as `interrupted` the unfinished local jobs whose worker is gone; how many (a job on Kubeflow has
        none)."""
        conn = self._conn()
        with transaction(conn):
            rows = conn.execute(
                f"SELECT id, worker_pid FROM batch_jobs WHERE target = 'local' AND status IN ({_ACTIVE})"
            ).fetchall()
            gone = [row["id"] for row in rows if row["worker_pid"] is None or not is_alive(row["worker_pid"])]
        for job_id in gone:
            self.finish(job_id, RunStatus.INTERRUPTED, reason)
        return len(gone)

    def _update(self, job_id: str, assignments: str, **values) -> bool:
        """Change an unfinished job; False when it has ended (or is not there)."""
        conn = self._conn()
        with transaction(conn):
            done = conn.execute(
                f"UPDATE batch_jobs SET {assignments}, updated_at = :now WHERE id = :id AND status IN ({_ACTIVE})",
                {**values, "id": job_id, "now": times.now()},
            )
        return done.rowcount == 1


def _record(row: sqlite3.Row) -> BatchJobRecord:
    record = dict(row)
    record["options"] = json.loads(record["options"])
    record["log"] = bool(record["log"])
    return record  # type: ignore[return-value]
