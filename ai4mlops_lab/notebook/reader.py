"""Read a `.ipynb` file into an nbformat node."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from ..errors import UserError


class NotebookReadError(UserError):
    """The file cannot be read as a notebook (missing, not JSON, not a notebook): a client error."""

    def __init__(self, message: str):
        super().__init__(message, "Open the file in JupyterLab and save it as a notebook (.ipynb).")


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Load `path` as an nbformat v4 notebook or raise NotebookReadError with a clear message."""
    path = Path(path)
    if not path.is_file():
        raise NotebookReadError(f"notebook not found: {path}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookReadError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise NotebookReadError(f"{path} is not a Jupyter notebook (no 'cells'/'nbformat')")
    try:
        return nbformat.convert(nbformat.from_dict(raw), 4)
    except Exception as exc:  # nbformat raises several unrelated types for malformed notebooks
        raise NotebookReadError(f"{path} is not a readable notebook: {exc}") from exc
