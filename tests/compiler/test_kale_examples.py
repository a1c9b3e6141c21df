"""Shapes taken from Kale's published example notebooks (rebuilt here, never copied)."""

import pytest

from tests.compiler.helpers import analyze, find, messages, step


def test_report_tag_is_a_known_kale_step_tag():
    """Kale's iris/xgboost example tags its steps `report:disabled`: accepted, never an unknown tag."""
    result = analyze([
        (["step:load", "report:disabled"], "x = 1"),
        (["step:train", "prev:load", "report:enabled"], "y = x + 1"),
    ])
    assert result["ok"]
    assert not [m for m in messages(result) if "unknown tag" in m]
    assert find(result, "info", "report:disabled")["cell"] == 0
    assert step(result, "train")["settings"] == step(result, "load")["settings"]


@pytest.mark.parametrize("cells, text, cell", [
    ([(["step:a", "report:sometimes"], "x = 1")], "invalid tag 'report:sometimes'", 0),
    ([(["imports", "report:disabled"], "import os"), (["step:a"], "x = 1")], "only apply to a step cell", 0),
])
def test_bad_report_tag_is_an_error_naming_the_cell(cells, text, cell):
    result = analyze(cells)
    assert find(result, "error", text)["cell"] == cell
    assert not result["ok"]


def test_kale_notebook_composition_is_refused_by_name():
    """Kale's composition example: cells tagged `notebook:NAME` that stand for other notebooks."""
    result = analyze([
        (None, "# Composition"),
        (["notebook:notebook_a"], ""),
        (["notebook:notebook_b"], ""),
    ])
    refusal = find(result, "error", "notebook:notebook_a")
    assert refusal["cell"] == 1 and "composition" in refusal["message"]
    assert "compile" in refusal["hint"]
    assert find(result, "error", "notebook:notebook_b")["cell"] == 2
    assert not [m for m in messages(result) if "unknown tag" in m]
    assert not result["ok"]


def test_bare_name_ending_a_step_is_its_output():
    """Kale's RAG example ends a step with a bare `md5_hash`: Kale makes it an output artifact."""
    result = analyze([
        (["imports"], "import hashlib"),
        (["step:build"], "blob = b'abc'"),
        (["step:check", "prev:build"], "md5_hash = hashlib.md5(blob).hexdigest()\nprint(md5_hash)\nmd5_hash"),
        (["step:echo"], "blob"),
    ])
    assert result["ok"]
    assert [o["name"] for o in step(result, "check")["outputs"]] == ["md5_hash"]
    assert [o["name"] for o in step(result, "echo")["outputs"]] == ["blob"]


@pytest.mark.parametrize("tag", ["parameters", "injected-parameters"])
def test_papermill_parameters_cell_is_prepended_to_every_step_as_kale_did(tag):
    """Kale's base_example_numpy_hp: a papermill `parameters` cell whose names every step reads."""
    result = analyze([
        ([tag], "w = 5\nh = 7"),
        (["imports"], "import numpy as np"),
        (["block:init"], "a = np.ones((w, h))"),
        (["block:mean", "prev:init"], "c = a.mean() * w"),
    ])
    assert result["ok"], result["diagnostics"]
    assert find(result, "info", f"'{tag}'")["cell"] == 0
    assert not [m for m in messages(result) if "unknown tag" in m or "defined nowhere" in m]
    assert step(result, "init")["inputs"] == []  # w and h come with the prepended cell
    assert [(i["name"], i["from"]) for i in step(result, "mean")["inputs"]] == [("a", "init")]
