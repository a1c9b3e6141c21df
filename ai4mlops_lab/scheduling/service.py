"""Schedules as a user manages them: create, change, enable, disable, delete, list, and their next fire times.

Every change that touches the trigger, its bounds or `enabled` recomputes `next_due` from now, so times missed while
a schedule was disabled or before it was changed never fire. An interval counts from `start_at`, which defaults to
the creation time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from ..records import FireRecord, ScheduleRecord
from ..store.schedules import ScheduleStore
from . import triggers, validation

#: Changing one of these moves the schedule's next due time.
_TIMING = ("trigger", "expression", "time_zone", "start_at", "end_at", "enabled")


class ScheduleService:
    """The schedules in `store`; `clock` gives the time (epoch seconds)."""

    def __init__(self, store: ScheduleStore, clock: Callable[[], float] = time.time):
        self.store = store
        self._clock = clock

    def create(self, **fields) -> ScheduleRecord:
        """A new schedule from the fields of `validation.FIELDS`; FieldErrors name what is wrong."""
        values = validation.check(fields)
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
        if any(column in changed for column in _TIMING):
            changed["next_due"] = next_due(values, int(self._clock()))
        return self.store.update(name, changed) if changed else current

    def enable(self, name: str, enabled: bool = True) -> ScheduleRecord:
        return self.update(name, enabled=enabled)

    def delete(self, name: str) -> None:
        self.store.delete(name)

    def get(self, name: str) -> ScheduleRecord:
        return self.store.get(name)

    def list(self) -> list[ScheduleRecord]:
        return self.store.list()

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
