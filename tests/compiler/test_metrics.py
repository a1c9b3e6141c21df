"""pipeline-metrics: computed values and (as Kale does) pipeline parameters."""

from pathlib import Path

import nbformat
import pytest

from ai4mlops_lab.pipeline.compiler import compile_notebook
from tests.compiler.helpers import analyze, find, step
from tests.compiler.notebooks.make_notebooks import notebook


@pytest.mark.parametrize(
    "cells, logger",
    [
        ([(["step:a"], "x = 1"), (["step:b"], "y = d1 * 2"), (["step:c"], "z = y + d1"), (["step:d"], "w = 0")], "c"),
        ([(["step:a"], "x = 1"), (["step:b"], "y = 2")], "a"),
    ],
)
def test_a_printed_parameter_is_logged_by_the_last_step_reading_it(cells, logger):
    result = analyze([(["pipeline-parameters"], "d1 = 0.5\nname = 'x'"), *cells, (["pipeline-metrics"], "print(d1)")])
    assert result["ok"], result["diagnostics"]
    assert [s["name"] for s in result["steps"] if s["metrics"]] == [logger]
    assert step(result, logger)["metrics"] == [{"name": "d1", "variable": "d1"}]
    assert "d1" in step(result, logger)["parameters"]


def test_a_printed_text_parameter_is_an_error_naming_the_line():
    result = analyze(
        [
            (["pipeline-parameters"], "name = 'x'"),
            (["step:a"], "x = 1"),
            (["pipeline-metrics"], "print(x)\nprint(name)"),
        ]
    )
    diag = find(result, "error", "metric 'name' is a text parameter")
    assert (diag["cell"], diag["line"]) == (2, 2)


def test_a_printed_parameter_compiles_into_the_metrics_output(tmp_path):
    path = tmp_path / "m.ipynb"
    nbformat.write(
        notebook([(["pipeline-parameters"], "d1 = 3"), (["step:a"], "x = 1"), (["pipeline-metrics"], "print(d1)")]),
        path,
    )
    result = compile_notebook(path, tmp_path)
    assert result["ok"], result["diagnostics"]
    source = Path(result["files"][0]).read_text()
    assert "_log_metrics(metrics, {'d1': _get(_ns, 'd1')})" in source
    assert "a_task = a(d1=d1)" in source
