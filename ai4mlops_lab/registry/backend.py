"""The interface every registry backend offers: the embedded one (`embedded.py`, in the workspace's store) and the one
over a Kubeflow Model Registry (`kubeflow.py`). The server's handlers and the CLI use only this."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ..records import AliasMoveRecord, ModelVersionRecord, RegisteredModelRecord


class RegistryBackend(Protocol):
    """Registered models and their versions. A version is immutable except its state (`live` or `archived`); an
    alias points at one live version of its model and every set, move and removal is recorded with who and why.
    `by` names who acts (default: the OS user running this process)."""

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
        """Register the model artifact of a succeeded run (`model_artifact`: its name or `step/name`; default: the
        run's last model) as the next version of model `name` (default: `<pipeline>-<artifact>`), recording where
        the artifact lies (nothing is copied), and point `aliases` at it."""

    def auto_register(self) -> list[ModelVersionRecord]:
        """Register every model of each succeeded run that no version records yet, once each; the new versions."""

    def models(self) -> list[RegisteredModelRecord]: ...

    def model(self, name: str) -> RegisteredModelRecord: ...

    def versions(self, name: str) -> list[ModelVersionRecord]:
        """Newest first."""

    def version(self, name: str, ref: int | str) -> ModelVersionRecord:
        """By number, or by an alias standing for the version it points at."""

    def versions_of_run(self, run_id: str) -> list[ModelVersionRecord]: ...

    def set_alias(
        self, name: str, alias: str, version: int | str, *, reason: str = "", by: str | None = None
    ) -> ModelVersionRecord:
        """Point `alias` at a live version (a number, or another alias); the version."""

    def remove_alias(self, name: str, alias: str, *, reason: str = "", by: str | None = None) -> AliasMoveRecord: ...

    def archive(self, name: str, version: int | str) -> ModelVersionRecord: ...

    def restore(self, name: str, version: int | str) -> ModelVersionRecord: ...

    def alias_history(self, name: str) -> list[AliasMoveRecord]:
        """Every move of the model's aliases, newest first."""
