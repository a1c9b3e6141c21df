"""`ai4mlops read-logs NAME`: read the request logs a KServe deployment's logger wrote to the bucket into the
monitor (each object once; the Jupyter server does the same every round)."""

from __future__ import annotations

import argparse
import json


def add_commands(commands, parents: dict) -> None:
    """Register `read-logs`."""
    command = commands.add_parser(
        "read-logs",
        parents=[parents["workspace"], parents["json"]],
        help="read a KServe deployment's new request logs from the bucket into the monitor",
    )
    command.add_argument("name", help="the deployment's name")
    command.add_argument("--limit", type=int, help="read at most this many objects")
    command.set_defaults(handler=read_logs_command)


def read_logs_command(args: argparse.Namespace) -> int:
    """Read the new objects; exit 1 when records were refused (the others are kept) or objects were left unread
    (the next read takes them)."""
    result = args.workspace.bucket_reader.read(args.name, limit=args.limit)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(
            f"{result.deployment}: {result.objects} new object(s) under {result.prefix}, {result.events} event(s) "
            f"stored, {result.repeated} already stored, {result.refused} refused, {result.left} left unread"
        )
        for problem in result.problems:
            print(f"  {problem}")
        if result.error:
            print(f"  {result.error} (read again next time)")
    return 1 if result.refused or result.error else 0
