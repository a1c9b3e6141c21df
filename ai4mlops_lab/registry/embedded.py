"""The embedded registry: models and versions kept in the workspace's store (`store/registry.py`), registered from
the runs it records (what a version records: `registration.py`)."""

from __future__ import annotations

from collections.abc import Iterable

from ..records import AliasMoveRecord, ModelVersionRecord, RegisteredModelRecord
from ..states import ModelVersionState
from ..store.registry import RegistryStore
from ..store.runs import RunStore
from .names import check_alias, check_model_name, version_ref
from .registration import REGISTERED, check_reason, checked_registration, default_name, os_user, version_fields


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
        run, artifact, name, aliases = checked_registration(
            self.runs, run_id, model_artifact, name, description, aliases
        )
        return self.store.add_version(
            name,
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
        check_reason(reason)
        number = self._number(name, version)
        return self.store.set_alias(name, alias, number, by=by or os_user(), reason=reason)

    def remove_alias(self, name: str, alias: str, *, reason: str = "", by: str | None = None) -> AliasMoveRecord:
        check_reason(reason)
        return self.store.remove_alias(check_model_name(name), check_alias(alias), by=by or os_user(), reason=reason)

    def archive(self, name: str, version: int | str) -> ModelVersionRecord:
        return self.store.set_state(check_model_name(name), self._number(name, version), ModelVersionState.ARCHIVED)

    def restore(self, name: str, version: int | str) -> ModelVersionRecord:
        return self.store.set_state(check_model_name(name), self._number(name, version), ModelVersionState.LIVE)

    def _number(self, name: str, ref: int | str) -> int:
        """A version number given as such, or the one an alias points at now."""
        ref = version_ref(ref)
        return ref if isinstance(ref, int) else self.store.version(name, ref)["version"]
