"""Scheduler overhead with 1,000 schedules: the due check of every tick (goal: well under 10 ms).

Run: `python bench/scheduler.py [SCHEDULES] [TICKS]` (defaults 1000 and 500; not run in CI). Creates the schedules
(cron and interval, spread over time zones, their next due times spread over the next day) in a temporary store,
then times, on a fake clock: the due query alone (`ScheduleStore.due`), a whole `tick()` with nothing due (the
usual case: the query and the stale-claim check), and a tick where 10 schedules are due (their claims and starts,
with a `start_run` that does nothing).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ai4mlops_lab.scheduling import Scheduler  # noqa: E402

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
ZONES = ("UTC", "Europe/Madrid", "America/New_York", "Asia/Tokyo")


def timed(call, repeat: int) -> tuple[float, float]:
    """Median and p99 milliseconds of `call`."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main(count: int = 1000, ticks: int = 500) -> None:
    clock = {"now": NOW}
    with tempfile.TemporaryDirectory() as folder:
        scheduler = Scheduler(Path(folder) / "store.sqlite", lambda schedule, due: "run", lambda: clock["now"])
        for k in range(count):
            minute, hour = k % 60, (k // 60) % 24
            fields = (
                {"expression": f"{minute} {hour} * * *"}
                if k % 2
                else {"trigger": "interval", "expression": f"{60 + k}m"}
            )
            scheduler.schedules.create(name=f"s{k:04d}", notebook_path="train.ipynb", time_zone=ZONES[k % 4], **fields)
        clock["now"] = NOW + 1  # nothing due yet: the first interval is due after its 60 minutes
        query_ms = timed(lambda: scheduler.store.due(int(clock["now"])), ticks)
        idle_ms = timed(scheduler.tick, ticks)
        assert scheduler.tick() == []
        dues = sorted(s["next_due"] for s in scheduler.schedules.list())
        clock["now"] = dues[9]  # the 10 earliest are due
        start = time.perf_counter()
        fired = scheduler.tick()
        busy_ms = (time.perf_counter() - start) * 1000
        scheduler.close()
    print(f"{count} schedules, {ticks} ticks")
    print(f"due query (nothing due):  median {query_ms[0]:.3f} ms, p99 {query_ms[1]:.3f} ms")
    print(f"tick (nothing due):       median {idle_ms[0]:.3f} ms, p99 {idle_ms[1]:.3f} ms   (goal: well under 10 ms)")
    print(f"tick firing {len(fired)} schedules: {busy_ms:.2f} ms")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
