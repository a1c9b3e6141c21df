"""What a data trigger watches: a folder under the Jupyter root or an S3 prefix, listed as files matching a pattern.

Patterns are matched against a file's path relative to the watched folder or prefix, one '/'-separated part at a
time: `*`, `?` and `[abc]` within a part, `**` for any number of parts. A pattern with no '/' (`*.csv`) matches the
files directly in the folder; `daily/*.csv` one level down; `**/*.csv` at any depth.

Each listed file has a `version` that changes when it does: its size and modification time (nanoseconds) in a
folder, its ETag and size in a bucket. Its content hash, taken once it has settled: SHA-256 of a local file's
bytes (read again if the file changed while it was read); the ETag of an object, which the store computes from the
content when it is written (the MD5 of a single-part upload; of a multipart upload, a hash of its parts' MD5s, so
the same bytes uploaded in other part sizes count as new content). Objects are never downloaded to be watched.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from ..errors import FieldError, UserError
from ..objectstore import ObjectStore, S3Uri, parse_uri
from ..user_paths import api_path, confined_path

#: The longest pattern, in characters.
MAX_PATTERN = 200
_PATTERN_HINT = "Write a pattern such as '*.csv', 'daily/*.csv' or '**/*.parquet', relative to the watched folder."
_READ = 1 << 20


@dataclass(frozen=True)
class Entry:
    """A listed file: `path` relative to the source, `location` what the pipeline parameter receives (an absolute
    path, or an s3:// URI), `modified` in epoch seconds."""

    path: str
    size: int
    version: str
    location: str
    modified: float


def is_s3(source: str) -> bool:
    return source.strip().lower().startswith(("s3://", "s3a://"))


def check_pattern(pattern, *, field: str = "pattern") -> str:
    """The pattern, checked: relative, no '..', not empty; a FieldError naming `field` otherwise."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise FieldError(field, "The pattern is empty.", _PATTERN_HINT)
    text = pattern.strip()
    parts = text.split("/")
    if len(text) > MAX_PATTERN or text.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise FieldError(field, f"The pattern {text!r} cannot be used.", _PATTERN_HINT)
    return text


def matches(pattern: str, path: str) -> bool:
    """Whether the relative '/'-separated `path` matches `pattern` (see the module's docstring)."""
    return _match(pattern.split("/"), path.split("/"))


def _match(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match(pattern[1:], parts[skip:]) for skip in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], pattern[0]) and _match(pattern[1:], parts[1:])


def _deep(pattern: str) -> bool:
    return "/" in pattern or "**" in pattern


class FolderSource:
    """The files of a folder under `root` (never the workspace folder, hidden files or symbolic links)."""

    def __init__(self, root: Path, folder: str, workspace: Path):
        self.root, self.folder, self.workspace = Path(root), folder, Path(workspace)

    def path(self) -> Path:
        """The watched folder; a FieldError (`source`) when it is missing, not a folder, or not allowed."""
        try:
            path = confined_path(self.root, self.folder, workspace=self.workspace)
        except UserError as err:
            raise FieldError("source", err.message, err.hint) from None
        if not path.is_dir():
            raise FieldError("source", f"'{self.folder}' is not a folder.", "Name a folder under the Jupyter root.")
        return path

    def list(self, pattern: str) -> list[Entry]:
        base = self.path()
        workspace = self.workspace.resolve()
        return [
            Entry(relative, info.st_size, f"{info.st_size}:{info.st_mtime_ns}", location, info.st_mtime)
            for relative, location, info in _walk(base, "", _deep(pattern), workspace)
            if matches(pattern, relative)
        ]

    def content_hash(self, entry: Entry) -> str | None:
        """SHA-256 of the file's bytes; None when it changed or vanished meanwhile."""
        digest = hashlib.sha256()
        try:
            with open(entry.location, "rb") as stream:
                while chunk := stream.read(_READ):
                    digest.update(chunk)
            info = os.stat(entry.location, follow_symlinks=False)
        except OSError:
            return None
        if f"{info.st_size}:{info.st_mtime_ns}" != entry.version:
            return None
        return f"sha256:{digest.hexdigest()}"


def _walk(folder: Path, prefix: str, deep: bool, workspace: Path) -> Iterator[tuple[str, str, os.stat_result]]:
    """`(relative path, absolute path, stat)` of the regular files in `folder` (and its subfolders when `deep`),
    skipping hidden names, symbolic links and the workspace folder."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for item in entries:
        if item.name.startswith("."):
            continue
        try:
            info = item.stat(follow_symlinks=False)
        except OSError:
            continue
        relative = f"{prefix}{item.name}"
        if stat.S_ISREG(info.st_mode):
            yield relative, item.path, info
        elif deep and stat.S_ISDIR(info.st_mode) and Path(item.path).resolve() != workspace:
            yield from _walk(Path(item.path), f"{relative}/", deep, workspace)


class BucketSource:
    """The objects under an S3 prefix (taken as a folder: `s3://b/daily` watches `daily/...`)."""

    def __init__(self, store: ObjectStore, uri: S3Uri):
        self.store, self.uri = store, as_folder(uri)

    def list(self, pattern: str) -> list[Entry]:
        found = []
        for info in self.store.list(self.uri, recursive=_deep(pattern)):
            relative = info.key[len(self.uri.key) :]
            if relative and not relative.endswith("/") and matches(pattern, relative):
                version = f"{info.etag}:{info.size}" if info.etag else f":{info.size}:{info.modified}"
                found.append(Entry(relative, info.size, version, str(self.uri.child(info.key)), info.modified))
        return found

    def content_hash(self, entry: Entry) -> str:
        """`etag:ETAG`; a server that gives no ETag: the object's URI, size and time (a new upload is new data)."""
        etag = entry.version.partition(":")[0]
        return f"etag:{etag}" if etag else f"object:{entry.location}{entry.version}"


def as_folder(uri: S3Uri) -> S3Uri:
    """The prefix `uri` as a folder: ending in '/' (or empty: the whole bucket)."""
    return uri if not uri.key or uri.key.endswith("/") else S3Uri(uri.bucket, f"{uri.key}/")


def source_text(source, *, root: Path, workspace: Path) -> str:
    """A trigger's source, checked and normalised: an s3:// prefix, or a folder relative to the root ('/'-separated,
    existing, not the workspace folder nor hidden). FieldErrors name `source`."""
    if not isinstance(source, str) or not source.strip():
        raise FieldError("source", "A trigger needs a source.", "Give a folder under the root, or an s3:// prefix.")
    if is_s3(source):
        return str(as_folder(parse_uri(source, field="source")))
    return api_path(root, FolderSource(root, source.strip(), workspace).path())
