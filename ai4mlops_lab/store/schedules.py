"""Schedules kept in the store, and what became of each of their due times (`schedule_fires`).

A due time is taken by `claim`: one transaction that moves the schedule's `next_due` on only if it still holds the
value the caller read (compare-and-set) and records the due times it handled, whose `(schedule, due)` is unique.
So however many schedulers share the file, each due time is handled once. Values are checked by the scheduling
service (`scheduling/validation.py`); this module trusts them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from ..errors import NotFoundError, UserError
from ..records import FireRecord, ScheduleRecord
from ..states import FireOutcome
from . import times
from .db import StoreFile, transaction
from .runs import UNFINISHED

#: The columns a schedule is created with and may change.
SCHEDULE_FIELDS = (
    "name",
    "notebook_path",
    "pin",
    "parameters",
    "target",
    "experiment",
    "trigger",
    "expression",
    "time_zone",
    "start_at",
    "end_at",
    "max_concurrent",
    "catch_up",
    "enabled",
    "next_due",
    "kfp_pipeline_id",
    "kfp_version_id",
    "kfp_recurring_run_id",
)


class ScheduleStore(StoreFile):
    """The schedules in the SQLite store at `path`, shared by threads and processes."""

    def create(self, fields: dict) -> ScheduleRecord:
        """Record a schedule (`SCHEDULE_FIELDS`); a name in use is a 409 UserError."""
        values = _columns(fields)
        now = times.now()
        conn = self._conn()
        with transaction(conn):
            if conn.execute("SELECT 1 FROM schedules WHERE name = ?", (values["name"],)).fetchone():
                raise UserError(
                    f"A schedule called {values['name']!r} already exists.",
                    "Choose another name, or change that schedule.",
                    status=409,
                    code="conflict",
                )
            conn.execute(
                f"INSERT INTO schedules ({', '.join(values)}, created_at, updated_at) "
                f"VALUES ({', '.join(':' + c for c in values)}, :now, :now)",
                {**values, "now": now},
            )
        return self.get(values["name"])

    def update(self, name: str, fields: dict) -> ScheduleRecord:
        """Change some of `SCHEDULE_FIELDS` (besides `name`) of the schedule `name`."""
        values = _columns(fields)
        values.pop("name", None)
        assignments = "".join(f"{column} = :{column}, " for column in values)
        conn = self._conn()
        with transaction(conn):
            done = conn.execute(
                f"UPDATE schedules SET {assignments}updated_at = :now WHERE name = :name",
                {**values, "now": times.now(), "name": name},
            )
            if done.rowcount == 0:
                raise _no_schedule(name)
        return self.get(name)

    def delete(self, name: str) -> None:
        """Delete the schedule and its fires (the runs it started stay)."""
        conn = self._conn()
        with transaction(conn):
            if conn.execute("DELETE FROM schedules WHERE name = ?", (name,)).rowcount == 0:
                raise _no_schedule(name)

    def get(self, name: str) -> ScheduleRecord:
        row = self._conn().execute("SELECT * FROM schedules WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise _no_schedule(name)
        return _schedule(row)

    def list(self) -> list[ScheduleRecord]:
        """Every schedule, by name."""
        return [_schedule(row) for row in self._conn().execute("SELECT * FROM schedules ORDER BY name")]

    def uses_pin(self, pin: str) -> bool:
        """Whether a schedule runs the kept compiled pipeline `pin`."""
        return self._conn().execute("SELECT 1 FROM schedules WHERE pin = ? LIMIT 1", (pin,)).fetchone() is not None

    def uses_recurring_run(self, recurring_run_id: str) -> bool:
        """Whether a schedule is the KFP recurring run `recurring_run_id`."""
        row = (
            self._conn()
            .execute("SELECT 1 FROM schedules WHERE kfp_recurring_run_id = ? LIMIT 1", (recurring_run_id,))
            .fetchone()
        )
        return row is not None

    def due(self, now: int, limit: int = 100) -> list[ScheduleRecord]:
        """The local schedules due at `now` (epoch seconds), the longest waiting first: one range read of an index.
        (A schedule on Kubeflow Pipelines has no `next_due`: its server fires it.)"""
        rows = self._conn().execute(
            "SELECT * FROM schedules WHERE next_due IS NOT NULL AND next_due <= ? AND target = 'local'"
            " ORDER BY next_due LIMIT ?",
            (now, limit),
        )
        return [_schedule(row) for row in rows]

    # -- due times ------------------------------------------------------------------------------

    def claim(
        self, schedule_id: int, *, expected: int, next_due: int | None, fires: Iterable[tuple], at: float
    ) -> list[int] | None:
        """Take the due times of a schedule whose `next_due` is still `expected`: move it to `next_due` and record
        `fires` (`(due, outcome, reason)` each) in one transaction. Returns the due times recorded (one recorded
        before is left as it is), or None, writing nothing, when another scheduler moved `next_due` first."""
        fires = list(fires)
        claimed = [due for due, outcome, _ in fires if outcome == FireOutcome.CLAIMED]
        conn = self._conn()
        with transaction(conn):
            moved = conn.execute(
                """UPDATE schedules SET next_due = ?, last_fired_due = coalesce(?, last_fired_due)
                   WHERE id = ? AND next_due = ?""",
                (next_due, max(claimed, default=None), schedule_id, expected),
            )
            if moved.rowcount == 0:
                return None
            return [
                due
                for due, outcome, reason in fires
                if conn.execute(
                    """INSERT INTO schedule_fires (schedule_id, due, outcome, reason, fired_at) VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT (schedule_id, due) DO NOTHING""",
                    (schedule_id, due, outcome, reason, times.from_epoch(at)),
                ).rowcount
            ]

    def settle(self, schedule_id: int, due: int, outcome: str, *, run_id: str | None = None, reason: str | None = None):
        """Record how a claimed due time ended: started (with its run) or failed (with the reason)."""
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                "UPDATE schedule_fires SET outcome = ?, run_id = ?, reason = ? WHERE schedule_id = ? AND due = ?",
                (outcome, run_id, reason, schedule_id, due),
            )

    def expire_claims(self, before: float, reason: str) -> int:
        """Mark as failed the due times claimed before `before` whose run never started (their scheduler stopped in
        between); how many."""
        conn = self._conn()
        stale = "FROM schedule_fires WHERE outcome = 'claimed' AND fired_at < ?"
        if not conn.execute(f"SELECT 1 {stale} LIMIT 1", (times.from_epoch(before),)).fetchone():
            return 0  # the usual case, answered by a read: no write lock taken
        with transaction(conn):
            return conn.execute(
                f"UPDATE schedule_fires SET outcome = 'failed', reason = ? WHERE id IN (SELECT id {stale})",
                (reason, times.from_epoch(before)),
            ).rowcount

    def claimed(self, schedule_id: int) -> int:
        """The schedule's due times claimed but not started yet."""
        return (
            self._conn()
            .execute(
                "SELECT count(*) FROM schedule_fires WHERE schedule_id = ? AND outcome = 'claimed'", (schedule_id,)
            )
            .fetchone()[0]
        )

    def active_runs(self, schedule_id: int) -> int:
        """The runs the schedule started that the store has as pending or running."""
        # read along the unfinished runs (`+` keeps SQLite from reading every run of the schedule instead)
        return (
            self._conn()
            .execute(f"SELECT count(*) FROM runs WHERE {UNFINISHED} AND +schedule_id = ?", (schedule_id,))
            .fetchone()[0]
        )

    def last_fires(self) -> dict[int, FireRecord]:
        """Each schedule's latest handled due time, by schedule id (schedules that never fired are left out)."""
        rows = self._conn().execute(
            """SELECT schedule_id, due, outcome, reason, run_id, fired_at FROM schedule_fires AS f
               WHERE due = (SELECT max(due) FROM schedule_fires WHERE schedule_id = f.schedule_id)"""
        )
        return {row["schedule_id"]: dict(row) for row in rows}

    def fires(self, name: str, limit: int = 100) -> list[FireRecord]:
        """The schedule's due times and what became of them, latest first."""
        schedule_id = self.get(name)["id"]
        rows = self._conn().execute(
            "SELECT schedule_id, due, outcome, reason, run_id, fired_at FROM schedule_fires WHERE schedule_id = ?"
            " ORDER BY due DESC LIMIT ?",
            (schedule_id, limit),
        )
        return [dict(row) for row in rows]


def _columns(fields: dict) -> dict:
    unknown = set(fields) - set(SCHEDULE_FIELDS)
    if unknown:
        raise ValueError(f"not a schedule column: {', '.join(sorted(unknown))}")
    values = dict(fields)
    if "parameters" in values:
        values["parameters"] = json.dumps(values["parameters"] or {})
    for flag in ("catch_up", "enabled"):
        if flag in values:
            values[flag] = int(bool(values[flag]))
    return values


def _schedule(row: sqlite3.Row) -> ScheduleRecord:
    record = dict(row)
    record.update(
        parameters=json.loads(record["parameters"]), catch_up=bool(record["catch_up"]), enabled=bool(record["enabled"])
    )
    return record


def _no_schedule(name: str) -> NotFoundError:
    return NotFoundError(f"No schedule called {name!r}.", "List the schedules to see their names.")
