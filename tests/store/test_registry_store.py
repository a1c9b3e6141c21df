"""The registry's tables: an older store upgrades cleanly, versions are immutable and written whole, and concurrent
registrations of one model get distinct numbers."""

import sqlite3
import threading

import pytest

from ai4mlops_lab.store import db
from ai4mlops_lab.store.registry import RegistryStore

FIELDS = {
    "artifact_uri": "/models/m",
    "artifact_step": "train",
    "artifact_name": "model",
    "framework": "torch",
    "parameters": {"epochs": 3},
    "metrics": {"accuracy": 0.9},
    "steps": [{"name": "train", "status": "succeeded", "log_path": None}],
    "author": "ana",
}


def fields(run_id, **more):
    return {**FIELDS, "run_id": run_id, **more}


def test_a_store_of_the_previous_schema_upgrades_and_keeps_its_runs(store_path, monkeypatch):
    with monkeypatch.context() as old:  # the store as the release before the registry left it
        old.setattr(db, "MIGRATIONS", db.MIGRATIONS[:6])
        old.setattr(db, "SCHEMA_VERSION", 6)
        conn = db.connect(store_path)
        conn.execute("INSERT INTO experiments (name, created_at) VALUES ('e', 'then')")
        conn.execute(
            """INSERT INTO runs (id, experiment_id, notebook_path, notebook_hash, pipeline, target, parameters, status,
                                 created_at, updated_at) VALUES ('r1', 1, 'a.ipynb', 'h', 'p', 'local', '{}',
                                 'succeeded', 'then', 'then')"""
        )
        assert "model_versions" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        conn.close()
    registry = RegistryStore(store_path)
    conn = registry._conn()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert [tuple(row) for row in conn.execute("SELECT id, status FROM runs")] == [("r1", "succeeded")]
    assert registry.models() == []
    assert registry.add_version("m", fields("r1"))["version"] == 1
    registry.close()


@pytest.fixture
def registry(store_path):
    registry = RegistryStore(store_path)
    yield registry
    registry.close()


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE model_versions SET metrics = '{}'",
        "UPDATE model_versions SET artifact_uri = '/elsewhere'",
        "UPDATE model_versions SET version = 7",
        "UPDATE model_versions SET author = 'mallory'",
        "DELETE FROM model_versions",
        "UPDATE model_alias_moves SET to_version = 9",
        "DELETE FROM model_alias_moves",
    ],
)
def test_a_version_and_the_alias_history_cannot_be_changed_or_deleted(registry, change):
    registry.add_version("m", fields("r1"), aliases=["champion"])
    before = registry.version("m", 1), registry.alias_history("m")
    with pytest.raises(sqlite3.IntegrityError, match="immutable|never deleted|append-only"):
        registry._conn().execute(change)
    assert (registry.version("m", 1), registry.alias_history("m")) == before


def test_only_the_state_of_a_version_changes(registry):
    registry.add_version("m", fields("r1"))
    before = registry.version("m", 1)
    assert registry.set_state("m", 1, "archived") == {**before, "state": "archived"}


def test_a_failed_registration_leaves_nothing_behind(registry):
    registry.add_version("m", fields("r1"))
    with pytest.raises(sqlite3.IntegrityError):  # the version's row is refused after the model row was written
        registry.add_version("new-model", fields("r2", artifact_uri=None), aliases=["champion"])
    assert [m["name"] for m in registry.models()] == ["m"]
    conn = registry._conn()
    assert conn.execute("SELECT count(*) FROM model_versions").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM model_alias_moves").fetchone()[0] == 0


def test_concurrent_registrations_of_one_model_get_distinct_numbers(store_path):
    RegistryStore(store_path).close()  # created and migrated once, before the threads race
    threads, per_thread, errors = 6, 5, []
    start = threading.Barrier(threads)

    def register(worker):
        registry = RegistryStore(store_path, check=False)
        start.wait()
        try:
            for i in range(per_thread):
                registry.add_version("shared", fields(f"run-{worker}-{i}"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            registry.close()

    workers = [threading.Thread(target=register, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    registry = RegistryStore(store_path)
    versions = registry.versions("shared")
    assert sorted(v["version"] for v in versions) == list(range(1, threads * per_thread + 1))
    assert len({v["run_id"] for v in versions}) == threads * per_thread
    registry.close()


def test_registering_once_skips_an_artifact_any_model_has(registry):
    registry.add_version("m", fields("r1"))
    assert registry.add_version("other", fields("r1"), once=True) is None
    assert [m["name"] for m in registry.models()] == ["m"]
