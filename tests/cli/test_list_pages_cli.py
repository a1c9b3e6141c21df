"""`ai4mlops runs` and `ai4mlops alerts` print the newest page (`--limit`), or every page (`--all`)."""

import json
import sqlite3

import pytest

from ai4mlops_lab.cli.main import main
from ai4mlops_lab.store.drift import DriftStore
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE


@pytest.fixture
def workspace(tmp_path):
    workspace = tmp_path / ".ai4mlops"
    runs = RunStore(workspace / STORE_FILE)
    for _ in range(5):
        runs.create_run(
            experiment="e",
            notebook_path="n.ipynb",
            notebook_hash="h",
            pipeline="p",
            target="local",
            parameters={},
            steps=["a"],
        )
    DriftStore(workspace / STORE_FILE)
    conn = sqlite3.connect(workspace / STORE_FILE)
    with conn:
        conn.executemany(
            """INSERT INTO alerts (deployment, status, message, window_ids, evidence, raised_at, updated_at)
               VALUES ('d', 'dismissed', ?, '[]', '{}', 't', 't')""",
            [(f"alert {k}",) for k in range(3)],
        )
    conn.close()
    return workspace


def listed(workspace, capsys, *args):
    code = main([*args, "--workspace", str(workspace), "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else None, captured.err


def test_the_newest_page_and_a_note_that_more_are_left(workspace, capsys):
    code, runs, err = listed(workspace, capsys, "runs", "--limit", "2")
    everything = RunStore(workspace / STORE_FILE).runs()
    assert code == 0 and [r["id"] for r in runs] == [r["id"] for r in everything[:2]]
    assert "(the newest 2 runs; --all lists every one)" in err
    code, alerts, err = listed(workspace, capsys, "alerts", "--limit", "2")
    assert [a["message"] for a in alerts] == ["alert 2", "alert 1"] and "--all" in err


def test_all_follows_the_cursors_to_the_end(workspace, capsys):
    code, runs, err = listed(workspace, capsys, "runs", "--limit", "2", "--all")
    assert code == 0 and [r["id"] for r in runs] == [r["id"] for r in RunStore(workspace / STORE_FILE).runs()]
    assert len(runs) == 5 and "--all" not in err
    code, alerts, _ = listed(workspace, capsys, "alerts", "--all", "--limit", "1")
    assert [a["message"] for a in alerts] == ["alert 2", "alert 1", "alert 0"]


def test_a_limit_out_of_range_is_a_usage_error_naming_it(workspace, capsys):
    for command in ("runs", "alerts"):
        code, _, err = listed(workspace, capsys, command, "--limit", "0")
        assert code == 2 and "error: 'limit' must be a whole number from 1 to 1000, not 0." in err
