"""Valid Python that KFP refuses: variable, step and parameter names, parameter values."""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from ai4mlops_lab.pipeline.compiler import compile_notebook
from ai4mlops_lab.pipeline.kfp_names import is_kfp_name, kfp_name, kfp_names
from tests.compiler.helpers import analyze, edges, find, step
from tests.compiler.notebooks.make_notebooks import notebook

KFP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # kfp.dsl.pipeline_channel's rule


def _compile(tmp_path, cells, metadata=None) -> dict:
    path = tmp_path / "names.ipynb"
    nbformat.write(notebook(cells, metadata), path)
    return compile_notebook(path, tmp_path / "out")


@pytest.mark.parametrize("name", ["_", "_scaler", "__x", "données", "数据", "class", "x"])
def test_every_identifier_maps_to_a_valid_stable_kfp_name(name):
    mapped = kfp_name(name)
    assert KFP_NAME.match(mapped) and is_kfp_name(mapped)
    assert kfp_name(name) == mapped
    assert (mapped == name) == is_kfp_name(name)


def test_mapped_names_are_unique_and_leave_valid_names_alone():
    mapped = kfp_names(["_", "v_", "données", "donnees"], set())
    assert mapped["v_"] == "v_" and mapped["donnees"] == "donnees"
    assert len(set(mapped.values())) == 4 and all(KFP_NAME.match(m) for m in mapped.values())


def test_python_names_kfp_refuses_are_passed_between_steps(tmp_path):
    result = _compile(
        tmp_path,
        [
            (["step:a"], "_scaler = 2\ndonnées = [1, 2]\n__x = 3\n_ = 5"),
            (["step:b"], "y = _scaler * données[0] + __x + _"),
        ],
    )
    assert result["ok"], result["diagnostics"]
    assert edges(result) == {("a", "b", ("_", "__x", "_scaler", "données"), "data")}
    spec = yaml.safe_load(Path(result["files"][1]).read_text())
    names = [
        name
        for component in spec["components"].values()
        for group in ("inputDefinitions", "outputDefinitions")
        for kind in ("parameters", "artifacts")
        for name in component.get(group, {}).get(kind, {})
    ]
    assert len(names) == 8 and all(KFP_NAME.match(n) for n in names), names


def test_underscore_as_a_throwaway_is_not_data():
    result = analyze(
        [
            (["step:a"], "_ = print('a')\nx = [1, 2]"),
            (["step:b"], "for _, v in enumerate(x):\n    print(v)\n_ = len(x)\ny = 1"),
            (["step:c"], "z = y"),
        ]
    )
    assert edges(result) == {("a", "b", ("x",), "data"), ("b", "c", ("y",), "data")}
    assert not step(result, "b")["outputs"][1:]  # only y


@pytest.mark.parametrize("names", [["_"], ["_a", "a"], ["a__b", "a_b"], ["for", "for_"], ["os", "pipeline"]])
def test_step_names_make_distinct_valid_tasks(tmp_path, names):
    result = _compile(tmp_path, [([f"step:{name}"], f"x{i} = {i}") for i, name in enumerate(names)])
    assert result["ok"], result["diagnostics"]
    tasks = [s["task"] for s in result["steps"]]
    assert len(set(tasks)) == len(names) and all(tasks)
    spec = yaml.safe_load(Path(result["files"][1]).read_text())
    assert sorted(spec["root"]["dag"]["tasks"]) == sorted(tasks)


@pytest.mark.parametrize(
    "source, text",
    [
        ("_lr = 0.1", "parameter name '_lr' is not accepted"),
        ("taux_données = 1", "parameter name 'taux_données' is not accepted"),
        ("kubernetes = 1", "parameter name 'kubernetes' is not accepted"),
        ("lr = 1e999", "has the default inf"),
        ("lr = -1e999", "has the default -inf"),
    ],
)
def test_parameters_kfp_refuses_are_errors_naming_the_line(tmp_path, source, text):
    result = _compile(tmp_path, [(["pipeline-parameters"], f"ok = 1\n{source}"), (["step:a"], "x = ok")])
    diag = find(result, "error", text)
    assert (diag["cell"], diag["line"]) == (0, 2)
    assert not result["ok"] and result["files"] == []
