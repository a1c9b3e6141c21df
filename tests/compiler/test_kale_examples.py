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
