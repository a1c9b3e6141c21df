"""The embedded model registry kept in the store: registered models, their versions, aliases and alias moves.

A version is written whole in one transaction (its number is the model's next, taken under the write lock, so
concurrent registrations get distinct numbers) and never changes again except its `state`; the schema's triggers
refuse any other update and every delete. Every set, move and removal of an alias is recorded (append-only).
Names and aliases are checked by the registry service (`registry/names.py`); this module trusts them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from ..errors import NotFoundError, UserError
from ..records import AliasMoveRecord, ModelVersionRecord, RegisteredModelRecord
from ..states import ModelVersionState
from . import times
from .db import StoreFile, snapshot, transaction
from .runs import succeeded_models

#: The columns of a version that registration writes (besides model, number, state and time).
VERSION_FIELDS = (
    "artifact_uri",
    "artifact_step",
    "artifact_name",
    "framework",
    "framework_version",
    "signature",
    "run_id",
    "notebook_path",
    "notebook_hash",
    "parameters",
    "metrics",
    "steps",
    "reference",
    "author",
)
_JSON_FIELDS = ("signature", "parameters", "metrics", "steps", "reference")
_VERSION_SELECT = (
    "SELECT m.name AS model, v.* FROM model_versions AS v JOIN registered_models AS m ON m.id = v.model_id "
)


class RegistryStore(StoreFile):
    """The registry's records in the SQLite store at `path`, shared by threads and processes."""

    # -- writing ------------------------------------------------------------------------------

    def add_version(
        self,
        model: str,
        fields: dict,
        *,
        description: str | None = None,
        aliases: Iterable[str] = (),
        reason: str = "",
        once: bool = False,
    ) -> ModelVersionRecord | None:
        """Record the next version of `model` (created if new; `description` replaces its description when given)
        with `fields` (`VERSION_FIELDS`; JSON ones as Python values) and point `aliases` at it, all or nothing.

        The same run artifact (`run_id`, `artifact_step`, `artifact_name`) registered twice under one model is a 409;
        with `once`, an artifact already registered under any model is skipped instead (None is returned).
        """
        values = {key: fields.get(key) for key in VERSION_FIELDS}
        for key in _JSON_FIELDS:
            values[key] = None if values[key] is None else json.dumps(values[key])
        now = times.now()
        conn = self._conn()
        with transaction(conn):
            earlier = _registered(conn, values, None if once else model)
            if earlier is not None:
                if once:
                    return None
                raise already_registered_error(
                    model, f"{values['artifact_step']}/{values['artifact_name']}", values["run_id"], earlier
                )
            conn.execute(
                """INSERT INTO registered_models (name, description, created_at, updated_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at""",
                (model, description or "", now, now),
            )
            if description is not None:
                conn.execute("UPDATE registered_models SET description = ? WHERE name = ?", (description, model))
            model_id = _model_id(conn, model)
            number = conn.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE model_id = ?", (model_id,)
            ).fetchone()[0]
            conn.execute(
                f"""INSERT INTO model_versions (model_id, version, state, created_at, {", ".join(VERSION_FIELDS)})
                    VALUES (:model_id, :version, 'live', :now, {", ".join(f":{key}" for key in VERSION_FIELDS)})""",
                {**values, "model_id": model_id, "version": number, "now": now},
            )
            for alias in dict.fromkeys(aliases):
                _move_alias(conn, model_id, alias, number, values["author"], reason, now)
        return self.version(model, number)

    def set_alias(self, model: str, alias: str, version: int, *, by: str, reason: str = "") -> ModelVersionRecord:
        """Point `alias` at live `version` (recording the move unless it already pointed there); the version."""
        conn = self._conn()
        with transaction(conn):
            model_id = _model_id(conn, model)
            row = _version_row(conn, model_id, model, version)
            if row["state"] != ModelVersionState.LIVE:
                raise archived_alias_error(model, version)
            _move_alias(conn, model_id, alias, version, by, reason, times.now())
        return self.version(model, version)

    def remove_alias(self, model: str, alias: str, *, by: str, reason: str = "") -> AliasMoveRecord:
        """Remove `alias` from `model` (recorded); the move."""
        conn = self._conn()
        with transaction(conn):
            model_id = _model_id(conn, model)
            current = _alias_version(conn, model_id, model, alias)
            now = times.now()
            conn.execute("DELETE FROM model_aliases WHERE model_id = ? AND alias = ?", (model_id, alias))
            _record_move(conn, model_id, alias, current, None, by, reason, now)
        return self.alias_history(model)[0]

    def set_state(self, model: str, version: int, state: str) -> ModelVersionRecord:
        """Archive or restore a version; archiving one that an alias points at is a 409 naming the aliases."""
        conn = self._conn()
        with transaction(conn):
            model_id = _model_id(conn, model)
            _version_row(conn, model_id, model, version)
            if state == ModelVersionState.ARCHIVED:
                aliases = _aliases_of(conn, model_id, version)
                if aliases:
                    raise aliased_archive_error(model, version, aliases)
            conn.execute(
                "UPDATE model_versions SET state = ? WHERE model_id = ? AND version = ?", (state, model_id, version)
            )
        return self.version(model, version)

    # -- reading ------------------------------------------------------------------------------

    def models(self) -> list[RegisteredModelRecord]:
        """Every registered model by name, each with its aliases and latest version."""
        conn = self._conn()
        with snapshot(conn):
            names = [row[0] for row in conn.execute("SELECT name FROM registered_models ORDER BY name")]
            return [_model(conn, name) for name in names]

    def model(self, name: str) -> RegisteredModelRecord:
        conn = self._conn()
        with snapshot(conn):
            return _model(conn, name)

    def versions(self, model: str) -> list[ModelVersionRecord]:
        """Every version of `model`, newest first."""
        conn = self._conn()
        with snapshot(conn):
            model_id = _model_id(conn, model)
            rows = conn.execute(_VERSION_SELECT + "WHERE v.model_id = ? ORDER BY v.version DESC", (model_id,))
            return [_version(conn, row) for row in rows.fetchall()]

    def version(self, model: str, ref: int | str) -> ModelVersionRecord:
        """Version `ref` of `model`: its number (int) or an alias (str)."""
        conn = self._conn()
        with snapshot(conn):
            model_id = _model_id(conn, model)
            number = ref if isinstance(ref, int) else _alias_version(conn, model_id, model, ref)
            return _version(conn, _version_row(conn, model_id, model, number))

    def versions_of_run(self, run_id: str) -> list[ModelVersionRecord]:
        """The versions registered from run `run_id`, under any model, oldest first."""
        conn = self._conn()
        with snapshot(conn):
            rows = conn.execute(_VERSION_SELECT + "WHERE v.run_id = ? ORDER BY v.created_at", (run_id,)).fetchall()
            return [_version(conn, row) for row in rows]

    def alias_history(self, model: str) -> list[AliasMoveRecord]:
        """Every move of `model`'s aliases, newest first."""
        conn = self._conn()
        with snapshot(conn):
            model_id = _model_id(conn, model)
            rows = conn.execute(
                """SELECT ? AS model, alias, from_version, to_version, at, by, reason FROM model_alias_moves
                   WHERE model_id = ? ORDER BY id DESC""",
                (model, model_id),
            )
            return [dict(row) for row in rows.fetchall()]

    def unregistered_models(self) -> list[tuple[str, str, str]]:
        """`(run_id, step, artifact)` of every Model artifact of a succeeded run that no version records yet, in the
        order the runs finished."""
        return succeeded_models(
            self._conn(),
            """NOT EXISTS (SELECT 1 FROM model_versions AS v
                           WHERE v.run_id = a.run_id AND v.artifact_step = a.step AND v.artifact_name = a.name)""",
        )


# -- the refusals, for every registry backend ---------------------------------------------------------------------


def no_model_error(name: str, names: list[str]) -> NotFoundError:
    """No model `name`; `names` are models that exist (the first 20 are named)."""
    known = f"The registered models: {', '.join(names[:20])}{', ...' if len(names) > 20 else ''}." if names else ""
    return NotFoundError(
        f"No registered model {name!r}.",
        known or "Nothing is registered yet: register a run's model (ai4mlops models register RUN_ID).",
    )


def no_version_error(model: str, number: int, last: int | None) -> NotFoundError:
    """`model` has no version `number`; its newest is `last`."""
    return NotFoundError(
        f"Model {model!r} has no version {number}.",
        f"Its versions are 1 to {last}." if last else "It has no versions yet.",
    )


def no_alias_error(model: str, alias: str, aliases: list[str]) -> NotFoundError:
    """`model` has no alias `alias`; `aliases` are those it has."""
    return NotFoundError(
        f"Model {model!r} has no alias {alias!r}.",
        f"Its aliases: {', '.join(aliases)}." if aliases else "It has no aliases yet; give a version number.",
    )


def archived_alias_error(model: str, version: int) -> UserError:
    """An alias cannot point at an archived version."""
    return UserError(
        f"Version {version} of model {model!r} is archived; an alias points at live versions only.",
        f"Restore it first (ai4mlops models restore {model} {version}), or choose a live version.",
        status=409,
        code="conflict",
    )


def aliased_archive_error(model: str, version: int, aliases: list[str]) -> UserError:
    """A version that `aliases` point at cannot be archived."""
    several = len(aliases) > 1
    return UserError(
        f"Alias{'es' if several else ''} {', '.join(aliases)} point{'' if several else 's'} at "
        f"version {version} of model {model!r}: it cannot be archived.",
        f"Move or remove {'those aliases' if several else 'that alias'} first, then archive it.",
        status=409,
        code="conflict",
    )


def already_registered_error(model: str, artifact: str, run_id: str, version: int) -> UserError:
    """`model` already records the run's artifact `artifact` (`step/name`) as `version`."""
    return UserError(
        f"Model {model!r} already has {artifact} of run {run_id} as version {version}.",
        "Use that version, or register the run's model under another name.",
        status=409,
        code="conflict",
    )


def _model_id(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT id FROM registered_models WHERE name = ?", (name,)).fetchone()
    if row is None:
        names = [r[0] for r in conn.execute("SELECT name FROM registered_models ORDER BY name LIMIT 21")]
        raise no_model_error(name, names)
    return row[0]


def _version_row(conn: sqlite3.Connection, model_id: int, model: str, number: int) -> sqlite3.Row:
    row = conn.execute(_VERSION_SELECT + "WHERE v.model_id = ? AND v.version = ?", (model_id, number)).fetchone()
    if row is None:
        last = conn.execute("SELECT max(version) FROM model_versions WHERE model_id = ?", (model_id,)).fetchone()[0]
        raise no_version_error(model, number, last)
    return row


def _pointed(conn: sqlite3.Connection, model_id: int, alias: str) -> int | None:
    """The version `alias` points at, or None."""
    row = conn.execute("SELECT version FROM model_aliases WHERE model_id = ? AND alias = ?", (model_id, alias))
    return next((version for (version,) in row), None)


def _alias_version(conn: sqlite3.Connection, model_id: int, model: str, alias: str) -> int:
    version = _pointed(conn, model_id, alias)
    if version is None:
        rows = conn.execute("SELECT alias FROM model_aliases WHERE model_id = ? ORDER BY alias", (model_id,))
        raise no_alias_error(model, alias, [name for (name,) in rows])
    return version


def _aliases_of(conn: sqlite3.Connection, model_id: int, version: int) -> list[str]:
    rows = conn.execute(
        "SELECT alias FROM model_aliases WHERE model_id = ? AND version = ? ORDER BY alias", (model_id, version)
    )
    return [row[0] for row in rows]


def _registered(conn: sqlite3.Connection, values: dict, model: str | None) -> int | None:
    """The version number that already records this run artifact (under `model`, or any model when None)."""
    if values["run_id"] is None:
        return None
    row = conn.execute(
        """SELECT v.version FROM model_versions AS v JOIN registered_models AS m ON m.id = v.model_id
           WHERE v.run_id = :run_id AND v.artifact_step IS :artifact_step AND v.artifact_name IS :artifact_name
             AND (:model IS NULL OR m.name = :model)""",
        {**values, "model": model},
    ).fetchone()
    return None if row is None else row[0]


def _move_alias(
    conn: sqlite3.Connection, model_id: int, alias: str, version: int, by: str, reason: str, now: str
) -> None:
    """Point `alias` at `version`, recording the move (nothing when it already points there)."""
    current = _pointed(conn, model_id, alias)
    if current == version:
        return
    conn.execute(
        """INSERT INTO model_aliases (model_id, alias, version, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at""",
        (model_id, alias, version, now),
    )
    _record_move(conn, model_id, alias, current, version, by, reason, now)


def _record_move(
    conn: sqlite3.Connection,
    model_id: int,
    alias: str,
    from_version: int | None,
    to_version: int | None,
    by: str,
    reason: str,
    now: str,
) -> None:
    conn.execute(
        """INSERT INTO model_alias_moves (model_id, alias, from_version, to_version, at, by, reason)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (model_id, alias, from_version, to_version, now, by, reason or ""),
    )
    conn.execute("UPDATE registered_models SET updated_at = ? WHERE id = ?", (now, model_id))


def _version(conn: sqlite3.Connection, row: sqlite3.Row) -> ModelVersionRecord:
    record = dict(row)
    model_id = record.pop("model_id")
    for key in _JSON_FIELDS:
        record[key] = json.loads(record[key]) if record[key] is not None else None
    step, name = record.pop("artifact_step"), record.pop("artifact_name")
    record["artifact"] = f"{step}/{name}" if step and name else name
    record["aliases"] = _aliases_of(conn, model_id, record["version"])
    return record


def _model(conn: sqlite3.Connection, name: str) -> RegisteredModelRecord:
    model_id = _model_id(conn, name)
    row = conn.execute(
        "SELECT name, description, created_at, updated_at FROM registered_models WHERE id = ?", (model_id,)
    ).fetchone()
    aliases = conn.execute(
        "SELECT alias, version FROM model_aliases WHERE model_id = ? ORDER BY alias", (model_id,)
    ).fetchall()
    latest = conn.execute(
        _VERSION_SELECT + "WHERE v.model_id = ? ORDER BY v.version DESC LIMIT 1", (model_id,)
    ).fetchone()
    count = conn.execute("SELECT count(*) FROM model_versions WHERE model_id = ?", (model_id,)).fetchone()[0]
    return {
        **dict(row),
        "version_count": count,
        "aliases": {alias: version for alias, version in aliases},
        "latest_version": _version(conn, latest) if latest else None,
    }
