"""The hot reads go through indexes: every statement the lists, the reports and the drift checks run is planned by
SQLite (EXPLAIN QUERY PLAN) without scanning a table that grows with use. SQLite plans these without statistics
(the store never runs ANALYZE), so a small store gets the plans a large one gets."""

import re
import sqlite3

import pytest

from ai4mlops_lab.monitoring.monitor import DriftMonitor
from ai4mlops_lab.store import db
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.store.outcomes import OutcomeStore
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

from ..requests import NAME, deploy_record, rows, send

#: Tables that grow with use (and their aliases in the store's queries).
GROWING = {
    "runs": "runs",
    "r": "runs",
    "steps": "steps",
    "s": "steps",
    "metrics": "metrics",
    "m": "metrics",
    "artifacts": "artifacts",
    "output_parameters": "output_parameters",
    "inference_events": "inference_events",
    "q": "inference_events",
    "drift_windows": "drift_windows",
    "alerts": "alerts",
    "schedule_fires": "schedule_fires",
    "f": "schedule_fires",
    "trigger_seen": "trigger_seen",
}
#: The one scan allowed: the first page of every run, read newest first along the index and stopped by its limit.
FIRST_PAGE = "SCAN r USING INDEX runs_by_created"


@pytest.fixture
def traced(monkeypatch):
    """The SELECT statements run on every store connection opened from now on (with their values)."""
    statements: list[str] = []

    def connect(path, **kwargs):
        conn = opened(path, **kwargs)
        conn.set_trace_callback(lambda sql: statements.append(sql) if re.match(r"\s*(SELECT|WITH)", sql) else None)
        return conn

    opened = db.connect
    monkeypatch.setattr(db, "connect", connect)
    return statements


def plans(path, statements):
    """`{statement: its plan's lines}` (an infinite value is traced as `Inf`, which SQLite reads as 1e999)."""
    conn = sqlite3.connect(path)
    try:
        return {
            sql: [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + re.sub(r"\bInf\b", "1e999", sql))]
            for sql in set(statements)
        }
    finally:
        conn.close()


def problems(sql, plan_lines):
    """What makes a statement's cost grow with the store: a growing table read whole, a count over one (counters
    answer those), or a list of alerts or windows with no limit."""
    found = [
        line
        for line in plan_lines
        if (scan := re.match(r"SCAN (\w+)", line)) and scan.group(1) in GROWING and not line.startswith(FIRST_PAGE)
    ]
    read = (re.match(r"(?:SCAN|SEARCH) (\w+)", line) for line in plan_lines)
    tables = {GROWING[t[1]] for t in read if t and t[1] in GROWING}
    if re.search(r"\bcount\(", sql, re.IGNORECASE) and tables:
        found.append(f"counts rows of {sorted(tables)}")
    if tables & {"alerts", "drift_windows"} and "LIMIT" not in sql and not re.search(r"\bid = \d+", sql):
        found.append("lists alerts or windows with no limit")
    return found


def assert_indexed(path, statements):
    assert statements, "nothing was traced"
    found = {sql: problems(sql, lines) for sql, lines in plans(path, statements).items()}
    assert {sql: lines for sql, lines in found.items() if lines} == {}


@pytest.fixture
def workspace(tmp_path):
    workspace = tmp_path / ".ai4mlops"
    deploy_record(workspace)
    return workspace


def test_the_runs_lists_and_details_use_indexes(workspace, traced):
    store = RunStore(workspace / STORE_FILE)
    made = [
        store.create_run(
            experiment=f"e{k % 2}",
            notebook_path="n.ipynb",
            notebook_hash="h",
            pipeline="p",
            target="local",
            parameters={},
            steps=["a", "b"],
        )["id"]
        for k in range(5)
    ]
    store.record_step_outputs(made[0], "a", parameters={"x": 1}, metrics={"m": 1.0}, artifacts=[])
    first = store.page(limit=2)
    store.page(limit=2, cursor=first["next_cursor"])
    for origin in ({"experiment": "e1"}, {"schedule": "nightly"}, {"trigger": "arrivals"}):
        store.page(limit=2, cursor=first["next_cursor"], **origin)
    store.run(made[0])
    store.experiments()
    store.unfinished("kfp")  # what the background loop follows
    assert_indexed(workspace / STORE_FILE, traced)
    planned = plans(workspace / STORE_FILE, traced)
    assert any("USING INDEX runs_by_created (created_at<?)" in line for lines in planned.values() for line in lines)
    assert any("USING INDEX runs_by_experiment" in line for lines in planned.values() for line in lines)


def test_the_drift_report_checks_and_alerts_use_indexes(workspace, traced):
    path = workspace / STORE_FILE
    monitor = DriftMonitor(path, workspace)
    events = EventStore(path)
    monitor.set_policy(NAME, {"window_size": 50, "consecutive": 1})
    send(events, rows(120, shift=2.0))
    monitor.catch_up()  # the background loop's pass: windows read after the monitor's cursor
    send(events, rows(60, shift=2.0))
    monitor.catch_up()
    monitor.check(NAME)
    report = monitor.report(NAME)
    assert report["alerts"] and report["counts"]["windows"] == 3
    monitor.alerts(NAME, kinds=("data_drift",), limit=1)
    monitor.alerts(status="open")
    monitor.alerts(NAME, kinds=("performance", "concept_drift"), limit=1)
    monitor.tick()
    OutcomeStore(path).active_alert_id(NAME, "performance")
    monitor.set_policy(NAME, {"window": "time", "window_seconds": 60})
    send(events, rows(20))
    monitor.catch_up()
    monitor.report(NAME)
    assert_indexed(path, traced)
    planned = " | ".join(line for lines in plans(path, traced).values() for line in lines)
    for index in (
        "inference_events_by_deployment (deployment=? AND kind=? AND id>?)",
        "alerts_active",
        "alerts_by_kind",
    ):
        assert index in planned
