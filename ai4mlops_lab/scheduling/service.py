"""Schedules as a user manages them: create, change, enable, disable, delete, list, and their next fire times.

Every change that touches the trigger, its bounds or `enabled` recomputes `next_due` from now, so times missed while
a schedule was disabled or before it was changed never fire. An interval counts from `start_at`, which defaults to
the creation time.

A pinned schedule (`pin`) runs the compiled pipeline kept when it was pinned: pinning (`pin: true` on create or
change) compiles its notebook once, and so does a change of its notebook. A kept pipeline no schedule runs any more is
removed. A schedule on Kubeflow Pipelines (target `kfp`, always pinned) is a recurring run there
(`kfp_schedules.py`): it has no `next_due`, its changes go to the KFP server first, and its fires are the runs that
recurring run started.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from ..errors import UserError
from ..records import FireRecord, ScheduleRecord
from ..states import RunTarget
from ..store.schedules import ScheduleStore
from . import triggers, validation
from .kfp_schedules import RECURRING_FIELDS, KfpSchedules

log = logging.getLogger(__name__)

#: Changing one of these moves the schedule's next due time.
_TIMING = ("trigger", "expression", "time_zone", "start_at", "end_at", "enabled")


class ScheduleService:
    """The schedules in `store`; `clock` gives the time (epoch seconds); `check_notebook(path)`, when given, refuses
    (a FieldError) the notebook path of a new schedule or a changed one, e.g. one that is not a notebook under the
    root. `pins` (`NotebookRuns`: `pin(path, target)`, `forget(pin)`) compiles and keeps pinned pipelines; `kfp`
    keeps the recurring runs of schedules on Kubeflow Pipelines. Without them, pinning and target kfp are refused."""

    def __init__(
        self,
        store: ScheduleStore,
        clock: Callable[[], float] = time.time,
        *,
        check_notebook: Callable[[str], object] | None = None,
        pins=None,
        kfp: KfpSchedules | None = None,
    ):
        self.store = store
        self._clock = clock
        self._check_notebook = check_notebook or (lambda path: None)
        self._pins = pins
        self._kfp = kfp

    def create(self, /, **fields) -> ScheduleRecord:
        """A new schedule from the fields of `validation.FIELDS`; FieldErrors name what is wrong."""
        values = validation.check(fields)
        self._check_notebook(values["notebook_path"])
        now = int(self._clock())
        if values["start_at"] is None:
            values["start_at"] = now
        self._pin(values)
        try:
            if values["target"] == RunTarget.KFP:
                values |= self._kfp_schedules().publish(values)
            return self.store.create({**values, "next_due": next_due(values, now)})
        except BaseException:
            self._undo(values)
            raise

    def update(self, name: str, /, **fields) -> ScheduleRecord:
        """Change some fields of the schedule `name`."""
        current = self.store.get(name)
        values = validation.check(fields, current)
        if values["start_at"] is None:
            values["start_at"] = int(self._clock())
        if values["notebook_path"] != current["notebook_path"]:
            self._check_notebook(values["notebook_path"])
            if values["pin"] is not None:
                values["pin"] = True  # the pinned pipeline was compiled from the other notebook
        self._pin(values)
        changed = {column: value for column, value in values.items() if value != current[column]}
        if any(column in changed for column in _TIMING):
            changed["next_due"] = next_due(values, int(self._clock()))
        if not changed:
            return current
        replaced = current["target"] == RunTarget.KFP and any(column in changed for column in RECURRING_FIELDS)
        try:
            if replaced:
                changed |= self._kfp_schedules().publish({**current, **values}, current)
            elif current["target"] == RunTarget.KFP and "enabled" in changed:
                self._kfp_schedules().switch(current, values["enabled"])
            record = self.store.update(name, changed)
        except BaseException:
            self._undo({**current, **changed})
            raise
        self._release(current)
        return record

    def enable(self, name: str, enabled: bool = True) -> ScheduleRecord:
        return self.update(name, enabled=enabled)

    def pin(self, name: str) -> ScheduleRecord:
        """Compile the schedule's notebook again and run that from now on (re-pin; pins an unpinned one)."""
        return self.update(name, pin=True)

    def delete(self, name: str) -> None:
        """Delete the schedule (and its recurring run on KFP); the runs it started stay."""
        schedule = self.store.get(name)
        if schedule["target"] == RunTarget.KFP:
            self._kfp_schedules().withdraw(schedule)
        self.store.delete(name)
        self._release({"pin": schedule["pin"]})  # its recurring run is gone already

    def _pin(self, values: dict) -> None:
        """Compile and keep the notebook of `values` when it is to be pinned (`pin` True)."""
        if values["pin"] is True:
            if self._pins is None:
                raise UserError("Pinning schedules needs the run service.", "Manage schedules through a workspace.")
            values["pin"] = self._pins.pin(values["notebook_path"], values["target"])

    def _release(self, values: dict) -> None:
        """Undo what `values` (a schedule's columns) holds that no schedule in the store uses: its recurring run on
        KFP, its kept pipeline (after a change, those it replaced; after a failure, those made for it)."""
        if values.get("kfp_recurring_run_id") and not self.store.uses_recurring_run(values["kfp_recurring_run_id"]):
            self._kfp_schedules().withdraw(values)
        pin = values.get("pin")
        if isinstance(pin, str) and self._pins is not None and not self.store.uses_pin(pin):
            self._pins.forget(pin)

    def _undo(self, values: dict) -> None:
        """`_release` after a failure: what it cannot undo is logged, never raised over the failure."""
        try:
            self._release(values)
        except Exception:
            log.warning("Could not undo a failed change of schedule %s", values.get("name"), exc_info=True)

    def _kfp_schedules(self) -> KfpSchedules:
        if self._kfp is None:
            raise UserError(
                "Schedules on Kubeflow Pipelines need the run service.", "Manage schedules through a workspace."
            )
        return self._kfp

    def get(self, name: str) -> ScheduleRecord:
        return self.store.get(name)

    def list(self) -> list[dict]:
        """Every schedule, by name, with `last_fire`: its latest handled due time (None before its first, and on
        KFP, whose fires are the KFP server's runs)."""
        last = self.store.last_fires()
        return [{**schedule, "last_fire": last.get(schedule["id"])} for schedule in self.store.list()]

    def fires(self, name: str, limit: int = 100) -> list[FireRecord]:
        """The schedule's handled due times, latest first; on KFP, the runs its recurring run started."""
        schedule = self.store.get(name)
        if schedule["target"] == RunTarget.KFP:
            return self._kfp_schedules().fires(schedule, limit)
        return self.store.fires(name, limit)

    def next_times(self, name: str, count: int = 5) -> list[datetime]:
        """The schedule's next `count` fire times, aware in its time zone (empty when disabled or ended)."""
        schedule = self.store.get(name)
        first = upcoming(schedule, int(self._clock())) if schedule["target"] == RunTarget.KFP else schedule["next_due"]
        if first is None:
            return []
        zone = triggers.zone(schedule["time_zone"])
        times = triggers.fire_times(trigger_of(schedule), first - 1, count=count, end=schedule["end_at"])
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
    """The due time the local scheduler waits for: the schedule's first after `now`, or None when disabled, ended or
    on Kubeflow Pipelines (whose server fires it)."""
    return None if schedule["target"] == RunTarget.KFP else upcoming(schedule, now)


def upcoming(schedule: dict, now: int) -> int | None:
    """The schedule's first fire time after `now` within its bounds, or None when disabled or ended."""
    if not schedule["enabled"]:
        return None
    due = triggers.fire_times(trigger_of(schedule), now, count=1, start=schedule["start_at"], end=schedule["end_at"])
    return due[0] if due else None
