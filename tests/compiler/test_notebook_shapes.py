"""Notebooks as Jupyter saves them (sources as lists) and malformed shapes: diagnostics, never exceptions."""

import json

import nbformat
import pytest

from ai4mlops_lab.cli.main import main
from ai4mlops_lab.notebook.cells import notebook_cells
from ai4mlops_lab.pipeline.compiler import analyze_notebook, compile_notebook
from tests.compiler.helpers import analyze, find, step
from tests.compiler.notebooks.make_notebooks import notebook


def _saved(tmp_path, nb, name="nb.ipynb"):
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _raw(cells, metadata=None) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {}, "cells": cells}


def test_untagged_multiline_cell_before_the_first_tag_compiles_from_disk(tmp_path):
    path = _saved(tmp_path, notebook([([], "import os\nprint(os.name)"), (["step:a"], "x = 1\ny = x + 1")]))
    assert isinstance(json.loads(path.read_text())["cells"][0]["source"], list)  # as Jupyter saves it
    result = compile_notebook(path, tmp_path / "out")
    assert result["ok"], result["diagnostics"]
    assert find(result, "info", "before the first tag")["cell"] == 0
    assert step(result, "a")["cells"] == [1]


def test_a_notebook_without_steps_is_exit_2_with_the_diagnostic(tmp_path, capsys):
    path = _saved(tmp_path, notebook([([], "import os\nprint(os.name)"), (["imports"], "import json\nimport re")]))
    assert main(["compile", str(path)]) == 2
    assert "the notebook has no steps" in capsys.readouterr().err


def test_prev_on_a_skip_cell_is_a_warning():
    result = analyze([(["step:a"], "x = 1"), (["skip", "prev:a"], "print(x)"), (["step:b"], "y = x")])
    assert find(result, "warning", "ignored on a skip cell")["cell"] == 1
    assert result["ok"], result["diagnostics"]


@pytest.mark.parametrize(
    "cell, text",
    [
        (
            {"cell_type": "code", "source": "x = 1", "metadata": {"tags": "step:a"}, "outputs": []},
            "not a list; read as one tag",
        ),
        ({"cell_type": "code", "source": "x = 1", "metadata": ["step:a"], "outputs": []}, "cell metadata is a list"),
        ({"cell_type": "code", "source": None, "metadata": {"tags": ["skip"]}, "outputs": []}, None),
        ({"cell_type": "code", "source": ["x", 1], "metadata": {}, "outputs": []}, "cell source is a list"),
        ({"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["skip", 3]}}, "tag 3 is not a string"),
        ({"cell_type": 7, "source": "x = 1"}, "no cell_type"),
        ("step:a", "cell is a string"),
    ],
)
def test_malformed_cells_are_warnings_naming_the_cell(cell, text):
    result = analyze_notebook(
        _raw(
            [
                cell,
                {"cell_type": "code", "source": ["z = 2\n", "w = z"], "metadata": {"tags": ["step:b"]}, "outputs": []},
            ]
        )
    )
    if text:
        assert find(result, "warning", text)["cell"] == 0
    assert "b" in [s["name"] for s in result["steps"]]


def test_tags_given_as_a_string_still_name_the_step():
    result = analyze_notebook(_raw([{"cell_type": "code", "source": ["x = 1"], "metadata": {"tags": "step:a"}}]))
    assert [s["name"] for s in result["steps"]] == ["a"] and result["ok"]


@pytest.mark.parametrize(
    "nb",
    [
        {
            "nbformat": 4,
            "metadata": [1, 2],
            "cells": [{"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["step:a"]}}],
        },
        {"nbformat": 4, "metadata": {}, "cells": {"0": "x"}},
        {"nbformat": 4, "metadata": "text", "cells": None},
    ],
)
def test_malformed_notebooks_are_diagnostics(nb):
    result = analyze_notebook(nb)
    assert result["diagnostics"]
    assert all(d["severity"] in ("error", "warning", "info") for d in result["diagnostics"])


def test_every_source_shape_normalises_to_the_same_text():
    cells, _ = notebook_cells(
        _raw(
            [
                {"cell_type": "code", "source": "a = 1\nb = 2"},
                {"cell_type": "code", "source": ["a = 1\n", "b = 2"]},
            ]
        )
    )
    assert cells[0].source == cells[1].source == "a = 1\nb = 2"


def test_the_kale_style_corpus_notebook_compiles_with_its_edges_and_metrics(tmp_path):
    from pathlib import Path

    path = Path(__file__).parent / "notebooks" / "kale_defects.ipynb"
    result = compile_notebook(path, tmp_path)
    assert result["ok"], result["diagnostics"]
    assert {(e["source"], e["target"], tuple(e["variables"])) for e in result["edges"]} == {
        ("load_data", "scale", ("_scaler", "données")),
        ("scale", "_", ("total",)),
    }
    assert {m["name"] for s in result["steps"] for m in s["metrics"]} == {"total", "lr"}
    assert find(result, "warning", "ignored on a skip cell")["cell"] == 6
