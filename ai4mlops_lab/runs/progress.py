"""A run's progress: following it until it ends, and how it reads on a terminal (a bar with the current
step, and a summary)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from ..states import RUN_FINISHED, STEP_FINISHED, StepStatus

DONE = STEP_FINISHED
FINAL = RUN_FINISHED


def follow(service, run: dict, poll_seconds: float = 0.25) -> Iterator[dict]:
    """Snapshots of a run of the run `service`: `run`, then a fresh one every `poll_seconds` until one is final
    (the last one yielded)."""
    while True:
        yield run
        if run["status"] in FINAL:
            return
        time.sleep(poll_seconds)
        service.refresh(run["id"])  # a KFP run's status comes from its server; a local run's worker writes it
        run = service.run(run["id"])


def progress_line(run: dict, width: int = 20) -> str:
    """`[#####.....] 2/4 steps  train: running` for a run record."""
    steps = run["steps"]
    done = sum(step["status"] in DONE for step in steps)
    filled = round(width * done / len(steps)) if steps else width
    current = next((s for s in steps if s["status"] == StepStatus.RUNNING), None)
    where = f"{current['name']}: running" if current else run["status"]
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{len(steps)} steps  {where}"


def step_events(before: dict | None, after: dict) -> list[str]:
    """One line per step whose status changed between two snapshots of a run."""
    old = {s["name"]: s["status"] for s in (before or {"steps": []})["steps"]}
    lines = []
    for step in after["steps"]:
        if step["status"] != old.get(step["name"]) and step["status"] != StepStatus.PENDING:
            took = f" ({step['duration']:.1f}s)" if step.get("duration") else ""
            lines.append(f"  {step['name']}: {step['status']}{took}")
    return lines


def summary(run: dict) -> str:
    """The closing line: status, duration and the run's metrics."""
    metrics = run.get("metrics") or {}
    shown = ", ".join(f"{k}={v:.4g}" for k, v in metrics.items())
    took = f" in {run['duration']:.1f}s" if run.get("duration") else ""
    return f"Run {run['id']} {run['status']}{took}" + (f"; metrics: {shown}" if shown else "")
