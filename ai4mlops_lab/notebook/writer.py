"""Write a notebook-level setting into a `.ipynb` file's `ai4mlops_lab` metadata, keeping everything else."""

from __future__ import annotations

import os
from pathlib import Path

from .. import confined
from ..errors import UserError


def record_setting(path: str | Path, key: str, value: object) -> None:
    """Set `metadata.ai4mlops_lab[key]` of the notebook at `path` (rewritten atomically, its mode kept)."""
    import nbformat

    path = Path(path)
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    ours = notebook.metadata.setdefault("ai4mlops_lab", {})
    if not isinstance(ours, dict):
        raise UserError(
            f"The notebook metadata 'ai4mlops_lab' of {path} is a {type(ours).__name__}, not an object.",
            "Open the notebook's metadata (Property Inspector, Advanced Tools) and make 'ai4mlops_lab' an object.",
        )
    ours[key] = value
    mode = path.stat().st_mode & 0o777
    written = confined.write_file(path.parent, path.name, data=nbformat.writes(notebook))
    os.chmod(written, mode)
