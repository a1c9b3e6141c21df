"""Facts about this installation, read from package metadata without importing heavy modules."""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

from . import __version__

#: Distributions whose versions the health route and `ai4mlops doctor` report.
REPORTED_PACKAGES = ("kfp", "kserve", "torch", "kfp-kubernetes", "kubernetes")

#: Environment variable naming the Kubeflow Pipelines API server (the one Kale users know).
KFP_HOST_ENV = "KF_PIPELINES_ENDPOINT"


def installed_version(distribution: str) -> str | None:
    """The installed version of a distribution, or None when it is missing."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def kfp_host(configured: str = "") -> str:
    """The KFP API server to use: the configured one, else the environment's, else ''."""
    return configured or os.environ.get(KFP_HOST_ENV, "")


def kubeconfig_source() -> str | None:
    """Where a Kubernetes client would find credentials, or None when it would find none."""
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return "in-cluster service account"
    paths = os.environ.get("KUBECONFIG", str(Path.home() / ".kube" / "config"))
    for candidate in paths.split(os.pathsep):
        if candidate and Path(candidate).expanduser().is_file():
            return candidate
    return None


def health_facts(configured_kfp_host: str = "") -> dict:
    """The versions and backend facts shown by the health route and `ai4mlops doctor`."""
    return {
        "ai4mlops_lab": __version__,
        "versions": {name: installed_version(name) for name in REPORTED_PACKAGES},
        "kfp_host_configured": bool(kfp_host(configured_kfp_host)),
        "kubeconfig_found": kubeconfig_source() is not None,
        "local_backends": {"runs": "kfp.local", "serving": "kserve.ModelServer on 127.0.0.1"},
    }


def cluster_gaps(facts: dict) -> list[str]:
    """What is missing before the cluster paths (KFP runs, InferenceServices) can work."""
    gaps = []
    versions = facts["versions"]
    if not facts["kfp_host_configured"]:
        gaps.append(
            f"No Kubeflow Pipelines host: set {KFP_HOST_ENV}=https://your-kfp-host "
            "or the 'KFP host' setting in JupyterLab to run on a cluster."
        )
    if not facts["kubeconfig_found"]:
        gaps.append(
            "No Kubernetes credentials (~/.kube/config, KUBECONFIG or an in-cluster "
            "service account): needed to deploy an InferenceService to KServe."
        )
    for name in ("kfp", "kserve", "kubernetes"):
        if versions.get(name) is None:
            gaps.append(f"The Python package '{name}' is not installed: pip install {name}")
    if versions.get("kfp-kubernetes") is None:
        gaps.append(
            "The Python package 'kfp-kubernetes' is not installed: secrets, volumes, labels "
            "and annotations of steps need it (pip install kfp-kubernetes)."
        )
    return gaps
