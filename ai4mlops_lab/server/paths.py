"""Turn API paths into files under the Jupyter server's root, refusing anything outside it."""

from __future__ import annotations

from pathlib import Path

from ..errors import NotFoundError, UserError


def confined_path(root: str | Path, relative: str, *, must_exist: bool = True) -> Path:
    """The absolute path of `relative` (an API path, '/'-separated) inside `root`.

    Raises a 400 for paths that leave the root (`..`, absolute paths, symlinks out) and a
    404 for missing files when `must_exist`.
    """
    if not isinstance(relative, str) or not relative.strip():
        raise UserError("The request names no path.", 'Send e.g. {"path": "examples/torch-train.ipynb"}.')
    base = Path(root).resolve()
    candidate = (base / relative.lstrip("/")).resolve()
    if candidate != base and base not in candidate.parents:
        raise UserError(
            f"The path '{relative}' is outside the Jupyter server's root folder.",
            "Use a path relative to the folder JupyterLab was started in.",
            status=403,
            code="forbidden",
        )
    if must_exist and not candidate.exists():
        raise NotFoundError(f"There is no file '{relative}'.", "Check the name, and save the notebook first.")
    return candidate


def api_path(root: str | Path, absolute: str | Path) -> str:
    """The '/'-separated path of a file under `root`, as the API and the frontend name it."""
    return Path(absolute).resolve().relative_to(Path(root).resolve()).as_posix()
