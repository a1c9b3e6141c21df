"""Batch prediction jobs: start one (a model over a file under the root), list them, read one's progress, cancel."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import FieldError
from .base import ApiHandler

JOB_EXAMPLE = '{"model": "churn", "input": "data/customers.csv"}'
#: The fields a job is started with.
JOB_FIELDS = ("model", "input", "output", "artifact", "chunk_size", "task", "overwrite", "log", "target", "s3_secret")


class BatchApiHandler(ApiHandler):
    @property
    def jobs(self):
        return self.extension.workspace.batch_jobs


class BatchJobsHandler(BatchApiHandler):
    """`GET batch-jobs`: the latest jobs, newest first; `POST batch-jobs`: start one (201, pending)."""

    @web.authenticated
    @authorized
    async def get(self):
        self.reply({"jobs": await asyncio.to_thread(self.jobs.jobs)})

    @web.authenticated
    @authorized
    async def post(self):
        body = self.json_body(JOB_EXAMPLE)
        unknown = sorted(set(body) - set(JOB_FIELDS))
        if unknown:
            raise FieldError(unknown[0], f"Unknown field {unknown[0]!r}.", f"The fields are: {', '.join(JOB_FIELDS)}.")
        for name in ("model", "input"):
            if name not in body:
                raise FieldError(name, f"The field {name!r} is required.", f"Send e.g. {JOB_EXAMPLE}.")
        await self.answer(lambda: self.jobs.start(**body), status=201)


class BatchJobHandler(BatchApiHandler):
    """`GET batch-jobs/{id}`: a job with its progress."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str):
        await self.answer(self.jobs.get, job_id)


class BatchJobCancelHandler(BatchApiHandler):
    """`POST batch-jobs/{id}/cancel`: stop an unfinished job (409 when it has ended)."""

    @web.authenticated
    @authorized
    async def post(self, job_id: str):
        await self.answer(self.jobs.cancel, job_id)
