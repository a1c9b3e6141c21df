"""Where a local model server's request log sends its CloudEvents: an ingest endpoint, or the store itself.

A sink's `post(headers, body)` is called from the request log's sender threads (never from the server's event
loop) and says whether the event was taken (True) or must be spooled and sent again later (False); it never
raises. `close()` releases what the calling thread holds.
"""

from __future__ import annotations

import http.client
import sqlite3
import threading
import urllib.parse
from pathlib import Path

from ..store.errors import StoreError
from ..store.event_records import BadEvent
from ..store.events import EventStore
from .cloudevents import parse_event


class HttpSink:
    """POSTs each event to `url` (e.g. the Jupyter server's ingest endpoint) on the calling thread's kept-alive
    connection; `auth` is sent as the `Authorization` header. A 2xx answer means taken."""

    def __init__(self, url: str, auth: str | None = None, timeout_s: float = 2.0):
        self.url, self.auth, self.timeout_s = urllib.parse.urlsplit(url), auth, timeout_s
        self._local = threading.local()  # each sender thread's kept-alive `connection`

    def post(self, headers: dict, body: bytes) -> bool:
        if self.auth:  # added here only, so the spool on disk never holds it
            headers = {**headers, "Authorization": self.auth}
        reused = getattr(self._local, "connection", None) is not None
        try:
            try:
                return self._send(headers, body)
            except ConnectionError:
                if not reused:
                    raise
                # The sink closed the kept-alive connection meanwhile: once more on a new one (a repeated
                # Ce-Id is ignored by the sink, so a second copy would be harmless).
                return self._send(headers, body)
        except (OSError, ValueError, http.client.HTTPException):
            return False

    def _send(self, headers: dict, body: bytes) -> bool:
        """POST on this thread's kept-alive connection, opened if needed and closed after any failure; True for
        a 2xx."""
        url = self.url
        if getattr(self._local, "connection", None) is None:
            kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
            self._local.connection = kind(url.netloc, timeout=self.timeout_s)
        try:
            self._local.connection.request(
                "POST", (url.path or "/") + (f"?{url.query}" if url.query else ""), body=body, headers=headers
            )
            with self._local.connection.getresponse() as answer:
                answer.read()
                ok, keep = 200 <= answer.status < 300, not answer.will_close
        except BaseException:
            self.close()
            raise
        if not (ok and keep):
            self.close()
        return ok

    def close(self) -> None:
        if getattr(self._local, "connection", None) is not None:
            self._local.connection.close()
            self._local.connection = None


class StoreSink:
    """Writes each event straight into the workspace's event store at `path`, as the ingest endpoint would: the
    same records, idempotent on (deployment, Ce-Id, kind), events it refuses counted as rejected. For model
    servers deployed with no ingest endpoint (the CLI with no Jupyter server). A store that cannot be written
    now (locked, missing) is a False: the event is spooled and written later."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._store = None
        self._lock = threading.Lock()

    def _events(self):
        with self._lock:
            if self._store is None:
                self._store = EventStore(self.path, check=False)
            return self._store

    def post(self, headers: dict, body: bytes) -> bool:
        try:
            store = self._events()
            try:
                event = parse_event(headers, body)
                store.add(event)
            except BadEvent as bad:  # as the ingest endpoint does: counted, never retried
                store.reject(bad.reason, (headers.get("Ce-Inferenceservicename") or "").strip())
        except (StoreError, sqlite3.Error, OSError):
            return False
        return True

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
