"""The `ai4mlops` command: the same modules as the REST API, for terminals and CI/CD."""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .environment import cluster_gaps, health_facts
from .errors import UserError


def _doctor(args: argparse.Namespace) -> int:
    """Print the health facts and what the cluster paths still need."""
    facts = health_facts()
    gaps = cluster_gaps(facts)
    if args.json:
        print(json.dumps({**facts, "cluster_gaps": gaps}, indent=2))
        return 0
    print(f"ai4mlops-lab {facts['ai4mlops_lab']}")
    for name, version in facts["versions"].items():
        print(f"  {name:<16} {version or 'not installed'}")
    print(f"  {'KFP host':<16} {'configured' if facts['kfp_host_configured'] else 'not configured'}")
    print(f"  {'kubeconfig':<16} {'found' if facts['kubeconfig_found'] else 'not found'}")
    print("Local backends (no cluster needed): ready")
    if gaps:
        print("For the cluster paths:")
        for gap in gaps:
            print(f"  - {gap}")
    else:
        print("Cluster paths: ready")
    return 0


def _print_diagnostics(diagnostics: list[dict]) -> None:
    """One line per diagnostic, the way compilers print them: where, severity, message, hint."""
    from .notebook.diagnostics import where

    for d in diagnostics:
        print(f"{where(d)}: {d['severity']}: {d['message']}", file=sys.stderr)
        if d.get("hint"):
            print(f"    hint: {d['hint']}", file=sys.stderr)


def _compile(args: argparse.Namespace) -> int:
    """Compile a notebook into `<pipeline>.py` and `<pipeline>.pipeline.yaml`."""
    from .pipeline.compiler import compile_notebook

    result = compile_notebook(args.notebook, args.output_dir)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print_diagnostics(result["diagnostics"])
        if result["ok"]:
            steps = ", ".join(step["name"] for step in result["steps"])
            print(f"Pipeline '{result['pipeline']}': {len(result['steps'])} steps ({steps})")
            for path in result["files"]:
                print(f"  wrote {path}")
    return 0 if result["ok"] else 2


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    parser = argparse.ArgumentParser(
        prog="ai4mlops",
        description="Notebook to Kubeflow pipeline, runs, KServe deploy and drift monitoring.",
    )
    parser.add_argument("--version", action="version", version=f"ai4mlops-lab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    doctor = commands.add_parser("doctor", help="check the installation and what the cluster paths need")
    doctor.add_argument("--json", action="store_true", help="print machine-readable JSON")
    doctor.set_defaults(handler=_doctor)
    compile_ = commands.add_parser("compile", help="compile a tagged notebook into a Kubeflow pipeline")
    compile_.add_argument("notebook", help="the .ipynb file")
    compile_.add_argument("-o", "--output-dir", help="where to write the files (default: next to the notebook)")
    compile_.add_argument("--json", action="store_true", help="print the pipeline, steps and diagnostics as JSON")
    compile_.set_defaults(handler=_compile)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except UserError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
