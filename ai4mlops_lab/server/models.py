"""The model registry: registered models, their versions, aliases and alias history; register a run's model."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import FieldError
from ..registry.deploy import deploy_version
from .base import ApiHandler
from .deployments import deploy_options

REGISTER_EXAMPLE = '{"run_id": "...", "name": "iris-classifier", "aliases": ["champion"]}'
DEPLOY_EXAMPLE = '{"name": "iris", "target": "local"}'
ALIAS_EXAMPLE = '{"version": 3, "reason": "better accuracy"}'


class RegistryApiHandler(ApiHandler):
    @property
    def registry(self):
        return self.extension.workspace.registry


class ModelsHandler(RegistryApiHandler):
    """`GET models`: every registered model (304 while unchanged); `POST models`: register a run's model."""

    @web.authenticated
    @authorized
    async def get(self):
        self.reply_unless_unchanged({"models": await asyncio.to_thread(self.registry.models)})

    @web.authenticated
    @authorized
    async def post(self):
        body = self.json_body(REGISTER_EXAMPLE)
        run_id = body.get("run_id")
        if not isinstance(run_id, str) or not run_id:
            raise FieldError("run_id", "The request names no 'run_id'.", f"Send e.g. {REGISTER_EXAMPLE}.")
        artifact = body.get("artifact")
        if artifact is not None and (not isinstance(artifact, str) or not artifact):
            raise FieldError(
                "artifact", "The 'artifact' must name a model artifact of the run.", 'Send e.g. "train/model".'
            )
        aliases = body.get("aliases", [])
        if not isinstance(aliases, list):
            raise FieldError("aliases", "The 'aliases' must be a list of names.", 'Send e.g. ["champion"].')
        await self.answer(
            self.registry.register,
            run_id,
            model_artifact=artifact,
            name=body.get("name"),
            description=body.get("description"),
            aliases=aliases,
            by=self.acting_user(),
            status=201,
        )


class ModelHandler(RegistryApiHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str):
        await self.answer(self.registry.model, name)


class VersionsHandler(RegistryApiHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str):
        versions = await asyncio.to_thread(self.registry.versions, name)
        self.reply({"model": name, "versions": versions})


class VersionHandler(RegistryApiHandler):
    """`GET models/{name}/versions/{version}`: by number or alias."""

    @web.authenticated
    @authorized
    async def get(self, name: str, version: str):
        await self.answer(self.registry.version, name, version)


class VersionStateHandler(RegistryApiHandler):
    """`POST models/{name}/versions/{version}/archive|restore`."""

    @web.authenticated
    @authorized
    async def post(self, name: str, version: str, action: str):
        await self.answer(getattr(self.registry, action), name, version)


class VersionDeployHandler(RegistryApiHandler):
    """`POST models/{name}/versions/{version}/deploy`: serve a version (by number or alias) as a deployment, with
    the options of `POST deployments` (`name` default: the model's)."""

    @web.authenticated
    @authorized
    async def post(self, name: str, version: str):
        options = deploy_options(self.json_body(DEPLOY_EXAMPLE))
        deployments = self.extension.workspace.deployments
        await self.answer(deploy_version, self.registry, deployments, name, version, **options, status=201)


class AliasHandler(RegistryApiHandler):
    """`PUT models/{name}/aliases/{alias}` points the alias at `{version}`; `DELETE` removes it. Both are recorded,
    with the optional `reason`."""

    @web.authenticated
    @authorized
    async def put(self, name: str, alias: str):
        body = self.json_body(ALIAS_EXAMPLE)
        if "version" not in body:
            raise FieldError("version", "The request names no 'version'.", f"Send e.g. {ALIAS_EXAMPLE}.")
        await self.answer(
            self.registry.set_alias, name, alias, body["version"], reason=body.get("reason", ""), by=self.acting_user()
        )

    @web.authenticated
    @authorized
    async def delete(self, name: str, alias: str):
        reason = self.get_query_argument("reason", "")
        await self.answer(self.registry.remove_alias, name, alias, reason=reason, by=self.acting_user())


class AliasHistoryHandler(RegistryApiHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str):
        moves = await asyncio.to_thread(self.registry.alias_history, name)
        self.reply({"model": name, "moves": moves})
