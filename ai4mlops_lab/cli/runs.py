"""`ai4mlops run` (compile and run a notebook, following its steps), `ai4mlops runs` (list them) and `ai4mlops logs`
(a step's log, readable or in full)."""

from __future__ import annotations

import argparse
import json
import sys

from . import pages
from .models import print_registered
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
    runs.add_argument("--schedule", metavar="NAME", help="only the runs this schedule started")
    runs.add_argument("--trigger", metavar="NAME", help="only the runs this data trigger started")
    pages.add_options(runs)
    runs.set_defaults(handler=runs_command)

    logs = commands.add_parser(
        "logs",
        parents=[parents["workspace"], parents["json"]],
        help="a step's log: its error located in the notebook, then its output",
    )
    logs.add_argument("run", help="the run id")
    logs.add_argument("step", nargs="?", help="the step (default: the failed step, else the last)")
    logs.add_argument("--full", action="store_true", help="the whole log, KFP's lines included")
    logs.add_argument("--tail", type=int, metavar="N", help="only the last N lines of output")
    logs.set_defaults(handler=logs_command)


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
        print_registered(args.workspace.auto_register(), sys.stderr if args.json else sys.stdout)
        return 0
    failed = next((s for s in run["steps"] if s["status"] == "failed"), None)
    if failed:
        print_step_log(service.readable_log(run["id"], failed["name"]), run["id"], sys.stderr, tail=30)
    else:
        print(f"error: {run.get('error') or run['status']}", file=sys.stderr)
    return 1


def print_step_log(view: dict, run_id: str, stream, tail: int | None = None) -> None:
    """A step's readable log (`RunService.readable_log`): its error located in the notebook first, then the last
    `tail` lines of its output, then how to see the rest."""
    from ..runs.step_log import describe

    step, error = view["step"], view["error"]
    if error:
        print(f"error: step '{step}' failed: {describe(error)}", file=stream)
    output = view["output"].split("\n") if view["output"] else []
    shown = output[-tail:] if tail else output
    cut = f" (last {len(shown)} of {len(output)} lines)" if len(shown) < len(output) else ""
    print(f"--- output of step '{step}'{cut} ---", file=stream)
    print("\n".join(shown) if shown else "(no output)", file=stream)
    hidden = f"{error['hidden_frames']} frames of Python, kfp and ai4mlops-lab code hidden; " if error else ""
    print(f"--- {hidden}the full log: ai4mlops logs {run_id} {step} --full ---", file=stream)


def logs_command(args: argparse.Namespace) -> int:
    """Print a step's log: readable (error first, then output) or, with --full, the whole log."""
    from ..errors import UserError

    service = args.workspace.run_service
    run = service.run(args.run)
    if not run["steps"]:
        raise UserError(f"Run {args.run} has no steps.", "Its pipeline failed before any step was recorded.")
    failed = [s["name"] for s in run["steps"] if s["status"] == "failed"]
    step = args.step or (failed or [run["steps"][-1]["name"]])[0]
    view = service.readable_log(args.run, step)
    if args.json:
        print(json.dumps(view, indent=2))
    elif args.full:
        text = view["text"].split("\n")
        print("\n".join(text[-args.tail :] if args.tail else text))
    else:
        print_step_log(view, args.run, sys.stdout, tail=args.tail)
    return 0


def runs_command(args: argparse.Namespace) -> int:
    """List runs, newest first."""
    refresh(args.workspace.run_service.refresh, "runs")
    service = args.workspace.run_service
    runs = pages.listed(
        lambda **page: service.runs(experiment=args.experiment, schedule=args.schedule, trigger=args.trigger, **page),
        "runs",
        args,
    )
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    if not runs:
        print("No runs yet: ai4mlops run NOTEBOOK starts one.")
    for run in runs:
        took = f"{run['duration']:.1f}s" if run.get("duration") else "-"
        by = f"  schedule {run['schedule']}" if run["schedule"] else ""
        by += f"  trigger {run['trigger']}" if run["trigger"] else ""
        where = f"{run['experiment']}/{run['pipeline']}"
        print(f"{run['id']}  {run['status']:<11} {took:>8}  {where}  {run['created_at']}{by}")
    return 0
