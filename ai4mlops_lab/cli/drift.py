"""`ai4mlops drift NAME` (verdict, per-feature results, policy, --send, --check), `alerts`, and
`retrain ALERT_ID`."""

from __future__ import annotations

import argparse
import contextlib
import json

from ..errors import UserError
from . import pages

#: How long `drift --send` waits for the model server's request log to reach the store.
LOGGED_WAIT_S = 15.0


def add_commands(commands, parents: dict) -> None:
    """Register `drift`, `alerts` and `retrain`."""
    workspace, as_json = parents["workspace"], parents["json"]
    command = commands.add_parser(
        "drift",
        parents=[workspace, as_json],
        help="a deployment's drift verdict and per-feature results (exit 1: drift)",
    )
    command.add_argument("name", help="the deployment's name")
    command.add_argument("--send", metavar="FILE", help="first replay the rows of a .npy or .csv file as requests")
    command.add_argument("--batch", type=int, default=25, help="rows per request with --send (default 25)")
    command.add_argument("--protocol", choices=("v1", "v2"), default="v1", help="request protocol with --send")
    command.add_argument(
        "--check", action="store_true", help="test the latest rows now, without waiting for a full window"
    )
    command.add_argument("--feature", help="only this feature's results (with --json: its distributions)")
    add_set_option(command, "window_size=200, consecutive=3, auto_retrain=true")
    command.set_defaults(handler=drift_command)

    listing = commands.add_parser("alerts", parents=[workspace, as_json], help="list drift alerts")
    listing.add_argument("--deployment", help="only this deployment's alerts")
    listing.add_argument("--status", choices=("open", "retraining", "resolved", "dismissed"))
    pages.add_options(listing)
    listing.set_defaults(handler=alerts_command)

    command = commands.add_parser(
        "retrain", parents=[workspace], help="retrain from a drift alert, then redeploy the new model"
    )
    command.add_argument("alert_id", type=int, help="the alert's number")
    command.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a pipeline parameter of the run being repeated (repeatable)",
    )
    command.add_argument("--no-redeploy", action="store_true", help="only retrain; do not hand the model to the gate")
    command.set_defaults(handler=retrain_command)


def policy_changes(assignments: list[str]) -> dict:
    changes = {}
    for text in assignments:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise UserError(f"--set {text!r} is not KEY=VALUE.", "e.g. --set window_size=200")
        try:
            changes[key] = json.loads(value)
        except ValueError:
            changes[key] = value
    return changes


def add_set_option(command: argparse.ArgumentParser, examples: str) -> None:
    """`--set KEY=VALUE` (repeatable): policy changes, read by `policy_changes`."""
    command.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help=f"change the policy, e.g. {examples}"
    )


def drift_command(args: argparse.Namespace) -> int:
    """Show a deployment's drift verdict; exit 1 when its latest window drifted (for cron jobs and CI)."""
    from ..monitoring.reference_data import NoReference

    monitor = args.workspace.drift_monitor
    if args.set:
        monitor.set_policy(args.name, policy_changes(args.set))
    if args.send:
        _send(args)
    # no Jupyter server may be checking windows in the background: check those completed so far here; with no
    # reference, the report says why
    with contextlib.suppress(NoReference):
        monitor.process(args.name)
    checked = monitor.check(args.name) if args.check else None
    report = monitor.report(args.name, feature=args.feature)
    if args.json:
        print(json.dumps({**report, "check": checked} if checked else report, indent=2))
    else:
        print(describe(report, checked))
    latest = checked or report["latest"]
    return 1 if latest and latest["drift"] else 0


def _send(args: argparse.Namespace) -> None:
    """Replay a file's rows as prediction requests, then wait until their log events are stored."""
    from ..monitoring.replay import replay, wait_logged

    events = args.workspace.event_store
    before = events.counts(args.name)["requests"]
    rows, sent = replay(args.workspace.deployments, args.name, args.send, args.batch, args.protocol)
    print(f"Sent {rows} rows to {args.name} in {sent} {args.protocol.upper()} requests")
    if not wait_logged(events, args.name, before + sent, LOGGED_WAIT_S):
        print(
            f"warning: not all requests were logged within {LOGGED_WAIT_S:g} s; the drift report may lag. "
            "Deployments log to the Jupyter server's ingest endpoint, to --ingest-url, or (deployed by the CLI "
            "with neither) straight into the workspace's store."
        )


def describe(report: dict, checked: dict | None = None) -> str:
    """A deployment's drift report as text: verdict, policy, per-feature results, alerts."""
    name, policy = report["deployment"], report["policy"]
    if not report["reference"]["available"]:
        return f"{name}: no drift monitoring: {report['reference']['detail']}\nhint: {report['reference']['hint']}"
    window = checked or report["latest"]
    unit = f"{policy['window_size']} rows" if policy["window"] == "count" else f"{policy['window_seconds']} s"
    counts = report["counts"]
    lines = [
        f"{name}: windows of {unit}, alert after {policy['consecutive']} drifted in a row "
        f"(alpha {policy['alpha']}, {policy['method']}, {policy['correction']}); "
        f"{counts['windows']} windows checked, {counts['drifted']} drifted, {report['pending']['rows']} rows waiting",
    ]
    if counts["undecodable"]:
        lines.append(f"{counts['undecodable']} requests could not be read ({counts['undecodable_reason']})")
    if window is None and report["previous"]:
        before = report["previous"]
        lines.append(
            f"The model was replaced at {report['model']['since']} (run {report['model']['run_id']}); no window of "
            f"the new model checked yet. Before that: {'DRIFT' if before['drift'] else 'no drift'} in window "
            f"#{before['id']}."
        )
    elif window is None:
        lines.append("No window checked yet: send requests (or use --check to test the rows so far).")
    else:
        verdict = {True: "DRIFT", False: "no drift"}[window["drift"]] if window["status"] == "ok" else "not enough data"
        which = "check of the latest rows" if window["trigger"] == "check" else f"window #{window['id']}"
        p = "-" if window["p_value"] is None else f"{window['p_value']:.3g}"
        lines += [
            f"{verdict} in the {which} ({window['n']} rows, last at {window['last_at']}), p = {p}",
            "",
            f"{'feature':<20} {'test':<5} {'statistic':>9} {'adj. p':>9} {'PSI':>7}  drift",
        ]
        for f in window["features"]:
            lines.append(
                f"{f['name']:<20} {f['test']:<5} {number(f['statistic'], '9.3f')} "
                f"{number(f['adjusted_p_value'], '9.2g')} {number(f['effect_size'], '7.3f')}  "
                f"{'yes' if f['drift'] else ''}"
            )
        if window.get("multivariate"):
            m = window["multivariate"]
            lines.append(
                f"{'(all numeric) mmd':<26} {number(m['statistic'], '9.4f')} {number(m['p_value'], '9.2g')}"
                f"{'':>9}{'yes' if m['drift'] else ''}"
            )
    for alert in report["alerts"]:
        action = f"  -> ai4mlops retrain {alert['id']}" if alert["status"] == "open" else ""
        lines.append(f"alert #{alert['id']} {alert['status']}: {alert['message']}{action}")
    return "\n".join(lines)


def number(value, spec: str) -> str:
    """A number formatted by `spec`, or `-` when missing."""
    return "-" if value is None else format(value, spec)


def alerts_command(args: argparse.Namespace) -> int:
    monitor = args.workspace.drift_monitor
    found = pages.listed(lambda **page: monitor.alerts(args.deployment, args.status, **page), "alerts", args)
    if args.json:
        print(json.dumps(found, indent=2))
    elif not found:
        print("No alerts.")
    for alert in found if not args.json else []:
        run = f"  retrain run {alert['retrain_run_id']}" if alert["retrain_run_id"] else ""
        print(
            f"#{alert['id']}  {alert['status']:<10} {alert['kind']:<13} {alert['deployment']}  {alert['raised_at']}  "
            f"{alert['message']}{run}"
        )
    return 0


def retrain_command(args: argparse.Namespace) -> int:
    """Retrain from an alert, follow the run, then hand its model to the promotion gate (unless --no-redeploy);
    non-zero on failure or a refusal."""
    from ..runs.parameters import parse_assignments
    from .runs import show_progress

    monitor = args.workspace.drift_monitor
    alert = monitor.retrain(args.alert_id, parse_assignments(args.param) or None, redeploy=not args.no_redeploy)
    print(f"Alert #{alert['id']}: retraining {alert['deployment']} in run {alert['retrain_run_id']}")
    run = show_progress(monitor.runs, monitor.runs.run(alert["retrain_run_id"]))
    monitor.follow_retraining()
    alert = monitor.store.alert(alert["id"])
    print(f"Alert #{alert['id']} is {alert['status']}" + (f": {alert['error']}" if alert["error"] else ""))
    if alert["redeployed_at"]:
        from .rollouts import rollout_text

        print(f"The model of run {run['id']} went to the promotion gate:")
        print(rollout_text(args.workspace.rollouts.state(alert["deployment"])))
    return 0 if alert["status"] == "resolved" else 1
