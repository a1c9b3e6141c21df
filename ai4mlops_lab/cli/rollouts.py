"""`ai4mlops models canary|shadow|rollout|promote|rollback|evaluate|policy|decisions`: roll a version of a registered
model out beside the one a deployment serves, and let the promotion gate (or you) decide."""

from __future__ import annotations

import argparse

from ..errors import UserError
from .models import emit, local_time, table


def add_commands(actions, common: list) -> None:
    """The rollout actions of `ai4mlops models`."""
    for mode, help_text in (
        ("canary", "give a version a share of a deployment's traffic, after the gate's offline check"),
        ("shadow", "send a version a copy of every request (its answers are logged, never returned)"),
    ):
        start = actions.add_parser(mode, parents=common, help=help_text)
        start.add_argument("name", help="the registered model")
        start.add_argument("version", metavar="VERSION|ALIAS", help="the candidate, e.g. 3 or challenger")
        if mode == "canary":
            start.add_argument("--percent", type=float, help="its share of the traffic (default: the policy's)")
        start.add_argument("--force", action="store_true", help="start even if the gate refuses it (recorded)")
        _deployment_and_reason(start)
        start.set_defaults(handler=start_command, mode=mode)

    status = actions.add_parser("rollout", parents=common, help="the running rollout, live numbers and gate checks")
    status.add_argument("name", help="the registered model")
    status.add_argument("--deployment", help="which deployment of the model (when several serve it)")
    status.add_argument("--percent", type=float, help="give the running canary this share of the traffic")
    status.set_defaults(handler=status_command)

    for action, help_text in (
        ("promote", "the candidate takes all traffic and becomes champion (recorded)"),
        ("rollback", "stop the candidate; the stable version keeps serving (recorded)"),
        ("evaluate", "ask the gate now: pass promotes, fail rolls back, too few requests waits"),
    ):
        decide = actions.add_parser(action, parents=common, help=help_text)
        decide.add_argument("name", help="the registered model")
        _deployment_and_reason(decide)
        decide.set_defaults(handler=decide_command, decision=action)

    policy = actions.add_parser("policy", parents=common, help="show or change the model's promotion gate policy")
    policy.add_argument("name", help="the registered model")
    policy.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="e.g. min_gain=0.01, metric=accuracy"
    )
    policy.set_defaults(handler=policy_command)

    decisions = actions.add_parser("decisions", parents=common, help="every gate decision about the model")
    decisions.add_argument("name", help="the registered model")
    decisions.set_defaults(handler=decisions_command)


def _deployment_and_reason(parser) -> None:
    parser.add_argument("--deployment", help="which deployment of the model (when several serve it)")
    parser.add_argument("--reason", default="", help="why (kept with the decision)")


def deployment_of(workspace, model: str, named: str | None) -> str:
    """The deployment serving `model` (`named`, checked; else the only one)."""
    serving = [
        record["name"]
        for record in workspace.deployments.store.list()
        if (record["config"].get("version") or {}).get("model") == model
    ]
    if named:
        if named not in serving:
            raise UserError(f"Deployment {named!r} does not serve model {model!r}.", _serving_hint(model, serving))
        return named
    if len(serving) != 1:
        problem = "No deployment serves" if not serving else f"{len(serving)} deployments serve"
        raise UserError(f"{problem} model {model!r}.", _serving_hint(model, serving))
    return serving[0]


def _serving_hint(model: str, serving: list[str]) -> str:
    if not serving:
        return f"Deploy a version first: ai4mlops models deploy {model}"
    return f"Name one with --deployment: {', '.join(serving)}."


def rollout_text(state: dict) -> str:
    """The rollout as a person reads it: both versions side by side, then the gate's checks."""
    model = state["model"] or "an unregistered run"
    if not state["candidate"]:
        stable = state["stable"]
        return f"{state['deployment']} serves {model} v{stable['version']}; no rollout runs."
    share = f" {state['percent']:g} %" if state["mode"] == "canary" else ""
    lines = [f"{state['deployment']}: {state['mode']}{share} of {model}, since {local_time(state['started_at'])}", ""]
    rows = [
        [
            role,
            f"v{side['version']}",
            _metric(side),
            str(side["requests"]),
            str(side["errors"]),
            "-" if side["p99_ms"] is None else f"{side['p99_ms']:.1f} ms",
        ]
        for role, side in (("stable", state["stable"]), ("candidate", state["candidate"]))
    ]
    lines.append(table(["ROLE", "VERSION", "METRIC", "REQUESTS", "ERRORS", "P99"], rows))
    gate = state["gate"]
    lines += ["", f"Gate: {gate['verdict']} ({gate['summary']})"]
    marks = {True: "ok", False: "FAIL", None: "..."}
    lines += [f"  {marks[check['passed']]:<4}  {check['name']:<14}  {check['detail']}" for check in gate["checks"]]
    return "\n".join(lines)


def _metric(side: dict) -> str:
    metric = side["metric"]
    if not metric or metric["value"] is None:
        return "-"
    return f"{metric['name']} {metric['value']:.4g}"


def decision_line(decision: dict) -> str:
    who = "the gate" if decision["by"] == "gate" else decision["by"]
    target = f"v{decision['candidate_version']}"
    versus = f" (stable v{decision['stable_version']})" if decision["stable_version"] else ""
    return f"{decision['action'].replace('_', ' ')} {target}{versus} by {who}: {decision['reason']}"


def start_command(args: argparse.Namespace) -> int:
    name = deployment_of(args.workspace, args.name, args.deployment)
    state = args.workspace.rollouts.start(
        name,
        args.version,
        mode=args.mode,
        percent=getattr(args, "percent", None),
        force=args.force,
        reason=args.reason,
    )
    return emit(args, state, rollout_text(state))


def status_command(args: argparse.Namespace) -> int:
    name = deployment_of(args.workspace, args.name, args.deployment)
    rollouts = args.workspace.rollouts
    state = rollouts.change(name, args.percent) if args.percent is not None else rollouts.state(name)
    return emit(args, state, rollout_text(state))


def decide_command(args: argparse.Namespace) -> int:
    name = deployment_of(args.workspace, args.name, args.deployment)
    rollouts = args.workspace.rollouts
    if args.decision == "evaluate":
        outcome = rollouts.evaluate(name)
    else:
        outcome = getattr(rollouts, args.decision)(name, reason=args.reason)
    decision = outcome["decision"]
    said = decision_line(decision) if decision else "The gate waits for more requests."
    return emit(args, outcome, f"{said}\n\n{rollout_text(outcome['rollout'])}")


def policy_command(args: argparse.Namespace) -> int:
    rollouts = args.workspace.rollouts
    if args.set:
        change = {}
        for item in args.set:
            key, sep, text = item.partition("=")
            if not sep:
                raise UserError(f"--set {item!r} is not KEY=VALUE.", "E.g. --set min_gain=0.01")
            change[key.strip()] = _value(text.strip())
        policy = rollouts.set_policy(args.name, change)
    else:
        policy = rollouts.policy(args.name)
    width = max(len(key) for key in policy)
    return emit(args, policy, "\n".join(f"{key:<{width}}  {value}" for key, value in policy.items()))


def _value(text: str):
    """A --set value: a number, true/false, null, or text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none", ""):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def decisions_command(args: argparse.Namespace) -> int:
    decisions = args.workspace.rollouts.decisions(args.name)
    if not decisions and not args.json:
        print(f"The gate has decided nothing about {args.name} yet.")
        return 0
    rows = [[local_time(d["at"]), d["deployment"] or "-", decision_line(d)] for d in decisions]
    return emit(args, decisions, table(["AT", "DEPLOYMENT", "DECISION"], rows))
