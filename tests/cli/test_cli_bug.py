"""An unexpected exception in a command is exit 3 and one line naming the log with its traceback."""

from pathlib import Path

import pytest

from ai4mlops_lab.cli import main as cli
from ai4mlops_lab.pipeline import compiler


def test_a_bug_is_exit_3_with_one_line_naming_the_log(monkeypatch, capsys, tmp_path):
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.delenv("AI4MLOPS_LAB_DEBUG", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(compiler, "compile_notebook", broken)
    assert cli.main(["compile", "x.ipynb"]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "bug" in err and "KeyError" in err
    log = err.split("traceback is in ")[1].split(",")[0]
    assert "Traceback" in Path(log).read_text() and "Traceback" not in err


def test_debug_mode_raises(monkeypatch):
    monkeypatch.setenv("AI4MLOPS_LAB_DEBUG", "1")
    monkeypatch.setattr(compiler, "compile_notebook", lambda *a, **k: {}["x"])
    with pytest.raises(KeyError):
        cli.main(["compile", "x.ipynb"])
