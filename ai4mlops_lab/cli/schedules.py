"""`ai4mlops schedule`: create, list, show, enable, disable, delete schedules and their next fire times;
`ai4mlops scheduler`: run the due schedules and watch the data triggers on a machine with no Jupyter server."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .automation import print_automation, print_json_lines
from .models import table


def add_commands(commands, parents: dict) -> None:
    common = [parents["workspace"], parents["json"]]
    schedule = commands.add_parser("schedule", help="schedules: run a notebook on a cron expression or an interval")
    actions = schedule.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser("create", parents=common, help="run a notebook on a schedule")
    create.add_argument("name", help="letters, digits, '.', '-' and '_'")
    create.add_argument("notebook", help="the .ipynb file (compiled at each run, unless --pin)")
    trigger = create.add_mutually_exclusive_group(required=True)
    trigger.add_argument("--cron", metavar="EXPR", help="a cron expression, e.g. '0 3 * * *' (daily at 03:00)")
    trigger.add_argument("--every", metavar="INTERVAL", help="an interval, e.g. 15m, 2h, 1h30m")
    create.add_argument("--tz", default="UTC", metavar="ZONE", help="the cron expression's time zone (default UTC)")
    create.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a pipeline parameter value (repeatable)"
    )
    create.add_argument("--experiment", help="the runs' experiment (default: the notebook's)")
    create.add_argument(
        "--target",
        choices=("local", "kfp"),
        default="local",
        help="local (this machine's scheduler runs it) or kfp (a recurring run on the Kubeflow Pipelines server)",
    )
    create.add_argument(
        "--pin", action="store_true", help="compile the notebook now and run that at each due time (kfp always does)"
    )
    create.add_argument("--catch-up", action="store_true", help="run missed due times (else only the latest)")
    create.add_argument("--max-concurrent", type=int, default=1, metavar="N", help="runs at once (default 1)")
    create.add_argument("--start", metavar="ISO", help="no run before (default: now)")
    create.add_argument("--end", metavar="ISO", help="no run after")
    create.set_defaults(handler=create_command, creates_workspace=True)

    actions.add_parser("list", parents=common, help="every schedule").set_defaults(handler=list_command)
    for action, handler, help_text in (
        ("show", show_command, "a schedule, its next fire times and its latest fires"),
        ("enable", switch_command, "enable a schedule (its next due time counts from now)"),
        ("disable", switch_command, "disable a schedule"),
        ("delete", delete_command, "delete a schedule (the runs it started stay)"),
        ("next", next_command, "a schedule's next fire times"),
        ("pin", pin_command, "compile a schedule's notebook again and run that from now on (re-pin)"),
    ):
        named = actions.add_parser(action, parents=common, help=help_text)
        named.add_argument("name", help="the schedule")
        named.set_defaults(handler=handler)

    scheduler = commands.add_parser(
        "scheduler",
        parents=common,
        help="run the due schedules and watch the data triggers here, until Ctrl-C (the Jupyter server does this "
        "while it runs)",
    )
    scheduler.add_argument("--once", action="store_true", help="run what is due now, then exit")
    scheduler.add_argument("--interval", type=float, default=1.0, metavar="SECONDS", help="between checks (default 1)")
    scheduler.set_defaults(handler=scheduler_command)


def create_command(args: argparse.Namespace) -> int:
    from ..runs.parameters import parse_assignments

    workspace = args.workspace
    notebook = os.path.relpath(Path(args.notebook).resolve(), workspace.schedule_root.resolve())
    fields = {
        "name": args.name,
        "notebook_path": Path(notebook).as_posix(),
        "trigger": "cron" if args.cron is not None else "interval",
        "expression": args.cron if args.cron is not None else args.every,
        "time_zone": args.tz,
        "target": args.target,
        "parameters": parse_assignments(args.param),
        "experiment": args.experiment,
        "catch_up": args.catch_up,
        "max_concurrent": args.max_concurrent,
        "start_at": args.start,
        "end_at": args.end,
    }
    if args.pin:
        fields["pin"] = True
    record = workspace.schedules.create(**fields)
    return print_detail(workspace.schedules.detail(record["name"]), args.json)


def list_command(args: argparse.Namespace) -> int:
    schedules = args.workspace.schedules.list()
    if args.json:
        print(json.dumps(schedules, indent=2))
    elif not schedules:
        print("No schedules yet: ai4mlops schedule create NAME NOTEBOOK --cron EXPR (or --every INTERVAL).")
    else:
        rows = [
            [
                s["name"],
                trigger_text(s),
                s["notebook_path"],
                "on" if s["enabled"] else "off",
                "(on KFP)" if s["target"] == "kfp" else due_text(s, "next_due"),
            ]
            for s in schedules
        ]
        print(table(["NAME", "TRIGGER", "NOTEBOOK", "ENABLED", "NEXT"], rows))
    return 0


def show_command(args: argparse.Namespace) -> int:
    schedules = args.workspace.schedules
    detail = schedules.detail(args.name)
    fires = schedules.fires(args.name, limit=10)
    if args.json:
        print(json.dumps({**detail, "fires": fires}, indent=2))
        return 0
    print_detail(detail, False)
    for fire in fires:
        when = datetime.fromtimestamp(fire["due"], ZoneInfo(detail["time_zone"])).isoformat()
        kfp_run = fire.get("kfp_run")
        what = f"{kfp_run['status']} {kfp_run['run_id']}" if kfp_run else fire["run_id"] or fire["reason"] or ""
        print(f"  {when}  {fire['outcome']:<8} {what}")
    return 0


def switch_command(args: argparse.Namespace) -> int:
    schedules = args.workspace.schedules
    schedules.enable(args.name, args.action == "enable")
    return print_detail(schedules.detail(args.name), args.json)


def pin_command(args: argparse.Namespace) -> int:
    schedules = args.workspace.schedules
    schedules.pin(args.name)
    return print_detail(schedules.detail(args.name), args.json)


def delete_command(args: argparse.Namespace) -> int:
    args.workspace.schedules.delete(args.name)
    print(json.dumps({"name": args.name, "removed": True}) if args.json else f"Schedule {args.name} deleted.")
    return 0


def next_command(args: argparse.Namespace) -> int:
    times = args.workspace.schedules.detail(args.name)["next_times"]
    print(json.dumps(times) if args.json else "\n".join(times) or f"Schedule {args.name} has no next fire time.")
    return 0


def scheduler_command(args: argparse.Namespace) -> int:
    """One round (`--once`), or rounds until Ctrl-C or SIGTERM (the round under way finishes first): the due schedules,
    then the data triggers' new files."""
    from .triggers import print_started

    workspace = args.workspace
    report = print_json_lines if args.json else print_fired
    report_started = print_json_lines if args.json else print_started
    if args.once:
        report(workspace.scheduler.tick())
        report_started(workspace.watcher.tick())
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"Scheduler running on {workspace.folder}; Ctrl-C stops it.", file=sys.stderr, flush=True)

    def before() -> None:
        workspace.run_service.reap_workers()
        report_started(workspace.watcher.tick())

    workspace.scheduler.run(stop, args.interval, before=before, report=report)
    print("Scheduler stopped.", file=sys.stderr)
    return 0


def print_fired(fired: list) -> None:
    for fire in fired:
        due = datetime.fromtimestamp(fire.due).astimezone().isoformat()
        print(f"{fire.schedule}  due {due}  {fire.outcome}  {fire.run_id or fire.reason or ''}".rstrip(), flush=True)


def print_detail(detail: dict, as_json: bool) -> int:
    """A schedule, a field a line (or its JSON)."""
    own = [
        ("target", target_text(detail)),
        ("pinned", detail["pin"][:12] if detail["pin"] else "no (compiled at each run)"),
        ("trigger", trigger_text(detail)),
    ]
    tail = [
        ("catch-up", "yes" if detail["catch_up"] else "no"),
        ("last fired", due_text(detail, "last_fired_due")),
        ("next", ", ".join(detail["next_times"]) or "-"),
    ]
    return print_automation(detail, "schedule", own, tail, as_json)


def target_text(schedule: dict) -> str:
    if schedule["target"] == "kfp":
        return f"kfp (recurring run {schedule['kfp_recurring_run_id']})"
    return schedule["target"]


def trigger_text(schedule: dict) -> str:
    if schedule["trigger"] == "interval":
        return f"every {schedule['expression']}"
    return f"cron '{schedule['expression']}' {schedule['time_zone']}"


def due_text(schedule: dict, column: str) -> str:
    """A due time of the schedule (epoch seconds) in its time zone, or '-'."""
    value = schedule[column]
    return "-" if value is None else datetime.fromtimestamp(value, ZoneInfo(schedule["time_zone"])).isoformat()
