"""Cell-anchored diagnostics shared by every compiler stage."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Diagnostic:
    """One finding: `cell` is the notebook cell index, `line` is 1-based within that cell's source."""

    severity: str  # "error" | "warning" | "info"
    cell: int | None
    line: int | None
    message: str
    hint: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def error(cell: int | None, line: int | None, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic("error", cell, line, message, hint)


def warning(cell: int | None, line: int | None, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic("warning", cell, line, message, hint)


def info(cell: int | None, line: int | None, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic("info", cell, line, message, hint)


def where(d: dict) -> str:
    """Where a diagnostic points, for people: 'cell 3, line 2' (cells counted from 1) or 'notebook'."""
    if d.get("cell") is None:
        return "notebook"
    return f"cell {d['cell'] + 1}" + (f", line {d['line']}" if d.get("line") else "")


def notebook_errors(diagnostics: list[dict]):
    """A UserError (422) summarising a notebook's error diagnostics: the first few, located."""
    from ..errors import UserError

    errors = [d for d in diagnostics if d["severity"] == "error"]
    shown = "; ".join(f"{where(d)}: {d['message']}" for d in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return UserError(
        f"The notebook has {len(errors)} error{'s' if len(errors) != 1 else ''}: {shown}{more}.",
        errors[0].get("hint") or "Fix the cells named here; each diagnostic says how.",
        status=422,
        code="notebook_errors",
    )
