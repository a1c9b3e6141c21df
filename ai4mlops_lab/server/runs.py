"""Runs and experiments: start, list, inspect, logs, cancel. Cheap polling through ETags; reads never wait on a
backend (the background loop in `app.py` follows runs)."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import UserError
from ..states import RunTarget
from .base import ApiHandler


class RunsApiHandler(ApiHandler):
    """Shared by the run routes: the run service and conditional GETs on the store's version."""

    @property
    def service(self):
        return self.extension.workspace.run_service

    def reply_if_changed(self, build):
        """304 when the client's ETag matches the store's version; else `build()` with a new ETag. Reads the
        store only: the server's background loop pulls the runs' status from their backends."""
        if not self.answered_not_modified(f'"{self.service.store.version()}"'):
            self.reply(build())


class RunsHandler(RunsApiHandler):
    @web.authenticated
    @authorized
    def get(self):
        """A page of runs: `{runs, next_cursor}` (`limit`, `cursor`: see `pages`)."""
        names = ("experiment", "schedule", "trigger", "limit", "cursor")
        arguments = {name: self.get_query_argument(name, None) for name in names}
        self.reply_if_changed(lambda: self.service.runs(**arguments))

    @web.authenticated
    @authorized
    async def post(self):
        body = self.json_body()
        notebook = self.user_notebook(body.get("path", ""))
        parameters = body.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise UserError("'parameters' must be an object of NAME: value.", 'Send e.g. {"epochs": 5}.')
        kfp = body.get("kfp") or {}
        if not isinstance(kfp, dict):
            raise UserError(
                "'kfp' must be an object {host, namespace}.", "Or leave it out to use the server's settings."
            )
        run = await asyncio.to_thread(
            self.service.start,
            notebook,
            target=body.get("target") or RunTarget.LOCAL,
            parameters=parameters,
            experiment=body.get("experiment") or None,
            kfp=kfp,
        )
        self.reply(run, status=202)


class RunHandler(RunsApiHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str):
        self.reply_if_changed(lambda: self.service.run(run_id))


class BestRunsHandler(RunsApiHandler):
    """`GET runs/best?path=NOTEBOOK`: the notebook's succeeded runs, best first by its main metric."""

    @web.authenticated
    @authorized
    async def get(self):
        notebook = self.user_path(self.get_query_argument("path", ""), must_exist=False)
        self.reply(await asyncio.to_thread(self.service.ranked, notebook))


class RunLogsHandler(RunsApiHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str):
        step = self.get_query_argument("step", None)
        tail = self.get_query_argument("tail", None)
        if tail is not None and not tail.isdigit():
            raise UserError("'tail' must be a number of lines.", "e.g. ?tail=200")
        text = self.service.logs(run_id, step, int(tail) if tail else None)
        self.reply({"run_id": run_id, "step": step, "text": text})


class StepLogHandler(RunsApiHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str, step: str):
        tail = self.get_query_argument("tail", None)
        if tail is not None and not tail.isdigit():
            raise UserError("'tail' must be a number of lines.", "e.g. ?tail=200")
        self.reply(self.service.readable_log(run_id, step, int(tail) if tail else None))


class RunCancelHandler(RunsApiHandler):
    @web.authenticated
    @authorized
    async def post(self, run_id: str):
        self.reply(await asyncio.to_thread(self.service.cancel, run_id))


class ExperimentsHandler(RunsApiHandler):
    @web.authenticated
    @authorized
    def get(self):
        self.reply_if_changed(lambda: {"experiments": self.service.store.experiments()})
