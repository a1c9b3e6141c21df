"""Triggers: intervals, time zones, the next five fire times and the scan of missed due times."""

import time
from datetime import UTC, datetime

import pytest

from ai4mlops_lab.errors import FieldError
from ai4mlops_lab.scheduling import triggers

T0 = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("15m", 900),
        ("2h", 7200),
        ("1d", 86400),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("every 15 minutes", 900),
        ("@every 1h", 3600),
        ("Every 2 Hours", 7200),
        (45, 45),
    ],
)
def test_interval_durations(text, seconds):
    assert triggers.interval_seconds(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "soon", "5 weeks", "0s", 0, -5, "1.5h", True, None, "3651d", "9" * 5000, "\u0661\u0662s"]
)
def test_bad_intervals_name_the_expression(text):
    with pytest.raises(FieldError) as err:
        triggers.interval_seconds(text)
    assert err.value.field == "expression"
    assert "'15m'" in err.value.hint


def test_a_long_run_of_digits_is_refused_at_once():
    """The interval's pattern never backtracks (it did: 30 digits and a '!' took minutes)."""
    started = time.monotonic()
    for text in ("1" * 40 + "!", "1 " * 5000 + "!"):
        with pytest.raises(FieldError):
            triggers.interval_seconds(text)
    assert time.monotonic() - started < 1


def test_an_interval_counts_from_its_anchor_and_ignores_daylight_saving():
    every = triggers.make("interval", "90m", "Europe/Madrid", anchor=T0)
    assert every.next_after(T0 - 1000) == T0
    assert every.next_after(T0) == T0 + 5400
    assert every.next_after(T0 + 5399) == T0 + 5400
    spring = int(datetime(2026, 3, 29, tzinfo=UTC).timestamp())
    times = triggers.fire_times(triggers.make("interval", "1h", "Europe/Madrid", anchor=spring), spring, count=3)
    assert [b - a for a, b in zip(times, times[1:])] == [3600, 3600]


def test_next_five_times_for_the_ui_are_aware_in_the_zone():
    after = datetime(2026, 3, 28, 12, tzinfo=UTC)
    times = triggers.next_times("cron", "30 2 * * *", "Europe/Madrid", after=after)
    assert [t.isoformat() for t in times] == [
        "2026-03-29T03:00:00+02:00",  # 02:30 does not exist that night
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
        "2026-04-01T02:30:00+02:00",
        "2026-04-02T02:30:00+02:00",
    ]
    assert str(times[0].tzinfo) == "Europe/Madrid"


def test_next_times_respect_start_and_end():
    start = datetime(2026, 1, 10, tzinfo=UTC)
    end = datetime(2026, 1, 12, 12, tzinfo=UTC)
    times = triggers.next_times("cron", "0 0 * * *", after=datetime(2026, 1, 1, tzinfo=UTC), start=start, end=end)
    assert [t.day for t in times] == [10, 11, 12]
    every = triggers.next_times("interval", "1d", after=datetime(2026, 1, 1, tzinfo=UTC), start=start, count=2)
    assert [t.isoformat() for t in every] == ["2026-01-10T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]


@pytest.mark.parametrize("name", ["Mars/Olympus", "", None, "../etc/passwd"])
def test_unknown_time_zones_name_the_field(name):
    with pytest.raises(FieldError) as err:
        triggers.zone(name)
    assert err.value.field == "time_zone"
    assert "Europe/Madrid" in err.value.hint


def test_an_unknown_trigger_kind_names_the_field():
    with pytest.raises(FieldError) as err:
        triggers.make("hourly", "1h")
    assert err.value.field == "trigger" and "cron, interval" in err.value.hint


def test_latest_due_lists_every_missed_time_when_few():
    every_minute = triggers.make("cron", "* * * * *")
    assert triggers.latest_due(every_minute, T0 + 60, T0 + 300, keep=10) == [T0 + 60 * k for k in range(1, 6)]
    assert triggers.latest_due(every_minute, T0 + 60, T0 + 300, keep=2) == [T0 + 240, T0 + 300]
    assert triggers.latest_due(every_minute, T0 + 60, T0 + 119, keep=2) == [T0 + 60]


def test_latest_due_after_a_long_outage_jumps_to_the_latest(monkeypatch):
    monkeypatch.setattr(triggers, "SCAN_LIMIT", 50)
    every_second = triggers.make("cron", "* * * * * *")
    week = 7 * 86400
    assert triggers.latest_due(every_second, T0 + 1, T0 + week, keep=3) == [T0 + week - 2, T0 + week - 1, T0 + week]
    sparse = triggers.make("interval", "1h", anchor=T0)
    assert triggers.latest_due(sparse, T0, T0 + week, keep=2) == [T0 + week - 3600, T0 + week]
