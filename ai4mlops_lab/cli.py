"""The `ai4mlops` command: the same modules as the REST API, for terminals and CI/CD."""

from __future__ import annotations

import argparse
import json
import os
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
    from pathlib import Path

    from . import confined
    from .pipeline.compiler import compile_notebook

    outdir = confined.resolve(Path.cwd(), args.output_dir) if args.output_dir else None
    result = compile_notebook(args.notebook, outdir)
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


def _service(workspace: str):
    from pathlib import Path

    from .runs.kfp_connection import KfpConnection
    from .runs.service import RunService
    from .store.runs import RunStore

    root = Path(workspace)
    return RunService(root, RunStore(root / "store.sqlite"), kfp_connection=KfpConnection.resolve)


def _follow(service, run: dict, poll_seconds: float = 0.25) -> dict:
    """Show a run's progress until it ends (Ctrl-C cancels it); returns the final record."""
    import time

    from .runs.progress import FINAL, progress_line, step_events

    live = sys.stdout.isatty()
    previous = None
    try:
        while True:
            if live:
                print("\r" + progress_line(run), end="", flush=True)
            else:
                for line in step_events(previous, run):
                    print(line, flush=True)
            if run["status"] in FINAL:
                break
            previous = run
            time.sleep(poll_seconds)
            run = service.run(run["id"])
    except KeyboardInterrupt:
        run = service.cancel(run["id"])
    if live:
        print()
    return run


def _run(args: argparse.Namespace) -> int:
    """Compile and run a notebook, following its steps; non-zero when the run fails."""
    from pathlib import Path

    from .runs.parameters import parse_assignments
    from .runs.progress import summary

    service = _service(args.workspace)
    run = service.start(Path(args.notebook).resolve(), target=args.target,
                        parameters=parse_assignments(args.param), experiment=args.experiment)
    if not args.json:
        print(f"Run {run['id']} of pipeline '{run['pipeline']}' started ({args.target}), "
              f"experiment '{run['experiment']}'")
    run = _follow(service, run) if not args.json else _wait(service, run)
    if args.json:
        print(json.dumps(run, indent=2))
    else:
        print(summary(run))
    if run["status"] == "succeeded":
        return 0
    failed = next((s for s in run["steps"] if s["status"] == "failed"), None)
    print(f"error: {run.get('error') or run['status']}", file=sys.stderr)
    if failed:
        print(f"--- last lines of step '{failed['name']}' ---", file=sys.stderr)
        print(service.logs(run["id"], failed["name"], tail=30), file=sys.stderr)
    return 1


def _wait(service, run: dict) -> dict:
    import time

    from .runs.progress import FINAL

    while run["status"] not in FINAL:
        time.sleep(0.25)
        run = service.run(run["id"])
    return run


def _runs(args: argparse.Namespace) -> int:
    """List runs, newest first."""
    runs = _service(args.workspace).runs(experiment=args.experiment)
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    if not runs:
        print("No runs yet: ai4mlops run NOTEBOOK starts one.")
    for run in runs:
        took = f"{run['duration']:.1f}s" if run.get("duration") else "-"
        print(f"{run['id']}  {run['status']:<11} {took:>8}  {run['experiment']}/{run['pipeline']}  {run['created_at']}")
    return 0


def _deployments(args: argparse.Namespace):
    """The deployments service on the CLI's workspace; request logging when an ingest URL is given."""
    import os
    from pathlib import Path

    from .monitoring.ingest_token import ingest_token
    from .serving.local import LocalDeployments
    from .serving.service import Deployments
    from .store.deployments import DeploymentStore
    from .store.runs import RunStore

    root = Path(args.workspace)
    url = getattr(args, "ingest_url", None) or os.environ.get("AI4MLOPS_INGEST_URL", "")
    request_log = {"url": url, "auth": f"Bearer {ingest_token(root)}", "namespace": "local"} if url else None
    store = root / "store.sqlite"
    return Deployments(LocalDeployments(root, DeploymentStore(store), RunStore(store, check=False),
                                        request_log=request_log))


def _describe_deployment(record: dict) -> str:
    where = (record.get("endpoints") or {}).get("v2") or record.get("url") or "-"
    return f"{record['name']}  {record['status']:<8} {record['target']:<6} {record['model_name']}  run {record['run_id']}  {where}"


def _deploy(args: argparse.Namespace) -> int:
    """Deploy a run's model and wait until it serves."""
    record = _deployments(args).deploy(args.run_id, model=args.model, name=args.name, target=args.target)
    if args.json:
        print(json.dumps(record, indent=2))
        return 0
    print(f"Deployment '{record['name']}' is {record['status']}")
    for protocol, url in (record.get("endpoints") or {}).items():
        print(f"  {protocol:<9}{url}")
    return 0


def _list_deployments(args: argparse.Namespace) -> int:
    records = _deployments(args).list()
    if args.json:
        print(json.dumps(records, indent=2))
    elif not records:
        print("No deployments yet: ai4mlops deploy RUN_ID deploys a run's model.")
    for record in records if not args.json else []:
        print(_describe_deployment(record))
    return 0


def _undeploy(args: argparse.Namespace) -> int:
    _deployments(args).remove(args.name)
    print(f"Deployment '{args.name}' stopped and removed")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    parser = argparse.ArgumentParser(
        prog="ai4mlops",
        description="Notebook to Kubeflow pipeline, runs, KServe deploy and drift monitoring.",
    )
    parser.add_argument("--version", action="version", version=f"ai4mlops-lab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    workspace = argparse.ArgumentParser(add_help=False)
    workspace.add_argument("--workspace", help="folder of the store, runs and deployments (default: "
                           "$AI4MLOPS_WORKSPACE, else the nearest .ai4mlops/ here, above or just below)")
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON")
    doctor = commands.add_parser("doctor", help="check the installation and what the cluster paths need")
    doctor.add_argument("--json", action="store_true", help="print machine-readable JSON")
    doctor.set_defaults(handler=_doctor)
    compile_ = commands.add_parser("compile", help="compile a tagged notebook into a Kubeflow pipeline")
    compile_.add_argument("notebook", help="the .ipynb file")
    compile_.add_argument("-o", "--output-dir", help="where to write the files: a folder below the current one "
                          "(default: next to the notebook)")
    compile_.add_argument("--json", action="store_true", help="print the pipeline, steps and diagnostics as JSON")
    compile_.set_defaults(handler=_compile)

    run = commands.add_parser("run", parents=[workspace, as_json],
                              help="compile and run a notebook's pipeline, showing step progress")
    run.add_argument("notebook", help="the .ipynb file")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="a pipeline parameter value (repeatable)")
    run.add_argument("--target", choices=("local", "kfp"), default="local",
                     help="local: kfp.local on this machine (default); kfp: the Kubeflow Pipelines server")
    run.add_argument("--experiment", help="experiment name (default: the notebook's, else the pipeline name)")
    run.set_defaults(handler=_run, creates_workspace=True)

    runs = commands.add_parser("runs", parents=[workspace, as_json], help="list runs")
    runs.add_argument("--experiment", help="only this experiment's runs")
    runs.set_defaults(handler=_runs)

    deploy = commands.add_parser("deploy", parents=[workspace, as_json],
                                 help="serve a run's model (a KServe model server on 127.0.0.1)")
    deploy.add_argument("run_id", help="a succeeded run that produced a model")
    deploy.add_argument("--model", help="the model artifact (name or step/name; default: the run's last)")
    deploy.add_argument("--name", help="the deployment's name (default: <pipeline>-<model>)")
    deploy.add_argument("--target", choices=("local", "kserve"), default="local",
                        help="local: a model server on this machine (default); kserve: an InferenceService")
    deploy.add_argument("--ingest-url", help="log requests to this ingest endpoint (default: $AI4MLOPS_INGEST_URL)")
    deploy.set_defaults(handler=_deploy)

    deployments = commands.add_parser("deployments", parents=[workspace, as_json], help="list deployments")
    deployments.set_defaults(handler=_list_deployments)

    undeploy = commands.add_parser("undeploy", parents=[workspace], help="stop a deployment and remove it")
    undeploy.add_argument("name", help="the deployment's name")
    undeploy.set_defaults(handler=_undeploy)

    from .cli_drift import add_commands

    add_commands(commands, workspace, as_json)
    return parser


def _use_workspace(args: argparse.Namespace) -> None:
    """Set `args.workspace` to the folder found (see `cli_workspace`) and say which it is, on stderr."""
    from .cli_workspace import find_workspace

    args.workspace = str(find_workspace(args.workspace, create=getattr(args, "creates_workspace", False)))
    print(f"workspace: {args.workspace}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        if "workspace" in args:
            _use_workspace(args)
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
        print(f"error: this is a bug in ai4mlops-lab ({type(exc).__name__}); the traceback is in {log}, "
              "please report it with that file", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
