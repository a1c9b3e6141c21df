"""Small builders shared by the compiler tests."""

from __future__ import annotations

from ai4mlops_lab.pipeline.compiler import analyze_notebook
from tests.compiler.notebooks.make_notebooks import notebook


def analyze(cells, metadata=None) -> dict:
    return analyze_notebook(notebook(cells, metadata), "test")


def messages(result: dict, severity: str | None = None) -> list[str]:
    return [d["message"] for d in result["diagnostics"] if severity in (None, d["severity"])]


def find(result: dict, severity: str, text: str) -> dict:
    hits = [d for d in result["diagnostics"] if d["severity"] == severity and text in d["message"]]
    assert hits, f"no {severity} containing {text!r} in {result['diagnostics']}"
    return hits[0]


def edges(result: dict) -> set[tuple[str, str, tuple[str, ...], str]]:
    return {(e["source"], e["target"], tuple(e["variables"]), e["kind"]) for e in result["edges"]}


def step(result: dict, name: str) -> dict:
    return next(s for s in result["steps"] if s["name"] == name)
