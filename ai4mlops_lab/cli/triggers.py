"""`ai4mlops trigger`: create, list, show, enable, disable, delete data triggers and list the files they handled.
`ai4mlops scheduler` (in `schedules.py`) watches them too."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from .automation import print_automation
from .models import table


def add_commands(commands, parents: dict) -> None:
    common = [parents["workspace"], parents["json"]]
    trigger = commands.add_parser("trigger", help="data triggers: run a notebook when new files arrive")
    actions = trigger.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser("create", parents=common, help="run a notebook for each new file in a folder or bucket")
    create.add_argument("name", help="letters, digits, '.', '-' and '_'")
    create.add_argument("notebook", help="the .ipynb file (compiled at each run)")
    create.add_argument("source", help="a folder under the Jupyter root, or an s3://BUCKET/PREFIX")
    create.add_argument(
        "--parameter", required=True, metavar="NAME", help="the pipeline parameter that receives each file's location"
    )
    create.add_argument("--pattern", default="*", help="files to run for, e.g. '*.csv', '**/*.parquet' (default '*')")
    create.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="another parameter's value (repeatable)"
    )
    create.add_argument("--experiment", help="the runs' experiment (default: the notebook's)")
    create.add_argument("--settle", type=int, default=10, metavar="SECONDS", help="unchanged this long (default 10)")
    create.add_argument("--poll", type=int, default=5, metavar="SECONDS", help="list the source this often (default 5)")
    create.add_argument("--batch", action="store_true", help="one run per batch of files (newline-joined locations)")
    create.add_argument("--include-existing", action="store_true", help="also run for the files there now")
    create.add_argument("--max-concurrent", type=int, default=1, metavar="N", help="runs at once (default 1)")
    create.set_defaults(handler=create_command, creates_workspace=True)

    actions.add_parser("list", parents=common, help="every trigger").set_defaults(handler=list_command)
    for action, handler, help_text in (
        ("show", show_command, "a trigger and its latest files"),
        ("enable", switch_command, "enable a trigger"),
        ("disable", switch_command, "disable a trigger"),
        ("delete", delete_command, "delete a trigger (the runs it started stay)"),
        ("files", files_command, "the files a trigger handled (with their runs) and those waiting"),
    ):
        named = actions.add_parser(action, parents=common, help=help_text)
        named.add_argument("name", help="the trigger")
        named.set_defaults(handler=handler)


def create_command(args: argparse.Namespace) -> int:
    from ..runs.parameters import parse_assignments
    from ..scheduling.sources import is_s3

    workspace = args.workspace
    root = workspace.schedule_root.resolve()
    source = args.source if is_s3(args.source) else Path(os.path.relpath(Path(args.source).resolve(), root)).as_posix()
    record = workspace.triggers.create(
        name=args.name,
        notebook_path=Path(os.path.relpath(Path(args.notebook).resolve(), root)).as_posix(),
        source=source,
        pattern=args.pattern,
        parameter=args.parameter,
        parameters=parse_assignments(args.param),
        experiment=args.experiment,
        settle_seconds=args.settle,
        poll_seconds=args.poll,
        batch=args.batch,
        include_existing=args.include_existing,
        max_concurrent=args.max_concurrent,
    )
    return print_detail(record, args.json)


def list_command(args: argparse.Namespace) -> int:
    triggers = args.workspace.triggers.list()
    if args.json:
        print(json.dumps(triggers, indent=2))
    elif not triggers:
        print("No triggers yet: ai4mlops trigger create NAME NOTEBOOK SOURCE --parameter NAME.")
    else:
        rows = [
            [t["name"], watch_text(t), t["notebook_path"], "on" if t["enabled"] else "off", t["last_error"] or ""]
            for t in triggers
        ]
        print(table(["NAME", "WATCHES", "NOTEBOOK", "ENABLED", "ERROR"], rows).rstrip())
    return 0


def show_command(args: argparse.Namespace) -> int:
    triggers = args.workspace.triggers
    record = triggers.get(args.name)
    files = triggers.files(args.name, limit=10)
    if args.json:
        print(json.dumps({**record, "files": files}, indent=2))
        return 0
    print_detail(record, False)
    print_files(files)
    return 0


def switch_command(args: argparse.Namespace) -> int:
    return print_detail(args.workspace.triggers.enable(args.name, args.action == "enable"), args.json)


def delete_command(args: argparse.Namespace) -> int:
    args.workspace.triggers.delete(args.name)
    print(json.dumps({"name": args.name, "removed": True}) if args.json else f"Trigger {args.name} deleted.")
    return 0


def files_command(args: argparse.Namespace) -> int:
    files = args.workspace.triggers.files(args.name)
    if args.json:
        print(json.dumps(files, indent=2))
    elif not files["seen"] and not files["waiting"]:
        print(f"Trigger {args.name} has handled no file yet.")
    else:
        print_files(files)
    return 0


def print_files(files: dict) -> None:
    for seen in files["seen"]:
        print(f"  {seen['seen_at']}  {seen['state']:<8} {seen['path']}  {seen['run_id'] or seen['reason'] or ''}")
    for waiting in files["waiting"]:
        print(f"  {waiting['since']}  {waiting['state']:<8} {waiting['path']}")


def print_started(started: list) -> None:
    """What a watcher tick started, a line each."""
    for run in started:
        print(f"{run.trigger}  {', '.join(run.paths)}  {run.outcome}  {run.run_id or run.reason or ''}", flush=True)


def print_detail(record: dict, as_json: bool) -> int:
    """A trigger, a field a line (or its JSON)."""
    own = [
        ("watches", watch_text(record)),
        ("parameter", record["parameter"]),
        ("settle", f"{record['settle_seconds']} s"),
        ("mode", "one run per batch" if record["batch"] else "one run per file"),
    ]
    return print_automation(record, "trigger", own, [("last error", record["last_error"] or "-")], as_json)


def watch_text(record: dict) -> str:
    source = record["source"]
    return f"{source.rstrip('/')}/{record['pattern']}" if source != "." else record["pattern"]
