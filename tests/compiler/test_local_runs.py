"""Correctness bar: a kfp.local run of the compiled pipeline reproduces the kernel's values and metrics."""

from pathlib import Path

import pytest

from ai4mlops_lab.pipeline.compiler import compile_notebook
from tests.compiler.localrun import assert_same_values, run_kernel, run_pipeline

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = [
    ROOT
    / "tests/compiler/notebooks/dataflow.ipynb",  # numpy, parameters, metrics, function + free vars, prev:, branches
    ROOT / "tests/compiler/notebooks/kale_legacy.ipynb",  # Kale 0.x notebook, unmodified
    ROOT / "tests/compiler/notebooks/kale_defects.ipynb",  # _, _scaler, données passed; a parameter metric
    ROOT / "examples/torch-train.ipynb",  # the README demo: torch MLP training
]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_local_run_matches_kernel(notebook, tmp_path):
    result = compile_notebook(notebook, tmp_path, target="local")
    assert result["ok"], result["diagnostics"]
    assert not [d for d in result["diagnostics"] if d["severity"] == "error"]
    pipeline_values = run_pipeline(result, tmp_path)
    names = sorted(
        {o["name"] for s in result["steps"] for o in s["outputs"]}
        | {m["variable"] for s in result["steps"] for m in s["metrics"]}
    )
    kernel_values = run_kernel(notebook, names, tmp_path)
    assert_same_values(pipeline_values, kernel_values, result)
