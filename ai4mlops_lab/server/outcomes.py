"""Outcome monitoring: labels for a deployment's predictions, its performance report, policy and on-demand round."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import ApiHandler, PolicyHandler


class OutcomesApiHandler(ApiHandler):
    @property
    def monitor(self):
        return self.extension.workspace.outcome_monitor


class LabelsHandler(OutcomesApiHandler):
    """`POST deployments/{name}/labels`: JSON (`{"labels": [{id, label}]}`) or CSV (`id,label`) ground truth."""

    @web.authenticated
    @authorized
    async def post(self, name: str):
        content_type = self.request.headers.get("Content-Type", "application/json")
        self.reply(await asyncio.to_thread(self.monitor.add_labels, name, self.request.body, content_type))


class PerformanceHandler(OutcomesApiHandler):
    """`GET deployments/{name}/performance`: the report; 304 when unchanged."""

    @web.authenticated
    @authorized
    async def get(self, name: str):
        self.reply_unless_unchanged(await asyncio.to_thread(self.monitor.report, name))


class PerformanceCheckHandler(OutcomesApiHandler):
    """`POST deployments/{name}/performance/check`: read new predictions and labels now; the report."""

    @web.authenticated
    @authorized
    async def post(self, name: str):
        await asyncio.to_thread(self.monitor.process, name)
        self.reply(await asyncio.to_thread(self.monitor.report, name))


class PerformancePolicyHandler(OutcomesApiHandler, PolicyHandler):
    """`GET`/`PUT` the policy."""
