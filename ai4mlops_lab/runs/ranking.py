"""Which run of a notebook is best: its main metric, the metric's direction, and its succeeded runs ranked.

The one place this rule lives: the REST route `GET runs/best`, the deployments (which record the run they
serve as a person reads it) and `ai4mlops deploy NOTEBOOK` all go through it.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..states import RunStatus

#: A metric whose name holds one of these is better when lower; any other is better when higher.
LOWER_IS_BETTER = ("loss", "error", "mse", "mae", "rmse")


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of `metric` is better (accuracy, f1, auc), not a smaller one (loss, rmse)."""
    name = metric.lower()
    return not any(word in name for word in LOWER_IS_BETTER)


def declared_metrics(notebook: Path) -> list[str]:
    """The metric names of the notebook's pipeline-metrics cells in their order, as runs record them
    (`_` becomes `-`); [] when the notebook cannot be read."""
    from ..analysis.special import parse_metrics
    from ..errors import UserError
    from ..notebook.cells import notebook_cells
    from ..notebook.reader import read_notebook

    try:
        cells, _ = notebook_cells(read_notebook(notebook))
    except UserError:
        return []
    names: list[str] = []
    for cell in cells:
        if cell.kind == "code" and "pipeline-metrics" in cell.tags:
            variables, _ = parse_metrics(cell.source, cell.index)
            names += [variable.replace("_", "-") for variable, _ in variables]
    return names


def main_metric(declared: list[str], runs: list[dict]) -> str | None:
    """The first declared metric that a run reports; else the first metric the newest reporting run names
    (`runs` newest first); None when no run reports any."""
    reported = {name for run in runs for name in run["metrics"]}
    for name in declared:
        if name in reported:
            return name
    return next((name for run in runs for name in run["metrics"]), None)


def _value(run: dict, metric: str | None) -> float | None:
    value = run["metrics"].get(metric) if metric else None
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def ranked(runs: list[dict], metric: str | None) -> list[dict]:
    """`runs` (newest first) best first by `metric`; ties and runs without a value keep newest first, the
    latter after the others."""
    higher = metric is not None and higher_is_better(metric)

    def key(run: dict) -> tuple:
        value = _value(run, metric)
        return (1, 0.0) if value is None else (0, -value if higher else value)

    return sorted(runs, key=key)


def summary(run: dict, metric: str | None) -> dict:
    """What a person needs to tell a run apart: `{id, created_at, parameters, metric: {name, value,
    higher_is_better} | None}`."""
    value = _value(run, metric)
    return {
        "id": run["id"],
        "created_at": run["created_at"],
        "parameters": run["parameters"],
        "metric": None
        if value is None
        else {"name": metric, "value": value, "higher_is_better": higher_is_better(metric)},
    }


def notebook_runs(runs: list[dict], notebook: Path, notebook_path: str) -> dict:
    """The succeeded runs among `runs` (newest first) of the notebook at `notebook` (recorded as
    `notebook_path`), ranked: `{notebook_path, metric: {name, higher_is_better} | None, best, latest, runs}`
    where `best` and `latest` are run ids (None without runs) and `runs` are best first."""
    succeeded = [r for r in runs if r["notebook_path"] == notebook_path and r["status"] == RunStatus.SUCCEEDED]
    metric = main_metric(declared_metrics(notebook), succeeded)
    order = ranked(succeeded, metric)
    return {
        "notebook_path": notebook_path,
        "metric": None if metric is None else {"name": metric, "higher_is_better": higher_is_better(metric)},
        "best": order[0]["id"] if order else None,
        "latest": succeeded[0]["id"] if succeeded else None,
        "runs": order,
    }


def run_summary(run: dict, root: Path) -> dict:
    """`summary` of one run, by its notebook's main metric (its notebook resolved against `root`)."""
    return summary(run, main_metric(declared_metrics(root / run["notebook_path"]), [run]))
