"""The alias moves of models kept in a remote registry (a Kubeflow Model Registry, which has no aliases of its own):
every set, move and removal, append-only, by the registry's URL and the model's name."""

from __future__ import annotations

from ..records import AliasMoveRecord
from . import times
from .db import StoreFile, transaction

_COLUMNS = "model, alias, from_version, to_version, at, by, reason"


class AliasMoveStore(StoreFile):
    """The alias history of remote registries in the SQLite store at `path`."""

    def record(
        self,
        registry: str,
        model: str,
        alias: str,
        from_version: int | None,
        to_version: int | None,
        *,
        by: str,
        reason: str = "",
    ) -> AliasMoveRecord:
        """Record that `alias` of `model` in `registry` moved (`from_version` None: set; `to_version` None:
        removed); the move."""
        conn = self._conn()
        with transaction(conn):
            rowid = conn.execute(
                f"INSERT INTO registry_alias_moves (registry, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (registry, model, alias, from_version, to_version, times.now(), by, reason or ""),
            ).lastrowid
            row = conn.execute(f"SELECT {_COLUMNS} FROM registry_alias_moves WHERE id = ?", (rowid,)).fetchone()
        return dict(row)

    def history(self, registry: str, model: str) -> list[AliasMoveRecord]:
        """Every move of `model`'s aliases in `registry`, newest first."""
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM registry_alias_moves WHERE registry = ? AND model = ? ORDER BY id DESC",
            (registry, model),
        )
        return [dict(row) for row in rows.fetchall()]
