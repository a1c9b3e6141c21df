"""Sizes and shapes past what Python's parser or a responsive analysis takes: diagnostics, never exceptions."""

import pytest

from ai4mlops_lab.notebook.limits import MAX_CELL_CHARS, MAX_CODE_CHARS, MAX_STEPS
from ai4mlops_lab.pipeline.compiler import analyze_notebook
from tests.compiler.helpers import analyze, find
from tests.compiler.notebooks.make_notebooks import notebook

HUGE_SUM = "x = " + " + ".join(["1"] * 5000)
DEEP_ATTRIBUTES = "x = a" + ".b" * 3000
DEEP_UNARY = "x = " + "-" * 5000 + "1"


@pytest.mark.parametrize("source", [HUGE_SUM, DEEP_ATTRIBUTES, DEEP_UNARY])
@pytest.mark.parametrize("tags", [["step:b"], ["imports"], ["pipeline-parameters"], ["pipeline-metrics"]])
def test_code_too_deep_for_the_parser_is_an_error_naming_the_cell(source, tags):
    cells = [(["step:a"], "a = 1"), (tags, source)] if tags != ["imports"] else [(tags, source), (["step:a"], "a = 1")]
    result = analyze(cells)
    cell = 1 if tags != ["imports"] else 0
    assert not result["ok"]
    assert [d["cell"] for d in result["diagnostics"] if d["severity"] == "error"] == [cell], result["diagnostics"]


def test_a_cell_past_the_size_limit_is_refused_naming_it():
    big = "\n".join(f"x{i} = {i}" for i in range(MAX_CELL_CHARS // 8))
    assert len(big) > MAX_CELL_CHARS
    result = analyze([(["step:a"], "a = 1"), (["step:b"], big)])
    assert find(result, "error", "characters; cells of more than")["cell"] == 1
    assert not result["ok"]


def test_a_notebook_past_the_code_limit_is_refused_once_from_the_cell_that_crosses_it():
    chunk = "\n".join(f"x{i} = {i}" for i in range(MAX_CELL_CHARS // 20))
    assert len(chunk) < MAX_CELL_CHARS
    count = MAX_CODE_CHARS // len(chunk) + 2
    result = analyze([([f"step:s{i}"], chunk) for i in range(count)])
    errors = [d for d in result["diagnostics"] if d["severity"] == "error"]
    assert len(errors) == 1 and "characters of code" in errors[0]["message"]
    assert errors[0]["cell"] == MAX_CODE_CHARS // len(chunk)


def test_the_most_steps_analyse_and_one_more_is_refused():
    chain = [([f"step:s{i}"], f"v{i} = v{i - 1} + 1" if i else "v0 = 0") for i in range(MAX_STEPS + 1)]
    result = analyze_notebook(notebook(chain[:MAX_STEPS]), "big")
    assert result["ok"] and len(result["steps"]) == MAX_STEPS and len(result["edges"]) == MAX_STEPS - 1
    result = analyze_notebook(notebook(chain), "big")
    assert find(result, "error", f"more than {MAX_STEPS:,} steps")["cell"] == MAX_STEPS
