"""A run's schedule and data trigger: the runs lists name them and filter by them, a page at a time, from what
started each run (a due time's `schedule_fires.run_id`, the contents' `trigger_seen.run_id`), which the store keeps
on the run (`runs.schedule_id`, `runs.trigger_id`) through every change there."""

import sqlite3

import pytest

from ai4mlops_lab.states import RUN_ACTIVE
from ai4mlops_lab.store import db
from ai4mlops_lab.store.runs import UNFINISHED, RunStore
from ai4mlops_lab.store.schedules import ScheduleStore
from ai4mlops_lab.store.triggers import TriggerStore

from .test_schedule_store import schedule

TRIGGER = {
    "name": "arrivals",
    "notebook_path": "train.ipynb",
    "source": "data/incoming",
    "pattern": "*.csv",
    "parameter": "data_path",
    "parameters": {},
    "settle_seconds": 0,
    "poll_seconds": 1,
}


@pytest.fixture
def schedules(store_path, store):
    schedules = ScheduleStore(store_path)
    yield schedules
    schedules.close()


@pytest.fixture
def triggers(store_path, store):
    triggers = TriggerStore(store_path)
    yield triggers
    triggers.close()


def fire(schedules, name, due, run_id):
    """Schedule `name` starts run `run_id` at its due time `due`, as the scheduler records it."""
    schedule_id = schedules.get(name)["id"]
    schedules.update(name, {"next_due": due})
    assert schedules.claim(schedule_id, expected=due, next_due=due + 1, fires=[(due, "claimed", None)], at=due)
    schedules.settle(schedule_id, due, "started", run_id=run_id)


def handle(triggers, trigger_id, hashes, run_id):
    """Trigger `trigger_id` starts run `run_id` on the contents `hashes` (one batch), as the watcher records it."""
    assert triggers.claim(trigger_id, [(h, f"{h}.csv", 1) for h in hashes], at=0.0) == list(hashes)
    triggers.settle(trigger_id, hashes, "started", run_id=run_id)


def ids(page):
    return [run["id"] for run in page["runs"]]


def test_the_runs_of_a_schedule_and_of_a_trigger_newest_first_a_page_at_a_time(store, make_run, schedules, triggers):
    nightly = schedules.create(schedule())["id"]
    schedules.create(schedule(name="hourly"))
    arrivals = triggers.create(TRIGGER)["id"]
    made = [make_run()["id"] for _ in range(6)]
    for due, run_id in enumerate(made[0:5:2]):
        fire(schedules, "nightly", due, run_id)
    fire(schedules, "hourly", 0, made[1])
    handle(triggers, arrivals, ["a", "b"], made[3])  # a batch: two contents, one run
    handle(triggers, arrivals, ["c"], made[5])

    first = store.page(schedule="nightly", limit=2)
    assert ids(first) == [made[4], made[2]]
    assert store.page(schedule="nightly", limit=2, cursor=first["next_cursor"]) == {
        "runs": [store.page(limit=10)["runs"][5]],
        "next_cursor": None,
    }
    assert ids(store.page(trigger="arrivals")) == [made[5], made[3]]
    assert ids(store.page(schedule="hourly", trigger="arrivals")) == []
    assert store.page(schedule="unknown") == {"runs": [], "next_cursor": None}
    listed = {run["id"]: (run["schedule"], run["trigger"]) for run in store.runs()}
    assert listed == {
        made[0]: ("nightly", None),
        made[1]: ("hourly", None),
        made[2]: ("nightly", None),
        made[3]: (None, "arrivals"),
        made[4]: ("nightly", None),
        made[5]: (None, "arrivals"),
    }
    run = store.run(made[3])
    assert (run["schedule"], run["trigger"]) == (None, "arrivals")
    assert not {"schedule_id", "trigger_id", "experiment_id", "row_key"} & set(run) & set(store.runs()[0])

    assert schedules.active_runs(nightly) == 3 and triggers.in_flight(arrivals) == 2
    store.set_run_status(made[4], "succeeded")
    store.set_run_status(made[5], "failed")
    assert schedules.active_runs(nightly) == 2 and triggers.in_flight(arrivals) == 1


def test_deleting_a_schedule_or_a_trigger_leaves_its_runs_without_one(store, make_run, schedules, triggers):
    schedules.create(schedule())
    arrivals = triggers.create(TRIGGER)["id"]
    scheduled, triggered = make_run()["id"], make_run()["id"]
    fire(schedules, "nightly", 0, scheduled)
    handle(triggers, arrivals, ["a", "b"], triggered)
    schedules.delete("nightly")
    triggers.delete("arrivals")
    assert [(run["schedule"], run["trigger"]) for run in store.runs()] == [(None, None), (None, None)]
    # a new schedule or trigger of the same name did not start the old runs
    schedules.create(schedule())
    triggers.create(TRIGGER)
    assert store.page(schedule="nightly") == store.page(trigger="arrivals") == {"runs": [], "next_cursor": None}


def test_a_link_moved_removed_or_made_before_its_run_is_followed(store, store_path, make_run, schedules, triggers):
    nightly = schedules.create(schedule())["id"]
    arrivals = triggers.create(TRIGGER)["id"]
    first, second = make_run()["id"], make_run()["id"]
    fire(schedules, "nightly", 0, first)
    handle(triggers, arrivals, ["a", "b"], first)
    conn = sqlite3.connect(store_path)
    with conn:  # the due time and one of the two contents now name the second run
        conn.execute("UPDATE schedule_fires SET run_id = ? WHERE run_id = ?", (second, first))
        conn.execute("UPDATE trigger_seen SET run_id = ? WHERE content_hash = 'a'", (second,))
    assert [(run["schedule"], run["trigger"]) for run in store.runs()] == [("nightly", "arrivals"), (None, "arrivals")]
    with conn:  # the second content goes: the first run keeps no trigger
        conn.execute("DELETE FROM trigger_seen WHERE content_hash = 'b'")
    assert store.run(first)["trigger"] is None and store.run(second)["trigger"] == "arrivals"
    with conn:  # links recorded before their run is: the run is recorded with its schedule and trigger
        conn.execute(
            "INSERT INTO schedule_fires (schedule_id, due, outcome, run_id, fired_at) "
            "VALUES (?, 1, 'started', 'r', '')",
            (nightly,),
        )
        conn.execute(
            "INSERT INTO trigger_seen (trigger_id, content_hash, path, size, state, run_id, seen_at) "
            "VALUES (?, 'c', 'c.csv', 1, 'started', 'r', '')",
            (arrivals,),
        )
        conn.execute(
            "INSERT INTO runs (id, experiment_id, notebook_path, notebook_hash, pipeline, target, parameters, status, "
            "created_at, updated_at) SELECT 'r', experiment_id, notebook_path, notebook_hash, pipeline, target, "
            "parameters, status, '9999', '9999' FROM runs WHERE id = ?",
            (first,),
        )
    conn.close()
    assert ids(store.page(schedule="nightly", limit=1)) == ids(store.page(trigger="arrivals", limit=1)) == ["r"]


def test_a_store_from_before_gains_the_runs_origins(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    before = next(k for k, migration in enumerate(db.MIGRATIONS) if "runs_by_schedule" in migration)
    with monkeypatch.context() as old:
        old.setattr(db, "MIGRATIONS", db.MIGRATIONS[:before])
        old.setattr(db, "SCHEMA_VERSION", before)
        conn = db.connect(path)
        with db.transaction(conn):
            conn.execute("INSERT INTO experiments (id, name, created_at) VALUES (1, 'e', '')")
            conn.executemany(
                "INSERT INTO runs (id, experiment_id, notebook_path, notebook_hash, pipeline, target, parameters, "
                "status, created_at, updated_at) VALUES (?, 1, 'n.ipynb', 'h', 'p', 'local', '{}', 'running', ?, ?)",
                [(f"r{k}", f"t{k}", f"t{k}") for k in range(4)],
            )
            conn.execute(
                "INSERT INTO schedules (id, name, notebook_path, parameters, target, trigger, expression, time_zone, "
                "created_at, updated_at) VALUES (7, 'nightly', 'n.ipynb', '{}', 'local', 'cron', '0 0 * * *', 'UTC', "
                "'', '')"
            )
            conn.execute(
                "INSERT INTO triggers (id, name, notebook_path, source, pattern, parameter, parameters, settle_seconds,"
                " poll_seconds, created_at, updated_at) VALUES (8, 'arrivals', 'n.ipynb', 'd', '*', 'p', '{}', 0, 1, "
                "'', '')"
            )
            conn.executemany(
                "INSERT INTO schedule_fires (schedule_id, due, outcome, run_id, fired_at) VALUES (7, ?, ?, ?, '')",
                [(0, "started", "r0"), (1, "started", "r2"), (2, "failed", None)],
            )
            conn.executemany(
                "INSERT INTO trigger_seen (trigger_id, content_hash, path, size, state, run_id, seen_at) "
                "VALUES (8, ?, 'x.csv', 1, 'started', 'r3', '')",
                [("a",), ("b",)],
            )
        conn.close()
    store = RunStore(path)
    assert ids(store.page(schedule="nightly")) == ["r2", "r0"] and ids(store.page(trigger="arrivals")) == ["r3"]
    assert [(run["schedule"], run["trigger"]) for run in store.runs()] == [
        (None, "arrivals"),
        ("nightly", None),
        (None, None),
        ("nightly", None),
    ]
    assert ScheduleStore(path).active_runs(7) == 2 and TriggerStore(path).in_flight(8) == 1
    store.close()


def test_the_unfinished_runs_condition_names_the_active_statuses():
    statuses = ", ".join(f"'{status}'" for status in sorted(RUN_ACTIVE))
    assert f"status IN ({statuses})" == UNFINISHED
