"""Two schedulers on one store, in two threads or two processes: each due time fires once."""

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from ai4mlops_lab.scheduling import Scheduler

TICKER = Path(__file__).with_name("ticker.py")
REPO = Path(__file__).parents[2]
SCHEDULES = 40


def create_due_schedules(scheduler, clock):
    for k in range(SCHEDULES):
        scheduler.schedules.create(name=f"s{k}", notebook_path="a.ipynb", expression="* * * * *", max_concurrent=5)
    clock.now += 3 * 60 + 5  # three due times each; catch-up off: the latest fires


def test_two_threads_fire_each_due_time_once(store_path, scheduler, clock, starter):
    create_due_schedules(scheduler, clock)
    other = Scheduler(store_path, starter, clock)
    barrier = threading.Barrier(2)
    errors = []

    def run(instance):
        try:
            barrier.wait()
            for _ in range(3):
                instance.tick()
        except Exception as err:  # pragma: no cover (reported below)
            errors.append(err)

    threads = [threading.Thread(target=run, args=(s,)) for s in (scheduler, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    other.close()
    assert errors == []
    counts = Counter(name for name, _ in starter.calls)
    assert counts == {f"s{k}": 1 for k in range(SCHEDULES)}


def test_two_processes_fire_each_due_time_once(store_path, scheduler, clock, tmp_path):
    create_due_schedules(scheduler, clock)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(TICKER), str(store_path), str(clock.now), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    go.touch()
    started = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        started += json.loads(out)
    assert sorted(Counter(started).values()) == [1] * SCHEDULES
    assert len({fire.split("@")[0] for fire in started}) == SCHEDULES
