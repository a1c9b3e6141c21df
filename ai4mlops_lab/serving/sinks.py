"""Where a local model server's request log sends its CloudEvents: an ingest endpoint, or the store itself.

A sink's `post(events)` takes a batch of `(headers, body)` events; it is called from the request log's sender
threads (never from the server's event loop) and answers how many of them, from the first, were taken: the
rest must be spooled and sent again later. It never raises. `close()` releases what the calling thread holds.
"""

from __future__ import annotations

import io
import socket
import sqlite3
import ssl
import threading
import urllib.parse
from pathlib import Path

from ..store.errors import StoreError
from ..store.event_records import BadEvent
from ..store.events import EventStore
from .cloudevents import parse_event
from .http1 import CHUNKED, parse_head

MAX_LINE = 65536  # bytes in one line of an answer's head
MAX_HEADERS = 100  # header lines in an answer's head


class HttpSink:
    """POSTs events to `url` (e.g. the Jupyter server's ingest endpoint) on the calling thread's kept-alive
    connection; `auth` is sent as the `Authorization` header. A 2xx answer means taken. Once the sink has kept a
    connection open after an answer, a batch goes on it pipelined: written in one go, the answers read in order.
    Requests are written and answers read without http.client, whose header handling cost about three times as
    much CPU per event, taken from the model server (bench/README.md, "Serving")."""

    def __init__(self, url: str, auth: str | None = None, timeout_s: float = 2.0):
        address = urllib.parse.urlsplit(url)
        tls = address.scheme == "https"
        self.host, self.port, self.timeout_s = address.hostname, address.port or (443 if tls else 80), timeout_s
        self._tls = ssl.create_default_context() if tls else None
        target = (address.path or "/") + (f"?{address.query}" if address.query else "")
        # the Authorization header is added here only, so the spool on disk never holds it
        self._start = f"POST {target} HTTP/1.1\r\nHost: {address.netloc.rpartition('@')[2]}\r\n" + (
            f"Authorization: {auth}\r\n" if auth else ""
        )
        self._local = threading.local()  # each sender thread's kept-alive `connection`: (socket, its reader)

    def post(self, events: list[tuple[dict, bytes]]) -> int:
        try:
            requests = [self._request(headers, body) for headers, body in events]
        except ValueError:  # never sendable as it is
            return 0
        taken, go_on = 0, True
        while go_on and taken < len(requests):
            answered, go_on = self._exchange(requests[taken:])
            taken += answered
        return taken

    def _request(self, headers: dict, body: bytes) -> bytes:
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        if lines.count("\n") != len(headers) or lines.count("\r") != len(headers):  # one CRLF per header only
            raise ValueError("a header holds a line break")
        return f"{self._start}Content-Length: {len(body)}\r\n{lines}\r\n".encode("latin-1") + body

    def _exchange(self, requests: list[bytes]) -> tuple[int, bool]:
        """Write requests on this thread's connection (opened if needed) and read their answers in order, up to the
        first that is not a 2xx: how many were, and whether to go on with the rest. A new connection carries one
        request until the sink has kept it open after answering; a connection is closed once it failed, ended or
        answered other than 2xx."""
        reused = getattr(self._local, "connection", None) is not None
        batch = requests if reused else requests[:1]
        taken = 0
        try:
            sock, reader = self._connection()
            sock.sendall(b"".join(batch))
            for _ in batch:
                status, keep = _read_answer(reader)
                if not 200 <= status < 300:
                    break
                taken += 1
                if not keep:
                    self.close()
                    return taken, True
            else:
                return taken, True
        except ConnectionError:
            # Closed by the sink after some answers, or while idle: the rest once more on a new connection (a
            # repeated Ce-Id is ignored by the sink, so a second copy would be harmless).
            self.close()
            return taken, bool(taken) or reused
        except (OSError, ValueError):  # refused, timed out, TLS, not HTTP
            self.close()
            return taken, False
        self.close()  # refused: the answers after that one are not read
        return taken, False

    def _connection(self) -> tuple[socket.socket, io.BufferedReader]:
        if getattr(self._local, "connection", None) is None:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            self._local.connection = (sock, sock.makefile("rb"))
        return self._local.connection

    def close(self) -> None:
        if getattr(self._local, "connection", None) is not None:
            sock, reader = self._local.connection
            reader.close()
            sock.close()
            self._local.connection = None


def _read_answer(reader: io.BufferedReader) -> tuple[int, bool]:
    """The status of the next answer from `reader` and whether the connection stays open; its body is skipped."""
    lines: list[bytes] = []
    while (line := reader.readline(MAX_LINE)) not in (b"\r\n", b"\n"):
        if not line:
            raise ConnectionError("the sink closed the connection")
        if not line.endswith(b"\n") or len(lines) > MAX_HEADERS:
            raise ValueError("the answer's head is too long")
        lines.append(line)
    head = parse_head(b"".join(lines))
    if head.length == CHUNKED:
        while size := int(reader.readline(MAX_LINE).split(b";", 1)[0], 16):
            _skip(reader, size + 2)
        while reader.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):  # trailers
            pass
    elif head.length is None:
        reader.read()
    else:
        _skip(reader, head.length)
    return head.status, head.keep


def _skip(reader: io.BufferedReader, size: int) -> None:
    if len(reader.read(size)) < size:
        raise ConnectionError("the sink closed the connection")


class StoreSink:
    """Writes events straight into the workspace's event store at `path`, as the ingest endpoint would: the
    same records, idempotent on (deployment, Ce-Id, kind), events it refuses counted as rejected; each batch in
    one transaction. For model servers deployed with no ingest endpoint (the CLI with no Jupyter server). A
    store that cannot be written now (locked, missing) takes nothing: the events are spooled and written later."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._store = None
        self._lock = threading.Lock()

    def _events(self):
        with self._lock:
            if self._store is None:
                self._store = EventStore(self.path, check=False)
            return self._store

    def post(self, events: list[tuple[dict, bytes]]) -> int:
        refused = []  # (reason, deployment) of each event refused: counted as the ingest endpoint does, never retried
        parsed = []
        for headers, body in events:
            try:
                parsed.append(parse_event(headers, body))
            except BadEvent as bad:
                refused.append((bad.reason, (headers.get("Ce-Inferenceservicename") or "").strip()))
        try:
            store = self._events()
            outcomes = store.add_many(parsed) if parsed else []
            refused += [(o.reason, e.deployment) for e, o in zip(parsed, outcomes) if isinstance(o, BadEvent)]
            for reason, deployment in refused:
                store.reject(reason, deployment)
        except (StoreError, sqlite3.Error, OSError):
            return 0
        return len(events)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
