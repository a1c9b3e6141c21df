"""Tag language, notebook settings and reading files."""

import json

import pytest

from ai4mlops_lab.notebook import NotebookReadError, read_notebook
from ai4mlops_lab.pipeline.compiler import analyze_notebook, compile_notebook
from tests.compiler.helpers import analyze, find, messages, step
from tests.compiler.notebooks.make_notebooks import notebook


def test_steps_merge_untagged_continue_and_append():
    result = analyze(
        [
            ([], "ignored = 1"),
            (["step:a"], "x = 1"),
            ([], "y = 2"),
            (["skip"], "z = 3"),
            ([], "w = 4"),
            (["step:b"], "v = x"),
            (["step:"], "u = v"),
            (["step:a"], "t = 5"),
        ]
    )
    assert step(result, "a")["cells"] == [1, 2, 4, 7]
    assert step(result, "b")["cells"] == [5, 6]
    note = find(result, "info", "before the first tag")
    assert note["cell"] == 0
    assert note["message"] == "untagged cell 1 before the first tag is not part of the pipeline"
    assert result["ok"]


def test_untagged_cells_before_the_first_tag_read_as_a_sentence():
    result = analyze([([], "a = 1"), ([], "b = 2"), ([], "c = 3"), (["step:s"], "d = a")])
    message = find(result, "info", "before the first tag")["message"]
    assert message == "untagged cells 1, 2 and 3 before the first tag are not part of the pipeline"


def test_block_alias_and_step_name_rules():
    result = analyze([(["block:load"], "x = 1"), (["step:Bad-Name"], "y = 2")])
    assert [s["name"] for s in result["steps"]] == ["load"]
    assert find(result, "error", "invalid step name")["cell"] == 1
    assert not result["ok"]


@pytest.mark.parametrize(
    "cells, text, cell",
    [
        ([(["step:a", "prev:b"], "x = 1")], "unknown step", 0),
        ([(["step:a"], "x = 1"), (["step:b", "prev:c"], "y = 1"), (["step:c"], "z = 1")], "unknown step", 1),
        ([(["step:a", "prev:a"], "x = 1")], "itself", 0),
        ([(["imports", "limit:cpu:1"], "import os"), (["step:a"], "x = 1")], "only apply to a step cell", 0),
        ([(["step:a", "limit:disk:1"], "x = 1")], "invalid tag 'limit:disk:1'", 0),
        ([(["step:a", "limit:memory:1.5Gi"], "x = 1")], "invalid tag 'limit:memory:1.5Gi'", 0),  # kfp refuses it
        ([(["step:a", "request:memory:512k"], "x = 1")], "invalid tag 'request:memory:512k'", 0),
        ([(["step:a", "retry:x"], "x = 1")], "invalid tag 'retry:x'", 0),
        ([(["step:a", "imports"], "x = 1")], "conflicting tags", 0),
        ([(["step:"], "x = 1")], "previous step", 0),
        ([(["pipeline-metrics"], "print(x)"), (["step:a"], "x = 1")], "before any step", 0),
        (
            [(["step:a"], "x = 1"), (["pipeline-metrics"], "print(x)"), (["step:b"], "y = 1")],
            "after the pipeline-metrics",
            2,
        ),
        ([(["pipeline-parameters"], "a = 1 + 1"), (["step:a"], "x = a")], "only NAME = <literal>", 0),
        ([(["step:a"], "x = 1"), (["pipeline-metrics"], "print(x + 1)")], "only print(<variable>)", 1),
        ([(["imports"], "import os")], "no steps", None),
    ],
)
def test_bad_input_is_an_error_naming_the_cell(cells, text, cell):
    result = analyze(cells)
    assert find(result, "error", text)["cell"] == cell
    assert result["ok"] is False


def test_tags_on_markdown_and_unknown_tags_warn():
    nb = notebook([(None, "# title"), (["step:a", "whatever"], "x = 1")])
    nb.cells[0].metadata["tags"] = ["step:md"]
    result = analyze_notebook(nb)
    assert find(result, "warning", "unknown tag 'whatever'")["cell"] == 1
    assert find(result, "warning", "markdown cell are ignored")["cell"] == 0
    assert [s["name"] for s in result["steps"]] == ["a"] and result["ok"]


def test_settings_tags_and_notebook_defaults():
    result = analyze(
        [
            (
                [
                    "step:a",
                    "image:repo/img:1.0",
                    "limit:cpu:2",
                    "limit:memory:4Gi",
                    "request:cpu:500m",
                    "limit:nvidia.com/gpu:1",
                    "annotation:team.io/owner:ml:ops",
                    "label:tier:gold",
                    "secret:creds:token:API_TOKEN",
                    "cache:disabled",
                    "retry:3",
                    "timeout:600",
                ],
                "x = 1",
            )
        ],
        {"ai4mlops_lab": {"steps_defaults": ["label:env:dev", "limit:amd.com/gpu:2"], "enable_caching": True}},
    )
    settings = step(result, "a")["settings"]
    assert settings["image"] == "repo/img:1.0"
    assert settings["limits"] == {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1", "amd.com/gpu": "2"}
    assert settings["requests"] == {"cpu": "500m"}
    assert settings["annotations"] == {"team.io/owner": "ml:ops"}
    assert settings["labels"] == {"env": "dev", "tier": "gold"}
    assert settings["secrets"] == [{"name": "creds", "key": "token", "env": "API_TOKEN"}]
    assert (settings["cache"], settings["retry"], settings["timeout"]) == (False, 3, 600)


def test_legacy_kale_metadata_is_mapped_or_warned():
    metadata = {
        "kubeflow_notebook": {
            "docker_image": "img:1",
            "pipeline_name": "Old Kale",
            "experiment": {"id": "x", "name": "exp"},
            "volumes": [
                {"name": "pvc1", "mount_point": "/data", "type": "pvc"},
                {"name": "snap", "mount_point": "/s", "type": "new_pvc"},
            ],
            "katib_run": True,
            "autosnapshot": False,
            "steps_defaults": ["retry:2"],
            "mystery": 1,
        }
    }
    result = analyze([(["step:a"], "x = 1")], metadata)
    assert result["pipeline"] == "old-kale"
    assert result["settings"]["base_image"] == "img:1"
    assert result["settings"]["experiment"] == "exp"
    assert step(result, "a")["settings"]["volumes"] == [{"pvc": "pvc1", "mount_path": "/data"}]
    assert step(result, "a")["settings"]["retry"] == 2
    warnings = " ".join(messages(result, "warning"))
    assert "katib_run" in warnings and "snap" in warnings and "mystery" in warnings
    assert "autosnapshot" not in warnings
    assert result["ok"]


def test_read_errors(tmp_path):
    with pytest.raises(NotebookReadError, match="not found"):
        read_notebook(tmp_path / "missing.ipynb")
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    with pytest.raises(NotebookReadError, match="not valid JSON"):
        compile_notebook(bad)
    other = tmp_path / "other.ipynb"
    other.write_text(json.dumps({"hello": 1}))
    with pytest.raises(NotebookReadError, match="not a Jupyter notebook"):
        read_notebook(other)
