"""Drift monitoring: a deployment's drift history, reference, on-demand check and policy; alerts and retraining."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import NotFoundError, UserError
from ..store import times
from .base import ApiHandler, PolicyHandler

#: The largest id SQLite stores (a signed 64-bit integer).
MAX_ALERT_ID = 2**63 - 1


class DriftApiHandler(ApiHandler):
    @property
    def monitor(self):
        return self.extension.workspace.drift_monitor

    def time_argument(self, name: str) -> str | None:
        """An ISO-8601 query argument in the store's time format, or a 400 naming it."""
        value = self.get_query_argument(name, None)
        if value is None:
            return None
        seconds = times.epoch_seconds(value)
        if seconds is None:
            raise UserError(f"'{name}' is not an ISO-8601 time: {value!r}.", "e.g. 2026-11-25T10:00:00Z")
        return times.from_epoch(seconds)


class DriftHandler(DriftApiHandler):
    """`GET deployments/{name}/drift[?from=&to=&feature=]`: the window series; 304 when unchanged."""

    @web.authenticated
    @authorized
    async def get(self, name: str):
        since, until = self.time_argument("from"), self.time_argument("to")
        report = await asyncio.to_thread(
            self.monitor.report, name, since, until, self.get_query_argument("feature", None)
        )
        self.reply_unless_unchanged(report)


class DriftReferenceHandler(DriftApiHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await asyncio.to_thread(self.monitor.reference_summary, name))


class DriftCheckHandler(DriftApiHandler):
    @web.authenticated
    @authorized
    async def post(self, name: str):
        self.reply(await asyncio.to_thread(self.monitor.check, name))


class DriftPolicyHandler(DriftApiHandler, PolicyHandler):
    """`GET`/`PUT` the policy."""


class AlertsHandler(DriftApiHandler):
    @web.authenticated
    @authorized
    async def get(self):
        """A page of alerts: `{alerts, next_cursor}`; `kind` (repeatable) keeps those kinds."""
        kinds = tuple(self.get_query_arguments("kind")) or None
        page = await asyncio.to_thread(
            self.monitor.alerts,
            self.get_query_argument("deployment", None),
            self.get_query_argument("status", None),
            kinds,
            limit=self.get_query_argument("limit", None),
            cursor=self.get_query_argument("cursor", None),
        )
        self.reply(page)


class AlertActionHandler(DriftApiHandler):
    """`POST alerts/{id}/retrain` (body `{parameters?, redeploy?}`) and `POST alerts/{id}/dismiss`."""

    @web.authenticated
    @authorized
    async def post(self, alert_id: str, action: str):
        if int(alert_id) > MAX_ALERT_ID:  # beyond SQLite's 64-bit integers: no such alert
            raise NotFoundError(f"No alert {alert_id}.", "List the alerts to see their ids.")
        if action == "dismiss":
            self.reply(await asyncio.to_thread(self.monitor.dismiss, int(alert_id)))
            return
        body = self.json_body()
        redeploy = body.get("redeploy", True)
        if not isinstance(redeploy, bool):
            raise UserError("'redeploy' must be true or false.", "Leave it out to redeploy the retrained model.")
        alert = await asyncio.to_thread(self.monitor.retrain, int(alert_id), body.get("parameters"), redeploy)
        self.reply(alert, status=202)
