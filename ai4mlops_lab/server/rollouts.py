"""Rollouts and the promotion gate: a deployment's canary or shadow, promote, roll back, evaluate; a model's gate
policy and decisions."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import FieldError
from .base import ApiHandler

START_EXAMPLE = '{"version": "challenger", "mode": "canary", "percent": 20}'
PERCENT_EXAMPLE = '{"percent": 50}'


class RolloutApiHandler(ApiHandler):
    @property
    def rollouts(self):
        return self.extension.workspace.rollouts


class RolloutHandler(RolloutApiHandler):
    """`GET deployments/{name}/rollout` (304 while unchanged); `POST` starts a canary or shadow; `PATCH` changes a
    canary's share."""

    @web.authenticated
    @authorized
    async def get(self, name: str):
        self.reply_unless_unchanged(await asyncio.to_thread(self.rollouts.state, name))

    @web.authenticated
    @authorized
    async def post(self, name: str):
        body = self.json_body(START_EXAMPLE)
        if "version" not in body:
            raise FieldError("version", "The request names no candidate 'version'.", f"Send e.g. {START_EXAMPLE}.")
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise FieldError("force", "'force' must be true or false.", f"Send e.g. {START_EXAMPLE}.")
        await self.answer(
            self.rollouts.start,
            name,
            body["version"],
            mode=body.get("mode", "canary"),
            percent=body.get("percent"),
            force=force,
            reason=_reason(body),
            by=self.acting_user(),
            status=201,
        )

    @web.authenticated
    @authorized
    async def patch(self, name: str):
        body = self.json_body(PERCENT_EXAMPLE)
        if "percent" not in body:
            raise FieldError("percent", "The request names no 'percent'.", f"Send e.g. {PERCENT_EXAMPLE}.")
        await self.answer(self.rollouts.change, name, body["percent"])


class RolloutDecisionHandler(RolloutApiHandler):
    """`POST deployments/{name}/rollout/promote|rollback|evaluate`."""

    @web.authenticated
    @authorized
    async def post(self, name: str, action: str):
        body = self.json_body('{"reason": "better on the canary"}')
        if action == "evaluate":
            await self.answer(self.rollouts.evaluate, name, by=self.acting_user())
            return
        method = self.rollouts.promote if action == "promote" else self.rollouts.rollback
        await self.answer(method, name, reason=_reason(body), by=self.acting_user())


class GatePolicyHandler(RolloutApiHandler):
    """`GET/PUT models/{name}/policy`."""

    @web.authenticated
    @authorized
    async def get(self, name: str):
        await self.answer(self.rollouts.policy, name)

    @web.authenticated
    @authorized
    async def put(self, name: str):
        await self.answer(self.rollouts.set_policy, name, self.json_body('{"min_gain": 0.01}'), by=self.acting_user())


class GateDecisionsHandler(RolloutApiHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str):
        decisions = await asyncio.to_thread(self.rollouts.decisions, name)
        self.reply({"model": name, "decisions": decisions})


def _reason(body: dict) -> str:
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise FieldError("reason", "The 'reason' must be text.", 'Send e.g. {"reason": "better on the canary"}.')
    return reason
