"""Property: any notebook a user brings reads, splits, analyses and compiles, or gets diagnostics; never an exception.

Bounded for CI (AI4MLOPS_HYPOTHESIS_EXAMPLES, default 40 notebooks); failing examples found are kept below
as @example regression cases.
"""

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ai4mlops_lab.pipeline.compiler import analyze_notebook, compile_notebook
from tests.compiler.kfp_reference import assert_same_ir, kfp_ir_text

EXAMPLES = int(os.environ.get("AI4MLOPS_HYPOTHESIS_EXAMPLES", "40"))
NAMES = st.sampled_from(["x", "_", "_scaler", "__x", "données", "list", "print", "model", "a", "b", "class_", "_lr"])
TAGS = st.sampled_from(
    [
        "imports",
        "functions",
        "pipeline-parameters",
        "pipeline-metrics",
        "skip",
        "step:",
        "step:a",
        "step:b",
        "step:_",
        "step:a__b",
        "step:a_b",
        "block:c",
        "prev:a",
        "prev:b",
        "prev:zz",
        "limit:cpu:1",
        "limit:disk:1",
        "cache:enabled",
        "step:Bad",
        "bogus",
        "",
    ]
)
LINES = st.one_of(
    st.builds(lambda n, v: f"{n} = {v}", NAMES, st.sampled_from(["1", "2.5", "'s'", "True", "None", "1e999", "[1]"])),
    st.builds(lambda a, b: f"{a} = {b} + 1", NAMES, NAMES),
    st.builds(lambda n: f"print({n})", NAMES),
    st.builds(lambda n: f"for {n}, row in enumerate([1]):\n    pass", NAMES),
    st.sampled_from(
        [
            "import numpy as np",
            "from os import *",
            "%matplotlib inline",
            "!pip install six",
            "def f(:",
            "",
            "def g(v):\n    return v + x",
            "del x",
            "_ = g(1)",
        ]
    ),
)
SOURCE = st.lists(LINES, max_size=4).map("\n".join)
METADATA = st.one_of(
    st.builds(lambda tags: {"tags": tags}, st.lists(TAGS, max_size=3)),
    st.builds(lambda tag: {"tags": tag}, TAGS),
    st.just([]),
    st.just({}),
)
CELL = st.builds(
    lambda kind, source, as_list, metadata: {
        "cell_type": kind,
        "metadata": metadata,
        "outputs": [],
        "source": source.splitlines(True) if as_list else source,
    },
    st.sampled_from(["code", "code", "code", "markdown", "raw"]),
    SOURCE,
    st.booleans(),
    METADATA,
)
NOTEBOOK = st.builds(
    lambda cells, meta: {"nbformat": 4, "nbformat_minor": 5, "metadata": meta, "cells": cells},
    st.lists(CELL, max_size=6),
    st.one_of(st.just({}), st.just([]), st.just({"kubeflow_notebook": {"pipeline_name": "p"}})),
)

# Mostly-valid notebooks, so that many analyse clean and reach kfp's compiler.
STEP_LINES = st.one_of(
    st.builds(lambda n, v: f"{n} = {v}", NAMES, st.sampled_from(["1", "2.5", "'s'", "[1, 2]", "{'k': 1}"])),
    st.builds(lambda a, b: f"{a} = {b}", NAMES, NAMES),
    st.just("for _, row in enumerate([1]):\n    pass"),
)
STEP_CELL = st.builds(
    lambda tag, lines, as_list: {
        "cell_type": "code",
        "metadata": {"tags": [tag]},
        "outputs": [],
        "source": "\n".join(lines).splitlines(True) if as_list else "\n".join(lines),
    },
    st.sampled_from(["step:a", "step:b", "step:_", "step:a__b", "step:a_b", "step:", "skip"]),
    st.lists(STEP_LINES, min_size=1, max_size=3),
    st.booleans(),
)
MOSTLY_VALID = st.builds(
    lambda cells: {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells},
    st.lists(STEP_CELL, min_size=1, max_size=5),
)


def _check(result: dict) -> None:
    assert isinstance(result["ok"], bool)
    for d in result["diagnostics"]:
        assert d["severity"] in ("error", "warning", "info") and d["message"]
        assert d["cell"] is None or isinstance(d["cell"], int)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NOTEBOOK)
@example(
    {
        "nbformat": 4,
        "metadata": {},
        "cells": [
            {"cell_type": "code", "source": ["import os\n", "print(1)"], "metadata": {}},
            {"cell_type": "code", "source": "_ = 1\n_scaler = 2", "metadata": {"tags": ["step:_"]}},
            {"cell_type": "code", "source": "y = _ + _scaler", "metadata": {"tags": ["step:a__b"]}},
        ],
    }
)
def test_any_notebook_analyses_to_a_pipeline_or_diagnostics(nb):
    _check(analyze_notebook(nb, "property"))


@settings(
    max_examples=max(EXAMPLES // 4, 5),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.one_of(MOSTLY_VALID, NOTEBOOK))
@example(
    {
        "nbformat": 4,
        "metadata": {},
        "cells": [  # found by this test: a step appended later reads a later step
            {"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["step:b"]}},
            {"cell_type": "code", "source": "_scaler = [1, 2]", "metadata": {"tags": ["step:a"]}},
            {"cell_type": "code", "source": "x = _scaler", "metadata": {"tags": ["step:b"]}},
        ],
    }
)
def test_a_notebook_that_analyses_clean_compiles_to_kfps_ir(tmp_path, nb):
    result = analyze_notebook(nb, "property")
    if not result["ok"] or not isinstance(nb["metadata"], dict):
        return
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))  # as given: sources as strings or lists
    compiled = compile_notebook(path, tmp_path / "out")
    _check(compiled)
    assert compiled["ok"], compiled["diagnostics"]
    module, ir = map(Path, compiled["files"])
    assert_same_ir(ir.read_text(), kfp_ir_text(module))  # kfp compiles the generated module to the same IR
