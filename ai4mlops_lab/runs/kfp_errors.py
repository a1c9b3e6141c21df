"""Turn failures talking to a KFP API server into UserErrors that say what to fix.

Messages and hints name the host, namespace and where the credentials came from, never the
credentials themselves (the server's own message is quoted, the request headers are not).
"""

from __future__ import annotations

import json

from ..errors import NotFoundError, UserError
from .kfp_connection import ENV_CA, ENV_HOST, KfpConnection


class KfpUnreachableError(UserError):
    """The KFP API server could not be reached (connection refused, DNS, timeout, TLS)."""

    status = 502
    code = "kfp_unreachable"


class KfpAuthError(UserError):
    """The KFP API server refused the credentials (401, 403 or a login redirect)."""

    status = 400  # not 401: that would read as the Jupyter session itself being refused
    code = "kfp_unauthorized"


class KfpRequestError(UserError):
    """The KFP API server refused or failed a request."""

    status = 400
    code = "kfp_request"


def server_message(body) -> str:
    """The error text from a KFP error body ({error_message | message}), else the raw text."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body or "")
    except ValueError:
        return (body or "").strip()[:300]
    if isinstance(data, dict):
        return str(data.get("error_message") or data.get("message") or "").strip()
    return ""


def translate(exc: BaseException, conn: KfpConnection, doing: str) -> UserError | None:
    """The UserError for `exc` raised while `doing` something, or None when it is not ours to map."""
    import kfp_server_api
    import urllib3

    if isinstance(exc, UserError):
        return exc
    if isinstance(exc, kfp_server_api.ApiException):
        return _from_status(exc, conn, doing)
    if isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)):
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, urllib3.exceptions.SSLError) or isinstance(exc, urllib3.exceptions.SSLError):
            return _tls_error(conn, reason)
        # NewConnectionError subclasses ConnectTimeoutError: a refused connection is not a timeout.
        timed_out = isinstance(reason, (TimeoutError, urllib3.exceptions.TimeoutError)) and not isinstance(
            reason, urllib3.exceptions.NewConnectionError
        )
        kind = "timed out" if timed_out else "unreachable"
        return KfpUnreachableError(
            f"KFP host {kind}: {conn.host} ({type(reason).__name__}) while trying to {doing}.",
            f"Check {ENV_HOST} (or the KFP host in the settings) and that the API server is reachable "
            "from the Jupyter server (port-forward, VPN, proxy).",
        )
    return None


def _tls_error(conn: KfpConnection, reason) -> UserError:
    return KfpUnreachableError(
        f"TLS handshake with {conn.host} failed: {str(reason)[:200]}",
        f"Point {ENV_CA} (or the CA setting) at the CA certificate that signed the server's certificate.",
    )


def _from_status(exc, conn: KfpConnection, doing: str) -> UserError:
    status = exc.status or 0
    said = server_message(exc.body)
    detail = f": {said}" if said else ""
    if status == 0:
        if "SSL" in str(exc.reason):
            return _tls_error(conn, exc.reason)
        return KfpRequestError(f"Could not {doing}: {str(exc.reason)[:200]}", "")
    if 300 <= status < 400:
        return KfpAuthError(
            f"The KFP server at {conn.host} redirected to a login page ({status}) while trying to {doing}.",
            conn.auth_hint(),
        )
    if status == 401:
        return KfpAuthError(f"401 from the KFP server while trying to {doing}{detail}", conn.auth_hint())
    if status == 403:
        where = f"namespace {conn.namespace!r}" if conn.namespace else "the default namespace"
        return KfpAuthError(
            f"403 from the KFP server: not allowed to {doing} in {where}{detail}",
            "Use a namespace (profile) you have access to, or ask its owner to add you as a contributor.",
        )
    if status == 404:
        return NotFoundError(
            f"Not found on the KFP server while trying to {doing}{detail}",
            "It may have been deleted; check the KFP UI.",
        )
    if status >= 500:
        return KfpRequestError(
            f"The KFP server failed ({status}) while trying to {doing}{detail}",
            "Retry later; if it persists, look at the ml-pipeline API server logs.",
            status=502,
        )
    return KfpRequestError(
        f"The KFP server refused to {doing} ({status}){detail}",
        "Check the pipeline, its parameter values and the names used.",
    )
