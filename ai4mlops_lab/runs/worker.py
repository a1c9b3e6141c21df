"""A local run's worker process: executes the compiled IR with kfp.local and records progress.

Started as `python -m ai4mlops_lab.runs.worker RUN_DIR` in its own process session, with
`TMPDIR` inside the run folder. `RUN_DIR/run.json` says what to run and where the store is.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import sys
import tempfile
from pathlib import Path

from .. import confined
from ..states import RunStatus, StepStatus
from ..store.runs import RunStore
from . import forkserver, kfp_hooks, local_execution, spare
from .service import RUN_SPEC, WORKER_MODULE


class StoreReporter:
    """Reports kfp.local task progress to the run store (tasks are mapped to step names)."""

    def __init__(self, store: RunStore, run_id: str, run_dir: Path, steps: dict[str, str]):
        self.store, self.run_id, self.run_dir, self.steps = store, run_id, run_dir, steps
        self.failed: tuple[str, str] | None = None

    def log_path(self, task: str) -> Path:
        return self.run_dir / "logs" / f"{self.steps.get(task, task)}.log"

    def step_started(self, task: str) -> None:
        self.store.set_step_status(
            self.run_id, self.steps.get(task, task), StepStatus.RUNNING, log_path=str(self.log_path(task))
        )

    def step_finished(self, task: str, status: str, outputs: dict, error: str | None) -> None:
        step = self.steps.get(task, task)
        if outputs:
            parameters, metrics, artifacts = kfp_hooks.split_outputs(outputs)
            self.store.record_step_outputs(
                self.run_id, step, parameters=parameters, metrics=metrics, artifacts=artifacts
            )
        self.store.set_step_status(self.run_id, step, status, error=error)
        if status == StepStatus.FAILED and self.failed is None:
            self.failed = (step, error or "")


def run(run_dir: Path, server: forkserver.ForkServer | None = None) -> int:
    """Execute the run described in `run_dir` (`server`: a spare's warm fork server); the exit code says whether
    it succeeded."""
    spec = json.loads((run_dir / RUN_SPEC).read_text())
    store = RunStore(spec["store"], check=False)
    run_id = spec["run_id"]
    store.set_run_status(run_id, RunStatus.RUNNING, worker_pid=os.getpid())
    reporter = StoreReporter(store, run_id, run_dir, spec["steps"])
    try:
        with local_execution.local_tasks(run_dir / spec["pipeline_yaml"], server):
            from kfp import components, local

            local.init(
                runner=local.SubprocessRunner(use_venv=False),
                pipeline_root=str(run_dir / "root"),
                raise_on_error=True,
                enable_caching=True,
                cache_root=spec["cache_root"],
            )
            kfp_hooks.install(reporter)
            pipeline = components.load_component_from_file(str(run_dir / spec["pipeline_yaml"]))
            pipeline(**spec["parameters"])
    except BaseException as exc:  # the run's record must say why, whatever happened
        step, detail = reporter.failed or (None, f"{type(exc).__name__}: {exc}")
        message = f"step '{step}' failed" if step else "the run failed before its steps ran"
        store.set_run_status(run_id, RunStatus.FAILED, error=f"{message}: {detail.strip()[-2000:]}")
        return 1
    store.set_run_status(run_id, RunStatus.SUCCEEDED)
    return 0


def serve_spare(modules: list[str], idle_s: float) -> int:
    """A spare worker (`spare.py`): import what a run needs, say so, wait for a run folder on stdin and run it
    as a worker started for it would (its output in the run's log, TMPDIR in the run folder); exits after `idle_s`
    with none, or when stdin closes."""
    server = forkserver.ForkServer.start(modules)
    from kfp import components, local  # noqa: F401  (what `run` imports)

    server.wait_ready()
    imported = spare.module_files(modules)
    with contextlib.suppress(OSError):  # handed a run already, the service no longer reads this pipe
        os.write(sys.stdout.fileno(), f"{spare.READY}\n".encode())
    waiting, _, _ = select.select([sys.stdin], [], [], idle_s)
    line = sys.stdin.readline().strip() if waiting else ""
    if not line:
        server.close()
        return 0
    run_dir = Path(line)
    with confined.open_append(run_dir, "worker.log") as log:
        os.dup2(log.fileno(), sys.stdout.fileno())
        os.dup2(log.fileno(), sys.stderr.fileno())
    os.environ["TMPDIR"] = str(run_dir / "tmp")
    tempfile.tempdir = None
    if spare.module_files(modules) != imported:  # a package changed since it was imported: start afresh
        print("packages changed since this worker started: restarting it", flush=True)
        server.close()
        os.execv(sys.executable, [sys.executable, "-m", WORKER_MODULE, str(run_dir)])
    return run(run_dir, server)


if __name__ == "__main__":
    if sys.argv[1] == "--spare":
        sys.exit(serve_spare(json.loads(sys.argv[2]), float(sys.argv[3])))
    sys.exit(run(Path(sys.argv[1])))
