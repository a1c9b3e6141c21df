"""The scheduler on a fake clock: due times, catch-up, concurrency, daylight-saving changes, bounds, restarts."""

import pytest

from ai4mlops_lab.scheduling import Scheduler
from ai4mlops_lab.scheduling import scheduler as scheduling

from ..model_runs import bare_run
from .conftest import epoch


def outcomes(fired):
    return [(f.outcome, f.reason) for f in fired]


def tick_until(scheduler, clock, end, step):
    """Tick every `step` seconds up to `end` (ISO text); every fire of those ticks."""
    fired = []
    while clock.now < epoch(end):
        clock.now += step
        fired += scheduler.tick()
    return fired


def test_a_due_time_fires_once_with_its_due_time_in_the_zone(scheduler, clock, starter, create):
    create(expression="0 3 * * *", time_zone="Europe/Madrid")
    assert scheduler.schedules.get("nightly")["next_due"] == epoch("2026-01-01T03:00:00+01:00")
    clock.set("2026-01-01T02:59:59+01:00")
    assert scheduler.tick() == []
    clock.set("2026-01-01T03:00:00+01:00")
    [fired] = scheduler.tick()
    assert (fired.outcome, fired.run_id, fired.due) == ("started", "run-1", epoch("2026-01-01T03:00:00+01:00"))
    assert starter.calls == [("nightly", "2026-01-01T03:00:00+01:00")]
    assert scheduler.tick() == []
    record = scheduler.schedules.get("nightly")
    assert record["last_fired_due"] == fired.due
    assert record["next_due"] == epoch("2026-01-02T03:00:00+01:00")
    assert scheduler.schedules.fires("nightly")[0] | {"fired_at": None} == {
        "schedule_id": record["id"],
        "due": fired.due,
        "outcome": "started",
        "reason": None,
        "run_id": "run-1",
        "fired_at": None,
    }


def test_catch_up_off_fires_only_the_latest_missed_time(scheduler, clock, starter, create):
    create(expression="0 * * * *")
    clock.set("2026-01-01T05:30:00+00:00")
    fired = scheduler.tick()
    assert outcomes(fired) == [("skipped", scheduling.MISSED)] * 4 + [("started", None)]
    assert starter.calls == [("nightly", "2026-01-01T05:00:00+00:00")]
    assert scheduler.schedules.get("nightly")["next_due"] == epoch("2026-01-01T06:00:00+00:00")
    assert [f["outcome"] for f in scheduler.schedules.fires("nightly")] == ["started"] + ["skipped"] * 4


def test_catch_up_runs_count_towards_max_concurrent(scheduler, clock, starter, create):
    create(expression="0 * * * *", catch_up=True, max_concurrent=2)
    clock.set("2026-01-01T03:10:00+00:00")
    assert outcomes(scheduler.tick()) == [("started", None)] * 2 + [("skipped", scheduling.TOO_MANY_RUNNING)]


def test_catch_up_on_fires_each_missed_time_up_to_the_limit(scheduler, clock, starter, create):
    create(expression="0 * * * *", catch_up=True, max_concurrent=20)
    clock.set("2026-01-01T03:10:00+00:00")
    assert outcomes(scheduler.tick()) == [("started", None)] * 3
    assert [due for _, due in starter.calls] == [f"2026-01-01T0{h}:00:00+00:00" for h in (1, 2, 3)]
    clock.set("2026-01-02T03:10:00+00:00")  # 24 missed: the latest 10 run
    fired = scheduler.tick()
    assert outcomes(fired) == [("skipped", scheduling.OVER_CATCH_UP_LIMIT)] * 14 + [("started", None)] * 10
    assert starter.calls[3][1] == "2026-01-01T18:00:00+00:00"
    assert starter.calls[-1][1] == "2026-01-02T03:00:00+00:00"


def test_a_long_outage_records_a_bounded_number_of_skips(scheduler, clock, create):
    create(expression="* * * * * *")  # every second, down for a day
    clock.now += 86400
    fired = scheduler.tick()
    assert len(fired) == scheduling.SKIPS_RECORDED + 1
    assert fired[-1].due == clock.now and fired[-1].outcome == "started"


def test_max_concurrent_skips_while_too_many_runs_are_going(store_path, clock, starter):
    running = {"count": 1}
    scheduler = Scheduler(store_path, starter, clock, running_count=lambda schedule: running["count"])
    scheduler.schedules.create(name="s", notebook_path="a.ipynb", expression="0 * * * *", max_concurrent=2)
    scheduler.schedules.create(name="t", notebook_path="a.ipynb", expression="0 * * * *", catch_up=True)
    clock.set("2026-01-01T01:00:00+00:00")
    assert [(f.schedule, f.outcome) for f in scheduler.tick()] == [("s", "started"), ("t", "skipped")]
    running["count"] = 2
    clock.set("2026-01-01T02:00:00+00:00")
    assert [(f.schedule, f.reason) for f in scheduler.tick()] == [
        ("s", scheduling.TOO_MANY_RUNNING),
        ("t", scheduling.TOO_MANY_RUNNING),
    ]
    running["count"] = 0
    scheduler.schedules.update("t", max_concurrent=2)
    clock.set("2026-01-01T05:00:00+00:00")  # t: 3, 4 and 5 missed, catch-up on, 2 may run
    fired = [(f.outcome, f.reason) for f in scheduler.tick() if f.schedule == "t"]
    assert fired == [("started", None), ("started", None), ("skipped", scheduling.TOO_MANY_RUNNING)]
    scheduler.close()


def test_the_default_running_count_reads_the_schedules_runs_in_the_store(store_path, clock):
    from ai4mlops_lab.store import RunStore

    runs = RunStore(store_path)

    def start_run(schedule, due):
        return bare_run(runs, "train")

    scheduler = Scheduler(store_path, start_run, clock)
    scheduler.schedules.create(name="s", notebook_path="a.ipynb", expression="0 * * * *")
    clock.set("2026-01-01T01:00:00+00:00")
    [first] = scheduler.tick()
    clock.set("2026-01-01T02:00:00+00:00")
    assert outcomes(scheduler.tick()) == [("skipped", scheduling.TOO_MANY_RUNNING)]
    runs.set_run_status(first.run_id, "succeeded")
    clock.set("2026-01-01T03:00:00+00:00")
    assert outcomes(scheduler.tick()) == [("started", None)]
    scheduler.close()
    runs.close()


@pytest.mark.parametrize(
    ("zone", "start", "end", "expected"),
    [
        (
            "Europe/Madrid",
            "2026-03-27T12:00:00+01:00",
            "2026-03-30T12:00:00+02:00",
            ["2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"],
        ),
        (
            "America/New_York",
            "2026-03-06T12:00:00-05:00",
            "2026-03-09T12:00:00-04:00",
            ["2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"],
        ),
    ],
)
def test_spring_forward_the_skipped_time_fires_once_after_the_gap(
    scheduler, clock, starter, create, zone, start, end, expected
):
    clock.set(start)
    create(expression="30 2 * * *", time_zone=zone)
    tick_until(scheduler, clock, end, step=600)
    assert [due for _, due in starter.calls] == expected


@pytest.mark.parametrize(
    ("zone", "start", "end", "expected"),
    [
        (
            "Europe/Madrid",
            "2026-10-24T12:00:00+02:00",
            "2026-10-26T12:00:00+01:00",
            ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"],
        ),
        (
            "America/New_York",
            "2026-10-31T12:00:00-04:00",
            "2026-11-02T12:00:00-05:00",
            ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"],
        ),
    ],
)
def test_fall_back_the_repeated_time_fires_once(scheduler, clock, starter, create, zone, start, end, expected):
    clock.set(start)
    create(expression="30 1,2 * * *" if zone == "Europe/Madrid" else "30 1 * * *", time_zone=zone)
    tick_until(scheduler, clock, end, step=300)
    fired = [due for _, due in starter.calls]
    if zone == "Europe/Madrid":  # 01:30 and 02:30 each day; 02:30 only once on the day of the change
        assert fired == [
            "2026-10-25T01:30:00+02:00",
            expected[0],
            "2026-10-26T01:30:00+01:00",
            expected[1],
        ]
    else:
        assert fired == expected


def test_six_fields_with_seconds(scheduler, clock, starter, create):
    create(expression="*/20 * * * * *")
    tick_until(scheduler, clock, "2026-01-01T00:01:00+00:00", step=1)
    assert [due[14:19] for _, due in starter.calls] == ["00:20", "00:40", "01:00"]


def test_an_interval_counts_from_the_start(scheduler, clock, starter, create):
    create(trigger="interval", expression="90s", start_at="2026-01-01T00:00:30+00:00")
    tick_until(scheduler, clock, "2026-01-01T00:05:00+00:00", step=7)
    assert [due[14:19] for _, due in starter.calls] == ["00:30", "02:00", "03:30", "05:00"]


def test_start_and_end_bound_the_fires(scheduler, clock, starter, create):
    create(
        expression="0 * * * *",
        start_at="2026-01-01T02:00:00+00:00",
        end_at="2026-01-01T04:30:00+00:00",
        catch_up=True,
        max_concurrent=3,
    )
    clock.set("2026-01-01T10:00:00+00:00")
    scheduler.tick()
    assert [due[11:16] for _, due in starter.calls] == ["02:00", "03:00", "04:00"]
    assert scheduler.schedules.get("nightly")["next_due"] is None
    assert scheduler.schedules.next_times("nightly") == []


def test_a_restart_across_a_due_time_fires_it_once(store_path, clock, starter, create, scheduler):
    create(expression="0 3 * * *")
    scheduler.close()
    clock.set("2026-01-01T03:00:05+00:00")  # the due time passed while no scheduler ran
    again = Scheduler(store_path, starter, clock)
    assert outcomes(again.tick()) == [("started", None)]
    again.close()
    third = Scheduler(store_path, starter, clock)
    assert third.tick() == []
    third.close()
    assert starter.calls == [("nightly", "2026-01-01T03:00:00+00:00")]


def test_a_run_that_fails_to_start_is_recorded_and_not_retried(store_path, clock, create, scheduler):
    def broken(schedule, due):
        raise RuntimeError("the notebook has no steps")

    create(expression="0 * * * *")
    failing = Scheduler(store_path, broken, clock)
    clock.set("2026-01-01T01:00:00+00:00")
    assert outcomes(failing.tick()) == [("failed", "the notebook has no steps")]
    assert failing.tick() == []
    assert scheduler.schedules.fires("nightly")[0]["outcome"] == "failed"
    failing.close()


def test_a_claim_left_by_a_stopped_scheduler_expires_and_blocks_meanwhile(scheduler, clock, starter, create):
    record = create(expression="*/5 * * * *")
    due = record["next_due"]
    scheduler.store.claim(record["id"], expected=due, next_due=due + 300, fires=[(due, "claimed", None)], at=due)
    clock.now = due + 300  # the claimed run counts as in flight: max_concurrent 1 skips this one
    assert outcomes(scheduler.tick()) == [("skipped", scheduling.TOO_MANY_RUNNING)]
    clock.now = due + scheduling.CLAIM_TIMEOUT_S + 300  # the claim expired: no longer in flight
    assert outcomes(scheduler.tick()) == [("skipped", scheduling.MISSED), ("started", None)]
    assert scheduler.schedules.fires("nightly")[-1] | {"fired_at": None} == {
        "schedule_id": record["id"],
        "due": due,
        "outcome": "failed",
        "reason": scheduling.STOPPED,
        "run_id": None,
        "fired_at": None,
    }


def test_a_disabled_schedule_does_not_fire_nor_catch_up_when_enabled(scheduler, clock, starter, create):
    create(expression="0 * * * *", catch_up=True)
    scheduler.schedules.enable("nightly", False)
    clock.set("2026-01-01T05:30:00+00:00")
    assert scheduler.tick() == []
    record = scheduler.schedules.enable("nightly")
    assert record["next_due"] == epoch("2026-01-01T06:00:00+00:00")
    assert [t.hour for t in scheduler.schedules.next_times("nightly")] == [6, 7, 8, 9, 10]
    assert scheduler.tick() == []


def test_changing_the_trigger_moves_next_due(scheduler, clock, create):
    create(expression="0 3 * * *")
    assert scheduler.schedules.update("nightly", expression="0 4 * * *")["next_due"] == epoch(
        "2026-01-01T04:00:00+00:00"
    )
    before = scheduler.schedules.get("nightly")
    assert scheduler.schedules.update("nightly", parameters={"epochs": 2})["next_due"] == before["next_due"]
