"""`ai4mlops models`: list, show, register, alias, unalias, history, archive and restore, as tables and --json; and
`ai4mlops run` registering a real run's model when AI4MLOPS_AUTO_REGISTER is on."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ai4mlops_lab.cli.main import main

from ..model_runs import model_run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "torch-train.ipynb"


@pytest.fixture
def workspace(tmp_path):
    return tmp_path / ".ai4mlops"


@pytest.fixture
def runs(workspace, tmp_path):
    return [
        model_run(workspace, tmp_path / f"model-{i}", parameters={"epochs": 3 + i}, metrics={"accuracy": 0.8 + i / 10})
        for i in range(2)
    ]


def ai4mlops(capsys, workspace, *args) -> tuple[int, str, str]:
    code = main(["models", *args, "--workspace", str(workspace)])
    out, err = capsys.readouterr()
    return code, out, err


def test_register_show_and_list_as_tables(capsys, workspace, runs):
    code, out, _ = ai4mlops(capsys, workspace, "register", runs[0], "--name", "iris", "--alias", "champion")
    assert code == 0 and out == f"Registered train/model of run {runs[0]} as iris v1 (champion)\n"
    ai4mlops(capsys, workspace, "register", runs[1], "--name", "iris", "--description", "Iris, 4 features")

    code, out, _ = ai4mlops(capsys, workspace, "list")
    header, row = out.splitlines()
    assert header.split() == ["NAME", "VERSIONS", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION"]
    assert row.startswith("iris") and " 2 " in row and "v2" in row and "champion -> v1" in row and "Iris, 4" in row

    code, out, _ = ai4mlops(capsys, workspace, "show", "iris")
    lines = out.splitlines()
    assert lines[0] == "iris: 2 versions; aliases: champion -> v1" and lines[1] == "Iris, 4 features"
    assert lines[3].split()[:3] == ["VERSION", "STATE", "ALIASES"]
    assert lines[4].split()[:3] == ["v2", "live", "-"] and "accuracy 0.9" in lines[4]
    assert lines[5].split()[:3] == ["v1", "live", "champion"] and runs[0] in lines[5]

    code, out, _ = ai4mlops(capsys, workspace, "show", "iris", "champion")
    assert out.splitlines()[0] == "iris version 1"
    fields = dict(line.split(None, 1) for line in out.splitlines()[1:])
    assert fields["parameters"] == "epochs=3" and fields["metrics"] == "accuracy 0.8"
    assert fields["signature"] == "input-0 float32 [-1, 4]: f0, f1, f2, f3"


def test_json_output_is_the_records(capsys, workspace, runs):
    code, out, _ = ai4mlops(capsys, workspace, "register", runs[0], "--json")
    version = json.loads(out)
    assert code == 0 and (version["model"], version["version"], version["run_id"]) == ("demo-model", 1, runs[0])
    [model] = json.loads(ai4mlops(capsys, workspace, "list", "--json")[1])
    assert model["latest_version"] == version
    shown = json.loads(ai4mlops(capsys, workspace, "show", "demo-model", "--json")[1])
    assert shown["versions"] == [version]
    assert json.loads(ai4mlops(capsys, workspace, "show", "demo-model", "1", "--json")[1]) == version


def test_aliases_move_with_a_recorded_history_and_archive_restores(capsys, workspace, runs):
    ai4mlops(capsys, workspace, "register", runs[0], "--name", "iris", "--alias", "champion")
    ai4mlops(capsys, workspace, "register", runs[1], "--name", "iris")
    code, out, _ = ai4mlops(capsys, workspace, "alias", "iris", "champion", "2", "--reason", "better accuracy")
    assert code == 0 and out == "champion of iris: v1 -> v2\n"
    assert ai4mlops(capsys, workspace, "alias", "iris", "champion", "2")[1] == "champion of iris: already v2\n"
    code, out, _ = ai4mlops(capsys, workspace, "archive", "iris", "1")
    assert code == 0 and out == "iris v1 is archived\n"
    code, _, err = ai4mlops(capsys, workspace, "archive", "iris", "champion")
    assert code == 2 and "error: Alias champion points at version 2" in err and "hint: Move or remove" in err
    assert ai4mlops(capsys, workspace, "restore", "iris", "1")[1] == "iris v1 is live\n"
    assert ai4mlops(capsys, workspace, "unalias", "iris", "champion")[1] == (
        "champion of iris removed (it pointed at v2)\n"
    )
    code, out, _ = ai4mlops(capsys, workspace, "history", "iris")
    rows = [line.split(None, 2)[2] for line in out.splitlines()[1:]]  # after the date and time
    assert out.splitlines()[0].split() == ["WHEN", "ALIAS", "FROM", "TO", "BY", "REASON"]
    assert [row.split()[:3] for row in rows] == [
        ["champion", "v2", "(removed)"],
        ["champion", "v1", "v2"],
        ["champion", "-", "v1"],
    ]
    assert rows[1].endswith("better accuracy")


def test_errors_say_what_to_do(capsys, workspace, runs):
    code, _, err = ai4mlops(capsys, workspace, "show", "iris")
    assert code == 2 and "error: No registered model 'iris'" in err and "ai4mlops models register RUN_ID" in err
    code, _, err = ai4mlops(capsys, workspace, "register", runs[0], "--alias", "Champion")
    assert code == 2 and "'aliases'" in err and "hint: Use up to 63 lowercase letters" in err


def test_run_registers_its_model_when_auto_register_is_on(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "train.ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "ai4mlops_lab.cli", "run", "train.ipynb", "--param", "epochs=2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "AI4MLOPS_AUTO_REGISTER": "1"},
    )
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("Registered ")]
    listed = subprocess.run(
        [sys.executable, "-m", "ai4mlops_lab.cli", "models", "list", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AI4MLOPS_AUTO_REGISTER": "1"},
    )
    [model] = json.loads(listed.stdout)
    version = model["latest_version"]
    assert model["version_count"] == 1 and line.endswith(f"as {model['name']} v1")
    assert version["framework"] == "torch" and version["parameters"]["epochs"] == 2
    assert Path(version["artifact_uri"]).is_dir() and version["notebook_path"] == "train.ipynb"
    assert version["reference"]["features"] and Path(version["reference"]["uri"]).is_file()
    assert all(step["status"] == "succeeded" and step["log_path"] for step in version["steps"])
