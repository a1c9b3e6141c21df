"""Inference events (logged requests and responses of deployments) and rejected events, in the store."""

from __future__ import annotations

import time

from ..monitoring.events import InferenceEvent
from . import times
from .db import StoreFile, transaction


class EventStore(StoreFile):
    """Raw inference events, idempotent on (Ce-Id, request|response)."""

    def add(self, event: InferenceEvent) -> bool:
        """Store an event; False when the same event was stored before (a retry)."""
        conn = self._conn()
        with transaction(conn):
            cursor = conn.execute(
                """INSERT INTO inference_events (ce_id, kind, deployment, namespace, component, endpoint,
                       source, event_time, event_ts, received_at, content_type, body)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (ce_id, kind) DO NOTHING""",
                (event.ce_id, event.kind, event.deployment, event.namespace, event.component, event.endpoint,
                 event.source, event.time, times.epoch_seconds(event.time) or time.time(), times.now(),
                 event.content_type, event.body),
            )
        return cursor.rowcount == 1

    def reject(self, reason: str) -> None:
        """Count an event refused for `reason`."""
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                """INSERT INTO ingest_rejections (reason, count, last_at) VALUES (?, 1, ?)
                   ON CONFLICT (reason) DO UPDATE SET count = count + 1, last_at = excluded.last_at""",
                (reason, times.now()),
            )

    def counts(self, deployment: str | None = None) -> dict:
        """`{requests, responses}` stored for a deployment (or all), and `{rejected: {reason: n}}`."""
        conn = self._conn()
        rows = conn.execute(
            "SELECT kind, count(*) AS n FROM inference_events WHERE ? IS NULL OR deployment = ? GROUP BY kind",
            (deployment, deployment),
        ).fetchall()
        by_kind = {row["kind"]: row["n"] for row in rows}
        rejected = {row["reason"]: row["count"] for row in conn.execute("SELECT reason, count FROM ingest_rejections")}
        return {"requests": by_kind.get("request", 0), "responses": by_kind.get("response", 0), "rejected": rejected}

    def events(self, deployment: str, kind: str = "request", after: int = 0, limit: int = 1000) -> list[dict]:
        """A deployment's events of one kind with ids above `after`, oldest first (for windows)."""
        rows = self._conn().execute(
            """SELECT id, ce_id, event_time, received_at, content_type, body FROM inference_events
               WHERE deployment = ? AND kind = ? AND id > ? ORDER BY id LIMIT ?""",
            (deployment, kind, after, limit),
        ).fetchall()
        return [dict(row) for row in rows]
