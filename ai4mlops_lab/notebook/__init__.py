"""Notebook stage: read `.ipynb` files, the cell tag language and notebook-level settings (never touches KFP)."""

from .diagnostics import Diagnostic
from .reader import NotebookReadError, read_notebook
from .settings import NotebookSettings, read_settings
from .structure import StepCells, Structure, split_notebook
from .tags import StepSettings

__all__ = [
    "Diagnostic",
    "NotebookReadError",
    "NotebookSettings",
    "StepCells",
    "StepSettings",
    "Structure",
    "read_notebook",
    "read_settings",
    "split_notebook",
]
