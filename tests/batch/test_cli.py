"""`ai4mlops predict`: progress on stderr, a summary, exit 1 when rows were rejected."""

import json

import numpy as np

from ai4mlops_lab.cli.main import main

from .conftest import FEATURES, feature_names
from .test_predict import read_csv, write_csv


def test_predict_prints_progress_and_a_summary_and_exits_1_on_rejects(
    served, trained, rows, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    table = [list(map(repr, row.tolist())) for row in rows]
    table[9][2] = ""
    write_csv(tmp_path / "rows.csv", feature_names(served), table)

    code = main(["predict", "batch-model", "rows.csv", "--chunk-size", "20", "--workspace", str(trained[0])])

    out, err = capsys.readouterr()
    assert code == 1
    assert "predicted 20 / 50 rows (40%)" in err and "predicted 50 / 50 rows (100%)" in err
    assert "deployment batch-model (train/model): 49 rows predicted" in out
    assert f"wrote {tmp_path / 'rows.predictions.csv'} (+ class, probability_0, probability_1)" in out
    assert f"1 rows rejected: {tmp_path / 'rows.rejects.csv'}" in out
    assert [r[:2] for r in read_csv(tmp_path / "rows.rejects.csv")[1]] == [["10", "f2"]]


def test_predict_json_with_a_run_and_an_npy_output(trained, rows, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "rows.npy", rows)
    run_id = trained[1]["id"]

    code = main(["predict", run_id, "rows.npy", "-o", "out/p.npy", "--json", "--workspace", str(trained[0])])

    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["model"] == f"run {run_id} (train/model)"
    assert (summary["predicted"], summary["rejected"], summary["rejects_file"]) == (50, 0, None)
    assert np.load(tmp_path / "out/p.npy").shape == (50, FEATURES + 3)


def test_predict_refuses_an_output_outside_the_current_folder(served, trained, rows, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "rows.npy", rows)
    code = main(["predict", "batch-model", "rows.npy", "-o", "../p.npy", "--workspace", str(trained[0])])
    assert code == 2 and "leads outside" in capsys.readouterr().err


def test_predict_log_records_the_rows_as_the_deployments_requests(served, trained, rows, tmp_path, monkeypatch, capsys):
    from ai4mlops_lab.store.events import EventStore
    from ai4mlops_lab.workspace import STORE_FILE

    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "rows.npy", rows[:5])
    workspace = str(trained[0])

    code = main(["predict", "batch-model", "rows.npy", "--log", "--json", "--workspace", workspace])

    summary = json.loads(capsys.readouterr().out)
    exchanges = EventStore(trained[0] / STORE_FILE, check=False).exchanges("batch-model", limit=100_000)
    logged = sorted(e["ce_id"] for e in exchanges if e["ce_id"].startswith(f"{summary['logged_as']}/"))
    assert code == 0 and logged == [f"{summary['logged_as']}/{row}" for row in range(1, 6)]
    code = main(["predict", trained[1]["id"], "rows.npy", "-o", "o.npy", "--log", "--workspace", workspace])
    assert code == 2 and "Logging predictions needs a deployment" in capsys.readouterr().err
    code = main(["predict", "batch-model", "rows.npy", "--workspace", workspace])
    assert code == 2 and "exists already" in capsys.readouterr().err
