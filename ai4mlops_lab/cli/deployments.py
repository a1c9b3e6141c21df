"""`ai4mlops deploy`, `deployments` and `undeploy`: a run's model served locally or on KServe."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from ..errors import UserError
from .workspace import refresh


def add_commands(commands, parents: dict) -> None:
    deploy = commands.add_parser(
        "deploy",
        parents=[parents["workspace"], parents["json"]],
        help="serve a run's model (a KServe model server on 127.0.0.1): a run's, or a notebook's best run's",
    )
    deploy.add_argument(
        "run",
        metavar="RUN_ID|NOTEBOOK",
        help="a succeeded run that produced a model, or a notebook (.ipynb): its best succeeded run by its main "
        "metric (the first of its pipeline-metrics cell; lower is better for loss, error, mse, mae, rmse)",
    )
    deploy.add_argument("--model", help="the model artifact (name or step/name; default: the run's last)")
    deploy.add_argument("--name", help="the deployment's name (default: <pipeline>-<model>)")
    deploy.add_argument(
        "--target",
        choices=("local", "kserve"),
        default="local",
        help="local: a model server on this machine (default); kserve: an InferenceService",
    )
    deploy.add_argument(
        "--ingest-url",
        help="log requests to this ingest endpoint (default: $AI4MLOPS_INGEST_URL, "
        "else straight into the workspace's store)",
    )
    deploy.set_defaults(handler=deploy_command)

    deployments = commands.add_parser(
        "deployments", parents=[parents["workspace"], parents["json"]], help="list deployments"
    )
    deployments.set_defaults(handler=list_command)

    undeploy = commands.add_parser("undeploy", parents=[parents["workspace"]], help="stop a deployment and remove it")
    undeploy.add_argument("name", help="the deployment's name")
    undeploy.set_defaults(handler=undeploy_command)


def describe(record: dict) -> str:
    """One line: name, status, target, model, run, what serves it and where it answers."""
    where = (record.get("endpoints") or {}).get("v2") or record.get("url") or "-"
    return (
        f"{record['name']}  {record['status']:<8} {record['target']:<6} {record['model_name']}  "
        f"run {record['run_id']}  {record['runtime']['label']}  {where}"
    )


def run_label(run: dict, metric: str | None, parameters: list[str]) -> str:
    """A run as a person reads it: `run of 14:02, epochs=5, accuracy 0.93` (its local start time; the date
    too when it is not today)."""
    created = datetime.fromisoformat(run["created_at"]).astimezone()
    when = created.strftime("%H:%M" if created.date() == datetime.now().date() else "%Y-%m-%d %H:%M")
    parts = [f"run of {when}", *(f"{name}={run['parameters'][name]}" for name in parameters)]
    value = run["metrics"].get(metric) if metric else None
    if isinstance(value, (int, float)):
        parts.append(f"{metric} {value:.4g}")
    return ", ".join(parts)


def varying_parameters(runs: list[dict]) -> list[str]:
    """The parameters whose values differ among `runs` (all of them when there is one run)."""
    names = list(dict.fromkeys(name for run in runs for name in run["parameters"]))
    if len(runs) < 2:
        return names
    return [n for n in names if len({json.dumps(run["parameters"].get(n)) for run in runs}) > 1]


def best_run(workspace, notebook: Path) -> tuple[str, str]:
    """The id of the notebook's best succeeded run and a line saying which it is and why."""
    ranking = workspace.run_service.ranked(notebook)
    runs = ranking["runs"]
    if not runs:
        raise UserError(
            f"The notebook {ranking['notebook_path']} has no succeeded run.",
            f"Run it first: ai4mlops run {notebook.name}",
        )
    metric = (ranking["metric"] or {}).get("name")
    shown = varying_parameters(runs)
    best, latest = runs[0], next(r for r in runs if r["id"] == ranking["latest"])
    line = f"Deploying the {run_label(best, metric, shown)} ({best['id']})"
    if metric is None:
        return best["id"], f"{line}: the latest run (no run reports a metric)"
    direction = "highest" if ranking["metric"]["higher_is_better"] else "lowest"
    line += f": the {direction} {metric} of {len(runs)} succeeded run{'s' if len(runs) > 1 else ''}"
    if latest is not best:
        line += f"; the latest, {run_label(latest, metric, shown)}, is worse"
    return best["id"], line


def deploy_command(args: argparse.Namespace) -> int:
    """Deploy a run's model (or a notebook's best run's) and wait until it serves (a KServe deployment: until
    the cluster took it)."""
    run_id = args.run
    if run_id.endswith(".ipynb") or Path(run_id).is_file():
        run_id, line = best_run(args.workspace, Path(run_id).resolve())
        print(line, file=sys.stderr if args.json else sys.stdout)
    record = args.workspace.deployments.deploy(run_id, model=args.model, name=args.name, target=args.target)
    return print_deployment(record, args.json)


def print_deployment(record: dict, as_json: bool) -> int:
    """A deployment just made: as JSON, or its status and where it answers."""
    if as_json:
        print(json.dumps(record, indent=2))
        return 0
    print(f"Deployment '{record['name']}' is {record['status']}, served by the {record['runtime']['label']}")
    if record["runtime"]["fallback"]:
        print(f"  ({record['runtime']['fallback']})")
    for protocol, url in (record.get("endpoints") or {}).items():
        print(f"  {protocol:<9}{url}")
    return 0


def list_command(args: argparse.Namespace) -> int:
    refresh(args.workspace.deployments.refresh, "deployments")
    records = args.workspace.deployments.list()
    if args.json:
        print(json.dumps(records, indent=2))
    elif not records:
        print("No deployments yet: ai4mlops deploy NOTEBOOK deploys its best run's model.")
    for record in records if not args.json else []:
        print(describe(record))
    return 0


def undeploy_command(args: argparse.Namespace) -> int:
    args.workspace.deployments.remove(args.name)
    print(f"Deployment '{args.name}' stopped and removed")
    return 0
