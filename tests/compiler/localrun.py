"""Test helpers: run a compiled pipeline with kfp.local and a notebook in a kernel, and collect values."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]

_PIPELINE_SCRIPT = textwrap.dedent("""
    import importlib.util, json, sys
    from pathlib import Path
    from types import SimpleNamespace
    from ai4mlops_lab.runs.local_execution import local_tasks

    module_path, yaml_path, root, out = sys.argv[1:5]
    with local_tasks(Path(yaml_path)):  # as a run's worker executes tasks (AI4MLOPS_LAB_LOCAL_EXECUTION)
        import cloudpickle
        from kfp import local
        from ai4mlops_lab.pipeline.runtime import _load

        spec = importlib.util.spec_from_file_location("generated_pipeline", module_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=root)
        module.pipeline()
    values = {}
    for path in Path(root).glob("*/*/executor_output.json"):
        data = json.loads(path.read_text())
        task = path.parent.name
        for key, value in data.get("parameterValues", {}).items():
            values[(task, key)] = value
        for key, group in data.get("artifacts", {}).items():
            artifact = group["artifacts"][0]
            meta = artifact.get("metadata", {})
            loaded = SimpleNamespace(path=artifact["uri"], metadata=meta)
            values[(task, key)] = _load(loaded) if "format" in meta else dict(meta)
    with open(out, "wb") as stream:
        cloudpickle.dump(values, stream)
""")


def _env(workdir: Path) -> dict:
    tmp = workdir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT), "AI4MLOPS_LAB_TARGET": "local"}


def run_pipeline(result: dict, workdir: Path, timeout: int = 240) -> dict:
    """Run the compiled module with kfp.local in a subprocess; returns {variable: value, metric: value}
    for the last step (in notebook order) that outputs each variable, plus every logged metric."""
    out = workdir / "pipeline-values.pkl"
    module = next(f for f in result["files"] if f.endswith(".py"))
    ir = next(f for f in result["files"] if f.endswith(".yaml"))
    proc = subprocess.run(
        [sys.executable, "-c", _PIPELINE_SCRIPT, module, ir, str(workdir / "root"), str(out)],
        env=_env(workdir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    with open(out, "rb") as stream:
        raw = pickle.load(stream)
    values: dict = {}
    for step in result["steps"]:
        for output in step["outputs"]:
            values[output["name"]] = raw[(step["task"], output["key"])]
        for metric in step["metrics"]:
            values["metric:" + metric["name"]] = raw[(step["task"], "metrics")][metric["name"]]
    return values


def run_kernel(notebook: Path, names: list[str], workdir: Path, timeout: int = 240) -> dict:
    """Execute the notebook top to bottom in a kernel; returns the final values of `names`."""
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    out = workdir / "kernel-values.pkl"
    nb.cells.append(
        nbformat.v4.new_code_cell(
            f"import cloudpickle as _cp\n"
            f"with open({str(out)!r}, 'wb') as _f:\n"
            f"    _cp.dump({{_k: globals()[_k] for _k in {names!r} if _k in globals()}}, _f)"
        )
    )
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workdir)}})
    client.execute(env=_env(workdir))
    with open(out, "rb") as stream:
        return pickle.load(stream)


def assert_same_values(pipeline_values: dict, kernel_values: dict, result: dict) -> None:
    """Every passed variable (that is not a function) and every metric equals the kernel's value; floats
    computed by numpy/torch within a tolerance (the kernel and the step may use other threads or kernels)."""
    import numpy as np

    metric_vars = {m["name"]: m["variable"] for s in result["steps"] for m in s["metrics"]}
    checked = 0
    for name, value in pipeline_values.items():
        var = metric_vars[name[7:]] if name.startswith("metric:") else name
        expected = kernel_values[var]
        if hasattr(value, "state_dict"):  # torch module: same weights
            import torch

            got, want = value.state_dict(), expected.state_dict()
            assert got.keys() == want.keys() and all(torch.allclose(got[k], want[k]) for k in got), name
        elif callable(value):
            continue
        elif name.startswith("metric:"):
            assert value == pytest.approx(float(expected)), (name, value, expected)
        elif type(value).__module__ == "torch":
            import torch

            assert value.shape == expected.shape and torch.allclose(value, expected, equal_nan=True), name
        elif isinstance(value, np.ndarray):
            assert value.shape == expected.shape and (
                np.allclose(value, expected, equal_nan=True)
                if value.dtype.kind in "fc"
                else np.array_equal(value, expected)
            ), name
        elif isinstance(value, float):
            assert value == pytest.approx(expected, nan_ok=True), (name, value, expected)
        else:
            assert value == expected, (name, value, expected)
        checked += 1
    assert checked, "nothing compared"
