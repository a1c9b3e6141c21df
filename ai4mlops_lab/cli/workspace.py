"""Which workspace the `ai4mlops` command uses, found the way git finds `.git`.

In order: `--workspace`, else `$AI4MLOPS_WORKSPACE`; else the nearest `.ai4mlops/` in the current folder or
one above it; else the one `.ai4mlops/` in a folder just below the current one (JupyterLab started in
`examples/`, the command run from the repository root); else `./.ai4mlops`, which only `run` creates:
commands that only read never leave a stray empty store behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import UserError
from ..workspace import Workspace

FOLDER = ".ai4mlops"
ENVIRONMENT = "AI4MLOPS_WORKSPACE"
HINT = f"Run it from the folder JupyterLab was started in, or pass --workspace (or set {ENVIRONMENT})."


def find_workspace(given: str | None, *, create: bool, cwd: Path | None = None, environ: dict | None = None) -> Path:
    """The absolute workspace folder; a UserError when none exists and the command (`create` False) only reads."""
    cwd = Path(cwd or Path.cwd()).resolve()
    named = given or (os.environ if environ is None else environ).get(ENVIRONMENT)
    if named:
        path = cwd / Path(named).expanduser()
        if not create and not path.is_dir():
            raise UserError(f"There is no workspace at {path}.", HINT)
        return path.resolve() if path.exists() else path
    for folder in (cwd, *cwd.parents):
        if (folder / FOLDER).is_dir():
            return folder / FOLDER
    below = sorted(child / FOLDER for child in _subfolders(cwd) if (child / FOLDER).is_dir())
    if len(below) == 1:
        return below[0]
    if len(below) > 1:
        raise UserError(
            f"Found several workspaces below {cwd}: {', '.join(str(p) for p in below)}.",
            "Pass --workspace to choose one.",
        )
    if not create:
        raise UserError(f"No {FOLDER} workspace in {cwd}, a folder above it or one just below it.", HINT)
    return cwd / FOLDER


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [child for child in folder.iterdir() if child.is_dir() and not child.name.startswith(".")]
    except OSError:
        return []


def use_workspace(args) -> None:
    """Replace `args.workspace` (the flag) by the `Workspace` found, built from the flags and the environment,
    and say which folder it is, on stderr."""
    folder = find_workspace(args.workspace, create=getattr(args, "creates_workspace", False))
    print(f"workspace: {folder}", file=sys.stderr)
    args.workspace = Workspace.from_environment(folder, ingest_url=getattr(args, "ingest_url", None))


def refresh(pull, what: str) -> None:
    """Pull backend status into the store before a listing (no Jupyter server may be doing it); a backend that
    cannot be reached is a warning, and the listing shows the status last seen."""
    try:
        pull()
    except UserError as exc:
        print(f"warning: {what} could not be refreshed: {exc.message} (showing the status last seen)", file=sys.stderr)
