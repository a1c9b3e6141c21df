"""What the schedule and trigger commands print alike: an automation's detail, and JSON lines of what a tick did."""

import json
from dataclasses import asdict


def print_automation(record: dict, kind: str, own: list, tail: list, as_json: bool) -> int:
    """An automation (`kind`: "schedule" or "trigger"), a field a line: its name and notebook, its kind's fields
    (`own`), what every automation has, then `tail`; or its JSON."""
    if as_json:
        print(json.dumps(record, indent=2))
        return 0
    parameters = ", ".join(f"{k}={v}" for k, v in record["parameters"].items()) or "-"
    fields = [
        (kind, record["name"]),
        ("notebook", record["notebook_path"]),
        *own,
        ("enabled", "yes" if record["enabled"] else "no"),
        ("parameters", parameters),
        ("experiment", record["experiment"] or "(the notebook's)"),
        ("max concurrent", record["max_concurrent"]),
        *tail,
    ]
    print("\n".join(f"{name + ':':<16}{value}" for name, value in fields))
    return 0


def print_json_lines(records: list) -> None:
    """Dataclass records, one JSON object a line, flushed (a running scheduler's output is read as it comes)."""
    for record in records:
        print(json.dumps(asdict(record)), flush=True)
