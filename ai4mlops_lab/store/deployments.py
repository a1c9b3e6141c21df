"""Model deployments kept in the store: which run's model is served where, by which process, in which state.

A deployment record: `{name, run_id, model_name, model_uri, target, status, url, port, pid, config, error,
request_count, error_count, latency_p50_ms, latency_p99_ms, created_at, updated_at}`; `config` is a dict of
target-specific settings, times are UTC ISO-8601 strings (`times.py`).
"""

from __future__ import annotations

import json
import re
import sqlite3

from ..errors import NotFoundError, UserError
from ..records import DeploymentRecord
from ..states import DeploymentStatus, DeploymentTarget
from . import times
from .db import StoreFile, transaction
from .errors import StoreValueError

DEPLOYMENT_TARGETS = tuple(DeploymentTarget)
DEPLOYMENT_STATUSES = tuple(DeploymentStatus)
# A Kubernetes (DNS-1123 label) name, so the same name works for an InferenceService.
NAME = re.compile(r"^[a-z]([-a-z0-9]{0,43}[a-z0-9])?$")
_UPDATABLE = (
    "status",
    "url",
    "port",
    "pid",
    "config",
    "error",
    "request_count",
    "error_count",
    "latency_p50_ms",
    "latency_p99_ms",
)


class DeploymentStore(StoreFile):
    """The deployment records in the SQLite store at `path`, shared by threads and processes."""

    def create(
        self,
        *,
        name: str,
        run_id: str | None,
        model_name: str,
        model_uri: str,
        target: str,
        config: dict | None = None,
        replace: bool = False,
    ) -> dict:
        """Record a new `starting` deployment; a name in use is a 409 UserError unless `replace`."""
        if not NAME.match(name or ""):
            raise StoreValueError(
                f"Invalid deployment name {name!r}.",
                "Use up to 45 lowercase letters, digits and dashes, starting with a letter and not ending with a dash.",
            )
        if target not in DEPLOYMENT_TARGETS:
            raise StoreValueError(
                f"Unknown deployment target {target!r}; expected one of {', '.join(DEPLOYMENT_TARGETS)}."
            )
        now = times.now()
        conn = self._conn()
        with transaction(conn):
            if conn.execute("SELECT 1 FROM deployments WHERE name = ?", (name,)).fetchone():
                if not replace:
                    raise UserError(
                        f"A deployment called {name!r} already exists.",
                        "Choose another name, or stop and redeploy it.",
                        status=409,
                        code="conflict",
                    )
                conn.execute("DELETE FROM deployments WHERE name = ?", (name,))
            conn.execute(
                """INSERT INTO deployments (name, run_id, model_name, model_uri, target, status, config,
                                            created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, 'starting', ?, ?, ?)""",
                (name, run_id, model_name, model_uri, target, json.dumps(config or {}), now, now),
            )
        return self.get(name)

    def update(self, name: str, **values) -> DeploymentRecord:
        """Set some of `status, url, port, pid, config, error, request_count, error_count, latency_p50_ms,
        latency_p99_ms` (None clears a value); returns the record."""
        unknown = set(values) - set(_UPDATABLE)
        if unknown:
            raise StoreValueError(f"Cannot update {', '.join(sorted(unknown))} of a deployment.")
        if "status" in values and values["status"] not in DEPLOYMENT_STATUSES:
            raise StoreValueError(f"Unknown deployment status {values['status']!r}.")
        if "config" in values:
            values["config"] = json.dumps(values["config"] or {})
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        conn = self._conn()
        with transaction(conn):
            done = conn.execute(
                f"UPDATE deployments SET {assignments}, updated_at = :now WHERE name = :name",
                {**values, "now": times.now(), "name": name},
            )
            if done.rowcount == 0:
                raise _no_deployment(name)
        return self.get(name)

    def replace_model(
        self, name: str, *, run_id: str, model_name: str, model_uri: str, config: dict
    ) -> DeploymentRecord:
        """The deployment now serves another run's model (a promoted candidate): it is recorded as serving it since
        now (`created_at`, where the drift report starts the model's history), with `config`."""
        conn = self._conn()
        now = times.now()
        with transaction(conn):
            done = conn.execute(
                """UPDATE deployments SET run_id = ?, model_name = ?, model_uri = ?, config = ?, created_at = ?,
                                          updated_at = ? WHERE name = ?""",
                (run_id, model_name, model_uri, json.dumps(config), now, now, name),
            )
            if done.rowcount == 0:
                raise _no_deployment(name)
        return self.get(name)

    def get(self, name: str) -> DeploymentRecord:
        row = self._conn().execute("SELECT * FROM deployments WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise _no_deployment(name)
        return _record(row)

    def list(self, target: str | None = None) -> list[DeploymentRecord]:
        """Every deployment (of one target, or all), newest first."""
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM deployments WHERE :target IS NULL OR target = :target ORDER BY created_at DESC, name",
                {"target": target},
            )
            .fetchall()
        )
        return [_record(row) for row in rows]

    def delete(self, name: str) -> None:
        conn = self._conn()
        with transaction(conn):
            if conn.execute("DELETE FROM deployments WHERE name = ?", (name,)).rowcount == 0:
                raise _no_deployment(name)


def _record(row: sqlite3.Row) -> dict:
    record = dict(row)
    record["config"] = json.loads(record["config"])
    return record


def _no_deployment(name: str) -> NotFoundError:
    return NotFoundError(f"No deployment called {name!r}.", "List the deployments to see their names.")
