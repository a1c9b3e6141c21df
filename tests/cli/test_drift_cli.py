"""`ai4mlops drift`, `alerts` and `retrain` on a workspace with logged requests."""

import json

import numpy as np
import pytest

from ai4mlops_lab.cli.main import main
from ai4mlops_lab.errors import UserError
from ai4mlops_lab.monitoring.replay import load_rows
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.workspace import STORE_FILE

from ..requests import NAME, deploy_record, rows, send


@pytest.fixture
def workspace(tmp_path):
    workspace = tmp_path / ".ai4mlops"
    deploy_record(workspace)
    return workspace


def drift(workspace, *args):
    return main(["drift", NAME, "--workspace", str(workspace), *args])


def test_verdict_and_per_feature_table_exit_1_on_drift(workspace, capsys):
    events = EventStore(workspace / STORE_FILE)
    send(events, rows(100, seed=3))
    assert drift(workspace, "--set", "window_size=100", "--set", "consecutive=1") == 0
    calm = capsys.readouterr().out
    assert "windows of 100 rows, alert after 1 drifted in a row" in calm and "no drift in the window" in calm
    send(events, rows(100, shift=1.0, seed=4))
    assert drift(workspace) == 1
    printed = capsys.readouterr().out
    assert "DRIFT in the window" in printed and "2 windows checked, 1 drifted" in printed
    f0 = next(line for line in printed.splitlines() if line.startswith("f0 "))
    assert f0.split()[1] == "ks" and f0.endswith("yes")
    assert "alert #1 open: Drift in 1 consecutive windows (" in printed and "-> ai4mlops retrain 1" in printed
    assert drift(workspace, "--json", "--feature", "f0") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["feature"]["name"] == "f0" and len(report["windows"]) == 2


def test_check_tests_the_rows_so_far(workspace, capsys):
    send(EventStore(workspace / STORE_FILE), rows(40, shift=2.0))
    assert drift(workspace, "--check") == 1
    assert "DRIFT in the check of the latest rows (40 rows" in capsys.readouterr().out


def test_bad_input_is_explained(workspace, capsys):
    assert drift(workspace, "--set", "window_size=3") == 2
    assert "error: The drift policy's 'window_size' is 3." in capsys.readouterr().err
    assert drift(workspace, "--send", str(workspace / "none.csv")) == 2
    assert "error: No file" in capsys.readouterr().err
    assert main(["retrain", "99", "--workspace", str(workspace)]) == 2
    assert "error: No alert 99." in capsys.readouterr().err
    assert main(["drift", "nope", "--workspace", str(workspace)]) == 2
    assert "No deployment called 'nope'" in capsys.readouterr().err


def test_csv_rows_follow_the_models_feature_order(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("b,a\n1,2\n3,4\n")
    assert load_rows(path, ["a", "b"]).tolist() == [[2.0, 1.0], [4.0, 3.0]]
    (tmp_path / "plain.csv").write_text("1,2\n3,4\n")
    assert load_rows(tmp_path / "plain.csv").shape == (2, 2)
    np.save(tmp_path / "images.npy", np.zeros((3, 2, 2)))
    assert load_rows(tmp_path / "images.npy").shape == (3, 4)
    (tmp_path / "ragged.csv").write_text("1,2\n3\n")
    with pytest.raises(UserError, match="different lengths"):
        load_rows(tmp_path / "ragged.csv")
