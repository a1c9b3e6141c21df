"""`ai4mlops run` (compile and run a notebook, following its steps) and `ai4mlops runs` (list them)."""

from __future__ import annotations

import argparse
import json
import sys

from .workspace import refresh


def add_commands(commands, parents: dict) -> None:
    run = commands.add_parser(
        "run",
        parents=[parents["workspace"], parents["json"]],
        help="compile and run a notebook's pipeline, showing step progress",
    )
    run.add_argument("notebook", help="the .ipynb file")
    run.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a pipeline parameter value (repeatable)"
    )
    run.add_argument(
        "--target",
        choices=("local", "kfp"),
        default="local",
        help="local: kfp.local on this machine (default); kfp: the Kubeflow Pipelines server",
    )
    run.add_argument("--experiment", help="experiment name (default: the notebook's, else the pipeline name)")
    run.set_defaults(handler=run_command, creates_workspace=True)

    runs = commands.add_parser("runs", parents=[parents["workspace"], parents["json"]], help="list runs")
    runs.add_argument("--experiment", help="only this experiment's runs")
    runs.set_defaults(handler=runs_command)


def show_progress(service, run: dict) -> dict:
    """Show a run's progress until it ends (Ctrl-C cancels it); returns the final record."""
    from ..runs.progress import follow, progress_line, step_events

    live = sys.stdout.isatty()
    previous = latest = run
    try:
        for latest in follow(service, run):
            if live:
                print("\r" + progress_line(latest), end="", flush=True)
            else:
                for line in step_events(previous, latest):
                    print(line, flush=True)
            previous = latest
    except KeyboardInterrupt:
        latest = service.cancel(run["id"])
    if live:
        print()
    return latest


def run_command(args: argparse.Namespace) -> int:
    """Compile and run a notebook, following its steps; non-zero when the run fails."""
    from pathlib import Path

    from ..runs.parameters import parse_assignments
    from ..runs.progress import follow, summary

    service = args.workspace.run_service
    run = service.start(
        Path(args.notebook).resolve(),
        target=args.target,
        parameters=parse_assignments(args.param),
        experiment=args.experiment,
    )
    if args.json:
        *_, run = follow(service, run)
        print(json.dumps(run, indent=2))
    else:
        print(
            f"Run {run['id']} of pipeline '{run['pipeline']}' started ({args.target}), experiment '{run['experiment']}'"
        )
        run = show_progress(service, run)
        print(summary(run))
    if run["status"] == "succeeded":
        return 0
    failed = next((s for s in run["steps"] if s["status"] == "failed"), None)
    print(f"error: {run.get('error') or run['status']}", file=sys.stderr)
    if failed:
        print(f"--- last lines of step '{failed['name']}' ---", file=sys.stderr)
        print(service.logs(run["id"], failed["name"], tail=30), file=sys.stderr)
    return 1


def runs_command(args: argparse.Namespace) -> int:
    """List runs, newest first."""
    refresh(args.workspace.run_service.refresh, "runs")
    runs = args.workspace.run_service.runs(experiment=args.experiment)
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    if not runs:
        print("No runs yet: ai4mlops run NOTEBOOK starts one.")
    for run in runs:
        took = f"{run['duration']:.1f}s" if run.get("duration") else "-"
        print(f"{run['id']}  {run['status']:<11} {took:>8}  {run['experiment']}/{run['pipeline']}  {run['created_at']}")
    return 0
