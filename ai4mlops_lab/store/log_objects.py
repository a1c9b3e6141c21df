"""Which logger objects (batches KServe's logger wrote to object storage) were read, each once per (URI, ETag).

`LogObjectStore.ingest` commits an object's events, the count of its refused records and the object's row in one
transaction: a reader stopped at any point has either read an object whole or not at all, so a fresh reader
neither loses nor counts twice. The events take the path of posted ones (`events.store_events`).
`PrefixState` is where the reading of each logger prefix stands (its listing cursor, its last failure).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import times
from .db import StoreFile, transaction
from .event_records import BadEvent, InferenceEvent
from .events import count_rejection, store_events


@dataclass(frozen=True)
class ObjectRead:
    """What one object gave: events newly stored, events stored before (a retry), records refused."""

    stored: int
    repeated: int
    refused: int


@dataclass(frozen=True)
class PrefixState:
    """Where the reading of a logger prefix stands: every object with a key up to `read_through` was read;
    `in_order`: full listings in a row whose new objects all had keys after it; `since_full`: listings that
    started after it since the last full one; `last_error`: why the last pass left objects unread (None: it did
    not)."""

    read_through: str = ""
    in_order: int = 0
    since_full: int = 0
    last_error: str | None = None


class LogObjectStore(StoreFile):
    """The logger objects read into the event store."""

    def handled(self, deployment: str, *, after: str = "") -> set[tuple[str, str]]:
        """(URI, ETag) of the objects read for `deployment` (with `after`, only those whose URI sorts after it)."""
        rows = self._conn().execute(
            "SELECT uri, etag FROM log_objects WHERE deployment = ? AND uri > ?", (deployment, after)
        )
        return {(uri, etag) for uri, etag in rows}

    def prefix_state(self, prefix: str) -> PrefixState:
        """Where the reading of the logger prefix `prefix` (an s3:// URI) stands (a fresh state when never read)."""
        row = (
            self._conn()
            .execute(
                "SELECT read_through, in_order, since_full, last_error FROM log_prefixes WHERE prefix = ?", (prefix,)
            )
            .fetchone()
        )
        return PrefixState(*row) if row else PrefixState()

    def save_prefix_state(self, prefix: str, deployment: str, state: PrefixState) -> None:
        """Record `state` for the logger prefix `prefix` of `deployment`."""
        now = times.now()
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                """INSERT INTO log_prefixes
                       (prefix, deployment, read_through, in_order, since_full, last_error, last_error_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (prefix) DO UPDATE SET deployment = excluded.deployment,
                       read_through = excluded.read_through, in_order = excluded.in_order,
                       since_full = excluded.since_full, last_error = excluded.last_error,
                       last_error_at = coalesce(excluded.last_error_at, log_prefixes.last_error_at),
                       updated_at = excluded.updated_at""",
                (
                    prefix,
                    deployment,
                    state.read_through,
                    state.in_order,
                    state.since_full,
                    state.last_error,
                    now if state.last_error else None,
                    now,
                ),
            )

    def ingest(
        self, deployment: str, uri: str, etag: str, size: int, events: list[InferenceEvent], bad: list[BadEvent]
    ) -> ObjectRead | None:
        """Store the events of the object `uri` (at `etag`) and count its `bad` records, with the object's row, in
        one transaction; None (and nothing written) when that object was read before."""
        conn = self._conn()
        with transaction(conn):
            if conn.execute("SELECT 1 FROM log_objects WHERE uri = ? AND etag = ?", (uri, etag)).fetchone():
                return None
            outcomes = store_events(conn, events)
            refused: dict[tuple[str, str], int] = {}
            for event, outcome in zip(events, outcomes):
                if isinstance(outcome, BadEvent):
                    refused[outcome.reason, event.deployment] = refused.get((outcome.reason, event.deployment), 0) + 1
            for record in bad:
                refused[record.reason, deployment] = refused.get((record.reason, deployment), 0) + 1
            for (reason, name), count in refused.items():
                count_rejection(conn, reason, name, count)
            stored = sum(outcome is True for outcome in outcomes)
            conn.execute(
                """INSERT INTO log_objects (uri, etag, deployment, size, events, refused, read_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (uri, etag, deployment, size, stored, sum(refused.values()), times.now()),
            )
        return ObjectRead(stored, sum(outcome is False for outcome in outcomes), sum(refused.values()))

    def totals(self, deployment: str) -> dict:
        """`{objects, events, refused}` read for `deployment` so far."""
        row = (
            self._conn()
            .execute(
                "SELECT count(*), coalesce(sum(events), 0), coalesce(sum(refused), 0) FROM log_objects "
                "WHERE deployment = ?",
                (deployment,),
            )
            .fetchone()
        )
        return {"objects": row[0], "events": row[1], "refused": row[2]}
