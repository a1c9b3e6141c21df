"""The ingest route's fast path: a deployment's well-formed event stored and answered without a RequestHandler.

Every request through tornado gets a `RequestHandler`: Jupyter's default headers, user, XSRF and CORS work, its
log line. At thousands of events a second that is most of the server's CPU, and a deployment's post needs none of
it: it presents the ingest token (its only credential), no `Origin` (no browser sent it) and a loopback `Host`.
`IngestRouter` stores such an event and answers it directly. Every other request (another credential, a browser's
`Origin`, a `Host` Jupyter would check, any other method) and every event that is not plainly stored (malformed,
refused, a store error) goes, untouched, to `IngestHandler`, which answers it as it answers every request.
"""

from __future__ import annotations

import asyncio
import json
import re

from jupyter_server.prometheus.metrics import HTTP_REQUEST_DURATION_SECONDS
from tornado import httputil, web
from tornado.routing import Router

from ..monitoring.ingest_token import is_ingest_token
from ..serving.cloudevents import parse_event
from ..store.event_records import BadEvent
from .ingest import IngestHandler, presented_tokens

_HOST_AND_PORT = re.compile(r"^(.*?)(:\d+)?$")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "[::1]"})
_REASONS = {200: "OK", 202: "Accepted"}
#: Jupyter's request-duration metric, under the handler's name as if it had answered (200: a retry, 202: stored).
_DURATION = {
    status: HTTP_REQUEST_DURATION_SECONDS.labels(
        method="POST", handler=f"{IngestHandler.__module__}.{IngestHandler.__name__}", status_code=status
    )
    for status in _REASONS
}


def put_in_front_of_ingest_handler(application: web.Application) -> None:
    """Make the route registered for `IngestHandler` (and checked by Jupyter as such) go through `IngestRouter`."""
    for host_rule in application.default_router.rules:
        for rule in getattr(host_rule.target, "rules", []):
            if rule.target is IngestHandler:
                rule.target = IngestRouter(application, rule.target_kwargs)
                return
    raise LookupError("IngestHandler is not registered")


class IngestRouter(Router):
    """The target of the ingest route: the fast path for a deployment's plain post, `IngestHandler` otherwise."""

    def __init__(self, application: web.Application, handler_kwargs: dict):
        self.application = application
        self.handler_kwargs = handler_kwargs
        settings = application.settings
        self._extension = f"{handler_kwargs['name']}_app"
        self._any_host = settings.get("allow_remote_access", False)
        self._local_hosts = _LOOPBACK_HOSTS | set(settings.get("local_hostnames", ["localhost"]))

    def find_handler(self, request: httputil.HTTPServerRequest, **kwargs) -> httputil.HTTPMessageDelegate:
        if request.method != "POST" or "Origin" in request.headers or not self._local_host(request.host):
            return self.handler(request)
        extension = self.application.settings[self._extension]
        tokens = presented_tokens(request.headers, request.query_arguments.get("ingest_token", []))
        if not any(is_ingest_token(extension.workspace.folder, token) for token in tokens):
            return self.handler(request)
        return _StoreEvent(request, self.handler, extension.workspace.event_writer)

    def handler(self, request: httputil.HTTPServerRequest) -> httputil.HTTPMessageDelegate:
        """`IngestHandler`, as tornado would give it `request`."""
        return self.application.get_handler_delegate(request, IngestHandler, self.handler_kwargs)

    def _local_host(self, host: str) -> bool:
        """Whether Jupyter's Host check passes for `host` without a doubt (else its handler makes the check)."""
        return self._any_host or _HOST_AND_PORT.match(host).group(1) in self._local_hosts


class _StoreEvent(httputil.HTTPMessageDelegate):
    """One post: its body read, its event stored, 202 (stored) or 200 (a retry) written; else the answer of the
    handler that `handler(request)` gives."""

    def __init__(self, request: httputil.HTTPServerRequest, handler, writer):
        self.request = request
        self.handler = handler
        self.writer = writer
        self.body = bytearray()
        self.event = None
        self.stored: asyncio.Future | None = None

    def data_received(self, chunk: bytes) -> None:
        self.body += chunk

    def finish(self) -> None:
        try:
            self.event = parse_event(self.request.headers, bytes(self.body))
        except BadEvent:
            self._to_handler()
            return
        self.stored = self.writer.submit(self.event)
        self.stored.add_done_callback(self._answer)

    def _to_handler(self) -> None:
        """Hand the request to the handler, which answers it, and logs and counts it, as it answers every refusal."""
        handler = self.handler(self.request)
        handler.data_received(bytes(self.body))
        handler.finish()

    def _answer(self, stored: asyncio.Future) -> None:
        if stored.cancelled() or stored.exception() is not None:
            self._to_handler()
            return
        status = 202 if stored.result() else 200
        body = json.dumps({"ce_id": self.event.ce_id, "kind": self.event.kind, "stored": stored.result()}).encode()
        headers = httputil.HTTPHeaders(
            {"Content-Type": "application/json", "Content-Length": str(len(body)), "X-Content-Type-Options": "nosniff"}
        )
        connection = self.request.connection
        connection.write_headers(httputil.ResponseStartLine("", status, _REASONS[status]), headers, body)
        connection.finish()
        _DURATION[status].observe(self.request.request_time())
