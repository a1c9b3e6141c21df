"""Keyset pages of the runs and alerts lists, and the counters that keep lists and reports cheap as the store grows."""

import sqlite3

import pytest

from ai4mlops_lab.store import db, pages
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.drift import DriftStore
from ai4mlops_lab.store.event_records import InferenceEvent
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.store.pages import PageArgumentError


def every_page(read, key, limit):
    """Every item of a list read page by page, and how many pages it took."""
    items, cursor, count = [], None, 0
    while True:
        page = read(limit=limit, cursor=cursor)
        items += page[key]
        count += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, count


def ids(items):
    return [item["id"] for item in items]


@pytest.fixture
def runs(store, store_path, make_run):
    """17 runs in two experiments, newest first; four of them (the 9th to the 12th) created in the same millisecond."""
    made = [make_run(experiment="a" if k % 3 else "b")["id"] for k in range(17)]
    conn = sqlite3.connect(store_path)
    with conn:
        conn.execute(
            "UPDATE runs SET created_at = (SELECT created_at FROM runs WHERE id = ?) WHERE id IN (?, ?, ?)",
            tuple(made[5:9]),
        )
    conn.close()
    return store.runs(limit=1000)


def test_run_pages_cover_every_run_once_in_the_list_order(store, runs):
    assert len(runs) == 17 and len({run["created_at"] for run in runs[8:12]}) == 1
    for limit in (1, 4, 5, 17, 200):
        listed, count = every_page(store.page, "runs", limit)
        assert ids(listed) == ids(runs)
        assert count == max(1, -(-17 // limit))  # the last page ends the list: no empty page after it
    in_a, _ = every_page(lambda **page: store.page(experiment="a", **page), "runs", 3)
    assert ids(in_a) == [run["id"] for run in runs if run["experiment"] == "a"]


def test_runs_added_between_pages_come_first_in_a_new_first_page_only(store, runs, make_run):
    first = store.page(limit=5)
    added = [make_run()["id"] for _ in range(3)]
    rest, _ = every_page(
        lambda limit, cursor: store.page(limit=limit, cursor=cursor or first["next_cursor"]), "runs", 5
    )
    assert ids(first["runs"] + rest) == ids(runs)
    assert ids(store.page(limit=3)["runs"]) == added[::-1]


def test_a_page_has_the_same_runs_as_the_list(store, runs):
    page = store.page(limit=4, cursor=store.page(limit=4)["next_cursor"])
    assert page["runs"] == runs[4:8]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "",
        pages.cursor("alerts", (3,)),  # another list's
        pages.cursor("runs", (3, "x")),  # the wrong parts
        pages.cursor("runs", ("2030-01-01T00:00:00.000Z",)),
    ],
)
def test_a_cursor_that_is_not_this_lists_is_refused_naming_it(store, runs, cursor):
    with pytest.raises(PageArgumentError) as refused:
        store.page(cursor=cursor)
    assert refused.value.field == "cursor" and refused.value.status == 400
    assert "next_cursor" in refused.value.hint


@pytest.mark.parametrize("value", [0, -1, 1001, "0", "12a", "", 2.5, True])
def test_a_limit_out_of_range_is_refused_naming_it(value):
    with pytest.raises(PageArgumentError) as refused:
        pages.limit(value)
    assert refused.value.field == "limit" and "1 to 1000" in refused.value.message


def test_limits_are_numbers_or_their_text_and_default_to_200():
    assert (pages.limit(None), pages.limit(7), pages.limit("1000")) == (200, 7, 1000)


def add_alerts(store_path, rows) -> DriftStore:
    store = DriftStore(store_path)
    conn = sqlite3.connect(store_path)
    with conn:
        conn.executemany(
            """INSERT INTO alerts (deployment, kind, status, message, window_ids, evidence, raised_at, updated_at)
               VALUES (?, ?, ?, 'm', '[]', '{}', 't', 't')""",
            rows,
        )
    conn.close()
    return store


def test_alert_pages_cover_every_alert_once_newest_first(store_path):
    kinds = ("data_drift", "performance", "concept_drift")
    add_alerts(
        store_path, [("d" if k % 4 else "e", kinds[k % 3], "open" if k == 9 else "dismissed") for k in range(30)]
    )
    alerts = DriftStore(store_path)
    everything = alerts.alerts()
    assert ids(everything) == list(range(30, 0, -1))
    for limit in (1, 7, 30):
        listed, _ = every_page(alerts.alert_page, "alerts", limit)
        assert listed == everything
    outcome, _ = every_page(
        lambda **page: alerts.alert_page("d", kinds=("performance", "concept_drift"), **page), "alerts", 4
    )
    assert outcome == [a for a in everything if a["deployment"] == "d" and a["kind"] != "data_drift"]
    assert ids(alerts.alert_page(status="open")["alerts"]) == [10]
    with pytest.raises(PageArgumentError, match="cursor"):
        alerts.alert_page(cursor=pages.cursor("runs", ("t", 1)))


def test_an_unknown_alert_kind_is_refused(store_path):
    with pytest.raises(Exception, match="Unknown alert kind 'loud'"):
        DriftStore(store_path).alert_page(kinds=("loud",))


def test_the_active_alert_is_the_newest_open_or_retraining_data_drift_one(store_path):
    add_alerts(
        store_path,
        [("d", "data_drift", "open"), ("d", "data_drift", "retraining"), ("d", "performance", "open")]
        + [("d", "data_drift", "dismissed")] * 3,
    )
    store = DriftStore(store_path)
    assert store.active_alert("d")["id"] == 2
    assert store.active_alert("other") is None


def test_experiments_count_their_runs_as_runs_come_and_go(store, store_path, make_run):
    made = [make_run(experiment=name)["id"] for name in ("a", "b", "a")]
    assert [(e["name"], e["run_count"]) for e in store.experiments()] == [("a", 2), ("b", 1)]
    conn = sqlite3.connect(store_path)
    with conn:
        conn.execute(
            "UPDATE runs SET experiment_id = (SELECT id FROM experiments WHERE name = 'b') WHERE id = ?", made[0:1]
        )
        conn.execute("DELETE FROM runs WHERE id = ?", made[2:3])
    conn.close()
    assert [(e["name"], e["run_count"], e["last_run_at"]) for e in store.experiments()] == [
        ("a", 0, None),
        ("b", 2, store.run(made[1])["created_at"]),
    ]


def test_events_and_windows_are_counted_per_deployment_as_they_come_and_go(store_path):
    DeploymentStore(store_path).create(name="d", run_id=None, model_name="m", model_uri="/m", target="local")
    events = EventStore(store_path)
    events.add_many([event(k, "request") for k in range(3)] + [event(0, "response"), event(1, "request")])
    drift = DriftStore(store_path)
    monitor = drift.monitor("d", {})
    window = {"kind": "count", "start": 0, "end": 1, "n": 1, "status": "ok", "p_value": 0.5, "result": {}}
    drift.commit(monitor, {}, [{**window, "trigger": "auto", "drift": d, "histograms": {}} for d in (True, False)])
    drift.add_check("d", {**window, "drift": True, "histograms": {}})
    assert (events.counts("d")["requests"], events.counts("d")["responses"], events.counts()["requests"]) == (3, 1, 3)
    assert drift.counts("d") == {"windows": 2, "drifted": 1}
    drift.forget("d")
    assert (events.counts("d")["requests"], drift.counts("d")) == (0, {"windows": 0, "drifted": 0})


def event(k, kind):
    return InferenceEvent(f"e{k}", kind, "d", "", "", "", "s", "", "application/json", b"{}")


def test_the_growth_migration_counts_what_an_older_store_holds(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    with monkeypatch.context() as old:
        old.setattr(db, "MIGRATIONS", db.MIGRATIONS[:-1])
        old.setattr(db, "SCHEMA_VERSION", db.SCHEMA_VERSION - 1)
        conn = db.connect(path)
        conn.execute("INSERT INTO experiments (id, name, created_at) VALUES (1, 'x', 't')")
        conn.executemany(
            """INSERT INTO runs (id, experiment_id, notebook_path, notebook_hash, pipeline, target, parameters, status,
               created_at, updated_at) VALUES (?, 1, 'n', 'h', 'p', 'local', '{}', 'succeeded', ?, 't')""",
            [("r1", "t1"), ("r2", "t2")],
        )
        conn.executemany(
            """INSERT INTO inference_events (ce_id, kind, deployment, namespace, component, endpoint, source,
               event_time, received_at, content_type, body) VALUES (?, ?, 'd', '', '', '', 's', '', 't', '', X'')""",
            [("e1", "request"), ("e2", "request"), ("e1", "response")],
        )
        conn.executemany(
            """INSERT INTO drift_windows (deployment, trigger, kind, start, end, n, status, drift, result, histograms,
               checked_at) VALUES ('d', ?, 'count', 0, 1, 1, 'ok', ?, '{}', '{}', 't')""",
            [("auto", 1), ("auto", 0), ("check", 1)],
        )
        conn.close()
    conn = db.connect(path)
    assert conn.execute("SELECT run_count FROM experiments").fetchone()[0] == 2
    assert [tuple(r) for r in conn.execute("SELECT kind, count FROM event_counts ORDER BY kind")] == [
        ("request", 2),
        ("response", 1),
    ]
    assert tuple(conn.execute("SELECT windows, drifted FROM drift_window_counts").fetchone()) == (2, 1)
    conn.close()
