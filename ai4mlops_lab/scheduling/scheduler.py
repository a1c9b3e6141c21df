"""The scheduler: each `tick` fires the schedules that are due, through a `start_run` callable.

All its state is in the store, so it survives restarts and several schedulers (processes or threads) may share a
store: each due time is claimed in one compare-and-set transaction (`ScheduleStore.claim`) before its run starts,
so it fires at most once. A scheduler that stops between the claim and the start leaves the due time `claimed`; after
`CLAIM_TIMEOUT_S` it is marked failed, never fired again.

Missed due times (the scheduler was not running): with catch-up on, one run per missed time, at most the latest
`CATCH_UP_LIMIT`; with catch-up off, only the latest fires. The others are recorded as skipped (the latest
`SKIPS_RECORDED` of them). A due time is also skipped while `max_concurrent` runs of the schedule are in flight.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..records import ScheduleRecord
from ..states import FireOutcome
from ..store.schedules import ScheduleStore
from . import triggers
from .service import ScheduleService, next_due, trigger_of

log = logging.getLogger(__name__)

CATCH_UP_LIMIT = 10
SKIPS_RECORDED = 100
CLAIM_TIMEOUT_S = 600
#: Schedules read per query of a tick (a tick reads until none is due).
BATCH = 100

# Why a due time was skipped (the `reason` of a skipped fire).
MISSED = "missed: catch-up is off and a later due time fired"
OVER_CATCH_UP_LIMIT = f"missed: catch-up runs at most the latest {CATCH_UP_LIMIT}"
TOO_MANY_RUNNING = "max_concurrent runs of the schedule were still running"
STOPPED = "the scheduler stopped before starting the run"

StartRun = Callable[[ScheduleRecord, datetime], str]


@dataclass(frozen=True)
class Fired:
    """A due time a tick handled."""

    schedule: str
    due: int
    outcome: str  # FireOutcome (started, skipped or failed)
    run_id: str | None = None
    reason: str | None = None


class Scheduler:
    """Fires the due schedules of the store at `store_path`.

    `start_run(schedule, due)` starts a run (`due`: an aware time in the schedule's zone) and returns its id;
    `running_count(schedule)` says how many of the schedule's runs are still going (default: its runs that the
    store has as pending or running); `clock` gives epoch seconds.
    """

    def __init__(
        self,
        store_path: str | Path,
        start_run: StartRun,
        clock: Callable[[], float] = time.time,
        *,
        running_count: Callable[[ScheduleRecord], int] | None = None,
    ):
        self.store = ScheduleStore(store_path)
        self.schedules = ScheduleService(self.store, clock)
        self._start_run = start_run
        self._clock = clock
        self._running_count = running_count or (lambda schedule: self.store.active_runs(schedule["id"]))

    def tick(self) -> list[Fired]:
        """Fire every schedule due now; what became of each due time handled."""
        now = self._clock()
        self.store.expire_claims(now - CLAIM_TIMEOUT_S, STOPPED)
        fired: list[Fired] = []
        handled: set[int] = set()
        while batch := [s for s in self.store.due(int(now), BATCH) if s["id"] not in handled]:
            for schedule in batch:
                handled.add(schedule["id"])
                fired += self._fire(schedule, int(now))
        return fired

    def run(
        self,
        stop: threading.Event,
        interval: float = 1.0,
        *,
        before: Callable[[], object] | None = None,
        report: Callable[[list[Fired]], object] | None = None,
    ) -> None:
        """Tick every `interval` seconds until `stop` is set, calling `before()` first each time (e.g. to notice
        finished runs) and `report(fired)` after; a failing round is logged, never fatal."""
        while not stop.is_set():
            try:
                if before is not None:
                    before()
            except Exception:
                log.exception("The step before a scheduler tick failed")
            try:
                fired = self.tick()
                if report is not None:
                    report(fired)
            except Exception:
                log.exception("A scheduler tick failed")
            stop.wait(interval)

    def close(self) -> None:
        self.store.close()

    def _fire(self, schedule: ScheduleRecord, now: int) -> list[Fired]:
        plan = self._plan(schedule, now)
        recorded = self.store.claim(
            schedule["id"], expected=schedule["next_due"], next_due=next_due(schedule, now), fires=plan, at=now
        )
        if recorded is None:
            return []  # another scheduler took these due times
        return [
            self._start(schedule, due)
            if outcome == FireOutcome.CLAIMED
            else Fired(schedule["name"], due, outcome, None, reason)
            for due, outcome, reason in plan
            if due in recorded
        ]

    def _plan(self, schedule: ScheduleRecord, now: int) -> list[tuple[int, str, str | None]]:
        """`(due, outcome, reason)` of each due time up to `now` to record: claimed (to start) or skipped."""
        until = now if schedule["end_at"] is None else min(now, schedule["end_at"])
        runs = CATCH_UP_LIMIT if schedule["catch_up"] else 1
        missed = (
            triggers.latest_due(trigger_of(schedule), schedule["next_due"], until, runs + SKIPS_RECORDED)
            if schedule["next_due"] <= until
            else []
        )
        reason = OVER_CATCH_UP_LIMIT if schedule["catch_up"] else MISSED
        plan = [(due, FireOutcome.SKIPPED.value, reason) for due in missed[:-runs]]
        in_flight = self._running_count(schedule) + self.store.claimed(schedule["id"])
        for due in missed[-runs:]:
            if in_flight >= schedule["max_concurrent"]:
                plan.append((due, FireOutcome.SKIPPED.value, TOO_MANY_RUNNING))
            else:
                plan.append((due, FireOutcome.CLAIMED.value, None))
                in_flight += 1
        return plan

    def _start(self, schedule: ScheduleRecord, due: int) -> Fired:
        zone = triggers.zone(schedule["time_zone"])
        try:
            run_id = self._start_run(schedule, datetime.fromtimestamp(due, zone))
        except Exception as err:
            log.warning("Schedule %s could not start its run due at %s: %s", schedule["name"], due, err)
            reason = str(err) or type(err).__name__
            self.store.settle(schedule["id"], due, FireOutcome.FAILED, reason=reason)
            return Fired(schedule["name"], due, FireOutcome.FAILED, None, reason)
        self.store.settle(schedule["id"], due, FireOutcome.STARTED, run_id=run_id)
        return Fired(schedule["name"], due, FireOutcome.STARTED, run_id)
