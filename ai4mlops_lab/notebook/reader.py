"""Read a `.ipynb` file into an nbformat node."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError


class NotebookReadError(UserError):
    """The file cannot be read as a notebook (missing, not JSON, not a notebook): a client error."""

    def __init__(self, message: str):
        super().__init__(message, "Open the file in JupyterLab and save it as a notebook (.ipynb).")


def read_notebook(path: str | Path) -> dict:
    """Load `path` as a v4 notebook (plain JSON) or raise NotebookReadError with a clear message.

    v4 notebooks are read as they are; nbformat (whose import costs ~1 s) only converts older ones.
    """
    path = Path(path)
    if not path.is_file():
        raise NotebookReadError(f"notebook not found: {path}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookReadError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict) or "nbformat" not in raw or not ("cells" in raw or "worksheets" in raw):
        raise NotebookReadError(f"{path} is not a Jupyter notebook (no 'cells'/'nbformat')")
    if raw["nbformat"] == 4 and isinstance(raw.get("cells"), list):
        return raw
    import nbformat

    try:
        return nbformat.convert(nbformat.from_dict(raw), 4)
    except Exception as exc:  # nbformat raises several unrelated types for malformed notebooks
        raise NotebookReadError(f"{path} is not a readable notebook: {exc}") from exc
