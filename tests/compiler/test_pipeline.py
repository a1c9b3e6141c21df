"""Code generation, compilation to IR, the marshalling runtime and the public API."""

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest
import yaml

from ai4mlops_lab.pipeline import runtime
from ai4mlops_lab.pipeline.compiler import analyze_notebook, compile_notebook
from tests.compiler.notebooks.make_notebooks import DATAFLOW, notebook

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_NOTEBOOK = notebook(
    [
        (["imports"], "import numpy as np"),
        (
            [
                "step:prep",
                "limit:cpu:2",
                "limit:memory:4Gi",
                "request:cpu:500m",
                "request:memory:1Gi",
                "retry:3",
                "cache:disabled",
                "timeout:600",
                "secret:creds:token:API_TOKEN",
                "label:tier:gold",
                "annotation:team.io/owner:ml",
                "image:python:3.12-slim",
            ],
            "x = np.ones(3)",
        ),
        (["step:train", "limit:nvidia.com/gpu:2"], "y = x * 2"),
        (["step:other", "limit:amd.com/gpu:1"], "z = 1"),
    ],
    {"kubeflow_notebook": {"volumes": [{"name": "data", "mount_point": "/data", "type": "pvc"}]}},
)


def _write(tmp_path: Path, nb, name: str = "nb.ipynb") -> Path:
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def settings_ir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("settings")
    result = compile_notebook(_write(tmp, SETTINGS_NOTEBOOK, "settings.ipynb"))
    assert result["ok"], result["diagnostics"]
    docs = list(yaml.safe_load_all(Path(result["files"][1]).read_text()))
    return result, docs[0], docs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]


def test_resources_retry_cache_and_image_reach_the_ir(settings_ir):
    _, spec, _ = settings_ir
    prep = spec["deploymentSpec"]["executors"]["exec-prep"]["container"]
    assert prep["image"] == "python:3.12-slim"
    assert prep["resources"]["cpuLimit"] == 2.0 and prep["resources"]["cpuRequest"] == 0.5
    assert prep["resources"]["resourceCpuLimit"] == "2" and prep["resources"]["resourceMemoryLimit"] == "4Gi"
    assert prep["resources"]["resourceMemoryRequest"] == "1Gi"
    train = spec["deploymentSpec"]["executors"]["exec-train"]["container"]["resources"]["accelerator"]
    other = spec["deploymentSpec"]["executors"]["exec-other"]["container"]["resources"]["accelerator"]
    assert (train["resourceType"], train["resourceCount"]) == ("nvidia.com/gpu", "2")
    assert (other["resourceType"], other["resourceCount"]) == ("amd.com/gpu", "1")
    task = spec["root"]["dag"]["tasks"]["prep"]
    assert task["retryPolicy"]["maxRetryCount"] == 3
    assert task["cachingOptions"] == {}  # enable_caching=False
    assert spec["root"]["dag"]["tasks"]["train"]["cachingOptions"] == {"enableCache": True}


def test_kubernetes_settings_reach_the_platform_spec(settings_ir):
    _, _, executors = settings_ir
    prep = executors["exec-prep"]
    assert prep["secretAsEnv"][0]["keyToEnv"] == [{"envVar": "API_TOKEN", "secretKey": "token"}]
    assert prep["podMetadata"]["labels"] == {"tier": "gold"}
    assert prep["podMetadata"]["annotations"] == {"team.io/owner": "ml"}
    assert prep["activeDeadlineSeconds"] == "600"
    assert all(e["pvcMount"][0]["mountPath"] == "/data" for e in executors.values())


def test_cluster_target_pins_packages_and_kfp(settings_ir):
    result, spec, _ = settings_ir
    assert result["steps"][0]["packages"][0].startswith("numpy==")
    command = " ".join(spec["deploymentSpec"]["executors"]["exec-prep"]["container"]["command"])
    assert "kfp==" in command and "numpy==" in command


def test_generated_module_compiles_on_its_own(tmp_path):
    result = compile_notebook(_write(tmp_path, DATAFLOW, "flow.ipynb"), tmp_path / "out", target="local")
    module, ir = map(Path, result["files"])
    assert module.name == "flow.py" and ir.name == "flow.pipeline.yaml"
    ir.unlink()
    subprocess.run([sys.executable, str(module)], check=True, cwd=tmp_path, timeout=120)
    spec = yaml.safe_load(ir.read_text())
    assert set(spec["root"]["dag"]["tasks"]) == {s["task"] for s in result["steps"]}
    assert "pip install" not in ir.read_text()  # target=local: kfp.local runs without installs
    assert spec["root"]["inputDefinitions"]["parameters"]["scale"]["defaultValue"] == 2.5


def test_errors_write_nothing_and_do_not_raise(tmp_path):
    path = _write(tmp_path, notebook([(["step:a"], "x = undefined_thing")]))
    result = compile_notebook(path)
    assert result["ok"] is False and result["files"] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb.ipynb"]


def test_json_shape():
    result = analyze_notebook(DATAFLOW, "Data Flow!")
    assert result["pipeline"] == "data-flow"
    assert set(result) >= {"pipeline", "parameters", "steps", "edges", "diagnostics", "files", "ok"}
    assert result["parameters"][0] == {"name": "scale", "type": "float", "default": 2.5}
    assert set(result["steps"][0]) >= {
        "name",
        "cells",
        "after",
        "inputs",
        "outputs",
        "parameters",
        "packages",
        "settings",
    }
    assert set(result["edges"][0]) == {"source", "target", "variables", "kind"}
    assert set(result["diagnostics"][0]) == {"severity", "cell", "line", "message", "hint"}
    json.dumps(result)
    assert analyze_notebook(json.loads(nbformat.writes(DATAFLOW)))["steps"] == result["steps"]


def test_importing_the_compiler_does_not_import_kfp_or_torch():
    code = (
        "import sys, ai4mlops_lab.notebook, ai4mlops_lab.analysis, ai4mlops_lab.pipeline.compiler;"
        "from tests.compiler.notebooks.make_notebooks import DATAFLOW;"
        "ai4mlops_lab.pipeline.compiler.analyze_notebook(DATAFLOW);"
        "print(sorted(m for m in ('kfp', 'torch', 'kserve') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _roundtrip(tmp_path, value):
    artifact = SimpleNamespace(path=str(tmp_path / "a" / "value"), metadata={})
    runtime._save(value, artifact)
    return runtime._load(artifact), artifact.metadata


def test_runtime_formats(tmp_path):
    import pandas as pd
    import torch

    loaded, meta = _roundtrip(tmp_path, np.arange(6).reshape(2, 3))
    assert meta == {"format": "npy", "type": "numpy.ndarray"} and np.array_equal(loaded, np.arange(6).reshape(2, 3))
    loaded, meta = _roundtrip(tmp_path, torch.ones(2))
    assert meta["format"] == "torch" and torch.equal(loaded, torch.ones(2))
    module = torch.nn.Linear(2, 1)
    loaded, meta = _roundtrip(tmp_path, module)
    assert meta["format"] == "torch-module" and torch.equal(loaded.weight, module.weight)
    frame = pd.DataFrame({"a": [1, 2]})
    loaded, meta = _roundtrip(tmp_path, frame)
    assert meta["format"] in ("parquet", "cloudpickle") and loaded.equals(frame)
    namespace = runtime._run({"k": 3}, [("cell 1", "def f(x):\n    return x * k\n")])
    loaded, meta = _roundtrip(tmp_path, namespace["f"])
    assert meta["format"] == "cloudpickle" and loaded(2) == 6
    assert runtime._scalar(3, float) == 3.0
    with pytest.raises(TypeError):
        runtime._scalar("3", int)
    with pytest.raises(NameError):
        runtime._get({}, "missing")
