"""`ai4mlops deploy`, `deployments` and `undeploy`: a run's model served locally or on KServe."""

from __future__ import annotations

import argparse
import json

from .workspace import refresh


def add_commands(commands, parents: dict) -> None:
    deploy = commands.add_parser(
        "deploy",
        parents=[parents["workspace"], parents["json"]],
        help="serve a run's model (a KServe model server on 127.0.0.1)",
    )
    deploy.add_argument("run_id", help="a succeeded run that produced a model")
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
    """One line: name, status, target, model, run and where it answers."""
    where = (record.get("endpoints") or {}).get("v2") or record.get("url") or "-"
    return (
        f"{record['name']}  {record['status']:<8} {record['target']:<6} {record['model_name']}  "
        f"run {record['run_id']}  {where}"
    )


def deploy_command(args: argparse.Namespace) -> int:
    """Deploy a run's model and wait until it serves (a KServe deployment: until the cluster took it)."""
    record = args.workspace.deployments.deploy(args.run_id, model=args.model, name=args.name, target=args.target)
    if args.json:
        print(json.dumps(record, indent=2))
        return 0
    print(f"Deployment '{record['name']}' is {record['status']}")
    for protocol, url in (record.get("endpoints") or {}).items():
        print(f"  {protocol:<9}{url}")
    return 0


def list_command(args: argparse.Namespace) -> int:
    refresh(args.workspace.deployments.refresh, "deployments")
    records = args.workspace.deployments.list()
    if args.json:
        print(json.dumps(records, indent=2))
    elif not records:
        print("No deployments yet: ai4mlops deploy RUN_ID deploys a run's model.")
    for record in records if not args.json else []:
        print(describe(record))
    return 0


def undeploy_command(args: argparse.Namespace) -> int:
    args.workspace.deployments.remove(args.name)
    print(f"Deployment '{args.name}' stopped and removed")
    return 0
