"""Deploy a registered model's version (by number or alias) through the deployments service: the one place that
turns a version into a deployment, for the REST handler and the CLI. The deployment records the version it serves
in `config.version`, with its Kubeflow Model Registry ids when it has some; an InferenceService carries them as
the labels Kubeflow's model registry controller reads."""

from __future__ import annotations

from ..errors import UserError
from ..serving.artifacts import deployment_name
from ..states import DeploymentTarget, ModelVersionState
from .backend import RegistryBackend
from .names import version_ref

#: The alias a model is deployed by when no version is named.
DEFAULT_ALIAS = "champion"
#: The InferenceService labels naming a Kubeflow Model Registry's model and version.
REGISTRY_LABELS = {
    "registered_model_id": "modelregistry.kubeflow.org/registered-model-id",
    "model_version_id": "modelregistry.kubeflow.org/model-version-id",
}


def deploy_version(
    registry: RegistryBackend,
    deployments,
    model: str,
    version: int | str,
    *,
    name: str | None = None,
    target: str = DeploymentTarget.LOCAL,
    reference: str | None = None,
    **cluster_options,
) -> dict:
    """Serve version `version` (a number, or an alias) of `model` as deployment `name` (default: from the model's
    name) on `target` with `deployments` (a `serving.service.Deployments`); the deployment. An archived version is
    a 409; a missing model, version or alias a 404 naming what exists."""
    ref = version_ref(version)
    chosen = registry.version(model, ref)
    if chosen["state"] == ModelVersionState.ARCHIVED:
        raise UserError(
            f"Version {chosen['version']} of model {model!r} is archived: it cannot be deployed.",
            f"Restore it first (ai4mlops models restore {model} {chosen['version']}), or deploy a live version.",
            status=409,
            code="conflict",
        )
    ids = chosen.get("registry_ids")
    if ids and target == DeploymentTarget.KSERVE:
        cluster_options["labels"] = {label: ids[key] for key, label in REGISTRY_LABELS.items()}
    record = deployments.deploy(
        chosen["run_id"],
        model=chosen["artifact"],
        name=name if name is not None else deployment_name(chosen["model"]),
        target=target,
        reference=reference,
        **cluster_options,
    )
    served = {"model": chosen["model"], "version": chosen["version"], "alias": ref if isinstance(ref, str) else None}
    if ids:
        served["registry_ids"] = ids
    deployments.store.update(record["name"], config={**record["config"], "version": served})
    return deployments.get(record["name"])


def default_version(registry: RegistryBackend, model: str) -> tuple[int | str, str]:
    """What to deploy of `model` when no version is named: its `champion` alias if set, else its latest live
    version; with a line saying which was chosen and why. A model with only archived versions is a 409."""
    aliases = registry.model(model)["aliases"]
    if DEFAULT_ALIAS in aliases:
        return DEFAULT_ALIAS, f"Deploying {model} v{aliases[DEFAULT_ALIAS]}: its {DEFAULT_ALIAS} alias"
    live = [v for v in registry.versions(model) if v["state"] == ModelVersionState.LIVE]
    if not live:
        raise UserError(
            f"Every version of model {model!r} is archived: there is nothing to deploy.",
            f"Restore one (ai4mlops models restore {model} VERSION), then deploy it.",
            status=409,
            code="conflict",
        )
    number = live[0]["version"]
    return number, f"Deploying {model} v{number}: its latest live version (it has no {DEFAULT_ALIAS} alias)"
