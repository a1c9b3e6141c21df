"""The alias history of remote registries: moves kept per registry and model, newest first, never changed."""

import sqlite3

import pytest

from ai4mlops_lab.store.alias_moves import AliasMoveStore

A, B = "http://registry-a:8080", "http://registry-b:8080"


def test_moves_are_kept_per_registry_and_model_newest_first(store_path):
    moves = AliasMoveStore(store_path)
    first = moves.record(A, "iris", "champion", None, 1, by="ana", reason="first")
    moves.record(A, "iris", "champion", 1, 2, by="bo")
    moves.record(A, "other", "champion", None, 1, by="ana")
    moves.record(B, "iris", "champion", None, 7, by="cy")
    assert first == {
        "model": "iris",
        "alias": "champion",
        "from_version": None,
        "to_version": 1,
        "at": first["at"],
        "by": "ana",
        "reason": "first",
    }
    assert [(m["from_version"], m["to_version"], m["by"]) for m in moves.history(A, "iris")] == [
        (1, 2, "bo"),
        (None, 1, "ana"),
    ]
    assert [m["to_version"] for m in moves.history(B, "iris")] == [7]
    assert moves.history(B, "other") == []


def test_the_history_is_append_only(store_path):
    moves = AliasMoveStore(store_path)
    moves.record(A, "iris", "champion", None, 1, by="ana")
    conn = moves._conn()
    for statement in ("UPDATE registry_alias_moves SET to_version = 2", "DELETE FROM registry_alias_moves"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    assert len(moves.history(A, "iris")) == 1
