"""Schedules as a user manages them: create, change, enable, disable, delete, list, and their next fire times.

Every change that touches the trigger, its bounds or `enabled` recomputes `next_due` from now, so times missed while
a schedule was disabled or before it was changed never fire. An interval counts from `start_at`, which defaults to
the creation time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from ..records import FireRecord, ScheduleRecord
from ..store.schedules import ScheduleStore
from . import triggers, validation

#: Changing one of these moves the schedule's next due time.
_TIMING = ("trigger", "expression", "time_zone", "start_at", "end_at", "enabled")


class ScheduleService:
    """The schedules in `store`; `clock` gives the time (epoch seconds); `check_notebook(path)`, when given, refuses
    (a FieldError) the notebook path of a new schedule or a changed one, e.g. one that is not a notebook under the
    root."""

    def __init__(
        self,
        store: ScheduleStore,
        clock: Callable[[], float] = time.time,
        *,
        check_notebook: Callable[[str], object] | None = None,
    ):
        self.store = store
        self._clock = clock
        self._check_notebook = check_notebook or (lambda path: None)

    def create(self, /, **fields) -> ScheduleRecord:
        """A new schedule from the fields of `validation.FIELDS`; FieldErrors name what is wrong."""
        values = validation.check(fields)
        self._check_notebook(values["notebook_path"])
        now = int(self._clock())
        if values["start_at"] is None:
            values["start_at"] = now
        return self.store.create({**values, "next_due": next_due(values, now)})

    def update(self, name: str, /, **fields) -> ScheduleRecord:
        """Change some fields of the schedule `name`."""
        current = self.store.get(name)
        values = validation.check(fields, current)
        if values["start_at"] is None:
            values["start_at"] = int(self._clock())
        changed = {column: value for column, value in values.items() if value != current[column]}
        if "notebook_path" in changed:
            self._check_notebook(changed["notebook_path"])
        if any(column in changed for column in _TIMING):
            changed["next_due"] = next_due(values, int(self._clock()))
        return self.store.update(name, changed) if changed else current

    def enable(self, name: str, enabled: bool = True) -> ScheduleRecord:
        return self.update(name, enabled=enabled)

    def delete(self, name: str) -> None:
        self.store.delete(name)

    def get(self, name: str) -> ScheduleRecord:
        return self.store.get(name)

    def list(self) -> list[dict]:
        """Every schedule, by name, with `last_fire`: its latest handled due time (None before its first)."""
        last = self.store.last_fires()
        return [{**schedule, "last_fire": last.get(schedule["id"])} for schedule in self.store.list()]

    def fires(self, name: str, limit: int = 100) -> list[FireRecord]:
        """The schedule's handled due times, latest first."""
        return self.store.fires(name, limit)

    def next_times(self, name: str, count: int = 5) -> list[datetime]:
        """The schedule's next `count` fire times, aware in its time zone (empty when disabled or ended)."""
        schedule = self.store.get(name)
        if schedule["next_due"] is None:
            return []
        zone = triggers.zone(schedule["time_zone"])
        times = triggers.fire_times(trigger_of(schedule), schedule["next_due"] - 1, count=count, end=schedule["end_at"])
        return [datetime.fromtimestamp(t, zone) for t in times]

    def detail(self, name: str, count: int = 5) -> dict:
        """The schedule with `next_times`, its next `count` fire times as ISO-8601 texts in its time zone, and
        `last_fire`, its latest handled due time (None before its first)."""
        schedule = self.store.get(name)
        latest = self.store.fires(name, limit=1)
        return {
            **schedule,
            "next_times": [t.isoformat() for t in self.next_times(name, count)],
            "last_fire": latest[0] if latest else None,
        }

    def preview(self, trigger: str, expression: str, time_zone: str = "UTC", count: int = 5) -> list[str]:
        """The next `count` fire times from now of a trigger not saved yet, as ISO-8601 texts in `time_zone` (the
        UI's cron helper); FieldErrors name `trigger`, `expression` or `time_zone`."""
        now = datetime.fromtimestamp(int(self._clock()), UTC)
        return [t.isoformat() for t in triggers.next_times(trigger, expression, time_zone, after=now, count=count)]


def trigger_of(schedule: dict) -> triggers.Trigger:
    """The trigger of a schedule's (checked) columns."""
    return triggers.make(
        schedule["trigger"], schedule["expression"], schedule["time_zone"], anchor=schedule["start_at"] or 0
    )


def next_due(schedule: dict, now: int) -> int | None:
    """The schedule's first due time after `now` within its bounds, or None when disabled or ended."""
    if not schedule["enabled"]:
        return None
    due = triggers.fire_times(trigger_of(schedule), now, count=1, start=schedule["start_at"], end=schedule["end_at"])
    return due[0] if due else None
