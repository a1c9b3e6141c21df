"""Watch kfp.local execute a pipeline, task by task, inside a run's worker process.

kfp.local reports task status only in log lines. Wrapping its task executor gives each
task's start, end, status, outputs and log, and tells cache hits (no execution) apart.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ..states import StepStatus
from . import step_log, thread_output


class StepReporter(Protocol):
    """Where the hooks report to (the run store, in a worker)."""

    def step_started(self, task: str) -> None: ...

    def step_finished(self, task: str, status: str, outputs: dict, error: str | None) -> None: ...

    def log_path(self, task: str) -> Path: ...


class _Tee(io.TextIOBase):
    """Writes to the step's log file and to the worker's own output."""

    def __init__(self, *streams):
        self._streams = streams

    def write(self, text: str) -> int:
        for stream in self._streams:
            stream.write(text)
            stream.flush()
        return len(text)


def _failure(path: Path, otherwise: str = "") -> str:
    """Why the step whose log is at `path` failed: its error trimmed to the user's cells, else `otherwise`, else
    the log's last lines."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        text = ""
    return step_log.failure(text, otherwise)


def install(reporter: StepReporter) -> Callable[[], None]:
    """Wrap kfp.local's task executor so every task reports to `reporter`; returns an undo."""
    from kfp.local import status as kfp_status
    from kfp.local import task_dispatcher
    from kfp.local.orchestrator import task_executor

    thread_output.route_stdout()  # tasks may run in parallel threads: each logs to its own file
    original_execute = task_executor.execute_single_task
    original_dispatch = task_dispatcher.run_single_task_implementation
    executed = threading.local()

    def dispatch(*args, **kwargs):
        executed.flag = True
        return original_dispatch(*args, **kwargs)

    def execute(task_name, *args, **kwargs):
        executed.flag = False
        reporter.step_started(task_name)
        log_path = reporter.log_path(task_name)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with (
                open(log_path, "a", buffering=1, encoding="utf-8") as log,
                thread_output.redirect(_Tee(log, sys.__stdout__)),
            ):
                outputs, task_status = original_execute(task_name, *args, **kwargs)
        except BaseException as exc:
            error = _failure(log_path, step_log.strip_ansi(f"{type(exc).__name__}: {exc}"))
            reporter.step_finished(task_name, StepStatus.FAILED, {}, error)
            raise
        if task_status == kfp_status.Status.SUCCESS:
            reporter.step_finished(
                task_name, StepStatus.SUCCEEDED if executed.flag else StepStatus.CACHED, outputs, None
            )
        else:
            reporter.step_finished(task_name, StepStatus.FAILED, {}, _failure(log_path) or "the step failed")
        return outputs, task_status

    task_executor.execute_single_task = execute
    task_dispatcher.run_single_task_implementation = dispatch

    def undo():
        task_executor.execute_single_task = original_execute
        task_dispatcher.run_single_task_implementation = original_dispatch

    return undo


def split_outputs(outputs: dict) -> tuple[dict, dict, list[dict]]:
    """A task's outputs as (parameters, metrics, artifacts) for the store."""
    parameters, metrics, artifacts = {}, {}, []
    for name, value in outputs.items():
        uri = getattr(value, "uri", None)
        if uri is None:
            parameters[name] = value
            continue
        metadata = dict(getattr(value, "metadata", {}) or {})
        kind = getattr(value, "schema_title", "system.Artifact")
        if kind == "system.Metrics":
            metrics.update({k: float(v) for k, v in metadata.items() if isinstance(v, (int, float))})
            continue
        path = Path(uri)
        size = (
            sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            if path.is_dir()
            else (path.stat().st_size if path.exists() else None)
        )
        artifacts.append({"name": name, "uri": uri, "type": kind, "size": size, "metadata": metadata})
    return parameters, metrics, artifacts
