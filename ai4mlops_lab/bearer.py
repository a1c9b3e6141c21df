"""Where a bearer token for a cluster service comes from: an environment variable, a token file, or the pod's service
account token, in that order. Callers show the source (a variable's or a file's name), never the token."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .errors import UserError

SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def find_token(
    env: Mapping[str, str],
    token_env: str,
    token_file_env: str,
    *,
    token_file: str = "",
    service_account_token: str = SERVICE_ACCOUNT_TOKEN,
    error: type[UserError] = UserError,
) -> tuple[str, str, str]:
    """`(how, token, source)`: how is `token-env` ($token_env), `token-file` (`token_file`, else $token_file_env),
    `service-account` (when that file exists) or `none`. An unreadable or empty token file raises `error`."""
    token = env.get(token_env, "").strip()
    if token:
        return "token-env", token, token_env
    path = token_file or env.get(token_file_env, "")
    if path:
        return "token-file", read_token(path, f"{token_file_env} (or the token file setting)", error), path
    if service_account_token and Path(service_account_token).is_file():
        token = read_token(service_account_token, "the service account token", error)
        return "service-account", token, service_account_token
    return "none", "", ""


def read_token(path: str, what: str, error: type[UserError] = UserError) -> str:
    """The token in file `path` (`what` names where the path came from, for the hint)."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise error(
            f"The token file {path!r} cannot be read ({exc.strerror or exc}).",
            f"Check {what}: the file must exist and be readable.",
        ) from None
    if not token:
        raise error(f"The token file {path!r} is empty.", f"Check {what}.")
    return token
