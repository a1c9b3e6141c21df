"""The `ai4mlops` command's grammar and dispatch: each noun's module registers its commands; errors become
one line (a user error: exit 2; a bug: exit 3, the traceback in a file)."""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from ..errors import UserError
from . import (
    compile,
    deployments,
    doctor,
    drift,
    image,
    logs,
    models,
    monitor_jobs,
    outcomes,
    predict,
    runs,
    schedules,
    triggers,
)
from .workspace import use_workspace

#: The modules whose commands the CLI offers, in the order `--help` lists them.
NOUNS = (
    doctor,
    compile,
    image,
    runs,
    schedules,
    triggers,
    models,
    deployments,
    drift,
    logs,
    monitor_jobs,
    outcomes,
    predict,
)


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    parser = argparse.ArgumentParser(
        prog="ai4mlops",
        description="Notebook to Kubeflow pipeline, runs, KServe deploy and drift monitoring.",
    )
    parser.add_argument("--version", action="version", version=f"ai4mlops-lab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    workspace = argparse.ArgumentParser(add_help=False)
    workspace.add_argument(
        "--workspace",
        help="folder of the store, runs and deployments (default: "
        "$AI4MLOPS_WORKSPACE, else the nearest .ai4mlops/ here, above or just below)",
    )
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON")
    for noun in NOUNS:
        noun.add_commands(commands, {"workspace": workspace, "json": as_json})
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        if "workspace" in args:
            use_workspace(args)
        return args.handler(args)
    except UserError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line for the user, the traceback in a file
        if os.environ.get("AI4MLOPS_LAB_DEBUG"):
            raise
        import tempfile
        import traceback

        fd, log = tempfile.mkstemp(prefix="ai4mlops-error-", suffix=".log")
        with os.fdopen(fd, "w") as stream:
            traceback.print_exc(file=stream)
        print(
            f"error: this is a bug in ai4mlops-lab ({type(exc).__name__}); the traceback is in {log}, "
            "please report it with that file",
            file=sys.stderr,
        )
        return 3
