"""Ground-truth labels as they are sent: JSON (`{"labels": [{"id": ..., "label": ...}]}`), CSV (an `id` and a
`label` column) or `.npy` (the CLI: an (n, 2) array of id and label, or a structured array with those fields).

Each good row gives `(key, label)`; a bad row is refused with where it is (`labels[3]`, `line 5`), the field at
fault and what to do, and the rest are kept. A label is a number (a class index or a value), or a class name
when the performance policy lists `classes`.
"""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np

from ..errors import FieldError

#: The most rows one upload may hold (send more in several).
MAX_ROWS = 1_000_000


class Refused(ValueError):
    """A label row that cannot be used; `field` names what is wrong with it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def parse_labels(body: bytes, content_type: str, classes: list[str] | None = None) -> tuple[list, list[dict]]:
    """The `(key, label)` rows of an upload and the refused ones as `{row, field, message}`."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        return _rows(_csv_rows(body), classes)
    return _rows(_json_rows(body), classes)


def npy_labels(array: np.ndarray, classes: list[str] | None = None) -> tuple[list, list[dict]]:
    """The rows of an `.npy` file of labels (see the module's docstring)."""
    if array.dtype.names and {"id", "label"} <= set(array.dtype.names):
        pairs = zip(array["id"].tolist(), array["label"].tolist())
    elif array.ndim == 2 and array.shape[1] == 2:
        pairs = ((row[0], row[1]) for row in array.tolist())
    else:
        raise FieldError(
            "file",
            f"The array has shape {list(array.shape)}, not (rows, 2) of id and label.",
            "Save np.column_stack([ids, labels]), or a structured array with fields 'id' and 'label'.",
        )
    return _rows(((f"row {i}", {"id": _whole(k), "label": v}) for i, (k, v) in enumerate(pairs)), classes)


def _json_rows(body: bytes):
    try:
        payload = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FieldError(
            "body", "The labels are not JSON.", 'Send {"labels": [{"id": "...", "label": 1}]} or a CSV.'
        ) from None
    items = payload.get("labels") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise FieldError("labels", "'labels' is not a list.", 'Send {"labels": [{"id": "...", "label": 1}]}.')
    return ((f"labels[{i}]", item) for i, item in enumerate(items))


def _csv_rows(body: bytes):
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldError("body", "The CSV is not UTF-8 text.", "Save it as UTF-8.") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"id", "label"} - set(reader.fieldnames or [])
    if missing:
        header = ", ".join(reader.fieldnames or []) or "none"
        raise FieldError(
            "body",
            f"The CSV has no {' or '.join(sorted(missing))} column (its header: {header}).",
            "Its first line must name the columns, e.g. id,label.",
        )
    return ((f"line {reader.line_num}", row) for row in reader)


def _rows(items, classes: list[str] | None) -> tuple[list, list[dict]]:
    good, refused = [], []
    for where, item in items:
        if len(good) + len(refused) >= MAX_ROWS:
            raise FieldError("labels", f"More than {MAX_ROWS} labels in one upload.", "Send them in several batches.")
        try:
            good.append(_row(item, classes))
        except Refused as err:
            refused.append({"row": where, "field": err.field, "message": str(err)})
    return good, refused


def _row(item, classes: list[str] | None) -> tuple[str, float]:
    if not isinstance(item, dict):
        raise Refused("row", "is not an object with 'id' and 'label'")
    key = item.get("id")
    if isinstance(key, bool) or not isinstance(key, (str, int)) or str(key).strip() == "":
        raise Refused("id", f"id {key!r} is not an id: give the prediction's request id")
    return str(key).strip(), _label(item.get("label"), classes)


def _label(value, classes: list[str] | None) -> float:
    if isinstance(value, str) and classes and value.strip() in classes:
        return float(classes.index(value.strip()))
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            hint = f"one of {', '.join(classes)}" if classes else "a number (set the policy's classes to send names)"
            raise Refused("label", f"label {value!r} is not {hint}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Refused("label", f"label {value!r} is not a finite number")
    return float(value)


def _whole(value):
    """An id read from an array: floats that are whole numbers as ints (`3.0` is id `3`)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
