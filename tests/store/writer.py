"""A separate process that writes to a store, for the crash and concurrency tests.

python writer.py loop PATH SEED         write runs until killed (prints "ready" first)
python writer.py kill-at PATH SQL N     one run's lifecycle, SIGKILLed just before the
                                        N-th statement starting with SQL runs
python writer.py work PATH NAME GO      wait for file GO, then write a run of 10 steps
"""

import os
import random
import signal
import sys
import time
from pathlib import Path

from ai4mlops_lab.store import RunStore


def new_run(store, experiment, steps, **parameters):
    return store.create_run(
        experiment=experiment,
        notebook_path="train.ipynb",
        notebook_hash="abc123",
        pipeline="train",
        target="local",
        parameters=parameters,
        steps=steps,
    )["id"]


def outputs(store, run_id, step, version):
    store.record_step_outputs(
        run_id,
        step,
        parameters={"rows": version},
        metrics={"accuracy": version / 10, "loss": 1 - version / 10},
        artifacts=[
            {
                "name": "model",
                "uri": f"file:///runs/{run_id}/{step}/model-{version}",
                "type": "system.Model",
                "size": 1,
            },
            {"name": "data", "uri": f"file:///runs/{run_id}/{step}/data-{version}", "metadata": {"v": version}},
        ],
    )


def loop(path, seed):
    rng = random.Random(int(seed))
    store = RunStore(path, check=False)
    print("ready", flush=True)
    for _ in range(10_000):
        n = rng.randint(1, 8)
        steps = [f"s{k}" for k in range(n)]
        run_id = new_run(store, "loop", steps, n_steps=n)
        store.set_run_status(run_id, "running", worker_pid=os.getpid())
        for k, step in enumerate(steps):
            store.set_step_status(run_id, step, "running")
            outputs(store, run_id, step, k)
            store.set_step_status(run_id, step, "succeeded")
        store.set_run_status(run_id, "succeeded")


def kill_at(path, sql, n):
    store = RunStore(path, check=False)
    seen = 0

    def trace(statement):
        nonlocal seen
        if statement.lstrip().startswith(sql):
            seen += 1
            if seen == int(n):
                os.kill(os.getpid(), signal.SIGKILL)

    store._conn().set_trace_callback(trace)
    run_id = new_run(store, "kill", [f"s{k}" for k in range(5)])
    outputs(store, run_id, "s0", 1)
    outputs(store, run_id, "s0", 2)
    store.set_run_status(run_id, "succeeded")


def work(path, name, go):
    store = RunStore(path, check=False)
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.005)
    steps = [f"step{k}" for k in range(10)]
    run_id = new_run(store, name, steps, worker=name)
    store.set_run_status(run_id, "running", worker_pid=os.getpid())
    for k, step in enumerate(steps):
        store.set_step_status(run_id, step, "running", log_path=f"/logs/{run_id}/{step}.log")
        outputs(store, run_id, step, k)
        store.set_step_status(run_id, step, "succeeded")
        time.sleep(0.003)  # a step's work, so that the three runs overlap
    store.set_run_status(run_id, "succeeded")
    print(run_id, flush=True)


if __name__ == "__main__":
    {"loop": loop, "kill-at": kill_at, "work": work}[sys.argv[1]](*sys.argv[2:])
