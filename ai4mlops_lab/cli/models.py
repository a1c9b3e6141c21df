"""`ai4mlops models`: the model registry: list, show, register a run's model, move aliases, archive and restore,
deploy a version (its rollouts: `rollouts.py`)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from ..registry.deploy import default_version, deploy_version
from .deployments import print_deployment


def add_commands(commands, parents: dict) -> None:
    models = commands.add_parser("models", help="the model registry: registered models, versions and aliases")
    actions = models.add_subparsers(dest="action", metavar="ACTION", required=True)
    common = [parents["workspace"], parents["json"]]

    actions.add_parser("list", parents=common, help="every registered model").set_defaults(handler=list_command)

    show = actions.add_parser("show", parents=common, help="a model and its versions, or one version")
    show.add_argument("name", help="the registered model")
    show.add_argument("version", nargs="?", metavar="VERSION|ALIAS", help="one version, by number or alias")
    show.set_defaults(handler=show_command)

    register = actions.add_parser("register", parents=common, help="register a succeeded run's model as a version")
    register.add_argument("run", metavar="RUN_ID", help="a succeeded run with a model")
    register.add_argument("--artifact", help="its model artifact, name or step/name (default: the run's last)")
    register.add_argument("--name", help="the registered model (default: <pipeline>-<artifact>)")
    register.add_argument("--description", help="the model's description")
    register.add_argument(
        "--alias", action="append", default=[], help="point this alias at the new version (repeatable)"
    )
    register.set_defaults(handler=register_command)

    alias = actions.add_parser("alias", parents=common, help="point an alias at a version (the move is recorded)")
    alias.add_argument("name", help="the registered model")
    alias.add_argument("alias", help="e.g. champion, challenger")
    alias.add_argument("version", metavar="VERSION|ALIAS", help="a version number, or another alias")
    alias.add_argument("--reason", default="", help="why (kept in the alias history)")
    alias.set_defaults(handler=alias_command)

    unalias = actions.add_parser("unalias", parents=common, help="remove an alias (recorded)")
    unalias.add_argument("name", help="the registered model")
    unalias.add_argument("alias")
    unalias.add_argument("--reason", default="", help="why (kept in the alias history)")
    unalias.set_defaults(handler=unalias_command)

    history = actions.add_parser("history", parents=common, help="every move of a model's aliases")
    history.add_argument("name", help="the registered model")
    history.set_defaults(handler=history_command)

    deploy = actions.add_parser(
        "deploy", parents=common, help="serve a version (default: the champion alias, else the latest live version)"
    )
    deploy.add_argument("name", help="the registered model")
    deploy.add_argument("version", nargs="?", metavar="VERSION|ALIAS", help="a version number, or an alias")
    deploy.add_argument("--name", dest="deployment", help="the deployment's name (default: from the model's name)")
    deploy.add_argument(
        "--target",
        choices=("local", "kserve"),
        default="local",
        help="local: a model server on this machine (default); kserve: an InferenceService",
    )
    deploy.set_defaults(handler=deploy_command)

    for action, help_text in (("archive", "archive a version (kept)"), ("restore", "make an archived version live")):
        state = actions.add_parser(action, parents=common, help=help_text)
        state.add_argument("name", help="the registered model")
        state.add_argument("version", metavar="VERSION|ALIAS")
        state.set_defaults(handler=state_command, state_action=action)

    from . import rollouts

    rollouts.add_commands(actions, common)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Rows under their headers in left-aligned columns, two spaces apart."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [headers, *rows]
    )


def local_time(text: str) -> str:
    """A store time as a local `YYYY-MM-DD HH:MM`."""
    return datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M")


def metrics_text(metrics: dict) -> str:
    return ", ".join(
        f"{name} {value:.4g}" if isinstance(value, float) else f"{name} {value}" for name, value in metrics.items()
    )


def aliases_text(aliases: dict[str, int]) -> str:
    return ", ".join(f"{alias} -> v{version}" for alias, version in aliases.items()) or "-"


def version_line(version: dict) -> str:
    aliases = f" ({', '.join(version['aliases'])})" if version["aliases"] else ""
    return f"{version['model']} v{version['version']}{aliases}"


def describe_version(version: dict) -> str:
    """One version, a field a line."""
    signature = (version["signature"] or {}).get("inputs") or []
    inputs = "; ".join(
        f"{i['name']} {i['dtype']} {i['shape']}" + (f": {', '.join(i['features'])}" if i.get("features") else "")
        for i in signature
    )
    reference = version["reference"]
    fields = [
        ("state", version["state"]),
        ("aliases", ", ".join(version["aliases"]) or "-"),
        ("artifact", f"{version['artifact']} at {version['artifact_uri']}"),
        ("framework", " ".join(filter(None, [version["framework"], version["framework_version"]])) or "-"),
        ("run", f"{version['run_id']} of {version['notebook_path']} (sha256 {(version['notebook_hash'] or '')[:12]})"),
        ("parameters", ", ".join(f"{k}={v}" for k, v in version["parameters"].items()) or "-"),
        ("metrics", metrics_text(version["metrics"]) or "-"),
        ("signature", inputs or "- (no features were found for this model)"),
        (
            "reference",
            f"{reference['rows']} of {reference['total_rows']} rows, {reference['source']}" if reference else "-",
        ),
        ("registered", f"{local_time(version['created_at'])} by {version['author']}"),
    ]
    width = max(len(name) for name, _ in fields)
    return "\n".join([f"{version['model']} version {version['version']}"] + [f"  {n:<{width}}  {v}" for n, v in fields])


def versions_table(versions: list[dict]) -> str:
    return table(
        ["VERSION", "STATE", "ALIASES", "FRAMEWORK", "RUN", "METRICS", "REGISTERED", "BY"],
        [
            [
                f"v{v['version']}",
                v["state"],
                ", ".join(v["aliases"]) or "-",
                v["framework"] or "-",
                v["run_id"] or "-",
                metrics_text(v["metrics"]) or "-",
                local_time(v["created_at"]),
                v["author"],
            ]
            for v in versions
        ],
    )


def print_registered(versions: list[dict], stream) -> None:
    """Say which versions were just registered (automatically)."""
    for version in versions:
        print(f"Registered {version['artifact']} of run {version['run_id']} as {version_line(version)}", file=stream)


def emit(args: argparse.Namespace, record, human: str) -> int:
    print(json.dumps(record, indent=2) if args.json else human)
    return 0


def list_command(args: argparse.Namespace) -> int:
    models = []
    if args.workspace.has_store():
        args.workspace.auto_register()
        models = args.workspace.registry.models()
    if not models and not args.json:
        print("No registered models yet: ai4mlops models register RUN_ID registers a run's model.")
        return 0
    rows = [
        [
            m["name"],
            str(m["version_count"]),
            f"v{m['latest_version']['version']}" if m["latest_version"] else "-",
            aliases_text(m["aliases"]),
            local_time(m["updated_at"]),
            m["description"] or "",
        ]
        for m in models
    ]
    return emit(args, models, table(["NAME", "VERSIONS", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION"], rows))


def show_command(args: argparse.Namespace) -> int:
    registry = args.workspace.registry
    if args.version is not None:
        version = registry.version(args.name, args.version)
        return emit(args, version, describe_version(version))
    model = registry.model(args.name)
    versions = registry.versions(args.name)
    header = f"{model['name']}: {model['version_count']} version{'s' if model['version_count'] != 1 else ''}"
    header += f"; aliases: {aliases_text(model['aliases'])}"
    if model["description"]:
        header += f"\n{model['description']}"
    return emit(args, {**model, "versions": versions}, f"{header}\n\n{versions_table(versions)}")


def register_command(args: argparse.Namespace) -> int:
    version = args.workspace.registry.register(
        args.run, model_artifact=args.artifact, name=args.name, description=args.description, aliases=args.alias
    )
    if not args.json:
        print_registered([version], sys.stdout)
        return 0
    return emit(args, version, "")


def alias_command(args: argparse.Namespace) -> int:
    registry = args.workspace.registry
    before = registry.model(args.name)["aliases"].get(args.alias)
    version = registry.set_alias(args.name, args.alias, args.version, reason=args.reason)
    if before == version["version"]:
        change = f"already v{before}"
    else:
        change = f"v{before} -> v{version['version']}" if before else f"v{version['version']}"
    return emit(args, version, f"{args.alias} of {args.name}: {change}")


def unalias_command(args: argparse.Namespace) -> int:
    move = args.workspace.registry.remove_alias(args.name, args.alias, reason=args.reason)
    return emit(args, move, f"{args.alias} of {args.name} removed (it pointed at v{move['from_version']})")


def history_command(args: argparse.Namespace) -> int:
    moves = args.workspace.registry.alias_history(args.name)
    rows = [
        [
            local_time(m["at"]),
            m["alias"],
            f"v{m['from_version']}" if m["from_version"] else "-",
            f"v{m['to_version']}" if m["to_version"] else "(removed)",
            m["by"],
            m["reason"],
        ]
        for m in moves
    ]
    human = (
        table(["WHEN", "ALIAS", "FROM", "TO", "BY", "REASON"], rows) if moves else f"{args.name} has no alias moves."
    )
    return emit(args, moves, human)


def state_command(args: argparse.Namespace) -> int:
    version = getattr(args.workspace.registry, args.state_action)(args.name, args.version)
    return emit(args, version, f"{args.name} v{version['version']} is {version['state']}")


def deploy_command(args: argparse.Namespace) -> int:
    """Deploy a version (the one named, else the default, saying which) and wait until it serves."""
    registry, version = args.workspace.registry, args.version
    if version is None:
        version, line = default_version(registry, args.name)
        print(line, file=sys.stderr if args.json else sys.stdout)
    record = deploy_version(
        registry, args.workspace.deployments, args.name, version, name=args.deployment, target=args.target
    )
    return print_deployment(record, args.json)
