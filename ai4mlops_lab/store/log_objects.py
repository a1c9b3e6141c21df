"""Which logger objects (batches KServe's logger wrote to object storage) were read, each once per (URI, ETag).

`LogObjectStore.ingest` commits an object's events, the count of its refused records and the object's row in one
transaction: a reader stopped at any point has either read an object whole or not at all, so a fresh reader
neither loses nor counts twice. The events take the path of posted ones (`events.store_events`).
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


class LogObjectStore(StoreFile):
    """The logger objects read into the event store."""

    def handled(self, deployment: str) -> set[tuple[str, str]]:
        """(URI, ETag) of the objects read for `deployment`."""
        rows = self._conn().execute("SELECT uri, etag FROM log_objects WHERE deployment = ?", (deployment,))
        return {(uri, etag) for uri, etag in rows}

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
