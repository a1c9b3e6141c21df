"""The one reader of a notebook's raw JSON shape: cells, their source and tags, and the notebook metadata.

On disk a cell's `source` is usually a list of lines and anything may be malformed (tags as a string,
metadata as a list, `source: null`); every other module sees only `Cell`s and a metadata dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .diagnostics import Diagnostic, warning


@dataclass(frozen=True)
class Cell:
    """One cell, normalised: `kind` is code, markdown, raw (or whatever else the file says), `source` a string."""

    index: int
    kind: str
    source: str
    tags: tuple[str, ...]


def notebook_metadata(nb: Mapping) -> tuple[dict, list[Diagnostic]]:
    """The notebook-level metadata as a dict (empty, with a warning, when it is anything else)."""
    metadata = nb.get("metadata")
    if metadata is None or isinstance(metadata, Mapping):
        return dict(metadata or {}), []
    return {}, [
        warning(
            None,
            None,
            f"notebook metadata is a {_json_type(metadata)}, not an object; ignored",
            "save the notebook again from JupyterLab",
        )
    ]


def notebook_cells(nb: Mapping) -> tuple[list[Cell], list[Diagnostic]]:
    """Every cell normalised; what cannot be read becomes a warning naming the cell."""
    raw = nb.get("cells")
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [
            warning(
                None,
                None,
                f"the notebook's 'cells' is a {_json_type(raw)}, not a list; no cell is read",
                "save the notebook again from JupyterLab",
            )
        ]
    cells, diags = [], []
    for index, cell in enumerate(raw):
        cell, problems = _cell(index, cell)
        cells.append(cell)
        diags += problems
    return cells, diags


def _cell(index: int, raw: object) -> tuple[Cell, list[Diagnostic]]:
    if not isinstance(raw, Mapping):
        return Cell(index, "invalid", "", ()), [
            warning(index, None, f"cell is a {_json_type(raw)}, not an object; ignored")
        ]
    diags: list[Diagnostic] = []
    kind = raw.get("cell_type")
    if not isinstance(kind, str):
        diags.append(warning(index, None, "cell has no cell_type; ignored"))
        kind = "invalid"
    source = _text(raw.get("source"), index, "source", diags)
    metadata = raw.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        diags.append(
            warning(index, None, f"cell metadata is a {_json_type(metadata)}, not an object; its tags are ignored")
        )
        metadata = None
    tags = _tags((metadata or {}).get("tags"), index, diags)
    return Cell(index, kind, source, tags), diags


def _text(value: object, index: int, field: str, diags: list[Diagnostic]) -> str:
    """A multiline string field (a string or a list of lines, as nbformat allows)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    diags.append(
        warning(
            index,
            None,
            f"cell {field} is a {_json_type(value)}, not text; read as empty",
            "a cell's source is a string or a list of lines",
        )
    )
    return ""


def _tags(value: object, index: int, diags: list[Diagnostic]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        diags.append(
            warning(
                index,
                None,
                f"cell tags is the string {value!r}, not a list; read as one tag",
                'tags are a list: "tags": ["step:NAME"]',
            )
        )
        return (value,) if value.strip() else ()
    if not isinstance(value, list):
        diags.append(warning(index, None, f"cell tags is a {_json_type(value)}, not a list; ignored"))
        return ()
    tags = []
    for tag in value:
        if isinstance(tag, str):
            tags.append(tag)
        else:
            diags.append(warning(index, None, f"tag {tag!r} is not a string; ignored"))
    return tuple(tags)


def _json_type(value: object) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
