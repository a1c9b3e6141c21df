"""`POST /ingest`: inference events from deployments (KServe logger CloudEvents).

Idempotent on (deployment, Ce-Id, type): a retry answers `200 stored:false`, the same Ce-Id with another body
a 409. Events of a deployment that does not exist are refused (404) rather than kept, so that a later deployment
of that name never inherits them; like malformed events (400) they are counted under the name they give.

Events posted concurrently are committed together (`store.event_writer`); the reply comes after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.prometheus.log_functions import prometheus_log_method
from tornado import web

from ..monitoring.ingest_token import is_ingest_token
from ..serving.cloudevents import parse_event
from ..store.event_records import BadEvent
from .base import AUTH_RESOURCE, ApiHandler


def presented_tokens(headers: Mapping[str, str], arguments: list) -> list[str]:
    """The `Authorization: Bearer` credential and the `?ingest_token=` arguments (str or bytes), either may be
    missing (a proxy may add its own Authorization header to KServe's logger, which sends the token in the URL)."""
    header = headers.get("Authorization", "")
    presented = [header[len("Bearer ") :].strip()] if header.startswith("Bearer ") else []
    presented += [value.decode(errors="replace") if isinstance(value, bytes) else value for value in arguments]
    return presented


class IngestHandler(ApiHandler):
    """Accepts events from the ingest token's holder (deployments) or an authorised Jupyter user."""

    @cached_property
    def _by_ingest_token(self) -> bool:
        """Whether any credential presented is the ingest token."""
        tokens = presented_tokens(self.request.headers, self.get_query_arguments("ingest_token"))
        return any(is_ingest_token(self.extension.workspace.folder, token) for token in tokens)

    async def prepare(self):
        """A deployment's request carries the ingest token, its only credential: it needs none of the user, cookie
        and CORS work of Jupyter's `prepare`, only its Host and Origin checks."""
        if not self._by_ingest_token:
            return await super().prepare()
        self.current_user = self._jupyter_current_user = None
        if not self.check_host():
            raise web.HTTPError(403)
        if not self.check_origin():
            raise web.HTTPError(404)

    def _log(self):
        """Accepted events are counted in the store and in Prometheus, not logged one line each (at thousands a
        second, formatting lines nobody reads costs more than storing them); refusals are logged."""
        if self._by_ingest_token and self.get_status() < 300:
            prometheus_log_method(self)
        else:
            super()._log()

    def check_xsrf_cookie(self):
        """Deployments hold no cookie: the ingest token stands in for the XSRF check, and anonymous
        requests are refused in `post` with what to send (XSRF protects logged-in sessions only)."""
        anonymous = hasattr(self, "_jupyter_current_user") and not self.current_user
        if not (self._by_ingest_token or anonymous):
            super().check_xsrf_cookie()

    @allow_unauthenticated
    async def post(self):
        if not self._by_ingest_token:
            if not self.current_user:
                raise web.HTTPError(401, "Send the ingest token (Authorization: Bearer ...) or log in.")
            if not self.authorizer.is_authorized(self, self.current_user, "write", AUTH_RESOURCE):
                raise web.HTTPError(403)
        try:
            event = parse_event(self.request.headers, self.request.body)
            stored = await self.extension.workspace.event_writer.add(event)
        except BadEvent as bad:
            named = (self.request.headers.get("Ce-Inferenceservicename") or "").strip()
            self.extension.workspace.event_store.reject(bad.reason, named)
            raise
        self.reply({"ce_id": event.ce_id, "kind": event.kind, "stored": stored}, status=202 if stored else 200)
