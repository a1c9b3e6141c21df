"""The embedded registry: models and versions kept in the workspace's store (`store/registry.py`), registered from
the runs it records. A version records where the run's model artifact lies and a snapshot of the run (notebook and
its hash, parameters, metrics, steps with their logs) and of the model (framework, signature, reference data)."""

from __future__ import annotations

import getpass
from collections.abc import Iterable

from ..errors import FieldError, UserError
from ..records import AliasMoveRecord, ModelVersionRecord, ReferenceSummary, RegisteredModelRecord
from ..serving.artifacts import deployment_name, model_artifact
from ..states import ModelVersionState, RunStatus
from ..store.registry import RegistryStore
from ..store.runs import RunStore
from .names import check_alias, check_model_name, version_ref

#: The reason recorded for the aliases given at registration, and for automatic registrations.
REGISTERED = "set at registration"
AUTO_REGISTERED = "registered automatically when the run succeeded"


def os_user() -> str:
    """The OS user running this process (who acts when no one else is named)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class EmbeddedRegistry:
    """The `RegistryBackend` over the workspace's store: `store` holds the registry, `runs` the runs registered."""

    def __init__(self, store: RegistryStore, runs: RunStore):
        self.store = store
        self.runs = runs

    # -- registering --------------------------------------------------------------------------

    def register(
        self,
        run_id: str,
        model_artifact: str | None = None,
        name: str | None = None,
        description: str | None = None,
        aliases: Iterable[str] = (),
        *,
        by: str | None = None,
        reason: str = "",
    ) -> ModelVersionRecord:
        if name is not None:
            check_model_name(name)
        if description is not None and not isinstance(description, str):
            raise FieldError("description", "The 'description' must be a string.", 'Send e.g. "Iris, 4 features".')
        if isinstance(aliases, str):
            raise FieldError("aliases", "The 'aliases' must be a list of names.", 'Send e.g. ["champion"].')
        aliases = [check_alias(alias, "aliases") for alias in aliases]
        run = self.runs.run(run_id)
        artifact = _run_model(run, model_artifact)
        return self.store.add_version(
            name or default_name(run, artifact),
            version_fields(run, artifact, by or os_user()),
            description=description,
            aliases=aliases,
            reason=reason or REGISTERED,
        )

    def auto_register(self) -> list[ModelVersionRecord]:
        registered = []
        for run_id, step, name in self.store.unregistered_models():
            run = self.runs.run(run_id)
            artifact = next(a for a in run["artifacts"] if (a["step"], a["name"]) == (step, name))
            version = self.store.add_version(
                default_name(run, artifact), version_fields(run, artifact, os_user()), once=True
            )
            if version is not None:
                registered.append(version)
        return registered

    # -- reading ------------------------------------------------------------------------------

    def models(self) -> list[RegisteredModelRecord]:
        return self.store.models()

    def model(self, name: str) -> RegisteredModelRecord:
        return self.store.model(check_model_name(name))

    def versions(self, name: str) -> list[ModelVersionRecord]:
        return self.store.versions(check_model_name(name))

    def version(self, name: str, ref: int | str) -> ModelVersionRecord:
        return self.store.version(check_model_name(name), version_ref(ref))

    def versions_of_run(self, run_id: str) -> list[ModelVersionRecord]:
        return self.store.versions_of_run(run_id)

    def alias_history(self, name: str) -> list[AliasMoveRecord]:
        return self.store.alias_history(check_model_name(name))

    # -- aliases and states -------------------------------------------------------------------

    def set_alias(
        self, name: str, alias: str, version: int | str, *, reason: str = "", by: str | None = None
    ) -> ModelVersionRecord:
        check_model_name(name)
        check_alias(alias)
        _check_reason(reason)
        number = self._number(name, version)
        return self.store.set_alias(name, alias, number, by=by or os_user(), reason=reason)

    def remove_alias(self, name: str, alias: str, *, reason: str = "", by: str | None = None) -> AliasMoveRecord:
        _check_reason(reason)
        return self.store.remove_alias(check_model_name(name), check_alias(alias), by=by or os_user(), reason=reason)

    def archive(self, name: str, version: int | str) -> ModelVersionRecord:
        return self.store.set_state(check_model_name(name), self._number(name, version), ModelVersionState.ARCHIVED)

    def restore(self, name: str, version: int | str) -> ModelVersionRecord:
        return self.store.set_state(check_model_name(name), self._number(name, version), ModelVersionState.LIVE)

    def _number(self, name: str, ref: int | str) -> int:
        """A version number given as such, or the one an alias points at now."""
        ref = version_ref(ref)
        return ref if isinstance(ref, int) else self.store.version(name, ref)["version"]


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


def _run_model(run: dict, name: str | None) -> dict:
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


def _check_reason(reason: object) -> None:
    if not isinstance(reason, str):
        raise FieldError("reason", "The 'reason' must be a string.", 'Send e.g. "better accuracy on May data".')
