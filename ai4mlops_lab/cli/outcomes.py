"""`ai4mlops labels NAME FILE` (ground truth for logged predictions) and `ai4mlops performance NAME` (realized and
estimated performance, concept drift, alerts; exit 1 while a performance or concept-drift alert is open)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import FieldError
from .drift import add_set_option, number, policy_changes


def add_commands(commands, parents: dict) -> None:
    """Register `labels` and `performance`."""
    workspace, as_json = parents["workspace"], parents["json"]
    command = commands.add_parser(
        "labels", parents=[workspace, as_json], help="send ground-truth labels for a deployment's predictions"
    )
    command.add_argument("name", help="the deployment's name")
    command.add_argument("file", help="a .csv (columns id,label), .json ({labels: [{id, label}]}) or .npy file")
    command.set_defaults(handler=labels_command)

    command = commands.add_parser(
        "performance",
        parents=[workspace, as_json],
        help="a deployment's realized and estimated performance (exit 1: an open performance alert)",
    )
    command.add_argument("name", help="the deployment's name")
    add_set_option(command, "window_size=200, threshold=0.8, detector=adwin, id_source=field")
    command.set_defaults(handler=performance_command)


def labels_command(args: argparse.Namespace) -> int:
    """Store a file's labels; non-zero when any row was refused (the others are kept)."""
    monitor = args.workspace.outcome_monitor
    path = Path(args.file)
    if not path.is_file():
        raise FieldError("file", f"No file {args.file}.", "Give a .csv, .json or .npy file of id and label.")
    if path.suffix == ".npy":
        import numpy as np

        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as err:
            raise FieldError(
                "file", f"{args.file} is not a plain .npy array ({err}).", "Save it with numpy.save."
            ) from None
        result = monitor.add_label_array(args.name, array)
    else:
        content_type = "text/csv" if path.suffix == ".csv" else "application/json"
        result = monitor.add_labels(args.name, path.read_bytes(), content_type)
    monitor.process(args.name)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{args.name}: {result['received']} labels read, {result['stored']} stored ({result['joined']} joined to "
            f"predictions), {result['unchanged']} sent before, {result['refused_count']} refused"
        )
        for refused in result["refused"]:
            print(f"  {refused['row']}: {refused['field']}: {refused['message']}")
    return 1 if result["refused_count"] else 0


def performance_command(args: argparse.Namespace) -> int:
    monitor = args.workspace.outcome_monitor
    if args.set:
        monitor.set_policy(args.name, policy_changes(args.set))
    # no Jupyter server may be reading predictions in the background: do a round here
    monitor.process(args.name)
    report = monitor.report(args.name)
    print(json.dumps(report, indent=2) if args.json else describe(report))
    return 1 if any(a["status"] == "open" for a in report["alerts"]) else 0


def describe(report: dict) -> str:
    """A deployment's performance report as text."""
    name, metric, policy = report["deployment"], report["metric"], report["policy"]
    coverage = report["coverage"]
    delay = coverage["median_delay_s"]
    lines = [
        f"{name}: {report['task']}, {metric} ({'higher' if report['higher_is_better'] else 'lower'} is better), "
        f"validation {number(report['baseline'], '.3g')}, alert level {number(report['alert_level'], '.3g')}; "
        f"windows of {policy['window_size']} predictions",
        f"{coverage['predictions']} predictions, {coverage['labelled']} labelled"
        + (f" (median delay {delay:.0f} s)" if delay is not None else "")
        + f", {coverage['waiting_labels']} labels waiting for their prediction",
    ]
    estimator = report["estimator"]
    if estimator["status"] == "calibrating":
        lines.append(f"Estimates before labels: calibrating on the first {estimator['needs']} labelled predictions")
    elif estimator["status"] == "failed":
        lines.append(f"Estimates before labels: off ({estimator['error']})")
    for key, what in (("unreadable", "answers could not be read"), ("refused_labels", "labels were refused")):
        if report[key]["count"]:
            lines.append(f"{report[key]['count']} {what} (last: {report[key]['last_reason']})")
    if not report["windows"]:
        opened = report["open_window"]
        lines.append(f"No window yet: {opened['predictions']} of {opened['size']} predictions.")
    else:
        lines += ["", f"{'window':>6} {'end':<24} {'labelled':>9} {'realized':>9} {'estimated':>10} {'outputs p':>9}"]
        for w in report["windows"][-10:]:
            realized = (w["realized"] or {}).get(metric)
            estimated = ((w["estimated"] or {}).get(metric) or {}).get("value")
            lines.append(
                f"{w['idx']:>6} {w['end']:<24} {w['labelled']:>4}/{w['predictions']:<4} {number(realized, '9.3f')} "
                f"{number(estimated, '10.3f')} {number(w['outputs']['p_value'], '9.2g')}"
                + ("  alert" if w["alert_id"] else "")
            )
    latest = report["latest"]
    if latest:
        lines.append(f"Now: {report['status'].upper()} ({metric} {latest['value']:.3g}, {latest['source']})")
    for d in report["detections"][-5:]:
        lines.append(f"{d['method']} {d['kind']} at {d['predicted_at']}")
    for alert in report["alerts"]:
        action = f"  -> ai4mlops retrain {alert['id']}" if alert["status"] == "open" else ""
        lines.append(f"alert #{alert['id']} {alert['status']}: {alert['message']}{action}")
    return "\n".join(lines)
