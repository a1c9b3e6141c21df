"""Checking a data trigger's fields on create and update: each problem is a FieldError naming the field and saying
what to write. The source (a folder or an s3:// prefix) is checked by `sources.source_text`."""

from __future__ import annotations

import re

from ..errors import FieldError
from ..records import TriggerRecord
from . import sources
from .validation import MAX_CONCURRENT, NAME, flag, notebook_path, optional_text, parameter_values

#: The fields a request may set, and their values when a new trigger leaves them out.
DEFAULTS = {
    "pattern": "*",
    "parameters": {},
    "experiment": None,
    "settle_seconds": 10,
    "poll_seconds": 5,
    "batch": False,
    "include_existing": False,
    "max_concurrent": 1,
    "enabled": True,
}
#: The fields a new trigger must have, with how a message names them.
REQUIRED = {
    "name": "a name",
    "notebook_path": "a notebook path",
    "source": "a source (a folder under the root, or an s3:// prefix)",
    "parameter": "the pipeline parameter that receives each file's location",
}
FIELDS = (*REQUIRED, *DEFAULTS)
#: Changing one of these starts the watch afresh (the files there then are noted again).
REWATCH = ("source", "pattern")
MAX_SECONDS = 86400
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


def check(fields: dict, current: TriggerRecord | None, source_text) -> dict:
    """The columns of a new trigger (`current` None) or of `current` changed by `fields`; `source_text(source)`
    checks and normalises the source."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise FieldError(unknown[0], f"A trigger has no field {unknown[0]!r}.", f"Use {', '.join(FIELDS)}.")
    if current is None:
        for name, words in REQUIRED.items():
            if fields.get(name) in (None, ""):
                raise FieldError(name, f"A trigger needs {words}.")
        merged = {**DEFAULTS, **fields}
    else:
        if "name" in fields and fields["name"] != current["name"]:
            raise FieldError("name", "A trigger's name cannot change.", "Create a new trigger and delete this one.")
        merged = {name: current[name] for name in FIELDS} | fields
    values = {
        "name": _name(merged["name"]),
        "notebook_path": notebook_path(merged["notebook_path"]),
        "source": merged["source"] if current and merged["source"] == current["source"] else None,
        "pattern": sources.check_pattern(merged["pattern"]),
        "parameter": _parameter(merged["parameter"]),
        "parameters": parameter_values(merged["parameters"]),
        "experiment": optional_text(merged["experiment"], "experiment"),
        "settle_seconds": _seconds(merged["settle_seconds"], "settle_seconds", 0),
        "poll_seconds": _seconds(merged["poll_seconds"], "poll_seconds", 1),
        "batch": flag(merged["batch"], "batch"),
        "include_existing": flag(merged["include_existing"], "include_existing"),
        "max_concurrent": _count(merged["max_concurrent"]),
        "enabled": flag(merged["enabled"], "enabled"),
    }
    if values["source"] is None:
        values["source"] = source_text(merged["source"])
    if values["parameter"] in values["parameters"]:
        raise FieldError(
            "parameters",
            f"The parameter {values['parameter']!r} receives each file's location; it cannot also have a value.",
            f"Remove {values['parameter']!r} from the parameters.",
        )
    return values


def _name(value) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise FieldError(
            "name",
            f"Invalid trigger name {value!r}.",
            "Use up to 63 letters, digits, dots, dashes and underscores, starting with a letter or digit.",
        )
    return value


def _parameter(value) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.match(value.strip()):
        raise FieldError(
            "parameter",
            f"Invalid parameter name {value!r}.",
            "Name a parameter of the notebook's pipeline-parameters cell, e.g. 'data_path'.",
        )
    return value.strip()


def _seconds(value, field: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= MAX_SECONDS:
        raise FieldError(
            field, f"{field} must be a whole number of seconds from {least} to {MAX_SECONDS}, not {value!r}."
        )
    return value


def _count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENT:
        raise FieldError(
            "max_concurrent",
            f"max_concurrent must be a whole number from 1 to {MAX_CONCURRENT}, not {value!r}.",
            "It is how many of the trigger's runs may run at once; new files wait meanwhile.",
        )
    return value
