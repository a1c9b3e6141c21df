"""`ai4mlops compile`: a tagged notebook into `<pipeline>.py` and `<pipeline>.pipeline.yaml`."""

from __future__ import annotations

import argparse
import json
import sys


def add_commands(commands, parents: dict) -> None:
    compile_ = commands.add_parser("compile", help="compile a tagged notebook into a Kubeflow pipeline")
    compile_.add_argument("notebook", help="the .ipynb file")
    compile_.add_argument(
        "-o",
        "--output-dir",
        help="where to write the files: a folder below the current one (default: next to the notebook)",
    )
    compile_.add_argument("--json", action="store_true", help="print the pipeline, steps and diagnostics as JSON")
    compile_.set_defaults(handler=compile_command)


def print_diagnostics(diagnostics: list[dict]) -> None:
    """One line per diagnostic, the way compilers print them: where, severity, message, hint."""
    from ..notebook.diagnostics import where

    for d in diagnostics:
        print(f"{where(d)}: {d['severity']}: {d['message']}", file=sys.stderr)
        if d.get("hint"):
            print(f"    hint: {d['hint']}", file=sys.stderr)


def compile_command(args: argparse.Namespace) -> int:
    """Compile a notebook into `<pipeline>.py` and `<pipeline>.pipeline.yaml`."""
    from pathlib import Path

    from .. import confined
    from ..pipeline.compiler import compile_notebook

    outdir = confined.resolve(Path.cwd(), args.output_dir) if args.output_dir else None
    result = compile_notebook(args.notebook, outdir)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_diagnostics(result["diagnostics"])
        if result["ok"]:
            steps = ", ".join(step["name"] for step in result["steps"])
            print(f"Pipeline '{result['pipeline']}': {len(result['steps'])} steps ({steps})")
            for path in result["files"]:
                print(f"  wrote {path}")
    return 0 if result["ok"] else 2
