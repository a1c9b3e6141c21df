"""The promotion gate's records in the store: a policy per registered model and the decisions about its candidate
versions (append-only: the schema's triggers refuse updates and deletes)."""

from __future__ import annotations

import json
import sqlite3

from . import times
from .db import StoreFile, transaction

#: What a decision records besides its id and time.
DECISION_FIELDS = (
    "model",
    "deployment",
    "action",
    "candidate_version",
    "stable_version",
    "by",
    "automatic",
    "reason",
    "evidence",
    "run_id",
    "alert_id",
)


class GateStore(StoreFile):
    """Gate policies and decisions in the SQLite store at `path`, shared by threads and processes."""

    def policy(self, model: str) -> dict | None:
        """The policy set for `model` (None until one is)."""
        row = self._conn().execute("SELECT policy FROM gate_policies WHERE model = ?", (model,)).fetchone()
        return json.loads(row["policy"]) if row else None

    def set_policy(self, model: str, policy: dict, *, by: str) -> None:
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                """INSERT INTO gate_policies (model, policy, updated_at, updated_by) VALUES (?, ?, ?, ?)
                   ON CONFLICT (model) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at,
                                                   updated_by = excluded.updated_by""",
                (model, json.dumps(policy), times.now(), by),
            )

    def record(self, **decision) -> dict:
        """Record a decision (`DECISION_FIELDS`; `evidence` a dict); the decision as `decisions` lists it."""
        values = {field: decision.get(field) for field in DECISION_FIELDS}
        values.update(evidence=json.dumps(values["evidence"] or {}), automatic=int(bool(values["automatic"])))
        conn = self._conn()
        with transaction(conn):
            cursor = conn.execute(
                f"INSERT INTO gate_decisions ({', '.join(DECISION_FIELDS)}, at) "
                f"VALUES ({', '.join(':' + f for f in DECISION_FIELDS)}, :at)",
                {**values, "at": times.now()},
            )
            row = conn.execute("SELECT * FROM gate_decisions WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _decision(row)

    def decisions(self, model: str, limit: int = 200) -> list[dict]:
        """The model's decisions, newest first."""
        rows = self._conn().execute(
            "SELECT * FROM gate_decisions WHERE model = ? ORDER BY id DESC LIMIT ?", (model, limit)
        )
        return [_decision(row) for row in rows]


def _decision(row: sqlite3.Row) -> dict:
    return {**dict(row), "automatic": bool(row["automatic"]), "evidence": json.loads(row["evidence"])}
