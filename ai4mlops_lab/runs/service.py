"""Runs: compile a notebook, record the run, start it on a backend, follow it, cancel it.

The one place the REST handlers and the CLI go through for runs.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from pathlib import Path

from .. import confined
from ..errors import NotFoundError, UserError
from ..records import RunRecord
from ..states import RUN_ACTIVE, RUN_FINISHED, RunStatus, RunTarget, StepStatus
from ..store import pages
from ..store.runs import RunStore
from . import processes
from .parameters import coerce_parameters
from .pinned import PinnedPipelines
from .spare import Spares

TARGETS = tuple(RunTarget)
WORKER_MODULE = "ai4mlops_lab.runs.worker"
RUN_SPEC = "run.json"


class RunService:
    """Runs of notebooks, on the local runner or a Kubeflow Pipelines server."""

    def __init__(self, workspace: Path, store: RunStore, kfp_connection=None, root: Path | None = None):
        self.workspace = Path(workspace)
        self.store = store
        self.root = Path(root or Path.cwd()).resolve()
        self.kfp_connection = kfp_connection  # a callable returning a KfpConnection, for target 'kfp'
        self._workers: dict[str, object] = {}
        self._backends: dict[tuple, object] = {}  # (host, namespace) -> its KfpBackend (one kfp.Client each)
        self._backends_lock = threading.Lock()
        self.pinned = PinnedPipelines(self.workspace)
        self.spares = Spares()  # the next local run's worker, started ahead when asked (`prepare_local`)

    # -- starting -----------------------------------------------------------------------

    def start(
        self,
        notebook: Path,
        *,
        target: str = RunTarget.LOCAL,
        parameters: dict | None = None,
        experiment: str | None = None,
        kfp: dict | None = None,
    ) -> RunRecord:
        """Compile `notebook`, record a run and start it; returns the run record at once.

        `kfp` ({host, namespace}, from the user's settings) overrides the server's KFP connection.
        """
        _check_target(target)
        staging, compiled = self._compile(notebook, target)
        return self._launch(staging, compiled, parameters=parameters, experiment=experiment, kfp=kfp)

    def pin(self, notebook: Path, *, target: str = RunTarget.LOCAL) -> str:
        """Compile `notebook` for `target` once and keep the compiled pipeline in the workspace; its id (the
        content hash), for `start_pinned`."""
        _check_target(target)
        return self.pinned.keep(*self._compile(notebook, target))

    def start_pinned(
        self, pin: str, *, parameters: dict | None = None, experiment: str | None = None, kfp: dict | None = None
    ) -> RunRecord:
        """Record and start a run of the kept compiled pipeline `pin` (see `pin`), as `start` does a notebook's: on
        the target it was compiled for, recording the notebook it came from as it was then."""
        compiled = self.pinned.compiled(pin)
        staging = self._staging()
        self.pinned.copy(pin, staging.parent, staging.name)
        return self._launch(staging, compiled, parameters=parameters, experiment=experiment, kfp=kfp)

    def _staging(self) -> Path:
        """A new folder name where a run's files are gathered before the run has an id."""
        return self.workspace / "runs" / f".staging-{uuid.uuid4().hex}"

    def _compile(self, notebook: Path, target: str) -> tuple[Path, dict]:
        """Compile `notebook` for `target` into a staging folder: the folder, and what the run needs to know of the
        compile (see `pinned.COMPILED`)."""
        from ..notebook.diagnostics import notebook_errors
        from ..pipeline.compiler import compile_notebook

        staging = self._staging()
        try:
            result = compile_notebook(notebook, staging, target="local" if target == RunTarget.LOCAL else "cluster")
            if not result["ok"]:
                raise notebook_errors(result["diagnostics"])
        except BaseException:
            confined.remove_tree(self.workspace / "runs", staging.name)
            raise
        return staging, {
            "target": str(target),
            "pipeline": result["pipeline"],
            "parameters": result["parameters"],
            "experiment": result["settings"].get("experiment"),
            "steps": [{"name": step["name"], "task": step["task"]} for step in result["steps"]],
            "notebook_path": self._display_path(notebook),
            "notebook_hash": hashlib.sha256(Path(notebook).read_bytes()).hexdigest(),
        }

    def _launch(
        self, staging: Path, compiled: dict, *, parameters: dict | None, experiment: str | None, kfp: dict | None
    ) -> RunRecord:
        """Record a run of the compiled pipeline in `staging` (which becomes its folder) and start it."""
        target = compiled["target"]
        try:
            values = coerce_parameters(compiled["parameters"], parameters or {})
            record = self.store.create_run(
                experiment=experiment or compiled["experiment"] or compiled["pipeline"],
                notebook_path=compiled["notebook_path"],
                notebook_hash=compiled["notebook_hash"],
                pipeline=compiled["pipeline"],
                target=target,
                parameters=values,
                steps=[step["name"] for step in compiled["steps"]],
            )
        except BaseException:
            confined.remove_tree(self.workspace / "runs", staging.name)
            raise
        run_dir = self.run_dir(record["id"])
        staging.rename(run_dir)
        spec = {
            "run_id": record["id"],
            "store": str(self.store.path),
            "pipeline_yaml": f"{compiled['pipeline']}.pipeline.yaml",
            "parameters": values,
            "steps": {step["task"]: step["name"] for step in compiled["steps"]},
            "cache_root": str(self.workspace / "cache"),
            "kfp": {k: v for k, v in (kfp or {}).items() if k in ("host", "namespace") and v},
        }
        confined.write_file(run_dir, RUN_SPEC, data=json.dumps(spec, indent=2))
        try:
            if target == RunTarget.LOCAL:
                self._start_local(record["id"], run_dir)
            else:
                self._start_kfp(record, run_dir, spec)
        except BaseException as exc:
            self.store.set_run_status(record["id"], RunStatus.FAILED, error=str(getattr(exc, "message", exc)))
            raise
        return self.store.run(record["id"])

    def prepare_local(self, modules: list[str]) -> None:
        """Start the next local run's worker now, importing `modules` (the notebook's), and a new one after each
        local run ends (see `spare.py`)."""
        self.spares.prepare(modules)

    def _start_local(self, run_id: str, run_dir: Path) -> None:
        worker = self.spares.take(run_dir) or processes.start_worker(WORKER_MODULE, run_dir, run_dir / "worker.log")
        self._workers[run_id] = worker
        self.store.set_run_status(run_id, RunStatus.PENDING, worker_pid=worker.pid)

    def kfp_backend(self, kfp: dict | None = None):
        """The KFP backend connected as `kfp` ({host, namespace}: a run's settings) says, else as the server is: one
        per connection, kept, so that its `kfp.Client` (and its health check) is made once."""
        from .kfp_backend import KfpBackend

        if self.kfp_connection is None:
            raise UserError(
                "No Kubeflow Pipelines server is configured.",
                "Set KF_PIPELINES_ENDPOINT or the 'KFP host' setting, or run with target 'local'.",
            )
        connection = self.kfp_connection(**(kfp or {}))
        key = (connection.host, connection.namespace)
        with self._backends_lock:
            backend = self._backends.get(key)
            if backend is None or backend.connection != connection:  # new, or its settings changed
                backend = self._backends[key] = KfpBackend(connection)
            return backend

    def _start_kfp(self, record: dict, run_dir: Path, spec: dict) -> None:
        submitted = self.kfp_backend(spec.get("kfp")).submit(
            run_dir / spec["pipeline_yaml"],
            pipeline_name=record["pipeline"],
            parameters=spec["parameters"],
            experiment=record["experiment"],
            run_name=f"{record['pipeline']} {record['id']}",
        )
        self.store.set_run_status(record["id"], RunStatus.RUNNING, backend_run_id=submitted["run_id"])

    def _display_path(self, notebook: Path) -> str:
        """The notebook's path relative to the root (as JupyterLab names it), else absolute."""
        path = Path(notebook).resolve()
        return path.relative_to(self.root).as_posix() if self.root in path.parents else str(path)

    # -- reading ------------------------------------------------------------------------

    def run_dir(self, run_id: str) -> Path:
        return confined.resolve(self.workspace / "runs", run_id)

    def run(self, run_id: str) -> RunRecord:
        """A run with its steps, outputs and artifacts, as the store has it (`refresh` brings it up to date)."""
        return self.store.run(run_id)

    def runs(
        self,
        experiment: str | None = None,
        schedule: str | None = None,
        trigger: str | None = None,
        *,
        limit: int | str | None = None,
        cursor: str | None = None,
    ) -> dict:
        """`{runs, next_cursor}`: a page of the runs as the store has them, newest first; of one experiment, of one
        schedule, of one data trigger (by name). `limit`: see `pages.limit`; `cursor`: a page's `next_cursor`."""
        return self.store.page(
            experiment=experiment, schedule=schedule, trigger=trigger, limit=pages.limit(limit), cursor=cursor
        )

    def ranked(self, notebook: Path) -> dict:
        """The notebook's succeeded runs, best first by its main metric (see `ranking.notebook_runs`)."""
        from .ranking import notebook_runs

        return notebook_runs(self.store.runs(), Path(notebook), self._display_path(notebook))

    def rerun(self, run_id: str, parameters: dict | None = None) -> RunRecord:
        """Start a new run of the notebook of run `run_id`, on the same target and in the same experiment, with
        its parameter values updated by `parameters`; the new run's record."""
        run = self.store.run(run_id)
        notebook = Path(run["notebook_path"])
        notebook = notebook if notebook.is_absolute() else self.root / notebook
        if not notebook.is_file():
            raise UserError(
                f"The notebook {run['notebook_path']} of run {run_id} is gone.",
                "Restore it, or run the notebook that replaced it.",
            )
        values = {**run["parameters"], **(parameters or {})}
        return self.start(notebook, target=run["target"], parameters=values, experiment=run["experiment"])

    def logs(self, run_id: str, step: str | None = None, tail: int | None = None) -> str:
        """A step's log, or the worker's log when no step is named."""
        record = self.store.run(run_id)
        if step is None:
            path = self.run_dir(run_id) / "worker.log"
        else:
            names = [s["name"] for s in record["steps"]]
            if step not in names:
                raise NotFoundError(f"Run {run_id} has no step '{step}'.", f"Its steps are: {', '.join(names)}.")
            path = self.run_dir(run_id) / "logs" / f"{step}.log"
        if not path.exists():
            return ""
        text = path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-tail:]) if tail else text

    def readable_log(self, run_id: str, step: str, tail: int | None = None) -> dict:
        """A step's log as people read it: {run_id, step} and `step_log.readable`'s {output, error, text}; `tail`
        keeps the last lines of its output and text."""
        from .step_log import readable

        view = {"run_id": run_id, "step": step, **readable(self.logs(run_id, step))}
        if tail:
            view["output"] = "\n".join(view["output"].split("\n")[-tail:])
            view["text"] = "\n".join(view["text"].split("\n")[-tail:])
        return view

    # -- following and stopping ---------------------------------------------------------

    def refresh(self, run_id: str | None = None) -> None:
        """Pull the status of one (`run_id`) or every active run into the store: notice dead local workers,
        ask the KFP server about its runs. Blocks on the KFP server: the Jupyter server calls it off its event
        loop, in its background loop."""
        self._reap_workers(run_id)
        failure = None
        for active in self.store.unfinished(RunTarget.KFP):
            if run_id is None or active == run_id:
                try:
                    self._follow_kfp(self.store.run(active))
                except UserError as exc:  # one unreachable or deleted run must not hold up the others
                    failure = failure or exc
        if failure is not None:
            raise failure

    def _spec(self, run_id: str) -> dict:
        return json.loads((self.run_dir(run_id) / RUN_SPEC).read_text())

    def _follow_kfp(self, record: dict) -> None:
        """Copy a KFP run's state and its tasks' states into the store (steps first: a run's end is final)."""
        if not record.get("backend_run_id"):
            return
        spec = self._spec(record["id"])
        tasks = spec["steps"]
        state = self.kfp_backend(spec.get("kfp")).status(record["backend_run_id"], step_names=list(tasks))
        for task in state["steps"]:
            if task["name"] in tasks and task["state"] != StepStatus.PENDING:
                self.store.set_step_status(record["id"], tasks[task["name"]], task["state"], error=task.get("error"))
        if state["state"] in RUN_FINISHED:
            self.store.set_run_status(record["id"], state["state"], error=state.get("error"))

    def reap_workers(self) -> None:
        """Notice this process's local workers that ended without saying so; asks no backend (a scheduler with no
        Jupyter server calls it between its ticks)."""
        self._reap_workers(None)

    def _reap_workers(self, run_id: str | None) -> None:
        """Notice local workers that died without saying so (killed, crashed)."""
        for rid, worker in list(self._workers.items()):
            if run_id is not None and rid != run_id:
                continue
            code = worker.poll()
            if code is None:
                continue
            del self._workers[rid]
            self.spares.after_run(self.run_dir(rid) / self._spec(rid)["pipeline_yaml"])
            if self.store.run(rid)["status"] in RUN_ACTIVE:
                self.store.set_run_status(
                    rid,
                    RunStatus.FAILED,
                    error=f"the run's worker exited unexpectedly (exit code {code}); "
                    f"see {self.run_dir(rid) / 'worker.log'}",
                )

    def cancel(self, run_id: str) -> RunRecord:
        """Stop a run: its worker and every process it started (local), or terminate it (kfp)."""
        record = self.store.run(run_id)
        if record["status"] not in RUN_ACTIVE:
            raise UserError(
                f"Run {run_id} is already {record['status']}.",
                "Only pending or running runs can be cancelled.",
                status=409,
                code="conflict",
            )
        self.store.set_run_status(run_id, RunStatus.CANCELLED, error="cancelled by the user")
        if record["target"] == RunTarget.LOCAL and record.get("worker_pid"):
            processes.stop_group(record["worker_pid"])
            worker = self._workers.pop(run_id, None)
            if worker is not None:
                worker.wait(timeout=5)
        elif record["target"] == RunTarget.KFP and record.get("backend_run_id"):
            self.kfp_backend(self._spec(run_id).get("kfp")).cancel(record["backend_run_id"])
        return self.store.run(run_id)

    def mark_interrupted(self) -> int:
        """On server start: runs whose worker is gone are marked interrupted, never left running."""
        return self.store.mark_interrupted(
            processes.is_alive, "the run's worker process was gone when the Jupyter server started"
        )


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise UserError(f"Unknown run target '{target}'.", f"Use one of: {', '.join(TARGETS)}.")
