"""The two declarative cells: `pipeline-parameters` (NAME = literal) and `pipeline-metrics` (print(var))."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..notebook.diagnostics import Diagnostic, error

_TYPES = {bool: "bool", int: "int", float: "float", str: "str"}


@dataclass
class Parameter:
    name: str
    type: str  # "int" | "float" | "str" | "bool"
    default: object
    cell: int
    line: int


def parse_parameters(source: str, cell: int) -> tuple[list[Parameter], list[Diagnostic]]:
    """Each statement must be `NAME = <int|float|str|bool literal>` (an annotation is allowed)."""
    tree, diags = _parse(source, cell)
    params = []
    for stmt in tree.body if tree else []:
        target = (
            stmt.targets[0]
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            else getattr(stmt, "target", None)
        )
        value = getattr(stmt, "value", None)
        try:
            default = ast.literal_eval(value) if value is not None else None
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            default = None
        kind = _TYPES.get(type(default))
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(target, ast.Name) and kind:
            params.append(Parameter(target.id, kind, default, cell, stmt.lineno))
        else:
            diags.append(
                error(
                    cell,
                    stmt.lineno,
                    f"pipeline-parameters accepts only NAME = <literal>, got: "
                    f"{ast.get_source_segment(source, stmt) or type(stmt).__name__}",
                    "use int, float, str or bool literals; compute derived values in a step",
                )
            )
    return params, diags


def parse_metrics(source: str, cell: int) -> tuple[list[tuple[str, int]], list[Diagnostic]]:
    """Each statement must be `print(<variable>)`; returns (variable, line) pairs."""
    tree, diags = _parse(source, cell)
    metrics = []
    for stmt in tree.body if tree else []:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "print"
            and len(call.args) == 1
            and not call.keywords
            and isinstance(call.args[0], ast.Name)
        ):
            metrics.append((call.args[0].id, stmt.lineno))
        else:
            diags.append(
                error(
                    cell,
                    stmt.lineno,
                    "pipeline-metrics accepts only print(<variable>) lines",
                    "compute the metric in a step, then print(name) here",
                )
            )
    return metrics, diags


def _parse(source: str, cell: int) -> tuple[ast.Module | None, list[Diagnostic]]:
    try:
        return ast.parse(source), []
    except SyntaxError as exc:
        return None, [error(cell, exc.lineno, f"syntax error: {exc.msg}")]
    except (RecursionError, MemoryError):
        return None, [too_complex(cell)]


def too_complex(cell: int) -> Diagnostic:
    """The cell nests too deeply (or chains too many operators) for Python's own parser to analyse."""
    return error(
        cell,
        None,
        "the cell's code is nested too deeply or chains too many operators to be analysed",
        "split the long expression into several statements (e.g. sum a list instead of a + b + ...)",
    )
