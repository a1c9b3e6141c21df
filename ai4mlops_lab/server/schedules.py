"""Schedules: list, create, read, change, enable or disable, delete; a schedule's fires (with their runs) and the
next fire times of a trigger not saved yet (the UI's cron helper). The background loop in `app.py` fires them."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import FieldError
from .base import ApiHandler

SCHEDULE_EXAMPLE = '{"name": "nightly", "notebook_path": "train.ipynb", "expression": "0 3 * * *"}'
#: The most fire times a preview gives.
MAX_PREVIEW = 20


class SchedulesApiHandler(ApiHandler):
    @property
    def schedules(self):
        return self.extension.workspace.schedules


class SchedulesHandler(SchedulesApiHandler):
    """`GET schedules`: every schedule by name; `POST schedules`: create one (201, with its next fire times)."""

    @web.authenticated
    @authorized
    async def get(self):
        self.reply({"schedules": await asyncio.to_thread(self.schedules.list)})

    @web.authenticated
    @authorized
    async def post(self):
        body = self.json_body(SCHEDULE_EXAMPLE)
        record = await asyncio.to_thread(lambda: self.schedules.create(**body))
        await self.answer(self.schedules.detail, record["name"], status=201)


class ScheduleHandler(SchedulesApiHandler):
    """`GET`, `PATCH` (some fields) and `DELETE schedules/{name}`."""

    @web.authenticated
    @authorized
    async def get(self, name: str):
        await self.answer(self.schedules.detail, name)

    @web.authenticated
    @authorized
    async def patch(self, name: str):
        body = self.json_body('{"enabled": false}')
        await asyncio.to_thread(lambda: self.schedules.update(name, **body))
        await self.answer(self.schedules.detail, name)

    @web.authenticated
    @authorized
    async def delete(self, name: str):
        await asyncio.to_thread(self.schedules.delete, name)
        self.reply({"name": name, "removed": True})


class ScheduleSwitchHandler(SchedulesApiHandler):
    """`POST schedules/{name}/enable` or `.../disable`."""

    @web.authenticated
    @authorized
    async def post(self, name: str, action: str):
        await asyncio.to_thread(self.schedules.enable, name, action == "enable")
        await self.answer(self.schedules.detail, name)


class ScheduleFiresHandler(SchedulesApiHandler):
    """`GET schedules/{name}/fires`: its handled due times, latest first, with the runs they started."""

    @web.authenticated
    @authorized
    async def get(self, name: str):
        self.reply({"schedule": name, "fires": await asyncio.to_thread(self.schedules.fires, name)})


class SchedulePreviewHandler(SchedulesApiHandler):
    """`GET schedules/preview?expression=...&trigger=cron&time_zone=UTC&count=5`: the next fire times from now."""

    @web.authenticated
    @authorized
    def get(self):
        count = self.get_query_argument("count", "5")
        if not count.isdigit() or not 1 <= int(count) <= MAX_PREVIEW:
            raise FieldError("count", f"count must be a whole number from 1 to {MAX_PREVIEW}, not {count!r}.")
        times = self.schedules.preview(
            self.get_query_argument("trigger", "cron"),
            self.get_query_argument("expression", ""),
            self.get_query_argument("time_zone", "UTC"),
            int(count),
        )
        self.reply({"times": times})
