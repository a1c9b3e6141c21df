"""Filesystem operations confined to a base folder: every write of the product goes through here.

A path is the base joined with relative parts and resolved (symlinks followed, `..` applied); one that
lands outside the base is refused before anything is touched. Folders are created 0700 and files 0600
(the workspace holds request payloads and tokens); a file is written to a temporary file in its folder
and renamed over the final name, so a symlink there is replaced, never followed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import UserError

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def resolve(base: str | Path, *parts: str) -> Path:
    """`base/parts...` resolved; a UserError (403) when it is outside `base` or a part is absolute."""
    root = Path(base).resolve()
    for part in parts:
        if not isinstance(part, str) or "\0" in part or Path(part).is_absolute():
            raise _outside(root, part)
    path = root.joinpath(*parts).resolve()
    if path != root and root not in path.parents:
        raise _outside(root, "/".join(parts))
    return path


def make_folder(base: str | Path, *parts: str) -> Path:
    """The folder `base/parts...`, created (with its missing parents below `base`, and `base`) mode 0700."""
    path = resolve(base, *parts)
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is masked by the umask
    return path


def remove_tree(base: str | Path, *parts: str) -> None:
    """Delete the folder `base/parts...` (never `base` itself) if it exists; a link there is removed, not followed."""
    path = resolve(base, *parts[:-1]) / _file_name(base, parts)
    if path.is_symlink():
        path.unlink()
        return
    path = resolve(base, *parts)
    if path.exists():
        shutil.rmtree(path)


@contextmanager
def atomic_path(base: str | Path, *parts: str) -> Iterator[Path]:
    """A temporary file (0600) to fill, next to `base/parts...`; renamed over it when the block succeeds."""
    name = _file_name(base, parts)
    folder = make_folder(base, *parts[:-1])
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=Path(name).suffix)
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_file(base: str | Path, *parts: str, data: str | bytes) -> Path:
    """Write `data` to `base/parts...` atomically, mode 0600, replacing (never following) a link there."""
    with atomic_path(base, *parts) as temporary:
        temporary.write_bytes(data.encode() if isinstance(data, str) else data)
    return resolve(base, *parts[:-1]) / parts[-1]


def open_append(base: str | Path, *parts: str):
    """`base/parts...` opened for appending in binary (created 0600); a link at the final name is refused."""
    name = _file_name(base, parts)
    folder = make_folder(base, *parts[:-1])
    try:
        fd = os.open(folder / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
    except OSError as err:
        raise UserError(
            f"Cannot write {folder / parts[-1]}: {err.strerror}.", "Remove the file (or link) there and try again."
        ) from err
    return os.fdopen(fd, "ab")


def copy_tree(source: str | Path, base: str | Path, *parts: str) -> Path:
    """Copy the folder `source` to `base/parts...` (which must not exist): folders 0700, files 0600."""
    target = resolve(base, *parts)
    make_folder(base, *parts[:-1])
    shutil.copytree(source, target, copy_function=shutil.copyfile)
    for folder, _folders, files in os.walk(target):
        os.chmod(folder, FOLDER_MODE)
        for name in files:
            os.chmod(os.path.join(folder, name), FILE_MODE)
    return target


def _file_name(base: str | Path, parts: tuple[str, ...]) -> str:
    """The last of `parts`: a plain name in its folder (no separator, not `.` or `..`)."""
    name = parts[-1] if parts else ""
    if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\0" in name:
        raise _outside(Path(base).resolve(), "/".join(map(str, parts)))
    return name


def _outside(root: Path, path: str) -> UserError:
    return UserError(
        f"The path {path!r} leads outside {root}.",
        "Use a plain name inside that folder (no '..', absolute paths or links that lead out).",
        status=403,
        code="forbidden",
    )
