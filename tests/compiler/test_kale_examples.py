"""Shapes taken from Kale's published example notebooks (rebuilt here, never copied)."""

from pathlib import Path

import nbformat
import pytest
import yaml

from ai4mlops_lab.pipeline.compiler import compile_notebook
from tests.compiler.helpers import analyze, edges, find, messages, step
from tests.compiler.notebooks.make_notebooks import notebook


def test_report_tag_is_a_known_kale_step_tag():
    """Kale's iris/xgboost example tags its steps `report:disabled`: accepted, never an unknown tag."""
    result = analyze(
        [
            (["step:load", "report:disabled"], "x = 1"),
            (["step:train", "prev:load", "report:enabled"], "y = x + 1"),
        ]
    )
    assert result["ok"]
    assert not [m for m in messages(result) if "unknown tag" in m]
    assert find(result, "info", "report:disabled")["cell"] == 0
    assert step(result, "train")["settings"] == step(result, "load")["settings"]


@pytest.mark.parametrize(
    "cells, text, cell",
    [
        ([(["step:a", "report:sometimes"], "x = 1")], "invalid tag 'report:sometimes'", 0),
        ([(["imports", "report:disabled"], "import os"), (["step:a"], "x = 1")], "only apply to a step cell", 0),
    ],
)
def test_bad_report_tag_is_an_error_naming_the_cell(cells, text, cell):
    result = analyze(cells)
    assert find(result, "error", text)["cell"] == cell
    assert not result["ok"]


def test_kale_notebook_composition_is_refused_by_name():
    """Kale's composition example: cells tagged `notebook:NAME` that stand for other notebooks."""
    result = analyze(
        [
            (None, "# Composition"),
            (["notebook:notebook_a"], ""),
            (["notebook:notebook_b"], ""),
        ]
    )
    refusal = find(result, "error", "notebook:notebook_a")
    assert refusal["cell"] == 1 and "composition" in refusal["message"]
    assert "compile" in refusal["hint"]
    assert find(result, "error", "notebook:notebook_b")["cell"] == 2
    assert not [m for m in messages(result) if "unknown tag" in m]
    assert not result["ok"]


def test_bare_name_ending_a_step_is_its_output():
    """Kale's RAG example ends a step with a bare `md5_hash`: Kale makes it an output artifact."""
    result = analyze(
        [
            (["imports"], "import hashlib"),
            (["step:build"], "blob = b'abc'"),
            (["step:check", "prev:build"], "md5_hash = hashlib.md5(blob).hexdigest()\nprint(md5_hash)\nmd5_hash"),
            (["step:echo"], "blob"),
        ]
    )
    assert result["ok"]
    assert [o["name"] for o in step(result, "check")["outputs"]] == ["md5_hash"]
    assert [o["name"] for o in step(result, "echo")["outputs"]] == ["blob"]


@pytest.mark.parametrize("tag", ["parameters", "injected-parameters"])
def test_papermill_parameters_cell_is_prepended_to_every_step_as_kale_did(tag):
    """Kale's base_example_numpy_hp: a papermill `parameters` cell whose names every step reads."""
    result = analyze(
        [
            ([tag], "w = 5\nh = 7"),
            (["imports"], "import numpy as np"),
            (["block:init"], "a = np.ones((w, h))"),
            (["block:mean", "prev:init"], "c = a.mean() * w"),
        ]
    )
    assert result["ok"], result["diagnostics"]
    assert find(result, "info", f"'{tag}'")["cell"] == 0
    assert not [m for m in messages(result) if "unknown tag" in m or "defined nowhere" in m]
    assert step(result, "init")["inputs"] == []  # w and h come with the prepended cell
    assert [(i["name"], i["from"]) for i in step(result, "mean")["inputs"]] == [("a", "init")]


def _exposed(*names: str) -> dict:
    return {
        "kubeflow_notebook": {
            "volumes": [
                {"name": name, "type": "pvc", "mount_point": f"/mnt/{i}", "expose_as_env_var": True}
                for i, name in enumerate(names)
            ]
        }
    }


def test_volume_exposed_as_env_var_sets_kales_variable_on_every_step(tmp_path):
    """Kale's mount_pvc_env_var test notebook: the mount point is given to steps as KALE_VOLUME_<NAME>."""
    nb = notebook(
        [(["step:load"], "data_path = '/mnt/0/input.csv'"), (["step:train"], "result = data_path + '_x'")],
        _exposed("raw-data.v2"),
    )
    path = tmp_path / "pvc_env.ipynb"
    nbformat.write(nb, path)
    result = compile_notebook(path)
    assert result["ok"], result["diagnostics"]
    assert step(result, "train")["settings"]["volumes"] == [
        {"pvc": "raw-data.v2", "mount_path": "/mnt/0", "env": "KALE_VOLUME_RAW_DATA_V2"}
    ]
    spec = next(yaml.safe_load_all(Path(result["files"][1]).read_text()))
    for executor in ("exec-load", "exec-train"):
        env = spec["deploymentSpec"]["executors"][executor]["container"]["env"]
        assert {"name": "KALE_VOLUME_RAW_DATA_V2", "value": "/mnt/0"} in env


def test_volumes_whose_env_vars_collide_are_an_error():
    result = analyze([(["step:a"], "x = 1")], _exposed("my-data", "my.data"))
    collision = find(result, "error", "KALE_VOLUME_MY_DATA")
    assert "my-data" in collision["message"] and "my.data" in collision["message"]
    assert not result["ok"]


def test_kale_orderings_and_data_edges_are_kept():
    """Kale's candies_sharing shape: a prev-only edge, a prev chain, and data read two steps down."""
    result = analyze(
        [
            (["imports"], "import random"),
            (["pipeline-parameters"], "CANDIES = 20"),
            (["functions"], "def get_handful(left):\n    return random.randint(0, left)"),
            (["step:sack"], "print(CANDIES)"),
            (["prev:sack", "step:kid1"], "kid1 = get_handful(CANDIES)"),
            (["prev:kid1", "step:kid2"], "kid2 = get_handful(CANDIES - kid1)"),
            (["prev:kid2", "step:kid3"], "kid3 = get_handful(CANDIES - kid1 - kid2)"),
        ]
    )
    assert result["ok"]
    assert [s["name"] for s in result["steps"]] == ["sack", "kid1", "kid2", "kid3"]
    assert edges(result) == {
        ("sack", "kid1", (), "prev"),
        ("kid1", "kid2", ("kid1",), "data"),
        ("kid1", "kid3", ("kid1",), "data"),
        ("kid2", "kid3", ("kid2",), "data"),
    }
