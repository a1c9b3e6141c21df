"""What registering a run's model records, for every backend: the checks of `register`'s arguments, the run's model
artifact (of a succeeded run only), the default model name, and the version's fields: where the artifact lies and a
snapshot of the run (notebook and its hash, parameters, metrics, steps) and of the model (framework, signature,
reference data)."""

from __future__ import annotations

import getpass
from collections.abc import Iterable

from ..errors import FieldError, UserError
from ..records import ReferenceSummary
from ..serving.artifacts import deployment_name, model_artifact
from ..states import RunStatus
from ..store.runs import RunStore
from .names import check_alias, check_model_name

#: The reason recorded for the aliases given at registration.
REGISTERED = "set at registration"


def os_user() -> str:
    """The OS user running this process (who acts when no one else is named)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def checked_registration(
    runs: RunStore,
    run_id: str,
    artifact_name: str | None,
    name: str | None,
    description: str | None,
    aliases: Iterable[str],
) -> tuple[dict, dict, str, list[str]]:
    """`register`'s arguments checked: (the run, its model artifact, the model's name, the aliases)."""
    if name is not None:
        check_model_name(name)
    if description is not None and not isinstance(description, str):
        raise FieldError("description", "The 'description' must be a string.", 'Send e.g. "Iris, 4 features".')
    if isinstance(aliases, str):
        raise FieldError("aliases", "The 'aliases' must be a list of names.", 'Send e.g. ["champion"].')
    aliases = list(dict.fromkeys(check_alias(alias, "aliases") for alias in aliases))
    run = runs.run(run_id)
    artifact = run_model(run, artifact_name)
    return run, artifact, name or default_name(run, artifact), aliases


def default_name(run: dict, artifact: dict) -> str:
    """The model a run's artifact is registered under by default: `<pipeline>-<artifact>` (as deployments are named)."""
    return deployment_name(f"{run['pipeline']}-{artifact['name']}")


def version_fields(run: dict, artifact: dict, author: str) -> dict:
    """What a version records of a run's model artifact (see `store.registry.VERSION_FIELDS`)."""
    info = artifact["metadata"].get("model") or {}
    return {
        "artifact_uri": artifact["uri"],
        "artifact_step": artifact["step"],
        "artifact_name": artifact["name"],
        "framework": info.get("framework"),
        "framework_version": info.get("framework_version"),
        "signature": info.get("signature"),
        "run_id": run["id"],
        "notebook_path": run["notebook_path"],
        "notebook_hash": run["notebook_hash"],
        "parameters": run["parameters"],
        "metrics": run["metrics"],
        "steps": [{"name": s["name"], "status": s["status"], "log_path": s.get("log_path")} for s in run["steps"]],
        "reference": reference_summary(artifact["uri"], info),
        "author": author,
    }


def reference_summary(uri: str, info: dict) -> ReferenceSummary | None:
    """The reference data saved with a model (its model metadata `info`), summarised; None when it has none."""
    reference = info.get("reference")
    if not reference:
        return None
    inputs = (info.get("signature") or {}).get("inputs") or [{}]
    return {
        "source": reference.get("source"),
        "rows": reference.get("rows"),
        "total_rows": reference.get("total_rows"),
        "features": list(inputs[0].get("features") or []),
        "uri": f"{uri.rstrip('/')}/{reference['file']}" if reference.get("file") else None,
    }


def run_model(run: dict, name: str | None) -> dict:
    """The run's Model artifact to register; a 409 when the run has not succeeded."""
    if run["status"] != RunStatus.SUCCEEDED:
        failed = next((s["name"] for s in run["steps"] if s["status"] == RunStatus.FAILED), None)
        why = f" (step {failed!r} failed)" if failed else ""
        raise UserError(
            f"Run {run['id']} is {run['status']}{why}: only a succeeded run's model can be registered.",
            "Register the model of a succeeded run (ai4mlops runs lists them), or wait until this one succeeds.",
            status=409,
            code="conflict",
        )
    return model_artifact(run, name)


def check_reason(reason: object) -> None:
    """A reason for an alias move must be a string."""
    if not isinstance(reason, str):
        raise FieldError("reason", "The 'reason' must be a string.", 'Send e.g. "better accuracy on May data".')
