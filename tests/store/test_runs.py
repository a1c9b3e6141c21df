"""The run store's API: creating runs, status rules, outputs, listing and the change counter."""

import asyncio
import math
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from ai4mlops_lab.errors import NotFoundError
from ai4mlops_lab.store import RunStore, StoreValueError

from .conftest import step_values


def count(path, table):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_create_run_records_run_and_pending_steps(store, make_run):
    run = make_run(pipeline_version="v3", parameters={"epochs": 3, "lr": 0.1})
    assert len(run["id"]) == 12
    assert run["experiment"] == "default" and run["pipeline_version"] == "v3"
    assert run["parameters"] == {"epochs": 3, "lr": 0.1}
    assert run["status"] == "pending" and run["started_at"] is None and run["duration"] is None
    assert [(s["name"], s["status"]) for s in run["steps"]] == [
        ("load", "pending"),
        ("train", "pending"),
        ("evaluate", "pending"),
    ]
    assert run["created_at"].endswith("Z") and datetime.fromisoformat(run["created_at"])
    assert step_values(run, "metrics") == {} and step_values(run, "outputs") == {} and run["artifacts"] == []
    assert store.run(run["id"]) == run


def test_create_run_is_all_or_nothing(store, store_path, make_run):
    conn = sqlite3.connect(store_path)
    conn.execute(
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON steps WHEN NEW.name = 'boom' "
        "BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    conn.commit()
    conn.close()
    version = store.version()
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        make_run(steps=["load", "train", "boom", "evaluate"], experiment="new-experiment")
    assert [count(store_path, table) for table in ("runs", "steps", "experiments")] == [0, 0, 0]
    assert store.version() == version
    assert store.runs() == []


@pytest.mark.parametrize(
    "fields",
    [
        {"steps": []},
        {"steps": ["a", "a"]},
        {"steps": ["a", ""]},
        {"target": "cloud"},
        {"experiment": " "},
        {"parameters": ["not", "a", "dict"]},
        {"parameters": {"x": object()}},
    ],
)
def test_create_run_rejects_bad_input(store_path, make_run, fields):
    with pytest.raises(ValueError) as err:
        make_run(**fields)
    assert isinstance(err.value, StoreValueError) and err.value.status == 400
    assert count(store_path, "runs") == 0


def test_run_status_times_and_fields(store, make_run):
    run_id = make_run()["id"]
    assert store.set_run_status(run_id, "running", worker_pid=4242, backend_run_id="kfp-1")
    run = store.run(run_id)
    assert run["status"] == "running" and run["started_at"] and run["finished_at"] is None
    assert run["worker_pid"] == 4242 and run["backend_run_id"] == "kfp-1"
    store.set_run_status(run_id, "running")
    assert store.run(run_id)["started_at"] == run["started_at"]
    assert store.set_run_status(run_id, "failed", error="Step train failed: ZeroDivisionError")
    run = store.run(run_id)
    assert run["status"] == "failed" and run["error"].startswith("Step train failed")
    assert run["finished_at"] >= run["started_at"] and run["duration"] >= 0
    assert run["worker_pid"] == 4242


def test_finished_runs_are_final(store, make_run):
    run_id = make_run()["id"]
    store.set_run_status(run_id, "running")
    store.set_step_status(run_id, "load", "succeeded")
    store.set_step_status(run_id, "train", "running")
    store.set_run_status(run_id, "cancelled")
    before, version = store.run(run_id), store.version()
    assert store.set_run_status(run_id, "succeeded") is False
    assert store.set_run_status(run_id, "running", error="late") is False
    assert store.set_step_status(run_id, "evaluate", "succeeded") is False
    assert store.run(run_id) == before and store.version() == version
    assert [s["status"] for s in before["steps"]] == ["succeeded", "cancelled", "cancelled"]


def test_finishing_a_run_closes_its_open_steps(store, make_run):
    run_id = make_run()["id"]
    store.set_step_status(run_id, "load", "succeeded")
    store.set_step_status(run_id, "train", "running")
    store.set_run_status(run_id, "failed", error="out of memory")
    steps = store.run(run_id)["steps"]
    assert [(s["status"], s["error"]) for s in steps] == [
        ("succeeded", None),
        ("failed", "out of memory"),
        ("skipped", None),
    ]
    assert steps[1]["finished_at"] and steps[2]["finished_at"] is None


def test_step_status_times_error_and_log(store, make_run):
    run_id = make_run()["id"]
    assert store.set_step_status(run_id, "train", "running", log_path="/logs/train.log")
    step = store.run(run_id)["steps"][1]
    assert step["status"] == "running" and step["started_at"] and step["log_path"] == "/logs/train.log"
    assert step["duration"] is None
    assert store.set_step_status(run_id, "train", "failed", error="boom")
    step = store.run(run_id)["steps"][1]
    assert (step["status"], step["error"], step["log_path"]) == ("failed", "boom", "/logs/train.log")
    assert step["duration"] >= 0
    assert store.set_step_status(run_id, "train", "running") is False
    assert store.set_step_status(run_id, "load", "cached")
    load = store.run(run_id)["steps"][0]
    assert load["status"] == "cached" and load["started_at"] is None and load["finished_at"]


def test_unknown_runs_steps_and_statuses(store, make_run):
    run_id = make_run()["id"]
    with pytest.raises(NotFoundError):
        store.run("nope")
    with pytest.raises(NotFoundError):
        store.set_run_status("nope", "running")
    with pytest.raises(NotFoundError, match="no step 'nope'"):
        store.set_step_status(run_id, "nope", "running")
    with pytest.raises(NotFoundError):
        store.record_step_outputs(run_id, "nope", parameters={}, metrics={}, artifacts=[])
    with pytest.raises(ValueError, match="run status"):
        store.set_run_status(run_id, "done")
    with pytest.raises(ValueError, match="step status"):
        store.set_step_status(run_id, "load", "interrupting")
    assert store.run(run_id)["status"] == "pending"


def test_step_outputs_are_replaced_when_recorded_again(store, make_run):
    run_id = make_run()["id"]
    artifact = {
        "name": "model",
        "uri": "file:///m",
        "type": "system.Model",
        "size": 10,
        "metadata": {"framework": "sk"},
    }
    store.record_step_outputs(
        run_id, "train", parameters={"rows": 5, "cols": ["a"]}, metrics={"acc": 0.5, "f1": 0.4}, artifacts=[artifact]
    )
    store.record_step_outputs(run_id, "load", parameters={"rows": 100}, metrics={}, artifacts=[])
    first = store.run(run_id)
    assert step_values(first, "metrics") == {"train": {"acc": 0.5, "f1": 0.4}}
    assert step_values(first, "outputs") == {"load": {"rows": 100}, "train": {"cols": ["a"], "rows": 5}}
    assert first["artifacts"] == [{"step": "train", **artifact}]

    store.record_step_outputs(
        run_id, "train", parameters={"rows": 5, "cols": ["a"]}, metrics={"acc": 0.5, "f1": 0.4}, artifacts=[artifact]
    )
    again = store.run(run_id)
    assert {k: again[k] for k in ("steps", "metrics", "artifacts")} == {
        k: first[k] for k in ("steps", "metrics", "artifacts")
    }

    store.record_step_outputs(
        run_id, "train", parameters={}, metrics={"acc": 0.9}, artifacts=[{"name": "model2", "uri": "file:///m2"}]
    )
    replaced = store.run(run_id)
    assert step_values(replaced, "metrics") == {"train": {"acc": 0.9}}
    assert step_values(replaced, "outputs") == {"load": {"rows": 100}}
    assert replaced["artifacts"] == [
        {"step": "train", "name": "model2", "uri": "file:///m2", "type": "artifact", "size": None, "metadata": {}}
    ]


def test_step_outputs_validation(store, make_run):
    run_id = make_run()["id"]
    store.record_step_outputs(run_id, "train", parameters={}, metrics={"loss": math.nan, "n": 3}, artifacts=[])
    assert step_values(store.run(run_id), "metrics") == {"train": {"loss": None, "n": 3.0}}
    bad = [
        {"metrics": {"acc": "high"}},
        {"artifacts": [{"name": "a"}]},
        {"artifacts": [{"name": "a", "uri": "u"}, {"name": "a", "uri": "v"}]},
        {"artifacts": [{"name": "a", "uri": "u", "size": -1}]},
        {"parameters": {"x": {1, 2}}},
    ]
    for outputs in bad:
        with pytest.raises(StoreValueError):
            store.record_step_outputs(run_id, "train", **{"parameters": {}, "metrics": {}, "artifacts": [], **outputs})
    assert step_values(store.run(run_id), "metrics") == {"train": {"loss": None, "n": 3.0}}


def test_mark_interrupted_only_touches_local_runs_whose_worker_is_gone(store, make_run):
    alive = make_run()["id"]
    store.set_run_status(alive, "running", worker_pid=111)
    dead = make_run()["id"]
    store.set_run_status(dead, "running", worker_pid=222)
    store.set_step_status(dead, "load", "succeeded")
    store.set_step_status(dead, "train", "running")
    never_started = make_run()["id"]
    remote = make_run(target="kfp")["id"]
    store.set_run_status(remote, "running")
    done = make_run()["id"]
    store.set_run_status(done, "succeeded", worker_pid=333)

    checked = []

    def is_alive(pid):
        checked.append(pid)
        return pid == 111

    assert store.mark_interrupted(is_alive, "The Jupyter server restarted") == 2
    assert sorted(checked) == [111, 222]
    status = {run["id"]: run["status"] for run in store.runs()}
    assert status == {
        alive: "running",
        dead: "interrupted",
        never_started: "interrupted",
        remote: "running",
        done: "succeeded",
    }
    run = store.run(dead)
    assert run["error"] == "The Jupyter server restarted" and run["finished_at"]
    assert [(s["status"], s["error"]) for s in run["steps"]] == [
        ("succeeded", None),
        ("interrupted", "The Jupyter server restarted"),
        ("interrupted", None),
    ]
    assert store.mark_interrupted(is_alive, "again") == 0


def test_runs_newest_first_with_filter_limit_and_summary(store, make_run):
    ids = [make_run(experiment="a" if k % 2 else "b")["id"] for k in range(5)]
    assert [run["id"] for run in store.runs()] == ids[::-1]
    assert [run["id"] for run in store.runs("a")] == [ids[3], ids[1]]
    assert [run["id"] for run in store.runs(limit=2)] == ids[:2:-1]
    assert store.runs("missing") == []
    with pytest.raises(ValueError):
        store.runs(limit=0)

    run_id = ids[0]
    store.record_step_outputs(run_id, "evaluate", parameters={}, metrics={"acc": 0.8}, artifacts=[])
    store.record_step_outputs(run_id, "load", parameters={}, metrics={"acc": 0.1, "rows": 7}, artifacts=[])
    store.set_step_status(run_id, "load", "succeeded")
    store.set_step_status(run_id, "train", "running")
    listed = store.runs("b")[-1]
    assert listed["id"] == run_id
    assert [(s["name"], s["status"]) for s in listed["steps"]] == [
        ("load", "succeeded"),
        ("train", "running"),
        ("evaluate", "pending"),
    ]
    assert listed["metrics"] == {"acc": 0.8, "rows": 7}
    assert listed["step_counts"] == {"succeeded": 1, "running": 1, "pending": 1}
    assert listed["parameters"] == {"epochs": 3} and listed["duration"] is None


def test_experiments(store, make_run):
    created = store.experiment("churn")
    assert created == {"name": "churn", "created_at": created["created_at"], "run_count": 0, "last_run_at": None}
    assert store.experiment("churn") == created
    make_run(experiment="churn")
    last = make_run(experiment="churn")
    make_run(experiment="alpha")
    listed = store.experiments()
    assert [(e["name"], e["run_count"]) for e in listed] == [("alpha", 1), ("churn", 2)]
    assert listed[1]["last_run_at"] == last["created_at"]
    with pytest.raises(ValueError):
        store.experiment("")


def test_version_grows_with_every_write(store, make_run):
    versions = [store.version()]

    def bumped():
        versions.append(store.version())
        return versions[-1] > versions[-2]

    run_id = make_run()["id"]
    assert bumped()
    store.experiment("other")
    assert bumped()
    store.experiment("other")
    assert not bumped()
    store.set_run_status(run_id, "running", worker_pid=1)
    assert bumped()
    store.set_step_status(run_id, "load", "running")
    assert bumped()
    store.record_step_outputs(run_id, "load", parameters={"a": 1}, metrics={}, artifacts=[])
    assert bumped()
    store.set_run_status(run_id, "succeeded")
    assert bumped()
    store.set_run_status(run_id, "failed")
    assert not bumped()
    store.run(run_id), store.runs(), store.experiments()
    assert not bumped()
    assert store.mark_interrupted(lambda pid: False, "gone") == 0
    assert not bumped()


def test_store_is_shared_by_threads_and_to_thread(store, make_run):
    run_ids = [make_run(steps=[f"s{k}" for k in range(5)])["id"] for _ in range(4)]

    def work(run_id):
        for k in range(5):
            store.set_step_status(run_id, f"s{k}", "running")
            store.record_step_outputs(run_id, f"s{k}", parameters={}, metrics={"k": k}, artifacts=[])
            store.set_step_status(run_id, f"s{k}", "succeeded")
        return store.run(run_id)["status"]

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(work, run_ids)) == ["pending"] * 4

    async def finish():
        return await asyncio.gather(*(asyncio.to_thread(store.set_run_status, r, "succeeded") for r in run_ids))

    assert asyncio.run(finish()) == [True] * 4
    for run in store.runs():
        assert run["status"] == "succeeded" and run["step_counts"] == {"succeeded": 5}


def test_separate_store_objects_see_each_others_writes(store_path, store, make_run):
    other = RunStore(store_path, check=False)
    run_id = make_run()["id"]
    assert other.run(run_id)["status"] == "pending"
    other.set_run_status(run_id, "running")
    assert store.run(run_id)["status"] == "running"
    assert other.version() == store.version()
    other.close()
