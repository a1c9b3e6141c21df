"""Data triggers: list, create, read, change, enable or disable, delete; the files a trigger handled or waits on.
The background loop in `app.py` watches them."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import ApiHandler

TRIGGER_EXAMPLE = (
    '{"name": "incoming", "notebook_path": "train.ipynb", "source": "data/incoming", "pattern": "*.csv", '
    '"parameter": "data_path"}'
)


class TriggersApiHandler(ApiHandler):
    @property
    def triggers(self):
        return self.extension.workspace.triggers


class TriggersHandler(TriggersApiHandler):
    """`GET triggers`: every trigger by name; `POST triggers`: create one (201)."""

    @web.authenticated
    @authorized
    async def get(self):
        self.reply({"triggers": await asyncio.to_thread(self.triggers.list)})

    @web.authenticated
    @authorized
    async def post(self):
        body = self.json_body(TRIGGER_EXAMPLE)
        await self.answer(lambda: self.triggers.create(**body), status=201)


class TriggerHandler(TriggersApiHandler):
    """`GET`, `PATCH` (some fields) and `DELETE triggers/{name}`."""

    @web.authenticated
    @authorized
    async def get(self, name: str):
        await self.answer(self.triggers.get, name)

    @web.authenticated
    @authorized
    async def patch(self, name: str):
        body = self.json_body('{"enabled": false}')
        await self.answer(lambda: self.triggers.update(name, **body))

    @web.authenticated
    @authorized
    async def delete(self, name: str):
        await asyncio.to_thread(self.triggers.delete, name)
        self.reply({"name": name, "removed": True})


class TriggerSwitchHandler(TriggersApiHandler):
    """`POST triggers/{name}/enable` or `.../disable`."""

    @web.authenticated
    @authorized
    async def post(self, name: str, action: str):
        await self.answer(self.triggers.enable, name, action == "enable")


class TriggerFilesHandler(TriggersApiHandler):
    """`GET triggers/{name}/files`: the contents it handled (latest first, with their runs) and the files waiting."""

    @web.authenticated
    @authorized
    async def get(self, name: str):
        await self.answer(self.triggers.files, name)
