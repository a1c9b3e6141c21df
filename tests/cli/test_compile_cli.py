"""`ai4mlops compile`: files, JSON, exit codes and diagnostics on stderr."""

import json

from ai4mlops_lab.cli import main

from ..notebooks import TWO_STEPS, UNDEFINED_NAME, write_notebook


def test_compile_writes_files_and_exits_0(tmp_path, capsys):
    notebook = write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    assert main(["compile", str(notebook), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "2 steps (load, double)" in out
    assert (tmp_path / "out" / "demo.pipeline.yaml").is_file()
    assert (tmp_path / "out" / "demo.py").is_file()


def test_compile_json_has_the_documented_shape(tmp_path, capsys):
    notebook = write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    assert main(["compile", str(notebook), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"pipeline", "parameters", "steps", "edges", "diagnostics", "files"}
    step = result["steps"][1]
    assert set(step) >= {"name", "cells", "after", "inputs", "outputs", "parameters", "packages", "settings"}
    assert {"name": "x", "from": "load", "type": "Dataset"} in step["inputs"]
    assert step["parameters"] == ["scale"]


def test_compile_errors_exit_2_and_name_the_cell(tmp_path, capsys):
    notebook = write_notebook(tmp_path, "broken.ipynb", UNDEFINED_NAME)
    assert main(["compile", str(notebook)]) == 2
    err = capsys.readouterr().err
    assert "cell 1, line 1: error:" in err
    assert not (tmp_path / "broken.pipeline.yaml").exists()


def test_unreadable_notebook_is_a_clear_error(tmp_path, capsys):
    assert main(["compile", str(tmp_path / "missing.ipynb")]) == 2
    assert "error:" in capsys.readouterr().err
