"""Where and how to reach a Kubernetes API server: a kubeconfig context or the pod's service account.

Resolution order, like kubectl and kfp: an explicit kubeconfig path, then `KUBECONFIG` (a
`:`-separated list), then `~/.kube/config`, then the in-cluster service account
(`KUBERNETES_SERVICE_HOST` and the mounted token). The kubernetes package is imported only by
`api_client()`, never at module import.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ..errors import UserError

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
ENV_KUBECONFIG = "KUBECONFIG"
ENV_HOST = "KUBERNETES_SERVICE_HOST"
ENV_PORT = "KUBERNETES_SERVICE_PORT"


class KubeSettingsError(UserError):
    """No usable Kubernetes configuration."""

    code = "kube_settings"


@dataclass(frozen=True)
class KubeConnection:
    """Resolved settings for one Kubernetes API server (no secret is held here)."""

    source: str  # "kubeconfig" or "in-cluster"
    namespace: str = "default"
    kubeconfig: str = ""  # path(s), os.pathsep-separated, for source "kubeconfig"
    context: str = ""  # the kubeconfig context used ("" for in-cluster)
    host: str = ""  # the API server URL (from the kubeconfig cluster, or the service env)
    service_account_dir: str = SERVICE_ACCOUNT_DIR
    retries: int = 0  # urllib3 retries on connection errors; 0 answers fast when unreachable

    @classmethod
    def resolve(
        cls,
        kubeconfig: str = "",
        context: str = "",
        namespace: str = "",
        env: Mapping[str, str] | None = None,
        *,
        home: str | None = None,
        service_account_dir: str = SERVICE_ACCOUNT_DIR,
    ) -> KubeConnection:
        """Find the configuration; raise KubeSettingsError with a hint when there is none."""
        env = os.environ if env is None else env
        paths = _kubeconfig_paths(kubeconfig, env, home)
        if paths:
            return _from_kubeconfig(paths, context, namespace)
        sa = Path(service_account_dir)
        if env.get(ENV_HOST) and (sa / "token").is_file():
            ns = namespace or _read(sa / "namespace") or "default"
            host = env[ENV_HOST]
            host = f"[{host}]" if ":" in host else host
            return cls("in-cluster", ns, host=f"https://{host}:{env.get(ENV_PORT, '443')}", service_account_dir=str(sa))
        raise KubeSettingsError(
            "No Kubernetes configuration was found (no kubeconfig and not running in a cluster).",
            f"Set {ENV_KUBECONFIG} or the kubeconfig path in the settings to a file with access to the "
            "cluster (e.g. the output of `kind get kubeconfig` or your provider's `get-credentials`), "
            "or run JupyterLab in a pod whose service account may manage InferenceServices.",
        )

    def describe(self) -> dict:
        """Settings safe to show or log."""
        return {
            "source": self.source,
            "kubeconfig": self.kubeconfig,
            "context": self.context,
            "host": self.host,
            "namespace": self.namespace,
        }

    def api_client(self):
        """A `kubernetes.client.ApiClient` with its own Configuration (never the global default)."""
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        cfg = client.Configuration()
        try:
            if self.source == "in-cluster":
                sa, server = Path(self.service_account_dir), urlsplit(self.host)
                config.incluster_config.InClusterConfigLoader(
                    token_filename=str(sa / "token"),
                    cert_filename=str(sa / "ca.crt"),
                    environ={ENV_HOST: server.hostname or "", ENV_PORT: str(server.port or 443)},
                ).load_and_set(cfg)
            else:
                config.load_kube_config(
                    config_file=self.kubeconfig,
                    context=self.context or None,
                    client_configuration=cfg,
                    persist_config=False,
                )
        except (ConfigException, OSError, ValueError, TypeError, KeyError) as exc:
            raise KubeSettingsError(
                f"The Kubernetes configuration ({self.source}) could not be loaded: {exc}",
                f"Check {self.kubeconfig or self.service_account_dir}"
                + (f" and its context {self.context!r}" if self.context else "")
                + ".",
            ) from exc
        cfg.retries = self.retries
        return client.ApiClient(cfg)


def _kubeconfig_paths(explicit: str, env: Mapping[str, str], home: str | None) -> list[str]:
    """The kubeconfig files to use, or [] to fall through to in-cluster config."""
    if explicit:
        missing = [p for p in explicit.split(os.pathsep) if p and not Path(p).expanduser().is_file()]
        if missing:
            raise KubeSettingsError(
                f"The kubeconfig file {missing[0]!r} does not exist.", "Fix the kubeconfig path in the settings."
            )
        return [str(Path(p).expanduser()) for p in explicit.split(os.pathsep) if p]
    listed = [p for p in env.get(ENV_KUBECONFIG, "").split(os.pathsep) if p.strip()]
    if listed:
        found = [str(Path(p).expanduser()) for p in listed if Path(p).expanduser().is_file()]
        if not found:
            raise KubeSettingsError(
                f"{ENV_KUBECONFIG} names no existing file ({env[ENV_KUBECONFIG]!r}).",
                f"Point {ENV_KUBECONFIG} at your kubeconfig, or unset it to use ~/.kube/config.",
            )
        return found
    default = Path(home if home is not None else Path.home()) / ".kube" / "config"
    return [str(default)] if default.is_file() else []


def _from_kubeconfig(paths: list[str], context: str, namespace: str) -> KubeConnection:
    """Check the kubeconfig names a usable context; take its namespace and server."""
    contexts: dict[str, dict] = {}
    clusters: dict[str, dict] = {}
    current = ""
    for path in paths:  # like kubectl: the first file that sets a name wins
        try:
            doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise KubeSettingsError(
                f"The kubeconfig {path!r} could not be read: {exc}", "Fix or regenerate that file."
            ) from exc
        if not isinstance(doc, dict):
            raise KubeSettingsError(
                f"The kubeconfig {path!r} is not a kubeconfig mapping.", "Fix or regenerate that file."
            )
        current = current or doc.get("current-context") or ""
        for item in doc.get("contexts") or []:
            contexts.setdefault(item.get("name", ""), item.get("context") or {})
        for item in doc.get("clusters") or []:
            clusters.setdefault(item.get("name", ""), item.get("cluster") or {})
    name = context or current
    joined = os.pathsep.join(paths)
    if not name:
        raise KubeSettingsError(
            f"The kubeconfig {joined!r} has no current context.",
            "Choose one with `kubectl config use-context NAME` or set the context in the settings.",
        )
    if name not in contexts:
        raise KubeSettingsError(
            f"The kubeconfig context {name!r} does not exist in {joined!r}.",
            f"Known contexts: {', '.join(sorted(contexts)) or 'none'}.",
        )
    ctx = contexts[name]
    server = (clusters.get(ctx.get("cluster", "")) or {}).get("server", "")
    return KubeConnection(
        "kubeconfig", namespace or ctx.get("namespace") or "default", kubeconfig=joined, context=name, host=server
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
