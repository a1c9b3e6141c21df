"""Where and how to reach a Kubeflow Pipelines API server: host, namespace, credentials, TLS.

Settings come from the caller (the JupyterLab settings) and from environment variables, never
from the notebook. Secrets (token, cookie) are kept out of `repr()` and `describe()`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..bearer import SERVICE_ACCOUNT_TOKEN, find_token
from ..errors import UserError

ENV_HOST = "KF_PIPELINES_ENDPOINT"
ENV_UI_HOST = "KF_PIPELINES_UI_ENDPOINT"
ENV_NAMESPACE = "KF_PIPELINES_NAMESPACE"
ENV_TOKEN = "KF_PIPELINES_TOKEN"
ENV_TOKEN_FILE = "KF_PIPELINES_TOKEN_FILE"
ENV_COOKIE = "KF_PIPELINES_COOKIE"
ENV_CA = "KF_PIPELINES_SSL_CA_CERT"
ENV_VERIFY = "KF_PIPELINES_VERIFY_SSL"


class KfpSettingsError(UserError):
    """The KFP connection settings are missing or unusable."""

    code = "kfp_settings"


@dataclass(frozen=True)
class KfpConnection:
    """Resolved connection settings for one KFP API server."""

    host: str
    namespace: str = ""
    token: str = field(default="", repr=False)
    cookies: str = field(default="", repr=False)
    ssl_ca_cert: str = ""
    verify: bool = True
    ui_host: str = ""
    auth: str = "none"  # how the token was found: see describe()
    token_source: str = ""  # the env var or file the token came from (never the token)

    @classmethod
    def resolve(
        cls,
        host: str = "",
        namespace: str = "",
        env: Mapping[str, str] | None = None,
        *,
        token_file: str = "",
        ssl_ca_cert: str = "",
        verify: bool | None = None,
        service_account_token: str = SERVICE_ACCOUNT_TOKEN,
    ) -> KfpConnection:
        """Build settings from explicit values (JupyterLab settings) falling back to the environment.

        Token order: `KF_PIPELINES_TOKEN`, then the file `token_file` or `KF_PIPELINES_TOKEN_FILE`,
        then the in-cluster service account token when that file exists.
        """
        env = os.environ if env is None else env
        host = (host or env.get(ENV_HOST, "")).strip().rstrip("/")
        if not host:
            raise KfpSettingsError(
                "No Kubeflow Pipelines host is configured.",
                f"Set the KFP host in the ai4mlops-lab settings or the {ENV_HOST} environment variable "
                "(e.g. http://localhost:8080 with `kubectl port-forward svc/ml-pipeline-ui 8080:80`).",
            )
        if not host.startswith(("http://", "https://")):
            raise KfpSettingsError(
                f"The KFP host {host!r} has no http:// or https:// scheme.",
                f"Write the full URL in the settings or {ENV_HOST}, e.g. https://{host}.",
            )
        auth, token, source = find_token(
            env,
            ENV_TOKEN,
            ENV_TOKEN_FILE,
            token_file=token_file,
            service_account_token=service_account_token,
            error=KfpSettingsError,
        )
        cookies = env.get(ENV_COOKIE, "").strip()
        if cookies and auth == "none":
            auth = "cookie"
        ca = ssl_ca_cert or env.get(ENV_CA, "")
        if ca and not Path(ca).is_file():
            raise KfpSettingsError(
                f"The TLS CA certificate file {ca!r} does not exist.",
                f"Fix the CA path in the settings or {ENV_CA}.",
            )
        if verify is None:
            verify = env.get(ENV_VERIFY, "true").strip().lower() not in ("0", "false", "no", "off")
        return cls(
            host=host,
            namespace=(namespace or env.get(ENV_NAMESPACE, "")).strip(),
            token=token,
            cookies=cookies,
            ssl_ca_cert=ca,
            verify=verify,
            ui_host=env.get(ENV_UI_HOST, "").strip().rstrip("/"),
            auth=auth,
            token_source=source,
        )

    def describe(self) -> dict:
        """Settings safe to show or log: the auth method and its source, never a secret."""
        return {
            "host": self.host,
            "namespace": self.namespace,
            "auth": self.auth,
            "token_source": self.token_source,
            "cookie": bool(self.cookies),
            "ssl_ca_cert": self.ssl_ca_cert,
            "verify": self.verify,
            "ui_host": self.ui_host,
        }

    def run_url(self, run_id: str) -> str:
        """The KFP UI page of a run."""
        return f"{self.ui_host or self.host}/#/runs/details/{run_id}"

    def auth_hint(self) -> str:
        """What to check when the server refuses the credentials."""
        if self.auth == "token-env":
            return f"The token in {ENV_TOKEN} was refused: set a valid one."
        if self.auth == "token-file":
            return f"The token in {self.token_source} was refused ({ENV_TOKEN_FILE}): refresh that file."
        if self.auth == "service-account":
            return (
                "The pod's service account token was refused: give the notebook's service account "
                "access to Kubeflow Pipelines (e.g. a PodDefault or RoleBinding)."
            )
        if self.auth == "cookie":
            return f"The session cookie in {ENV_COOKIE} was refused: log in again and copy a fresh one."
        return f"No credentials were sent: set {ENV_TOKEN}, {ENV_TOKEN_FILE} or {ENV_COOKIE}."
