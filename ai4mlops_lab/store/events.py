"""Inference events (logged requests and responses of deployments) and rejected events, in the store."""

from __future__ import annotations

import time
from collections import Counter

from . import times
from .db import StoreFile, transaction
from .event_records import TEST_SOURCE_SUFFIX, ConflictingEvent, InferenceEvent, UnknownDeployment

#: The columns read back for drift windows.
_READ = "id, ce_id, event_time, event_ts, received_at, content_type, body"
#: The events drift windows read: all but those of test predictions.
_MONITORED = f"source NOT LIKE '%{TEST_SOURCE_SUFFIX}'"


class EventStore(StoreFile):
    """Raw inference events of existing deployments, idempotent on (deployment, Ce-Id, request|response)."""

    def add(self, event: InferenceEvent) -> bool:
        """Store an event; False when the same event was stored before (a retry). Raises UnknownDeployment or
        ConflictingEvent (the same Ce-Id with another body)."""
        outcome = self.add_many([event])[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def add_many(self, events: list[InferenceEvent]) -> list[bool | UnknownDeployment | ConflictingEvent]:
        """Store events in one transaction; for each, True when stored, False when the same event was stored
        before (also earlier in `events`), or the refusal: UnknownDeployment, ConflictingEvent."""
        conn = self._conn()
        with transaction(conn):
            return store_events(conn, events)

    def reject(self, reason: str, deployment: str = "") -> None:
        """Count an event refused for `reason`, under the deployment it names ('' for none)."""
        conn = self._conn()
        with transaction(conn):
            count_rejection(conn, reason, deployment)

    def counts(self, deployment: str | None = None) -> dict:
        """`{requests, responses}` stored for a deployment (or all), `{rejected: {reason: n}}` refused naming it
        (or all), and `{unattributed: {reason: n}}` refused naming no deployment."""
        conn = self._conn()
        rows = conn.execute(
            "SELECT kind, sum(count) AS n FROM event_counts WHERE ? IS NULL OR deployment = ? GROUP BY kind",
            (deployment, deployment),
        ).fetchall()
        by_kind = {row["kind"]: row["n"] for row in rows}
        refused = conn.execute(
            "SELECT deployment, reason, sum(count) AS n FROM ingest_rejections "
            "WHERE ? IS NULL OR deployment IN (?, '') GROUP BY deployment, reason",
            (deployment, deployment),
        ).fetchall()
        rejected, unattributed = {}, {}
        for row in refused:
            into = unattributed if row["deployment"] == "" and deployment is not None else rejected
            into[row["reason"]] = into.get(row["reason"], 0) + row["n"]
        return {
            "requests": by_kind.get("request", 0),
            "responses": by_kind.get("response", 0),
            "rejected": rejected,
            "unattributed": unattributed,
        }

    def events(self, deployment: str, kind: str = "request", after: int = 0, limit: int = 1000) -> list[dict]:
        """A deployment's events of one kind with ids above `after`, oldest first (for windows)."""
        rows = (
            self._conn()
            .execute(
                f"""SELECT {_READ} FROM inference_events
               WHERE deployment = ? AND kind = ? AND id > ? AND {_MONITORED} ORDER BY id LIMIT ?""",
                (deployment, kind, after, limit),
            )
            .fetchall()
        )
        return [dict(row) for row in rows]

    def requests_between(self, deployment: str, since_ts: float, until_ts: float, first_id: int = 0) -> list[dict]:
        """A deployment's request events from id `first_id` on with event times in [since_ts, until_ts), in
        time order."""
        rows = (
            self._conn()
            .execute(
                f"""SELECT {_READ} FROM inference_events
               WHERE deployment = ? AND kind = 'request' AND event_ts >= ? AND event_ts < ? AND id >= ?
                 AND {_MONITORED} ORDER BY event_ts, id""",
                (deployment, since_ts, until_ts, first_id),
            )
            .fetchall()
        )
        return [dict(row) for row in rows]

    def rows_between(self, deployment: str, since_ts: float, until_ts: float, first_id: int = 0) -> int:
        """How many rows the request events from id `first_id` on with event times in [since_ts, until_ts) hold
        (V1 `instances`,
        V2 first input's batch size), counted by SQLite without decoding them here."""
        row = (
            self._conn()
            .execute(
                f"""SELECT coalesce(sum(coalesce(json_array_length(CAST(body AS TEXT), '$.instances'),
                                            json_extract(CAST(body AS TEXT), '$.inputs[0].shape[0]'), 0)), 0)
               FROM inference_events WHERE deployment = ? AND kind = 'request' AND event_ts >= ? AND event_ts < ?
                 AND id >= ? AND json_valid(CAST(body AS TEXT)) AND {_MONITORED}""",
                (deployment, since_ts, until_ts, first_id),
            )
            .fetchone()
        )
        return int(row[0])

    def first_request_since(self, deployment: str, since_ts: float, first_id: int = 0) -> int | None:
        """The smallest id, from `first_id` on, of a deployment's request events with event times from
        `since_ts` on."""
        row = (
            self._conn()
            .execute(
                f"""SELECT min(id) FROM inference_events WHERE deployment = ? AND kind = 'request' AND event_ts >= ?
               AND id >= ? AND {_MONITORED}""",
                (deployment, since_ts, first_id),
            )
            .fetchone()
        )
        return row[0]

    def forget_before(self, deployment: str, event_id: int) -> int:
        """Delete the deployment's events (requests and responses) with ids below `event_id`; how many."""
        conn = self._conn()
        with transaction(conn):
            return conn.execute(
                "DELETE FROM inference_events WHERE deployment = ? AND id < ?", (deployment, event_id)
            ).rowcount

    def newest_request(self, deployment: str) -> int:
        """The id of a deployment's newest request event (0 for none)."""
        return (
            self._conn()
            .execute(
                "SELECT coalesce((SELECT id FROM inference_events WHERE deployment = ? "
                f"AND kind = 'request' AND {_MONITORED} ORDER BY id DESC LIMIT 1), 0)",
                (deployment,),
            )
            .fetchone()[0]
        )

    def request_times(self, deployment: str, after: int = 0) -> list[tuple[int, float]]:
        """(id, event time) of a deployment's request events with ids above `after`."""
        return [
            tuple(row)
            for row in self._conn().execute(
                f"SELECT id, event_ts FROM inference_events WHERE deployment = ? AND kind = 'request' AND id > ? "
                f"AND {_MONITORED}",
                (deployment, after),
            )
        ]

    def request_origins(self, deployment: str, since_ts: float) -> list[tuple[str, str, int]]:
        """(Ce-Endpoint, Ce-Source, count) of a deployment's request events with event times from `since_ts` on,
        test predictions included."""
        return [
            tuple(row)
            for row in self._conn().execute(
                "SELECT endpoint, source, count(*) FROM inference_events WHERE deployment = ? AND kind = 'request' "
                "AND event_ts >= ? GROUP BY endpoint, source ORDER BY endpoint, source",
                (deployment, since_ts),
            )
        ]

    def latest_requests(self, deployment: str, limit: int) -> list[dict]:
        """A deployment's newest `limit` request events, oldest first."""
        rows = (
            self._conn()
            .execute(
                f"""SELECT {_READ} FROM inference_events
               WHERE deployment = ? AND kind = 'request' AND {_MONITORED} ORDER BY id DESC LIMIT ?""",
                (deployment, limit),
            )
            .fetchall()
        )
        return [dict(row) for row in reversed(rows)]

    def exchanges(self, deployment: str, after: int = 0, limit: int = 1000) -> list[dict]:
        """A deployment's answered requests: response events with ids above `after` (a shadow's included, test
        predictions' left out), oldest first, each `{id, ce_id, endpoint, source, event_ts, request, response}`
        (`request` None while its request event is not in)."""
        rows = (
            self._conn()
            .execute(
                f"""SELECT r.id, r.ce_id, r.endpoint, r.source, r.event_ts, q.body AS request, r.body AS response
                FROM inference_events r LEFT JOIN inference_events q
                  ON q.deployment = r.deployment AND q.ce_id = r.ce_id AND q.kind = 'request'
                WHERE r.deployment = ? AND r.kind = 'response' AND r.id > ?
                  AND (r.endpoint = 'shadow' OR r.{_MONITORED}) ORDER BY r.id LIMIT ?""",
                (deployment, after, limit),
            )
            .fetchall()
        )
        return [dict(row) for row in rows]


def store_events(conn, events: list[InferenceEvent]) -> list[bool | UnknownDeployment | ConflictingEvent]:
    """Store events within the open transaction of `conn` (see `EventStore.add_many`): the one path every logged
    event takes, posted (ingest route) or read from the logger's objects (`store.log_objects`). New events of
    existing deployments (the usual case) are inserted in one statement; else event by event."""
    received_at = times.now()
    known = {
        name: conn.execute("SELECT 1 FROM deployments WHERE name = ?", (name,)).fetchone() is not None
        for name in {event.deployment for event in events}
    }
    if len(events) > 1 and all(known.values()):
        conn.execute("SAVEPOINT new_events")
        # rowcount sums the rows each insert added (total_changes would also count the counting trigger's rows)
        if conn.executemany(_INSERT, (_values(event, received_at) for event in events)).rowcount == len(events):
            conn.execute("RELEASE new_events")
            _count_stored(conn, events)
            return [True] * len(events)
        conn.execute("ROLLBACK TO new_events")  # retries or conflicts among them: sort them out one by one
        conn.execute("RELEASE new_events")
    outcomes: list[bool | UnknownDeployment | ConflictingEvent] = []
    for event in events:
        if not known[event.deployment]:
            outcomes.append(UnknownDeployment(event))
        elif conn.execute(_INSERT, _values(event, received_at)).rowcount == 1:
            outcomes.append(True)
        else:
            outcomes.append(False if _stored_body(conn, event) == event.body else ConflictingEvent(event))
    _count_stored(conn, [event for event, outcome in zip(events, outcomes) if outcome is True])
    return outcomes


def _count_stored(conn, stored: list[InferenceEvent]) -> None:
    """Add the events just stored to `event_counts`, one statement per deployment and kind (a trigger per row cost
    more than the insert itself; deletions are counted by a trigger)."""
    counts = Counter((event.deployment, event.kind) for event in stored)
    conn.executemany(
        """INSERT INTO event_counts (deployment, kind, count) VALUES (?, ?, ?)
           ON CONFLICT (deployment, kind) DO UPDATE SET count = count + excluded.count""",
        [(deployment, kind, count) for (deployment, kind), count in counts.items()],
    )


def count_rejection(conn, reason: str, deployment: str = "", count: int = 1) -> None:
    """Count `count` events refused for `reason` under the deployment they name, within the open transaction of
    `conn`."""
    conn.execute(
        """INSERT INTO ingest_rejections (deployment, reason, count, last_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (deployment, reason) DO UPDATE SET count = count + excluded.count, last_at = excluded.last_at""",
        (deployment, reason, count, times.now()),
    )


_INSERT = """INSERT INTO inference_events (ce_id, kind, deployment, namespace, component, endpoint, source,
                 event_time, event_ts, received_at, content_type, body)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT (deployment, ce_id, kind) DO NOTHING"""


def _values(event: InferenceEvent, received_at: str) -> tuple:
    return (
        event.ce_id,
        event.kind,
        event.deployment,
        event.namespace,
        event.component,
        event.endpoint,
        event.source,
        event.time,
        times.epoch_seconds(event.time) or time.time(),
        received_at,
        event.content_type,
        event.body,
    )


def _stored_body(conn, event: InferenceEvent) -> bytes:
    return bytes(
        conn.execute(
            "SELECT body FROM inference_events WHERE deployment = ? AND ce_id = ? AND kind = ?",
            (event.deployment, event.ce_id, event.kind),
        ).fetchone()[0]
    )
