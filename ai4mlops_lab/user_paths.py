"""Turn the paths users name (in a request, or a schedule's notebook) into files under the root, refusing anything
outside it.

User files are only read through `confined_path`. It also refuses the workspace folder (the store, run
roots, the ingest token: the product's own files, never a user's input) and hidden files and folders: reading
the store with plain file I/O and closing it would drop the SQLite locks this process holds on it (POSIX
advisory locks belong to the process), and another process opening the store would then delete its WAL
while the server still writes to it.
"""

from __future__ import annotations

from pathlib import Path

from .errors import NotFoundError, UserError

#: The longest API path accepted, in characters (Linux's PATH_MAX).
MAX_PATH_CHARS = 4096
#: The longest file or folder name accepted, in UTF-8 bytes (Linux's NAME_MAX).
MAX_NAME_BYTES = 255


def confined_path(
    root: str | Path, relative: str, *, must_exist: bool = True, workspace: str | Path | None = None
) -> Path:
    """The absolute path of `relative` (an API path, '/'-separated) inside `root`.

    Checks come before any file is touched: a 400 for a malformed path (empty, a NUL byte, longer than
    `MAX_PATH_CHARS` or with a name longer than `MAX_NAME_BYTES`), a 403 for paths that leave the root
    (`..`, absolute paths, symlinks out), that resolve into `workspace` or into a hidden file or folder, and
    a 404 for missing files when `must_exist`.
    """
    if not isinstance(relative, str) or not relative.strip():
        raise UserError("The request names no path.", 'Send e.g. {"path": "examples/torch-train.ipynb"}.')
    _check_well_formed(relative)
    base = Path(root).resolve()
    candidate = (base / relative.lstrip("/")).resolve()
    if candidate != base and base not in candidate.parents:
        raise _forbidden(
            f"The path '{relative}' is outside the Jupyter server's root folder.",
            "Use a path relative to the folder JupyterLab was started in.",
        )
    if workspace is not None and _within(candidate, Path(workspace).resolve()):
        raise _forbidden(
            f"The path '{relative}' is in ai4mlops-lab's workspace folder, which holds its store and "
            "runs, not notebooks.",
            "Name a notebook or folder outside the workspace.",
        )
    if any(part.startswith(".") for part in candidate.relative_to(base).parts):
        raise _forbidden(
            f"The path '{relative}' is a hidden file or folder (a name starting with '.').",
            "Name a visible notebook or folder.",
        )
    if must_exist and not candidate.exists():
        raise NotFoundError(f"There is no file '{relative}'.", "Check the name, and save the notebook first.")
    return candidate


def api_path(root: str | Path, absolute: str | Path) -> str:
    """The '/'-separated path of a file under `root`, as the API and the frontend name it."""
    return Path(absolute).resolve().relative_to(Path(root).resolve()).as_posix()


def _check_well_formed(relative: str) -> None:
    shown = relative[:80].replace("\0", "\\0") + ("..." if len(relative) > 80 else "")
    if "\0" in relative:
        raise UserError(f"The path '{shown}' contains a NUL byte.", "Send the path as the file browser shows it.")
    if len(relative) > MAX_PATH_CHARS:
        raise UserError(
            f"The path '{shown}' has {len(relative)} characters, over the limit of {MAX_PATH_CHARS}.",
            "Use a shorter path.",
        )
    long_name = next(
        (part for part in relative.split("/") if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES), None
    )
    if long_name is not None:
        raise UserError(
            f"The path '{shown}' has a name of {len(long_name.encode('utf-8', 'surrogatepass'))} "
            f"bytes, over the limit of {MAX_NAME_BYTES}.",
            "Use shorter file and folder names.",
        )


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _forbidden(message: str, hint: str) -> UserError:
    return UserError(message, hint, status=403, code="forbidden")
