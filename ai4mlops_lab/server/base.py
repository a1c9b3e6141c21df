"""The base of every API handler: authentication, authorisation, JSON in and out, one error shape."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from ..errors import UserError
from ..user_paths import confined_path

#: The resource name that jupyter-server's authorizer sees for every route of this extension.
AUTH_RESOURCE = "ai4mlops"

_REASONS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


class ApiHandler(ExtensionHandlerMixin, APIHandler):
    """JSON API handler; subclasses decorate each method with `@web.authenticated` and `@authorized`."""

    auth_resource = AUTH_RESOURCE

    @property
    def extension(self):
        """The running `Ai4MlopsApp`."""
        return self.settings[f"{self.name}_app"]

    def json_body(self, example: str = '{"path": "notebook.ipynb"}') -> dict:
        """The request's JSON object body, or a 400 naming what is wrong (`example`: a body this route takes)."""
        try:
            body = json.loads(self.request.body or b"{}", parse_constant=_refuse_non_finite, parse_float=_finite_float)
        except ValueError as exc:
            raise UserError(f"The request body is not valid JSON: {exc}", "Send a JSON object.") from None
        except RecursionError:
            raise UserError("The request body is nested too deeply.", "Send a flatter JSON object.") from None
        if not isinstance(body, dict):
            raise UserError("The request body must be a JSON object.", f"Send e.g. {example}.")
        return body

    def user_path(self, relative, *, must_exist: bool = True):
        """A user's file named in a request, confined to the server root and outside the workspace."""
        return confined_path(
            self.serverapp.root_dir, relative, must_exist=must_exist, workspace=self.extension.workspace.folder
        )

    def user_notebook(self, relative):
        """A user's notebook named in a request (`user_path`), refusing folders."""
        path = self.user_path(relative)
        if path.is_dir():
            raise UserError(f"'{relative}' is a folder, not a notebook.", "Name a notebook (.ipynb) file.")
        return path

    def acting_user(self) -> str | None:
        """Who makes this request, when Jupyter knows (e.g. a JupyterHub user); None for the anonymous user of a
        token-only server (whose name Jupyter makes up per request): the OS user running the server stands for it."""
        user = self.current_user
        username = getattr(user, "username", None)
        if not username or str(getattr(user, "name", "")).startswith("Anonymous "):
            return None
        return username

    def reply(self, payload, status: int = 200):
        """Write a JSON response."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    async def answer(self, method, *args, status: int = 200, **kwargs) -> None:
        """Call a service's `method` off the event loop (services wait on the store's write lock, start servers, ask
        remote APIs) and reply its result."""
        self.reply(await asyncio.to_thread(method, *args, **kwargs), status=status)

    def answered_not_modified(self, etag: str) -> bool:
        """Answer 304 when the client already has `etag` (True); else send it with the reply to come."""
        if self.request.headers.get("If-None-Match") == etag:
            self.set_status(304)
            self.finish()
            return True
        self.set_header("ETag", etag)
        return False

    def reply_unless_unchanged(self, payload) -> None:
        """Write `payload` as JSON with an ETag of its content; 304 when the client already has it."""
        body = json.dumps(payload)
        if not self.answered_not_modified(f'"{hashlib.sha1(body.encode()).hexdigest()[:20]}"'):
            self.set_header("Content-Type", "application/json")
            self.finish(body)

    def write_error(self, status_code: int, **kwargs):
        """Answer every failure as `{error, detail, hint}`; tracebacks stay in the server log."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, UserError):
            status_code, body = exc.status, exc.to_json()
        elif isinstance(exc, web.HTTPError):
            body = {
                "error": _REASONS.get(status_code, "http_error"),
                "detail": exc.log_message or self._reason,
                "hint": "",
            }
        else:
            incident = getattr(self, "_incident", "")
            status_code, body = (
                500,
                {
                    "error": "internal_error",
                    "detail": f"This is a bug in ai4mlops-lab: {type(exc).__name__ if exc else 'unexpected error'} "
                    f"while answering {self.request.method} {self.request.path} (incident {incident}).",
                    "hint": f"The traceback is in the Jupyter server log (the terminal running jupyter), under "
                    f"'ai4mlops-lab incident {incident}'; please report it with that log.",
                },
            )
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(self, typ, value, tb):
        """User errors are expected: log them in one line, without a traceback."""
        if isinstance(value, UserError):
            self.log.info("%s %s: %s", self.request.method, self.request.path, value.message)
        elif isinstance(value, web.HTTPError):
            super().log_exception(typ, value, tb)
        else:
            self._incident = uuid.uuid4().hex[:8]
            self.log.error(
                "ai4mlops-lab incident %s: %s %s failed",
                self._incident,
                self.request.method,
                self.request.path,
                exc_info=(typ, value, tb),
            )


class PolicyHandler(ApiHandler):
    """`GET`/`PUT deployments/{name}/.../policy` of a monitor (the subclass's `monitor`: `policy`, `set_policy`)."""

    @web.authenticated
    @authorized
    async def get(self, name: str):
        self.reply((await asyncio.to_thread(self.monitor.policy, name)).to_dict())

    @web.authenticated
    @authorized
    async def put(self, name: str):
        self.reply(await asyncio.to_thread(self.monitor.set_policy, name, self.json_body()))


def _refuse_non_finite(constant: str):
    raise ValueError(f"{constant} is not a number JSON allows; send finite numbers")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is beyond the range of a float; send finite numbers")
    return value
