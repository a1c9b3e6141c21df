"""The Kubeflow Model Registry's REST API (v1alpha3) over urllib: where it is and which token to send, JSON in and
out, every page of a list, and its failures as UserErrors that say what to do. Blocking: the Jupyter server calls it
off its event loop. The token is never shown, only where it came from."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPException
from urllib.parse import urlencode, urlsplit

from ..bearer import SERVICE_ACCOUNT_TOKEN, find_token
from ..errors import NotFoundError, UserError

PREFIX = "/api/model_registry/v1alpha3"
#: Where the URL is set (read by `workspace.py`), for the hints.
URL_SETTING = "the model registry URL ($AI4MLOPS_MODEL_REGISTRY_URL, or the server's model_registry_url)"
ENV_TOKEN = "AI4MLOPS_MODEL_REGISTRY_TOKEN"
ENV_TOKEN_FILE = "AI4MLOPS_MODEL_REGISTRY_TOKEN_FILE"
#: Where Kubeflow's manifests put the registry's REST service, for the hints.
IN_CLUSTER_URL = "http://model-registry-service.kubeflow.svc.cluster.local:8080"
TIMEOUT_S = 30.0
PAGE_SIZE = 100
_OPENER = urllib.request.build_opener()  # proxy settings apply: the URL may be the cluster's


class RegistrySettingsError(UserError):
    """The model registry's settings are unusable."""

    code = "model_registry_settings"


class RegistryUnreachableError(UserError):
    """The model registry could not be reached (connection refused, DNS, timeout, TLS)."""

    status = 502
    code = "model_registry_unreachable"


class RegistryAuthError(UserError):
    """The model registry refused the credentials (401) or the access (403)."""

    status = 400  # not 401: that would read as the Jupyter session itself being refused
    code = "model_registry_unauthorized"


class RegistryConflictError(UserError):
    """The model registry has an entity of that name already (409)."""

    status = 409
    code = "conflict"


class RegistryRequestError(UserError):
    """The model registry refused or failed a request."""

    code = "model_registry_request"


@dataclass(frozen=True)
class RegistryConnection:
    """A Kubeflow Model Registry's base URL and the bearer token to send (`auth`: how it was found)."""

    url: str
    token: str = field(default="", repr=False)
    auth: str = "none"
    token_source: str = ""

    @classmethod
    def resolve(
        cls, url: str, env: Mapping[str, str] | None = None, *, service_account_token: str = SERVICE_ACCOUNT_TOKEN
    ) -> RegistryConnection:
        """`url` checked (a trailing API prefix is dropped), with the token from `$AI4MLOPS_MODEL_REGISTRY_TOKEN`,
        else the file `$AI4MLOPS_MODEL_REGISTRY_TOKEN_FILE`, else the pod's service account token."""
        env = os.environ if env is None else env
        url = url.strip().rstrip("/").removesuffix(PREFIX)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RegistrySettingsError(
                f"The model registry URL {url!r} is not an http(s) URL.",
                f"Set {URL_SETTING} to the registry's REST address, e.g. {IN_CLUSTER_URL}.",
            )
        auth, token, source = find_token(
            env, ENV_TOKEN, ENV_TOKEN_FILE, service_account_token=service_account_token, error=RegistrySettingsError
        )
        return cls(url, token, auth, source)

    def auth_hint(self) -> str:
        """What to check when the registry refuses the credentials."""
        if self.auth == "token-env":
            return f"The token in {ENV_TOKEN} was refused: set a valid one."
        if self.auth == "token-file":
            return f"The token in {self.token_source} ({ENV_TOKEN_FILE}) was refused: refresh that file."
        if self.auth == "service-account":
            return (
                "The pod's service account token was refused: give the notebook's service account access to the "
                "model registry's service (a RoleBinding in its namespace)."
            )
        return f"No token was sent: set {ENV_TOKEN} or {ENV_TOKEN_FILE}."


class ModelRegistryApi:
    """Requests to the registry that `connection()` resolves (again for each request, so that a refreshed token
    applies). `doing` in each call says what for, in the errors ("register version 3 of model 'iris'")."""

    def __init__(
        self, connection: Callable[[], RegistryConnection], *, timeout: float = TIMEOUT_S, page_size: int = PAGE_SIZE
    ):
        self.connection = connection
        self.timeout = timeout
        self.page_size = page_size

    def get(self, path: str, doing: str, **query: str) -> dict:
        return self._request("GET", path, doing, query)

    def find(self, path: str, doing: str, **query: str) -> dict | None:
        """The entity a find (`GET /registered_model?name=`...) answers; None when the registry has none (404)."""
        try:
            return self._request("GET", path, doing, query)
        except NotFoundError:
            return None

    def post(self, path: str, body: dict, doing: str) -> dict:
        return self._request("POST", path, doing, {}, body)

    def patch(self, path: str, body: dict, doing: str) -> dict:
        return self._request("PATCH", path, doing, {}, body)

    def items(self, path: str, doing: str, **query: str) -> list[dict]:
        """Every item of a list, page after page (`nextPageToken`)."""
        items, token, seen = [], "", set()
        while True:
            page = self._request(
                "GET",
                path,
                doing,
                {**query, "pageSize": str(self.page_size), **({"nextPageToken": token} if token else {})},
            )
            items += page.get("items") or []
            token = page.get("nextPageToken") or ""
            if not token or token in seen or not page.get("items"):
                return items
            seen.add(token)

    def _request(self, method: str, path: str, doing: str, query: dict, body: dict | None = None) -> dict:
        conn = self.connection()
        url = f"{conn.url}{PREFIX}{path}" + (f"?{urlencode(query)}" if query else "")
        headers = {"Accept": "application/json"}
        if conn.token:
            headers["Authorization"] = f"Bearer {conn.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise _refusal(exc.code, _said(exc.read()), conn, doing) from None
        except (urllib.error.URLError, HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise RegistryUnreachableError(
                f"The model registry at {conn.url} cannot be reached ({reason}) while trying to {doing}.",
                f"Check {URL_SETTING} and that the registry is reachable from here: in the cluster {IN_CLUSTER_URL}, "
                "from a laptop `kubectl port-forward -n kubeflow svc/model-registry-service 8080:8080` and "
                "http://localhost:8080.",
            ) from None
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            raise RegistryRequestError(
                f"The model registry at {conn.url} answered {method} {path} with something that is not JSON.",
                f"Check that {URL_SETTING} names the registry's REST service (port 8080), not its UI.",
                status=502,
            ) from None


def _said(raw: bytes) -> str:
    """The message of a registry error body (`{code, message}`), else its text, short."""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:300]
    return str(data.get("message") or "").strip()[:300] if isinstance(data, dict) else ""


def _refusal(status: int, said: str, conn: RegistryConnection, doing: str) -> UserError:
    detail = f": {said}" if said else ""
    where, who = f"the model registry at {conn.url}", f"The model registry at {conn.url}"
    if status == 401:
        return RegistryAuthError(f"401 from {where} while trying to {doing}{detail}", conn.auth_hint())
    if status == 403:
        return RegistryAuthError(
            f"403 from {where}: not allowed to {doing}{detail}",
            "Use a token of someone with access to the registry, or ask its owner for access (a RoleBinding "
            "to the registry's service for your service account).",
        )
    if status == 404:
        return NotFoundError(
            f"Not found in {where} while trying to {doing}{detail}", "It may have been deleted; check the registry."
        )
    if status == 409:
        return RegistryConflictError(
            f"{who} refused to {doing}: the name is taken{detail}",
            "Someone registered the same name at the same time, or outside ai4mlops-lab: try again, or choose "
            "another name.",
        )
    if status >= 500:
        return RegistryRequestError(
            f"{who} failed ({status}) while trying to {doing}{detail}",
            "Retry later; if it persists, look at the model registry server's logs.",
            status=502,
        )
    return RegistryRequestError(
        f"{who} refused to {doing} ({status}){detail}",
        "This ai4mlops-lab may not match the registry's API version (v1alpha3): check both versions.",
    )
