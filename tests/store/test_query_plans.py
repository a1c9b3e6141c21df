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
from ai4mlops_lab.store.schedules import ScheduleStore
from ai4mlops_lab.store.triggers import TriggerStore
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
#: Partial indexes of what is in flight (unfinished runs, due times and contents claimed and not started yet): they
#: hold few rows however large the store grows, so a count read through them stays cheap.
IN_FLIGHT = ("runs_unfinished", "schedule_fires_claimed", "trigger_seen_claimed")


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
    """`{statement: its plan's lines}`, each line `(parent, detail)`: the line it is nested in (0 for the statement
    itself) and what it does (an infinite value is traced as `Inf`, which SQLite reads as 1e999)."""
    conn = sqlite3.connect(path)
    try:
        return {
            sql: [(row[1], row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + re.sub(r"\bInf\b", "1e999", sql))]
            for sql in set(statements)
        }
    finally:
        conn.close()


def planned(path, statements):
    """Every line of the statements' plans, in one text."""
    return " | ".join(detail for plan in plans(path, statements).values() for _, detail in plan)


def problems(sql, plan):
    """What makes a statement's cost grow with the store: a growing table read whole, a count over one (counters
    or the indexes of what is in flight answer those), a page sorted after its rows are read (every row that matches
    is read and sorted for each page, where an index in the list's order reads the page's rows alone; sorting what
    limited subqueries gave is fine), or a list of alerts or windows with no limit."""
    found = [
        line
        for _, line in plan
        if (scan := re.match(r"SCAN (\w+)", line)) and scan.group(1) in GROWING and not line.startswith(FIRST_PAGE)
    ]
    reads = [(parent, t[1], line) for parent, line in plan if (t := re.match(r"(?:SCAN|SEARCH) (\w+)", line))]
    reads = [(parent, table, line) for parent, table, line in reads if table in GROWING]
    tables = {GROWING[table] for _, table, _ in reads}
    in_flight = rf"USING INDEX ({'|'.join(IN_FLIGHT)}) "
    counted = {GROWING[table] for _, table, line in reads if not re.search(in_flight, line)}
    if re.search(r"\bcount\(", sql, re.IGNORECASE) and counted:
        found.append(f"counts rows of {sorted(counted)}")
    sorts = {parent for parent, line in plan if line.startswith("USE TEMP B-TREE FOR ORDER BY")}
    if "LIMIT" in sql and sorts & {parent for parent, _, _ in reads}:
        found.append(f"sorts every matching row of {sorted(tables)} for one page")
    if tables & {"alerts", "drift_windows"} and "LIMIT" not in sql and not re.search(r"\bid = \d+", sql):
        found.append("lists alerts or windows with no limit")
    return found


def assert_indexed(path, statements):
    assert statements, "nothing was traced"
    found = {sql: problems(sql, plan) for sql, plan in plans(path, statements).items()}
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
    schedule_id, trigger_id = started_by_origins(workspace / STORE_FILE, made)
    first = store.page(limit=2)
    store.page(limit=2, cursor=first["next_cursor"])
    for origin in ({"experiment": "e1"}, {"schedule": "nightly"}, {"trigger": "arrivals"}):
        store.page(limit=2, **origin)
        store.page(limit=2, cursor=first["next_cursor"], **origin)
    store.run(made[0])
    store.experiments()
    store.unfinished("kfp")  # what the background loop follows
    # what the scheduler and the watcher count before they start a run
    assert ScheduleStore(workspace / STORE_FILE).active_runs(schedule_id) == 3
    assert TriggerStore(workspace / STORE_FILE).in_flight(trigger_id) == 2
    assert_indexed(workspace / STORE_FILE, traced)
    lines = planned(workspace / STORE_FILE, traced)
    for index in (
        "runs_by_created (created_at<?)",
        "runs_by_experiment (experiment_id=? AND created_at<?)",
        "runs_by_schedule (schedule_id=? AND created_at<?)",
        "runs_by_trigger (trigger_id=? AND created_at<?)",
        "runs_unfinished",
    ):
        assert f"USING INDEX {index}" in lines


def started_by_origins(path, runs):
    """Runs 0, 2 and 4 started by schedule `nightly`, runs 1 and 3 by data trigger `arrivals`: their ids."""
    conn = sqlite3.connect(path)
    with conn:
        schedule_id = conn.execute(
            """INSERT INTO schedules (name, notebook_path, parameters, target, trigger, expression, time_zone,
               created_at, updated_at)
               VALUES ('nightly', 'n.ipynb', '{}', 'local', 'cron', '0 0 * * *', 'UTC', '', '')"""
        ).lastrowid
        trigger_id = conn.execute(
            """INSERT INTO triggers (name, notebook_path, source, pattern, parameter, parameters, settle_seconds,
               poll_seconds, created_at, updated_at)
               VALUES ('arrivals', 'n.ipynb', 'data', '*', 'p', '{}', 0, 1, '', '')"""
        ).lastrowid
        conn.executemany(
            "INSERT INTO schedule_fires (schedule_id, due, outcome, run_id, fired_at) VALUES (?, ?, 'started', ?, '')",
            [(schedule_id, due, run_id) for due, run_id in enumerate(runs[::2])],
        )
        conn.executemany(
            "INSERT INTO trigger_seen (trigger_id, content_hash, path, size, state, run_id, seen_at) "
            "VALUES (?, ?, 'x.csv', 1, 'started', ?, '')",
            [(trigger_id, f"h{k}", run_id) for k, run_id in enumerate(runs[1::2])],
        )
    conn.close()
    return schedule_id, trigger_id


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
    lines = planned(path, traced)
    for index in (
        "inference_events_by_deployment (deployment=? AND kind=? AND id>?)",
        "alerts_active",
        "alerts_by_kind",
    ):
        assert index in lines
