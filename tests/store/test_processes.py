"""Several processes on one store file: killed writers and concurrent writers."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ai4mlops_lab.store import RunStore

from .conftest import step_values

WRITER = Path(__file__).with_name("writer.py")
REPO = Path(__file__).parents[2]


def start_writer(*args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(WRITER), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def integrity(path):
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def finish(proc, timeout=60):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


@pytest.mark.parametrize(
    ("sql", "nth", "expected"),
    [
        ("INSERT INTO steps", 3, "no run"),  # inside create_run: the run row is already written
        ("INSERT INTO artifacts", 4, "first outputs"),  # inside the second record_step_outputs, after its deletes
        ("UPDATE steps", 1, "pending"),  # inside set_run_status, after the run row is updated
    ],
)
def test_killed_inside_a_transaction_leaves_the_last_commit(store_path, sql, nth, expected):
    rc, _, err = finish(start_writer("kill-at", store_path, sql, nth))
    assert rc == -signal.SIGKILL, err
    store = RunStore(store_path)
    runs = store.runs()
    if expected == "no run":
        assert runs == []
    else:
        run = store.run(runs[0]["id"])
        assert [s["name"] for s in run["steps"]] == [f"s{k}" for k in range(5)]
        assert run["status"] == "pending"
        version = 2 if expected == "pending" else 1
        assert step_values(run, "outputs") == {"s0": {"rows": version}}
        assert step_values(run, "metrics") == {"s0": {"accuracy": version / 10, "loss": 1 - version / 10}}
        assert [a["uri"].rsplit("/", 1)[1] for a in run["artifacts"]] == [f"data-{version}", f"model-{version}"]
    store.close()
    assert integrity(store_path) == ["ok"]


def test_killed_at_random_moments_leaves_only_whole_runs(store_path):
    rng = random.Random(20240531)
    for round_ in range(4):
        proc = start_writer("loop", store_path, round_)
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(rng.uniform(0.02, 0.3))
        proc.send_signal(signal.SIGKILL)
        rc, _, err = finish(proc)
        assert rc == -signal.SIGKILL, err

    assert integrity(store_path) == ["ok"]
    store = RunStore(store_path)
    runs = [store.run(summary["id"]) for summary in store.runs(limit=100_000)]
    assert len(runs) >= 4
    for run in runs:
        n = run["parameters"]["n_steps"]
        assert [s["name"] for s in run["steps"]] == [f"s{k}" for k in range(n)]
        for step in run["steps"]:
            if step["status"] == "succeeded":
                assert step_values(run, "outputs")[step["name"]] == {"rows": int(step["name"][1:])}
                assert len(step_values(run, "metrics")[step["name"]]) == 2
        if run["status"] == "succeeded":
            assert {s["status"] for s in run["steps"]} == {"succeeded"}
            assert len(run["artifacts"]) == 2 * n
    store.close()


def test_three_writer_processes_while_the_parent_reads(tmp_path, store_path):
    go = tmp_path / "go"
    writers = [start_writer("work", store_path, f"exp-{k}", go) for k in range(3)]
    for proc in writers:  # each has opened (and maybe created) the store
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    store = RunStore(store_path)
    go.touch()
    versions, reads = [store.version()], 0
    while any(proc.poll() is None for proc in writers):
        for summary in store.runs():
            store.run(summary["id"])
        versions.append(store.version())
        reads += 1
    results = [finish(proc) for proc in writers]
    assert [(rc, err) for rc, _, err in results] == [(0, "")] * 3
    assert versions == sorted(versions) and reads > 0

    runs = store.runs()
    assert sorted(run["experiment"] for run in runs) == ["exp-0", "exp-1", "exp-2"]
    assert {run["id"] for run in runs} == {out.split()[-1] for _, out, _ in results}
    assert max(run["created_at"] for run in runs) < min(run["finished_at"] for run in runs)  # they overlapped
    for summary in runs:
        run = store.run(summary["id"])
        assert run["status"] == "succeeded" and run["worker_pid"]
        assert [s["status"] for s in run["steps"]] == ["succeeded"] * 10
        assert all(s["log_path"] and s["duration"] is not None for s in run["steps"])
        assert step_values(run, "outputs") == {f"step{k}": {"rows": k} for k in range(10)}
        assert len(step_values(run, "metrics")) == 10 and len(run["artifacts"]) == 20
    # per run: create, running, 10 x (running, outputs, succeeded), succeeded
    assert store.version() == 3 * 33
    store.close()
    assert integrity(store_path) == ["ok"]


def test_a_forked_child_opens_its_own_connection(store, make_run):
    run_id = make_run()["id"]
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            store.set_run_status(run_id, "running", worker_pid=os.getpid())
            code = 0 if store.run(run_id)["status"] == "running" else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.run(run_id)["worker_pid"] == pid
    store.set_run_status(run_id, "succeeded")
    assert store.run(run_id)["status"] == "succeeded"
