"""Opening the store: migrations, pragmas, and refusing files it must not touch."""

import sqlite3

import pytest

from ai4mlops_lab.store import RunStore, StoreBusyError, StoreCorruptError, StoreError, StoreVersionError, db
from ai4mlops_lab.store.schema import APPLICATION_ID


def pragma(conn, name):
    return conn.execute(f"PRAGMA {name}").fetchone()[0]


def tables(conn):
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_new_store_is_migrated_and_configured(tmp_path):
    path = tmp_path / "deep" / "folder" / "store.db"
    conn = db.connect(path)
    assert pragma(conn, "user_version") == db.SCHEMA_VERSION
    assert pragma(conn, "application_id") == APPLICATION_ID
    assert pragma(conn, "journal_mode") == "wal"
    assert pragma(conn, "foreign_keys") == 1
    assert pragma(conn, "synchronous") == 1  # NORMAL
    assert pragma(conn, "busy_timeout") == 10_000
    assert {"experiments", "runs", "steps", "metrics", "artifacts", "output_parameters", "deployments"} <= tables(conn)
    assert db.changes(conn) == 0
    conn.close()


def test_reopening_applies_nothing(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    conn = db.connect(path)
    schema = [tuple(row) for row in conn.execute("SELECT sql FROM sqlite_master ORDER BY name")]
    conn.close()

    def no_migration(script):
        raise AssertionError("a migration ran on reopening")

    monkeypatch.setattr(db, "_statements", no_migration)
    conn = db.connect(path)
    assert [tuple(row) for row in conn.execute("SELECT sql FROM sqlite_master ORDER BY name")] == schema
    assert pragma(conn, "user_version") == db.SCHEMA_VERSION
    conn.close()


def test_a_new_migration_adds_tables_to_an_existing_store(store_path, make_run, store, monkeypatch):
    run_id = make_run()["id"]
    store.close()
    added = "CREATE TABLE run_notes (\n    id TEXT PRIMARY KEY,\n    run_id TEXT REFERENCES runs (id)\n);\n"
    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, added])
    monkeypatch.setattr(db, "SCHEMA_VERSION", db.SCHEMA_VERSION + 1)
    conn = db.connect(store_path)
    assert pragma(conn, "user_version") == db.SCHEMA_VERSION
    assert "run_notes" in tables(conn)
    assert conn.execute("SELECT id FROM runs").fetchone()[0] == run_id
    conn.close()


def test_a_failing_migration_changes_nothing(store_path, monkeypatch):
    db.connect(store_path).close()
    broken = "CREATE TABLE half (a);\nCREATE TABLE half (a);\n"
    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, broken])
    monkeypatch.setattr(db, "SCHEMA_VERSION", db.SCHEMA_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        db.connect(store_path)
    conn = sqlite3.connect(store_path)
    assert pragma(conn, "user_version") == db.SCHEMA_VERSION - 1
    assert "half" not in tables(conn)
    conn.close()


def test_newer_schema_is_refused_and_left_unchanged(store_path):
    db.connect(store_path).close()
    raw = sqlite3.connect(store_path)
    raw.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    raw.close()
    before = store_path.read_bytes()
    with pytest.raises(StoreVersionError) as err:
        RunStore(store_path)
    assert "newer" in err.value.message and "Upgrade ai4mlops-lab" in err.value.hint
    assert err.value.to_json()["error"] == "store_too_new" and err.value.status == 500
    assert store_path.read_bytes() == before


@pytest.mark.parametrize("content", [b"this is not a database\n" * 200, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_garbage_file_is_refused_and_left_unchanged(store_path, content):
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(content)
    with pytest.raises(StoreCorruptError) as err:
        RunStore(store_path)
    assert str(store_path) in err.value.message and f"Move {store_path} aside" in err.value.hint
    assert err.value.to_json()["error"] == "store_corrupt"
    assert store_path.read_bytes() == content


def test_another_applications_database_is_refused(store_path):
    store_path.parent.mkdir(parents=True)
    raw = sqlite3.connect(store_path)
    raw.execute("CREATE TABLE notes (text)")
    raw.commit()
    raw.close()
    before = store_path.read_bytes()
    with pytest.raises(StoreCorruptError, match="another application"):
        db.connect(store_path)
    assert store_path.read_bytes() == before


def test_truncated_store_is_refused(store_path, make_run, store):
    for _ in range(60):
        make_run(steps=[f"step-{k}" for k in range(20)], parameters={"padding": "x" * 500})
    store.close()
    assert not store_path.with_name("store.db-wal").exists()  # all in the main file
    data = store_path.read_bytes()
    store_path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreCorruptError) as err:
        RunStore(store_path)
    assert str(store_path) in err.value.message
    assert store_path.read_bytes() == data[: len(data) // 2]


def test_unopenable_path_is_a_store_error(tmp_path):
    (tmp_path / "store.db").mkdir()
    with pytest.raises(StoreError, match="Cannot open the store") as err:
        db.connect(tmp_path / "store.db")
    assert not isinstance(err.value, StoreCorruptError)


def test_transaction_rolls_back_on_error_and_counts_changes(store_path):
    conn = db.connect(store_path)
    with pytest.raises(RuntimeError), db.transaction(conn):
        conn.execute("INSERT INTO experiments (name, created_at) VALUES ('x', 'now')")
        raise RuntimeError
    assert conn.execute("SELECT count(*) FROM experiments").fetchone()[0] == 0
    assert db.changes(conn) == 0
    with db.transaction(conn):
        conn.execute("SELECT count(*) FROM experiments")
    assert db.changes(conn) == 0
    with db.transaction(conn):
        conn.execute("INSERT INTO experiments (name, created_at) VALUES ('x', 'now')")
    assert db.changes(conn) == 1
    conn.close()


def test_waiting_too_long_for_the_write_lock_is_a_busy_error(store_path, monkeypatch):
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.1)
    store = RunStore(store_path)
    holder = db.connect(store_path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusyError) as err:
            store.experiment("blocked")
        assert err.value.status == 503
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.experiment("blocked")["name"] == "blocked"
    store.close()


def test_a_session_1_store_keeps_its_events_and_rejections_through_the_drift_migrations(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    with monkeypatch.context() as old:  # a store as the first release left it: 3 migrations
        old.setattr(db, "MIGRATIONS", db.MIGRATIONS[:3])
        old.setattr(db, "SCHEMA_VERSION", 3)
        conn = db.connect(path)
        conn.execute("""INSERT INTO inference_events (ce_id, kind, deployment, namespace, component, endpoint, source,
                        event_time, received_at, content_type, body) VALUES ('e1', 'request', 'm', '', '', '', 's',
                        '', '2026-11-24T10:00:00.000Z', 'application/json', X'7B7D')""")
        conn.execute("INSERT INTO ingest_rejections (reason, count, last_at) VALUES ('missing Ce-Id', 3, 'then')")
        conn.close()
    conn = db.connect(path)
    assert pragma(conn, "user_version") == db.SCHEMA_VERSION
    assert conn.execute("SELECT event_ts FROM inference_events").fetchone()[0] == 1795514400.0
    assert [tuple(r) for r in conn.execute("SELECT deployment, reason, count FROM ingest_rejections")] == [
        ("", "missing Ce-Id", 3)
    ]
    conn.close()


def mode(path):
    return path.stat().st_mode & 0o777


def test_the_store_its_wal_and_shm_and_its_folder_are_private(tmp_path):
    """Issue 10, item 7: the store holds every logged request; 0600 files in a 0700 folder."""
    path = tmp_path / "workspace" / "store.db"
    conn = db.connect(path)
    with db.transaction(conn):
        conn.execute("UPDATE store_meta SET changes = changes WHERE id = 1")
    assert mode(path.parent) == 0o700
    assert {p.name: mode(p) for p in path.parent.iterdir()} == {
        "store.db": 0o600,
        "store.db-wal": 0o600,
        "store.db-shm": 0o600,
    }
    conn.close()


def test_a_store_of_an_older_version_is_made_private(tmp_path):
    path = tmp_path / "store.db"
    db.connect(path).close()
    path.chmod(0o644)
    conn = db.connect(path)
    assert mode(path) == 0o600 and mode(path.with_name("store.db-wal")) == 0o600
    conn.close()


def test_a_session_5_store_keeps_its_events_and_the_same_ce_id_may_then_come_from_two_deployments(
    tmp_path, monkeypatch
):
    path = tmp_path / "store.db"
    with monkeypatch.context() as old:  # a store before events were idempotent per deployment: 5 migrations
        old.setattr(db, "MIGRATIONS", db.MIGRATIONS[:5])
        old.setattr(db, "SCHEMA_VERSION", 5)
        conn = db.connect(path)
        conn.execute("""INSERT INTO inference_events (ce_id, kind, deployment, namespace, component, endpoint, source,
                        event_time, received_at, content_type, body, event_ts) VALUES ('e1', 'request', 'm', '', '',
                        '', 's', '', '2026-11-24T10:00:00.000Z', 'application/json', X'7B7D', 1795514400.0)""")
        conn.close()
    conn = db.connect(path)
    assert pragma(conn, "user_version") == db.SCHEMA_VERSION
    assert [tuple(r) for r in conn.execute("SELECT id, ce_id, deployment, body, event_ts FROM inference_events")] == [
        (1, "e1", "m", b"{}", 1795514400.0)
    ]
    conn.execute("""INSERT INTO inference_events (ce_id, kind, deployment, namespace, component, endpoint, source,
                    event_time, received_at, content_type, body) VALUES ('e1', 'request', 'n', '', '', '', 's', '',
                    'now', 'application/json', X'7B7D')""")
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'inference_events'")}
    assert {"inference_events_by_deployment", "inference_events_by_time"} <= indexes
    conn.close()
