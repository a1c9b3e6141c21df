"""Data triggers kept in the store, the files each one follows (`trigger_files`) and the contents it handled
(`trigger_seen`, one row per (trigger, content hash)).

A content is taken by `claim`: an insert that does nothing when the (trigger, hash) row exists, in one transaction,
so however many watchers share the file, one content starts at most one run. Values are checked by the trigger
service (`scheduling/trigger_validation.py`); this module trusts them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import NamedTuple

from ..errors import NotFoundError, UserError
from ..records import SeenFileRecord, TriggerRecord
from ..states import SeenState, WatchState
from . import times
from .db import StoreFile, transaction
from .runs import UNFINISHED

#: The columns a trigger is created with and may change.
TRIGGER_FIELDS = (
    "name",
    "notebook_path",
    "source",
    "pattern",
    "parameter",
    "parameters",
    "experiment",
    "settle_seconds",
    "poll_seconds",
    "batch",
    "include_existing",
    "max_concurrent",
    "enabled",
)
_FLAGS = ("batch", "include_existing", "enabled")


class Followed(NamedTuple):
    """A file a trigger follows: its version, since when it has had it (epoch seconds), its content hash once taken,
    and its `WatchState`."""

    version: str
    since: float
    content_hash: str | None
    state: str


class TriggerStore(StoreFile):
    """The data triggers in the SQLite store at `path`, shared by threads and processes."""

    def create(self, fields: dict) -> TriggerRecord:
        """Record a trigger (`TRIGGER_FIELDS`); a name in use is a 409 UserError."""
        values = _columns(fields)
        conn = self._conn()
        with transaction(conn):
            if conn.execute("SELECT 1 FROM triggers WHERE name = ?", (values["name"],)).fetchone():
                raise UserError(
                    f"A trigger called {values['name']!r} already exists.",
                    "Choose another name, or change that trigger.",
                    status=409,
                    code="conflict",
                )
            conn.execute(
                f"INSERT INTO triggers ({', '.join(values)}, created_at, updated_at) "
                f"VALUES ({', '.join(':' + c for c in values)}, :now, :now)",
                {**values, "now": times.now()},
            )
        return self.get(values["name"])

    def update(self, name: str, fields: dict, *, rewatch: bool = False) -> TriggerRecord:
        """Change some of `TRIGGER_FIELDS` (besides `name`); with `rewatch`, forget the files followed so far and
        the baseline (the source or pattern changed). The contents handled stay handled."""
        values = _columns(fields)
        values.pop("name", None)
        assignments = "".join(f"{column} = :{column}, " for column in values)
        if rewatch:
            assignments += "baseline_at = NULL, last_error = NULL, "
        conn = self._conn()
        with transaction(conn):
            done = conn.execute(
                f"UPDATE triggers SET {assignments}updated_at = :now WHERE name = :name",
                {**values, "now": times.now(), "name": name},
            )
            if done.rowcount == 0:
                raise _no_trigger(name)
            if rewatch:
                conn.execute(
                    "DELETE FROM trigger_files WHERE trigger_id = (SELECT id FROM triggers WHERE name = ?)", (name,)
                )
        return self.get(name)

    def delete(self, name: str) -> None:
        """Delete the trigger, its files and seen contents (the runs it started stay)."""
        conn = self._conn()
        with transaction(conn):
            if conn.execute("DELETE FROM triggers WHERE name = ?", (name,)).rowcount == 0:
                raise _no_trigger(name)

    def get(self, name: str) -> TriggerRecord:
        row = self._conn().execute("SELECT * FROM triggers WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise _no_trigger(name)
        return _trigger(row)

    def list(self, *, enabled_only: bool = False) -> list[TriggerRecord]:
        """Every trigger (or every enabled one), by name."""
        where = "WHERE enabled = 1 " if enabled_only else ""
        return [_trigger(row) for row in self._conn().execute(f"SELECT * FROM triggers {where}ORDER BY name")]

    def set_error(self, trigger_id: int, error: str | None) -> None:
        """Record why the trigger's latest listing failed (None: it worked); writes only a change."""
        conn = self._conn()
        row = conn.execute("SELECT last_error IS ? FROM triggers WHERE id = ?", (error, trigger_id)).fetchone()
        if row is None or row[0]:
            return  # gone, or unchanged: no write, so the store's change counter (the API's ETag) stays
        with transaction(conn):
            conn.execute("UPDATE triggers SET last_error = ? WHERE id = ?", (error, trigger_id))

    # -- files followed -------------------------------------------------------------------------

    def files(self, trigger_id: int) -> dict[str, Followed]:
        """The files the trigger follows, by path."""
        cursor = self._conn().cursor()
        cursor.row_factory = None  # plain tuples: a folder may hold many thousand files
        rows = cursor.execute(
            "SELECT path, version, since, content_hash, state FROM trigger_files WHERE trigger_id = ?", (trigger_id,)
        )
        return {path: Followed(*rest) for path, *rest in rows}

    def baseline(self, trigger_id: int, listed: Iterable[tuple[str, int, str]], at: float) -> bool:
        """Note the files there when the trigger starts watching (`(path, size, version)` each) as existing, once:
        False, writing nothing, when another watcher did it first."""
        conn = self._conn()
        with transaction(conn):
            taken = conn.execute(
                "UPDATE triggers SET baseline_at = ? WHERE id = ? AND baseline_at IS NULL", (at, trigger_id)
            )
            if taken.rowcount == 0:
                return False
            conn.executemany(
                """INSERT INTO trigger_files (trigger_id, path, size, version, since, state) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (trigger_id, path) DO NOTHING""",
                [(trigger_id, path, size, version, at, WatchState.EXISTING) for path, size, version in listed],
            )
        return True

    def observe(self, trigger_id: int, changed: Iterable[tuple[str, int, str]], gone: Iterable[str], at: float) -> None:
        """Follow new or changed files (`(path, size, version)`: settling from `at`, unless another watcher saw
        that version first) and forget the files no longer listed."""
        changed, gone = list(changed), list(gone)
        if not changed and not gone:
            return
        conn = self._conn()
        with transaction(conn):
            conn.executemany(
                """INSERT INTO trigger_files (trigger_id, path, size, version, since, state) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (trigger_id, path) DO UPDATE SET size = excluded.size, version = excluded.version,
                   since = excluded.since, content_hash = NULL, state = excluded.state
                   WHERE trigger_files.version <> excluded.version""",
                [(trigger_id, path, size, version, at, WatchState.SETTLING) for path, size, version in changed],
            )
            conn.executemany(
                "DELETE FROM trigger_files WHERE trigger_id = ? AND path = ?", [(trigger_id, path) for path in gone]
            )

    def mark(self, trigger_id: int, path: str, version: str, state: str, content_hash: str | None = None) -> None:
        """Move a followed file to `state` (with its hash), if it still has `version`. Only a settling file becomes
        ready, and a handled one stays handled (another watcher's late view never undoes what one did)."""
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                """UPDATE trigger_files SET state = :state, content_hash = coalesce(:hash, content_hash)
                   WHERE trigger_id = :id AND path = :path AND version = :version
                   AND (:state <> :ready OR state = :settling) AND NOT (:state = :duplicate AND state = :handled)""",
                {
                    "state": state,
                    "hash": content_hash,
                    "id": trigger_id,
                    "path": path,
                    "version": version,
                    **{name.lower(): value for name, value in WatchState.__members__.items()},
                },
            )

    # -- contents handled -----------------------------------------------------------------------

    def handled(self, trigger_id: int, content_hashes: Iterable[str]) -> set[str]:
        """Which of `content_hashes` the trigger handled before."""
        hashes = list(content_hashes)
        conn = self._conn()
        return {
            row[0]
            for start in range(0, len(hashes), 500)
            for row in conn.execute(
                f"SELECT content_hash FROM trigger_seen WHERE trigger_id = ? AND content_hash IN "
                f"({', '.join('?' * len(hashes[start : start + 500]))})",
                (trigger_id, *hashes[start : start + 500]),
            )
        }

    def claim(self, trigger_id: int, contents: Iterable[tuple[str, str, int]], at: float) -> list[str]:
        """Take the contents (`(content_hash, path, size)` each) no watcher took before, in one transaction; the
        hashes taken."""
        conn = self._conn()
        with transaction(conn):
            return [
                content_hash
                for content_hash, path, size in contents
                if conn.execute(
                    """INSERT INTO trigger_seen (trigger_id, content_hash, path, size, state, seen_at)
                       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (trigger_id, content_hash) DO NOTHING""",
                    (trigger_id, content_hash, path, size, SeenState.CLAIMED, times.from_epoch(at)),
                ).rowcount
            ]

    def settle(
        self,
        trigger_id: int,
        content_hashes: Iterable[str],
        state: str,
        *,
        run_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Record how claimed contents ended: started (with their run) or failed (with the reason)."""
        conn = self._conn()
        with transaction(conn):
            conn.executemany(
                "UPDATE trigger_seen SET state = ?, run_id = ?, reason = ? WHERE trigger_id = ? AND content_hash = ?",
                [(state, run_id, reason, trigger_id, content_hash) for content_hash in content_hashes],
            )

    def expire_claims(self, before: float, reason: str) -> int:
        """Mark as failed the contents claimed before `before` whose run never started; how many."""
        conn = self._conn()
        stale = "FROM trigger_seen WHERE state = 'claimed' AND seen_at < ?"
        if not conn.execute(f"SELECT 1 {stale} LIMIT 1", (times.from_epoch(before),)).fetchone():
            return 0
        with transaction(conn):
            return conn.execute(
                f"UPDATE trigger_seen SET state = 'failed', reason = ? WHERE id IN (SELECT id {stale})",
                (reason, times.from_epoch(before)),
            ).rowcount

    def in_flight(self, trigger_id: int) -> int:
        """The trigger's runs that the store has as pending or running, and its contents claimed but not started."""
        # the runs read along the unfinished runs (`+` keeps SQLite from reading every run of the trigger instead)
        return (
            self._conn()
            .execute(
                f"""SELECT (SELECT count(*) FROM runs WHERE {UNFINISHED} AND +trigger_id = :trigger)
                         + (SELECT count(*) FROM trigger_seen WHERE trigger_id = :trigger AND state = 'claimed')""",
                {"trigger": trigger_id},
            )
            .fetchone()[0]
        )

    def seen(self, name: str, limit: int = 100) -> list[SeenFileRecord]:
        """The contents the trigger handled, latest first."""
        trigger_id = self.get(name)["id"]
        rows = self._conn().execute(
            "SELECT content_hash, path, size, state, reason, run_id, seen_at FROM trigger_seen WHERE trigger_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (trigger_id, limit),
        )
        return [dict(row) for row in rows]

    def last_seen(self) -> dict[int, SeenFileRecord]:
        """Each trigger's latest handled content, by trigger id (triggers that handled none are left out)."""
        rows = self._conn().execute(
            """SELECT trigger_id, content_hash, path, size, state, reason, run_id, seen_at FROM trigger_seen AS s
               WHERE id = (SELECT max(id) FROM trigger_seen WHERE trigger_id = s.trigger_id)"""
        )
        latest = {}
        for row in rows:
            seen = dict(row)
            latest[seen.pop("trigger_id")] = seen
        return latest

    def waiting(self, name: str) -> list[dict]:
        """The files the trigger follows that have not started a run yet (settling or ready), by path."""
        trigger_id = self.get(name)["id"]
        rows = self._conn().execute(
            "SELECT path, size, state, since FROM trigger_files WHERE trigger_id = ? AND state IN (?, ?) ORDER BY path",
            (trigger_id, WatchState.SETTLING, WatchState.READY),
        )
        return [{**dict(row), "since": times.from_epoch(row["since"])} for row in rows]


def _columns(fields: dict) -> dict:
    unknown = set(fields) - set(TRIGGER_FIELDS)
    if unknown:
        raise ValueError(f"not a trigger column: {', '.join(sorted(unknown))}")
    values = dict(fields)
    if "parameters" in values:
        values["parameters"] = json.dumps(values["parameters"] or {})
    for flag in _FLAGS:
        if flag in values:
            values[flag] = int(bool(values[flag]))
    return values


def _trigger(row: sqlite3.Row) -> TriggerRecord:
    record = dict(row)
    record["parameters"] = json.loads(record["parameters"])
    record.update({flag: bool(record[flag]) for flag in _FLAGS})
    return record


def _no_trigger(name: str) -> NotFoundError:
    return NotFoundError(f"No trigger called {name!r}.", "List the triggers to see their names.")
