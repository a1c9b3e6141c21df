"""Fixtures for the scheduler tests: a fake clock, a fake run starter and a scheduler on a fresh store."""

from datetime import datetime

import pytest

from ai4mlops_lab.scheduling import Scheduler


def epoch(text: str) -> int:
    """Epoch seconds of an ISO-8601 time with an offset."""
    return int(datetime.fromisoformat(text).timestamp())


class Clock:
    """A clock the test sets: epoch seconds."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def set(self, text: str) -> None:
        self.now = epoch(text)


class Starter:
    """A `start_run` that records `(schedule name, due as ISO text)` and answers run ids."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def __call__(self, schedule, due):
        self.calls.append((schedule["name"], due.isoformat()))
        return f"run-{len(self.calls)}"


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "workspace" / "store.db"


@pytest.fixture
def clock():
    return Clock(epoch("2026-01-01T00:00:00+00:00"))


@pytest.fixture
def starter():
    return Starter()


@pytest.fixture
def scheduler(store_path, starter, clock):
    scheduler = Scheduler(store_path, starter, clock)
    yield scheduler
    scheduler.close()


@pytest.fixture
def create(scheduler):
    """Create a schedule with defaults for the fields a test does not care about."""

    def make(**fields):
        return scheduler.schedules.create(**{"name": "nightly", "notebook_path": "train.ipynb", **fields})

    return make
