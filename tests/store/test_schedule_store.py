"""The schedules in the store: records, the due query, claiming due times (compare-and-set) and what became of
them."""

import pytest

from ai4mlops_lab.errors import NotFoundError, UserError
from ai4mlops_lab.store import db
from ai4mlops_lab.store.schedules import ScheduleStore


def schedule(**fields):
    return {
        "name": "nightly",
        "notebook_path": "train.ipynb",
        "pin": None,
        "parameters": {"epochs": 3},
        "target": "local",
        "experiment": None,
        "trigger": "cron",
        "expression": "0 3 * * *",
        "time_zone": "Europe/Madrid",
        "start_at": 1000,
        "end_at": None,
        "max_concurrent": 1,
        "catch_up": False,
        "enabled": True,
        "next_due": 5000,
        **fields,
    }


@pytest.fixture
def schedules(store_path):
    store = ScheduleStore(store_path)
    yield store
    store.close()


def test_a_schedule_round_trips(schedules):
    created = schedules.create(schedule())
    assert created == {
        **schedule(),
        "id": created["id"],
        "last_fired_due": None,
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
        "kfp_pipeline_id": None,
        "kfp_version_id": None,
        "kfp_recurring_run_id": None,
    }
    assert schedules.list() == [created]
    changed = schedules.update("nightly", {"enabled": False, "next_due": None, "parameters": {"epochs": 5}})
    assert (changed["enabled"], changed["next_due"], changed["parameters"]) == (False, None, {"epochs": 5})


def test_kfp_schedules_are_never_due_here_and_pins_and_recurring_runs_are_found(schedules):
    schedules.create(schedule(pin="a" * 64))
    schedules.create(schedule(name="remote", target="kfp", kfp_recurring_run_id="r1"))  # next_due set by mistake
    assert [s["name"] for s in schedules.due(10_000)] == ["nightly"]
    assert schedules.uses_pin("a" * 64) and not schedules.uses_pin("b" * 64)
    assert schedules.uses_recurring_run("r1") and not schedules.uses_recurring_run("r2")


def test_names_are_unique_and_missing_names_are_404(schedules):
    schedules.create(schedule())
    with pytest.raises(UserError) as err:
        schedules.create(schedule())
    assert err.value.status == 409
    for call in (lambda: schedules.get("nope"), lambda: schedules.update("nope", {}), lambda: schedules.delete("x")):
        with pytest.raises(NotFoundError):
            call()


def test_due_reads_only_enabled_schedules_due_by_now_oldest_first(schedules):
    schedules.create(schedule(name="later", next_due=9000))
    schedules.create(schedule(name="b", next_due=4000))
    schedules.create(schedule(name="a", next_due=3000))
    schedules.create(schedule(name="off", next_due=None, enabled=False))
    assert [s["name"] for s in schedules.due(5000)] == ["a", "b"]
    assert [s["name"] for s in schedules.due(5000, limit=1)] == ["a"]


def test_the_due_query_reads_the_next_due_index(schedules, store_path):
    conn = db.connect(store_path, check=False)
    plan = " ".join(
        row[3]
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM schedules WHERE next_due IS NOT NULL AND next_due <= ? "
            "ORDER BY next_due LIMIT 100",
            (5000,),
        )
    )
    conn.close()
    assert "SEARCH schedules USING INDEX schedules_by_next_due" in plan, plan


def test_a_claim_moves_next_due_only_from_the_expected_value(schedules):
    sid = schedules.create(schedule())["id"]
    fires = [(4000, "skipped", "missed"), (5000, "claimed", None)]
    assert schedules.claim(sid, expected=5000, next_due=6000, fires=fires, at=5001.5) == [4000, 5000]
    assert schedules.claim(sid, expected=5000, next_due=6000, fires=fires, at=5002) is None  # lost the race
    record = schedules.get("nightly")
    assert (record["next_due"], record["last_fired_due"]) == (6000, 5000)
    assert schedules.claimed(sid) == 1
    schedules.settle(sid, 5000, "started", run_id="run-1")
    assert schedules.claimed(sid) == 0
    assert schedules.fires("nightly") == [
        {
            "schedule_id": sid,
            "due": 5000,
            "outcome": "started",
            "reason": None,
            "run_id": "run-1",
            "fired_at": "1970-01-01T01:23:21.500Z",
        },
        {
            "schedule_id": sid,
            "due": 4000,
            "outcome": "skipped",
            "reason": "missed",
            "run_id": None,
            "fired_at": "1970-01-01T01:23:21.500Z",
        },
    ]


def test_last_fires_gives_each_schedules_latest_due_time(schedules):
    first = schedules.create(schedule())["id"]
    second = schedules.create(schedule(name="hourly"))["id"]
    schedules.create(schedule(name="never"))
    schedules.claim(
        first, expected=5000, next_due=7000, fires=[(5000, "skipped", "busy"), (6000, "claimed", None)], at=6000
    )
    schedules.claim(second, expected=5000, next_due=6000, fires=[(5000, "failed", "no notebook")], at=5000)
    last = schedules.last_fires()
    assert sorted(last) == [first, second]
    assert (last[first]["due"], last[first]["outcome"]) == (6000, "claimed")
    assert (last[second]["due"], last[second]["reason"]) == (5000, "no notebook")


def test_a_due_time_recorded_before_is_never_recorded_again(schedules):
    sid = schedules.create(schedule())["id"]
    schedules.claim(sid, expected=5000, next_due=6000, fires=[(5000, "claimed", None)], at=5000)
    schedules.update("nightly", {"next_due": 5000})  # e.g. a clock set back
    assert schedules.claim(sid, expected=5000, next_due=6000, fires=[(5000, "claimed", None)], at=5000) == []
    assert schedules.get("nightly")["next_due"] == 6000
    assert len(schedules.fires("nightly")) == 1


def test_stale_claims_are_marked_failed(schedules):
    sid = schedules.create(schedule())["id"]
    schedules.claim(sid, expected=5000, next_due=6000, fires=[(5000, "claimed", None)], at=5000)
    assert schedules.expire_claims(5000, "stopped") == 0
    assert schedules.expire_claims(5001, "stopped") == 1
    assert schedules.fires("nightly")[0]["outcome"] == "failed"
    assert schedules.claimed(sid) == 0


def test_active_runs_counts_the_schedules_started_runs_still_going(schedules, make_run, store):
    sid = schedules.create(schedule())["id"]
    running, done = make_run()["id"], make_run()["id"]
    store.set_run_status(done, "succeeded")
    for due, run_id in ((5000, running), (6000, done)):
        schedules.update("nightly", {"next_due": due})
        schedules.claim(sid, expected=due, next_due=due + 1000, fires=[(due, "claimed", None)], at=due)
        schedules.settle(sid, due, "started", run_id=run_id)
    assert schedules.active_runs(sid) == 1


def test_deleting_a_schedule_deletes_its_fires(schedules, store_path):
    sid = schedules.create(schedule())["id"]
    schedules.claim(sid, expected=5000, next_due=6000, fires=[(5000, "claimed", None)], at=5000)
    schedules.delete("nightly")
    conn = db.connect(store_path, check=False)
    assert conn.execute("SELECT count(*) FROM schedule_fires").fetchone()[0] == 0
    conn.close()


def test_a_store_before_schedules_gains_them(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    with monkeypatch.context() as old:
        old.setattr(db, "MIGRATIONS", db.MIGRATIONS[:-1])
        old.setattr(db, "SCHEMA_VERSION", db.SCHEMA_VERSION - 1)
        db.connect(path).close()
    store = ScheduleStore(path)
    assert store.create(schedule())["name"] == "nightly"
    store.close()
