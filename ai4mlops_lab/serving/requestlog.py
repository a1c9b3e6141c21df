"""Request logging as KServe's inference logger does it, inside a local model server.

Each successful inference becomes two binary-mode CloudEvents 1.0, a request and a response sharing one
`Ce-Id`, whose body is the raw payload. `RequestLogMiddleware` only queues the inference (never waiting, nor
building the events: that is the senders' work); `RequestLog` threads make its events and hand them to the sink
(`sinks.py`: an ingest endpoint, or the store) in batches of what is queued. Events the sink does not take
(down, slow, erroring) and inferences that find the queue full go to a size-capped JSONL spool in the
deployment folder and are re-sent when the sink answers again; events the full spool cannot hold are dropped.
A graceful stop (the server's SIGTERM) sends what is still queued and spools what it cannot send in time. All of
it is counted in `stats.json` (rewritten at most every `STATS_EVERY_S` while events flow).
"""

from __future__ import annotations

import base64
import collections
import json
import os
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
BATCH = 32  # inferences a sender takes from the queue at once (their events go to the sink in one batch)
LINGER_S = 0.02  # how long a sender waits for more when fewer than a batch are queued: one wake-up, one write
DRAIN_S = 0.5  # once stopped, how long the senders still send what is queued (the rest is spooled)
ENDPOINTS = ("default", "canary", "shadow")  # the Ce-Endpoint of a stable version's events, a canary's, a shadow's


class RequestLog:
    """Counts inferences and hands their CloudEvents to `sink` from `senders` threads (more than one overlaps waiting
    on the sink's answers, but their batches may reach it out of order: monitoring cuts windows in arrival order, so
    one is the default). `sink` is a sink object (see `sinks.py`), a URL (an `HttpSink` sending `auth` as the
    `Authorization` header, waiting at most `timeout_s`), or None to only count.

    The queue holds at most `queue_size` inferences, the spool at most `spool_bytes`; a sink that failed is
    retried after `retry_s`.
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
        senders: int = 1,
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
        self._drain_until = 0.0  # set by stop()
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
        """Send what is queued (for at most `DRAIN_S`), spool what is left, then end the senders: no recorded
        event is lost when the server stops gracefully."""
        self._drain_until = time.monotonic() + DRAIN_S
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=DRAIN_S + self.timeout_s + 1)
        rest = []  # none, unless a sender is stuck: queued inferences no sender will take
        while True:
            try:
                rest += self._events(self._queue.get_nowait())
            except queue.Empty:
                break
        if rest:
            self._spool(rest)
            self._write_stats()

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
        """Count one inference; a successful one is queued for its request and response events (marked as a test
        prediction's when `test`, so drift monitoring leaves it out). A rollout's router names the `version` that
        answers and its `endpoint` (see `_headers`)."""
        self.counts["requests"] += 1
        self._latencies.append(seconds)
        if not 200 <= status < 300:
            self.counts["errors"] += 1
            return
        if not self.sink:
            return
        inference = (
            request_id or str(uuid.uuid4()),
            time.time(),
            (request, request_type, response, response_type),
            (test, version, endpoint),
        )
        try:
            self._queue.put_nowait(inference)
        except queue.Full:
            self._spool(self._events(inference))

    def stats(self) -> dict:
        """`{requests, errors, sent, spooled, resent, dropped, in_spool, queued, latency_ms: {p50, p99}}`.

        `spooled` counts events that went to the spool, `resent` those sent from it, `in_spool` those in it now;
        `queued` the inferences waiting for a sender.
        """
        ordered = sorted(self._latencies)
        latency = {
            q: round(ordered[min(len(ordered) - 1, int(len(ordered) * f))] * 1000, 3) if ordered else None
            for q, f in (("p50", 0.5), ("p99", 0.99))
        }
        return {**self.counts, "queued": self._queue.qsize(), "latency_ms": latency}

    # -- the sender threads ---------------------------------------------------------------

    def _events(self, inference: tuple) -> list[tuple[dict, bytes]]:
        """The request and the response event of a queued inference, stamped with the time it was recorded."""
        event_id, recorded, (request, request_type, response, response_type), marks = inference
        at = datetime.fromtimestamp(recorded, UTC).isoformat().replace("+00:00", "Z")
        return [
            (self._headers(REQUEST_TYPE, event_id, at, request_type, *marks), request),
            (self._headers(RESPONSE_TYPE, event_id, at, response_type, *marks), response),
        ]

    def _headers(
        self,
        kind: str,
        event_id: str,
        at: str,
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
            "Ce-Time": at,
            "Ce-Inferenceservicename": self.name,
            "Ce-Namespace": self.namespace,
            "Ce-Component": "predictor",
            "Ce-Endpoint": endpoint if endpoint in ENDPOINTS else "default",
            "Content-Type": content_type or "application/json",
        }

    def _send_loop(self) -> None:
        """Send queued inferences in batches and the spool when the sink is up; once stopped, what is still queued
        (sent until `_drain_until`, then spooled)."""
        while True:
            stopping = self._stop.is_set()
            inferences = self._take(wait=not stopping)
            if inferences:
                events = [event for inference in inferences for event in self._events(inference)]
                now = time.monotonic()
                send = now >= self._down_until and (not stopping or now < self._drain_until)
                taken = self._post(events) if send else 0
                self._count("sent", taken)
                if taken < len(events):
                    self._spool(events[taken:])
            elif stopping:
                break
            elif time.monotonic() >= self._down_until and self.spool.exists():
                self._resend()
            if not inferences or time.monotonic() >= self._written[1] + STATS_EVERY_S:
                self._write_stats()
        if self.sink:
            self.sink.close()
        self._write_stats()

    def _take(self, wait: bool = True) -> list[tuple]:
        """Queued inferences, at most `BATCH`. With `wait`: none after a quarter of a second without one; when one
        comes with fewer behind it, those that come in the next `LINGER_S` too."""
        try:
            inferences = [self._queue.get(timeout=0.25) if wait else self._queue.get_nowait()]
        except queue.Empty:
            return []
        if wait and self._queue.qsize() < BATCH - 1:
            time.sleep(LINGER_S)
        while len(inferences) < BATCH:
            try:
                inferences.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return inferences

    def _count(self, key: str, number: int = 1) -> None:
        with self._lock:
            self.counts[key] += number

    def _post(self, events: list[tuple[dict, bytes]]) -> int:
        """Hand events to the sink: how many it took (from the first); a sink that did not take them all is left
        alone for `retry_s`."""
        taken = self.sink.post(events)
        if taken < len(events):
            self._down_until = time.monotonic() + self.retry_s
        return taken

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
        """Send the spooled events in order, in batches; what the sink does not take goes back to the spool."""
        with self._lock:
            if not self.spool.exists():  # another sender took it
                return
            lines = self.spool.read_text(encoding="utf-8").splitlines()
            self.spool.unlink()
            self.counts["in_spool"] = 0
        events = [(e["headers"], base64.b64decode(e["body"])) for e in map(json.loads, lines)]
        for start in range(0, len(events), 2 * BATCH):
            batch = events[start : start + 2 * BATCH]
            taken = 0 if self._stop.is_set() else self._post(batch)
            self._count("resent", taken)
            if taken < len(batch):
                self._spool(events[start + taken :], again=True)
                return

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
        request_id = request_headers.get("x-request-id") or os.urandom(16).hex()  # uuid4().hex costs 8x as much

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
