"""Checking a schedule's fields on create and update: each problem is a FieldError naming the field and saying what
to write. The result holds the store's columns (times as epoch seconds), but for `pin`: True when the notebook is to
be compiled and kept now (pin or re-pin), None when it is compiled at each run, else the current pin, kept."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath

from ..errors import FieldError
from ..records import ScheduleRecord
from ..states import RunTarget, ScheduleTrigger
from . import triggers

#: The fields a request may set, and their values when a new schedule leaves them out.
DEFAULTS = {
    "pin": None,
    "parameters": {},
    "target": RunTarget.LOCAL.value,
    "experiment": None,
    "trigger": ScheduleTrigger.CRON.value,
    "time_zone": "UTC",
    "start_at": None,
    "end_at": None,
    "max_concurrent": 1,
    "catch_up": False,
    "enabled": True,
}
#: The fields a new schedule must have, with how a message names them.
REQUIRED = {"name": "a name", "notebook_path": "a notebook path", "expression": "an expression (cron or interval)"}
FIELDS = (*REQUIRED, *DEFAULTS)
MAX_CONCURRENT = 100
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
#: Names the REST API's routes take for themselves (`schedules/preview`).
RESERVED_NAMES = ("preview",)
#: The most runs of a KFP recurring run at once (its API's range of max_concurrency).
KFP_MAX_CONCURRENT = 10
#: The time zones KFP's cron runs in (it has no time zone: the API server fires it in UTC).
UTC_ZONES = ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Zulu", "Zulu", "Universal", "Etc/Universal")
#: The latest start or end a schedule may have (epoch seconds of 9000-01-01: fire times are searched years ahead).
LATEST = 221_845_392_000


def check(fields: dict, current: ScheduleRecord | None = None) -> dict:
    """The columns of a new schedule (`current` None) or of `current` changed by `fields`, checked together."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise FieldError(unknown[0], f"A schedule has no field {unknown[0]!r}.", f"Use {', '.join(FIELDS)}.")
    if current is None:
        for name, words in REQUIRED.items():
            if fields.get(name) in (None, ""):
                raise FieldError(name, f"A schedule needs {words}.")
        merged = {**DEFAULTS, **fields}
    else:
        for name in ("name", "target"):
            if name in fields and fields[name] != current[name]:
                raise FieldError(
                    name, f"A schedule's {name} cannot change.", "Create a new schedule and delete this one."
                )
        merged = {name: current[name] for name in FIELDS} | fields
    zone = triggers.zone(merged["time_zone"])
    values = {
        "name": _name(merged["name"]),
        "notebook_path": notebook_path(merged["notebook_path"]),
        "target": _choice(merged["target"], "target", RunTarget),
        "parameters": parameter_values(merged["parameters"]),
        "experiment": optional_text(merged["experiment"], "experiment"),
        "trigger": _choice(merged["trigger"], "trigger", ScheduleTrigger),
        "expression": merged["expression"].strip() if isinstance(merged["expression"], str) else merged["expression"],
        "time_zone": zone.key,
        "start_at": _time(merged["start_at"], "start_at", zone),
        "end_at": _time(merged["end_at"], "end_at", zone),
        "max_concurrent": _count(merged["max_concurrent"]),
        "catch_up": flag(merged["catch_up"], "catch_up"),
        "enabled": flag(merged["enabled"], "enabled"),
    }
    if values["trigger"] == ScheduleTrigger.INTERVAL and isinstance(values["expression"], int):
        values["expression"] = f"{values['expression']}s"
    triggers.make(values["trigger"], values["expression"], values["time_zone"])
    if values["start_at"] is not None and values["end_at"] is not None and values["end_at"] <= values["start_at"]:
        raise FieldError("end_at", "The schedule ends before it starts.", "Give an end after the start, or no end.")
    values["pin"] = _pin(fields, current, values["target"])
    if values["target"] == RunTarget.KFP:
        _kfp(values)
    return values


def _pin(fields: dict, current: ScheduleRecord | None, target: str) -> bool | str | None:
    """What to do of the pin (see the module's docstring); a schedule on KFP is always pinned."""
    if "pin" not in fields:
        if current is not None:
            return current["pin"]
        return True if target == RunTarget.KFP else None
    value = fields["pin"]
    if value is not None and not isinstance(value, bool):
        raise FieldError(
            "pin",
            f"pin must be true or false, not {value!r}.",
            "true compiles the notebook now and each run runs that compiled pipeline (true again re-pins); false "
            "compiles the notebook at each run.",
        )
    if not value and target == RunTarget.KFP:
        raise FieldError(
            "pin",
            "A schedule on Kubeflow Pipelines cannot compile its notebook at each run: KFP runs an uploaded pipeline.",
            "Leave 'pin' out, or send true to compile and upload the notebook again.",
        )
    return True if value else None


def _kfp(values: dict) -> None:
    """Refuse what a KFP recurring run cannot do."""
    if values["trigger"] == ScheduleTrigger.CRON and values["time_zone"] not in UTC_ZONES:
        raise FieldError(
            "time_zone",
            f"Kubeflow Pipelines has no time zone for cron schedules: it fires them in UTC, not {values['time_zone']}.",
            "Write the expression in UTC and set time_zone to 'UTC' (a daylight-saving change then moves the local "
            "time of the runs), or use target 'local', which follows the zone's clock.",
        )
    if values["max_concurrent"] > KFP_MAX_CONCURRENT:
        raise FieldError(
            "max_concurrent",
            f"Kubeflow Pipelines runs at most {KFP_MAX_CONCURRENT} runs of a schedule at once, "
            f"not {values['max_concurrent']}.",
            f"Give a max_concurrent from 1 to {KFP_MAX_CONCURRENT}.",
        )


def _name(value) -> str:
    if value in RESERVED_NAMES:
        raise FieldError("name", f"The name {value!r} is reserved.", "Choose another name for the schedule.")
    if not isinstance(value, str) or not NAME.match(value):
        raise FieldError(
            "name",
            f"Invalid schedule name {value!r}.",
            "Use up to 63 letters, digits, dots, dashes and underscores, starting with a letter or digit.",
        )
    return value


def notebook_path(value) -> str:
    path = PurePosixPath(value) if isinstance(value, str) and value.strip() else None
    if path is None or path.is_absolute() or ".." in path.parts or path.suffix != ".ipynb":
        raise FieldError(
            "notebook_path",
            f"Invalid notebook path {value!r}.",
            "Give the notebook's path relative to the Jupyter root, e.g. 'pipelines/train.ipynb'.",
        )
    return str(path)


def optional_text(value, field: str) -> str | None:
    if value is None or (isinstance(value, str) and value.strip()):
        return value.strip() if value else None
    raise FieldError(field, f"The {field} must be a non-empty text or left out.")


def parameter_values(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(key, str) and key for key in value):
        raise FieldError("parameters", "The parameters must be an object of names to values.", 'E.g. {"epochs": 5}.')
    return value


def _choice(value, field: str, kind) -> str:
    if value not in tuple(kind):
        raise FieldError(field, f"Unknown {field} {value!r}.", f"Use one of {', '.join(kind)}.")
    return str(value)


def _time(value, field: str, zone) -> int | None:
    """Epoch seconds of an ISO-8601 text (without an offset: in the schedule's zone), an aware datetime or a
    number of epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = int(value)
    else:
        try:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
            seconds = int((moment if moment.tzinfo else moment.replace(tzinfo=zone)).timestamp())
        except (TypeError, ValueError, OverflowError):
            raise FieldError(
                field, f"The {field} {value!r} is not a time.", "Write an ISO-8601 time such as '2026-01-31T03:00'."
            ) from None
    if not 0 <= seconds <= LATEST:
        raise FieldError(field, f"The {field} {value!r} is not between 1970 and 9000.", "Give a time in that range.")
    return seconds


def _count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENT:
        raise FieldError(
            "max_concurrent",
            f"max_concurrent must be a whole number from 1 to {MAX_CONCURRENT}, not {value!r}.",
            "It is how many runs of the schedule may run at once; later due times are skipped meanwhile.",
        )
    return value


def flag(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise FieldError(field, f"{field} must be true or false, not {value!r}.")
    return value
