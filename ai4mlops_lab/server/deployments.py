"""Deployments: deploy a run's model, list, inspect, logs, test predictions, stop, restart, undeploy, and schedule
or stop a KServe deployment's monitoring job on the cluster."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import FieldError, UserError
from ..states import DeploymentTarget
from .base import ApiHandler


def deploy_options(body: dict) -> dict:
    """The options of a deploy request's `body` that every deploy route takes: `name` (empty: generated), `target`
    (default local), and `storage_uri`, `namespace`, `reference` when given."""
    name = body.get("name", "")
    return {
        "name": name if name != "" else None,
        "target": body.get("target") or DeploymentTarget.LOCAL,
        **{k: body[k] for k in ("storage_uri", "namespace", "reference") if body.get(k)},
    }


class DeploymentsApiHandler(ApiHandler):
    @property
    def deployments(self):
        return self.extension.workspace.deployments


class DeploymentsHandler(DeploymentsApiHandler):
    """`GET deployments`: the list, 304 while it is unchanged; `POST deployments`: deploy a run's model."""

    @web.authenticated
    @authorized
    async def get(self):
        self.reply_unless_unchanged({"deployments": await asyncio.to_thread(self.deployments.list)})

    @web.authenticated
    @authorized
    async def post(self):
        body = self.json_body()
        if not isinstance(body.get("run_id"), str) or not body["run_id"]:
            raise UserError("The request names no run.", 'Send {"run_id": "..."}: a succeeded run with a model.')
        record = await asyncio.to_thread(
            self.deployments.deploy, body["run_id"], model=body.get("model") or None, **deploy_options(body)
        )
        self.reply(record, status=201)


class DeploymentHandler(DeploymentsApiHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await asyncio.to_thread(self.deployments.get, name))

    @web.authenticated
    @authorized
    async def delete(self, name: str):
        await asyncio.to_thread(self.deployments.remove, name)
        self.reply({"name": name, "removed": True})


class DeploymentActionHandler(DeploymentsApiHandler):
    """`POST .../{name}/stop|restart`."""

    @web.authenticated
    @authorized
    async def post(self, name: str, action: str):
        self.reply(await asyncio.to_thread(getattr(self.deployments, action), name))


#: The fields of `PUT .../monitor-job`, each optional.
MONITOR_JOB_FIELDS = ("image", "every", "s3_secret")
MONITOR_JOB_EXAMPLE = '{"every": 300}'


class DeploymentMonitorJobHandler(DeploymentsApiHandler):
    """`PUT .../{name}/monitor-job`: monitor a KServe deployment by a KFP recurring run (the image defaults to the
    server's `predictor_image`); `DELETE`: delete it. Both answer the deployment."""

    @web.authenticated
    @authorized
    async def put(self, name: str):
        body = self.json_body(MONITOR_JOB_EXAMPLE)
        for field in body:
            if field not in MONITOR_JOB_FIELDS:
                raise FieldError(field, f"Unknown field {field!r}.", f"The fields are {', '.join(MONITOR_JOB_FIELDS)}.")
        for field in ("image", "s3_secret"):
            if body.get(field) is not None and not isinstance(body[field], str):
                raise FieldError(field, f"'{field}' must be text.", f"Send e.g. {MONITOR_JOB_EXAMPLE}.")
        workspace = self.extension.workspace
        await asyncio.to_thread(
            workspace.monitor_jobs.schedule,
            name,
            image=body.get("image") or workspace.settings.predictor_image,
            **({"every_s": body["every"]} if "every" in body else {}),
            s3_secret=body.get("s3_secret") or None,
        )
        await self.answer(self.deployments.get, name)

    @web.authenticated
    @authorized
    async def delete(self, name: str):
        await asyncio.to_thread(self.extension.workspace.monitor_jobs.unschedule, name)
        await self.answer(self.deployments.get, name)


# What a model server takes (a bare list of rows is not a request): the hint of a predict body that is not an object.
PREDICT_EXAMPLE = (
    'a V1 body {"instances": [[0.1, 0.2, ...], ...]} (one list per row) '
    'or a V2 body {"inputs": [{"name": "input-0", "shape": [1, 2], "datatype": "FP32", "data": [0.1, 0.2]}]}'
)


class DeploymentPredictHandler(DeploymentsApiHandler):
    """The panel's test box: forward a V1 or V2 request to the deployment."""

    @web.authenticated
    @authorized
    async def post(self, name: str):
        # The deployments view's test box: logged as a test prediction, never windowed for drift.
        body = self.json_body(PREDICT_EXAMPLE)
        self.reply(await asyncio.to_thread(self.deployments.predict, name, body, test=True))


class DeploymentLogsHandler(DeploymentsApiHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str):
        tail = self.get_query_argument("tail", "200")
        if not tail.isdigit():
            raise UserError("'tail' must be a number of lines.", "e.g. ?tail=200")
        text = await asyncio.to_thread(self.deployments.logs, name, int(tail))
        self.reply({"name": name, "text": text})
