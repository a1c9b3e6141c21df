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
