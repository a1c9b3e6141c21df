"""Request logging as KServe's inference logger does it, inside a local model server.

Each successful inference becomes two binary-mode CloudEvents 1.0, a request and a response sharing one
`Ce-Id`, whose body is the raw payload. `RequestLogMiddleware` only records them (never waiting);
`RequestLog` threads hand them to the sink (`sinks.py`: an ingest endpoint, or the store). Events the sink
does not take (down, slow, erroring) and events that find the queue full go to a size-capped JSONL spool in
the deployment folder and are re-sent when the sink answers again; events the full spool cannot hold are
dropped. All of it is counted in `stats.json` (rewritten at most every `STATS_EVERY_S` while events flow).
"""

from __future__ import annotations

import base64
import collections
import json
import queue
import re
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, datetime
from pathlib import Path

from .. import confined
from ..store.event_records import TEST_SOURCE_SUFFIX
from .prediction import ENDPOINT_HEADER, TEST_HEADER, VERSION_HEADER
from .sinks import HttpSink

REQUEST_TYPE = "org.kubeflow.serving.inference.request"
RESPONSE_TYPE = "org.kubeflow.serving.inference.response"
INFER_PATH = re.compile(r"^/v1/models/[^/]+:predict$|^/v2/models/[^/]+(/versions/[^/]+)?/infer$")
STATS_FILE = "stats.json"
SPOOL_FILE = "requestlog-spool.jsonl"
STATS_EVERY_S = 0.5  # while events flow, stats.json is rewritten at most this often
ENDPOINTS = ("default", "canary", "shadow")  # the Ce-Endpoint of a stable version's events, a canary's, a shadow's


class RequestLog:
    """Counts inferences and hands their CloudEvents to `sink` from `senders` threads (so waiting on the sink's
    answers overlaps). `sink` is a sink object (see `sinks.py`), a URL (an `HttpSink` sending `auth` as the
    `Authorization` header, waiting at most `timeout_s`), or None to only count.

    The spool holds at most `spool_bytes`; a sink that failed is retried after `retry_s`.
    """

    def __init__(
        self,
        folder: Path,
        *,
        name: str,
        source: str,
        sink=None,
        auth: str | None = None,
        namespace: str = "local",
        queue_size: int = 1000,
        spool_bytes: int = 16 << 20,
        timeout_s: float = 2.0,
        retry_s: float = 1.0,
        senders: int = 2,
    ):
        self.folder, self.name, self.source = Path(folder), name, source
        if isinstance(sink, str):
            sink = HttpSink(sink, auth, timeout_s) if sink else None
        self.sink = sink
        self.namespace, self.spool_bytes, self.timeout_s, self.retry_s = namespace, spool_bytes, timeout_s, retry_s
        self.spool = self.folder / SPOOL_FILE
        self.counts = {"requests": 0, "errors": 0, "sent": 0, "spooled": 0, "resent": 0, "dropped": 0, "in_spool": 0}
        self._latencies: collections.deque[float] = collections.deque(maxlen=2000)
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()  # the spool file, and the counts that several threads change
        self._down_until = 0.0
        self._stop = threading.Event()
        self._stats_lock = threading.Lock()  # the stats file, and what it holds since when
        self._written: tuple[dict | None, float] = (None, 0.0)
        self._threads = [
            threading.Thread(target=self._send_loop, name=f"request-log-{number}", daemon=True)
            for number in range(senders)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout_s + 1)

    # -- called on the server's event loop: never waits on the sink --------------------------

    def record(
        self,
        *,
        status: int,
        seconds: float,
        request_id: str | None,
        request: bytes,
        request_type: str,
        response: bytes,
        response_type: str,
        test: bool = False,
        version: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        """Count one inference; a successful one is queued as a request and a response event (marked as a test
        prediction's when `test`, so drift monitoring leaves it out). A rollout's router names the `version` that
        answers and its `endpoint` (see `_headers`)."""
        self.counts["requests"] += 1
        self._latencies.append(seconds)
        if not 200 <= status < 300:
            self.counts["errors"] += 1
            return
        if not self.sink:
            return
        event_id = request_id or str(uuid.uuid4())
        for kind, body, content_type in (
            (REQUEST_TYPE, request, request_type),
            (RESPONSE_TYPE, response, response_type),
        ):
            event = (self._headers(kind, event_id, content_type, test, version, endpoint), body)
            try:
                self._queue.put_nowait(event)
            except queue.Full:
                self._spool([event])

    def _headers(
        self,
        kind: str,
        event_id: str,
        content_type: str,
        test: bool = False,
        version: str | None = None,
        endpoint: str | None = None,
    ) -> dict:
        """An event's CloudEvent headers. A `version` is the last segment of `Ce-Source` (`.../versions/LABEL`),
        the `endpoint` (`default`, `canary`, `shadow`) its `Ce-Endpoint`, as KServe's logger names a canary's; a
        shadow's answers were never served, so they are marked like test predictions' (drift leaves them out)."""
        source = self.source + (f"versions/{urllib.parse.quote(version[:64], safe='')}" if version else "")
        if test or endpoint == "shadow":
            source += TEST_SOURCE_SUFFIX
        return {
            "Ce-Specversion": "1.0",
            "Ce-Type": kind,
            "Ce-Id": event_id,
            "Ce-Source": source,
            "Ce-Time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "Ce-Inferenceservicename": self.name,
            "Ce-Namespace": self.namespace,
            "Ce-Component": "predictor",
            "Ce-Endpoint": endpoint if endpoint in ENDPOINTS else "default",
            "Content-Type": content_type or "application/json",
        }

    def stats(self) -> dict:
        """`{requests, errors, sent, spooled, resent, dropped, in_spool, queued, latency_ms: {p50, p99}}`.

        `spooled` counts events that went to the spool, `resent` those sent from it, `in_spool` those in it now.
        """
        ordered = sorted(self._latencies)
        latency = {
            q: round(ordered[min(len(ordered) - 1, int(len(ordered) * f))] * 1000, 3) if ordered else None
            for q, f in (("p50", 0.5), ("p99", 0.99))
        }
        return {**self.counts, "queued": self._queue.qsize(), "latency_ms": latency}

    # -- the sender threads ---------------------------------------------------------------

    def _send_loop(self) -> None:
        while not self._stop.is_set():
            try:
                event = self._queue.get(timeout=0.25)
            except queue.Empty:
                event = None
            if event is not None:
                if time.monotonic() < self._down_until or not self._post(event):
                    self._spool([event])
                else:
                    self._count("sent")
            elif time.monotonic() >= self._down_until and self.spool.exists():
                self._resend()
            if event is None or time.monotonic() >= self._written[1] + STATS_EVERY_S:
                self._write_stats()
        if self.sink:
            self.sink.close()
        self._write_stats()

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def _post(self, event: tuple[dict, bytes]) -> bool:
        """Hand one event to the sink; a sink that did not take it is left alone for `retry_s`."""
        ok = self.sink.post(*event)
        if not ok:
            self._down_until = time.monotonic() + self.retry_s
        return ok

    def _spool(self, events: list[tuple[dict, bytes]], again: bool = False) -> None:
        """Append events to the spool (`again`: ones taken from it before); those past its size cap are dropped."""
        with self._lock:
            size = self.spool.stat().st_size if self.spool.exists() else 0
            with confined.open_append(self.folder, SPOOL_FILE) as stream:
                for headers, body in events:
                    line = json.dumps({"headers": headers, "body": base64.b64encode(body).decode()}) + "\n"
                    if size + len(line) > self.spool_bytes:
                        self.counts["dropped"] += 1
                        continue
                    stream.write(line.encode())
                    size += len(line)
                    self.counts["in_spool"] += 1
                    self.counts["spooled"] += not again

    def _resend(self) -> None:
        """Send the spooled events in order; what the sink does not take goes back to the spool."""
        with self._lock:
            if not self.spool.exists():  # another sender took it
                return
            lines = self.spool.read_text(encoding="utf-8").splitlines()
            self.spool.unlink()
            self.counts["in_spool"] = 0
        events = [(e["headers"], base64.b64decode(e["body"])) for e in map(json.loads, lines)]
        for index, event in enumerate(events):
            if self._stop.is_set() or not self._post(event):
                self._spool(events[index:], again=True)
                return
            self._count("resent")

    def _write_stats(self) -> None:
        """Write the stats file, unless it holds them already."""
        with self._stats_lock:
            stats = self.stats()
            if stats != self._written[0]:
                confined.write_file(self.folder, STATS_FILE, data=json.dumps(stats))
                self._written = (stats, time.monotonic())


class RequestLogMiddleware:
    """ASGI middleware that hands each inference's raw request and response to a RequestLog."""

    def __init__(self, app, log: RequestLog):
        self.app, self.log = app, log

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or not INFER_PATH.match(scope["path"]):
            return await self.app(scope, receive, send)
        started, request, response, answer = time.perf_counter(), [], [], {"status": 500, "headers": []}
        request_headers = _headers(scope.get("headers", []))
        # the events' Ce-Id, also in the answer, so that a client can send the prediction's label by it
        request_id = request_headers.get("x-request-id") or uuid.uuid4().hex

        async def receive_logged():
            message = await receive()
            if message["type"] == "http.request":
                request.append(message.get("body", b""))
            return message

        async def send_logged(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if "x-request-id" not in _headers(headers):
                    headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
                answer.update(status=message["status"], headers=headers)
            elif message["type"] == "http.response.body":
                response.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_logged, send_logged)
        finally:
            self.log.record(
                status=answer["status"],
                seconds=time.perf_counter() - started,
                request_id=request_id,
                request=b"".join(request),
                request_type=request_headers.get("content-type", ""),
                response=b"".join(response),
                response_type=_headers(answer["headers"]).get("content-type", ""),
                test=request_headers.get(TEST_HEADER.lower()) == "1",
                version=request_headers.get(VERSION_HEADER.lower()),
                endpoint=request_headers.get(ENDPOINT_HEADER.lower()),
            )


def _headers(pairs) -> dict[str, str]:
    return {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in pairs}
