"""Opening the store's SQLite file: checks, pragmas, schema migrations and transactions.

Several processes share the file (the Jupyter server reads while each local run's
worker writes), so the database runs in WAL mode, every write is one `BEGIN IMMEDIATE`
transaction and a busy writer waits up to `BUSY_TIMEOUT_S` for the lock.
A file that is damaged, not ours, or from a newer ai4mlops-lab is refused, never modified.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .. import confined
from .errors import StoreBusyError, StoreCorruptError, StoreError, StoreVersionError
from .schema import APPLICATION_ID, MIGRATIONS

BUSY_TIMEOUT_S = 10.0
SCHEMA_VERSION = len(MIGRATIONS)

# Errors that say the file could not be opened or locked, rather than that it is damaged.
_ACCESS_ERRORS = {
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
}


def connect(path: str | Path, *, check: bool = True) -> sqlite3.Connection:
    """Open the store at `path`, creating it (and its folder, 0700) or migrating it as needed.

    The file is readable by its owner only (0600; SQLite gives its -wal and -shm files the same mode): it
    holds every logged request.

    `check` also runs `PRAGMA quick_check` (reads the whole file: do it once at startup,
    not in every worker). Rows come back as `sqlite3.Row`; the connection is in autocommit
    mode, so group writes with `transaction`. Raises `StoreCorruptError`,
    `StoreVersionError` or `StoreError` without changing the file.
    """
    path = Path(path)
    try:
        confined.make_folder(path.parent)
        _create_private(path)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=True)
    except (OSError, sqlite3.Error) as err:
        raise _cannot_open(path, err) from err
    try:
        _verify(conn, path, check=check)
        _make_private(path)
        _configure(conn, path)
        _migrate(conn)
    except BaseException:
        conn.close()
        raise
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction: `BEGIN IMMEDIATE`, commit on success, roll back on any error.

    A transaction that changed rows also bumps the store's change counter (see `changes`).
    Waiting longer than the busy timeout for the write lock raises `StoreBusyError`.
    """
    with _immediate(conn):
        before = conn.total_changes
        yield conn
        if conn.total_changes != before:
            conn.execute("UPDATE store_meta SET changes = changes + 1 WHERE id = 1")


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction, so several queries see the same state of the store."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def changes(conn: sqlite3.Connection) -> int:
    """The store's change counter: it grows with every write transaction that changed rows."""
    return conn.execute("SELECT changes FROM store_meta WHERE id = 1").fetchone()[0]


@contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as err:
        if (err.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise StoreBusyError(
                f"The store was busy for more than {BUSY_TIMEOUT_S:g} s.",
                "Another process is writing to it; try again.",
            ) from err
        raise
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _create_private(path: Path) -> None:
    """Create the store file 0600 if it is missing (an existing file is never opened here: closing any
    descriptor on it would drop this process's SQLite locks)."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, confined.FILE_MODE))


def _make_private(path: Path) -> None:
    """Make a store of an older ai4mlops-lab (and its -wal, -shm) 0600, as new ones are."""
    for file in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            os.chmod(file, confined.FILE_MODE)


def _verify(conn: sqlite3.Connection, path: Path, *, check: bool) -> None:
    """Refuse a file that is not an ai4mlops-lab store, is damaged, or is too new; only reads."""
    try:
        # one statement, so one snapshot: another process may be creating the store meanwhile
        version, application_id, objects = conn.execute(
            "SELECT (SELECT user_version FROM pragma_user_version), (SELECT application_id FROM pragma_application_id),"
            " (SELECT count(*) FROM sqlite_master)"
        ).fetchone()
        fresh = version == 0 and objects == 0
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")] if check else ["ok"]
    except sqlite3.DatabaseError as err:
        if (err.sqlite_errorcode & 0xFF) in _ACCESS_ERRORS:
            raise _cannot_open(path, err) from err
        raise _corrupt(path, str(err)) from err
    if not fresh and application_id != APPLICATION_ID:
        raise _corrupt(path, "it is a SQLite database of another application")
    if problems != ["ok"]:
        raise _corrupt(path, "; ".join(problems[:3]))
    if version > SCHEMA_VERSION:
        raise StoreVersionError(
            f"The store {path} has schema version {version}, newer than this ai4mlops-lab knows ({SCHEMA_VERSION}).",
            "Upgrade ai4mlops-lab (pip install -U ai4mlops-lab), or point the workspace elsewhere.",
        )


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise StoreError(
            f"The store {path} cannot use SQLite's WAL mode (got {mode!r}).",
            "Put the workspace folder on a local disk, not a network file system.",
        )
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations past the file's `user_version`, one transaction each.

    The version is read again under the write lock, so processes opening a new store
    at the same time apply each migration once.
    """
    for target in range(1, SCHEMA_VERSION + 1):
        if conn.execute("PRAGMA user_version").fetchone()[0] >= target:
            continue
        with _immediate(conn):
            if conn.execute("PRAGMA user_version").fetchone()[0] < target:
                for statement in _statements(MIGRATIONS[target - 1]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")


def _statements(script: str) -> Iterator[str]:
    """Split a SQL script into statements (`executescript` would commit the transaction)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()[:80]}")


def _corrupt(path: Path, detail: str) -> StoreCorruptError:
    return StoreCorruptError(
        f"The store {path} is not a usable ai4mlops-lab database: {detail}.",
        f"Move {path} aside (it is left as it is) and restart; a new, empty store is created.",
    )


def _cannot_open(path: Path, err: Exception) -> StoreError:
    return StoreError(
        f"Cannot open the store {path}: {err}.",
        "Check that the workspace folder exists and is writable.",
    )


class StoreFile:
    """One store file shared by threads and processes: each thread (and each process, after a
    fork) uses its own connection, opened on first use. Record types (runs, deployments, ...)
    subclass it. `check` runs SQLite's quick check when the file is opened here.
    """

    def __init__(self, path: str | Path, *, check: bool = True):
        self.path = Path(path)
        self._local = threading.local()
        self._local.conn = connect(self.path, check=check)
        self._local.pid = os.getpid()

    def close(self) -> None:
        """Close the calling thread's connection (others close when their thread ends)."""
        if getattr(self._local, "pid", None) == os.getpid():
            self._local.conn.close()
        self._local.pid = self._local.conn = None

    def version(self) -> int:
        """A counter that grows with every write to the store: a cheap ETag for polling."""
        return changes(self._conn())

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use (and again in a forked child)."""
        if getattr(self._local, "pid", None) != os.getpid():
            self._local.conn = connect(self.path, check=False)
            self._local.pid = os.getpid()
        return self._local.conn
