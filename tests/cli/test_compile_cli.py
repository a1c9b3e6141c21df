"""`ai4mlops compile`: files, JSON, exit codes and diagnostics on stderr."""

import json
import os

from ai4mlops_lab.cli.main import main

from ..notebooks import TWO_STEPS, UNDEFINED_NAME, write_notebook


def test_compile_writes_files_and_exits_0(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    notebook = write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    assert main(["compile", str(notebook), "-o", "out"]) == 0
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


def test_compile_replaces_symlinks_at_its_outputs_and_never_writes_through_them(tmp_path, capsys, monkeypatch):
    """Issue 10, item 3: `demo.py` and `demo.pipeline.yaml` linking out of the folder are replaced by the files."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.py").write_text("keep me")
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    notebook = write_notebook(project, "demo.ipynb", TWO_STEPS)
    os.symlink(outside / "victim.py", project / "demo.py")
    os.symlink(outside / "created.yaml", project / "demo.pipeline.yaml")
    assert main(["compile", str(notebook)]) == 0
    assert sorted(p.name for p in outside.iterdir()) == ["victim.py"]
    assert (outside / "victim.py").read_text() == "keep me"
    assert not (project / "demo.py").is_symlink() and "def pipeline" in (project / "demo.py").read_text()
    assert "pipelineInfo" in (project / "demo.pipeline.yaml").read_text()


def test_an_output_folder_outside_the_current_one_is_refused(tmp_path, capsys, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    notebook = write_notebook(project, "demo.ipynb", TWO_STEPS)
    os.symlink(tmp_path, project / "up")
    for outdir in ("../outside", str(tmp_path / "outside"), "up/outside"):
        assert main(["compile", str(notebook), "-o", outdir]) == 2
        err = capsys.readouterr().err
        assert f"error: The path {outdir!r} leads outside {project}" in err and "hint:" in err
    assert not (tmp_path / "outside").exists()
