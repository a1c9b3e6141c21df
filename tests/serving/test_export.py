"""A torch model's exported form, written by the step's marshalling beside the eager model: ONNX in a Triton model
repository whose config.pbtxt Triton's own ModelConfig parses, with outputs equal to the eager model's in
onnxruntime; and why there is none when the export cannot be trusted."""

import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from google.protobuf import text_format
from torch import nn

from ai4mlops_lab.pipeline import runtime
from ai4mlops_lab.pipeline.compiler import compile_notebook
from tests.compiler.notebooks.make_notebooks import notebook

ROWS = np.random.default_rng(0).normal(size=(300, 10)).astype(np.float32)


def save(model, features=ROWS, tmp_path=None, name="model"):
    """`_save_model` as a step runs it with the tag reference:x_train, `features` in x_train; the artifact."""
    artifact = types.SimpleNamespace(path=str(tmp_path / name), metadata={})
    runtime._save_model(model, artifact, {"x_train": features}, {}, "x_train", 10000)
    return artifact


def _load_model_config_pb2():
    """Triton's ModelConfig protobuf module, loaded from its file: importing `tritonclient.grpc` registers Triton's
    service protos, whose `inference.*` names collide with KServe's in protobuf's default pool for every later test
    in the process."""
    package = importlib.util.find_spec("tritonclient")
    path = Path(package.submodule_search_locations[0]) / "grpc" / "model_config_pb2.py"
    spec = importlib.util.spec_from_file_location("_triton_model_config_pb2", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


model_config_pb2 = _load_model_config_pb2()


def triton_config(artifact) -> model_config_pb2.ModelConfig:
    with open(f"{artifact.path}/triton/model/config.pbtxt") as stream:
        return text_format.Parse(stream.read(), model_config_pb2.ModelConfig())


def eager(model, rows):
    with torch.no_grad():
        return model(torch.from_numpy(rows)).numpy()


def onnx_session(artifact):
    file = f"{artifact.path}/triton/model/1/model.onnx"
    return onnxruntime.InferenceSession(file, providers=["CPUExecutionProvider"])


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))


def test_an_mlp_is_exported_to_a_triton_repository_with_the_eager_outputs(tmp_path):
    model = mlp()
    artifact = save(model, tmp_path=tmp_path)
    info = artifact.metadata["model"]
    export = info["export"]
    assert {k: export[k] for k in ("format", "runtime", "repository", "model_name", "file", "rows_checked")} == {
        "format": "onnx",
        "runtime": "triton",
        "repository": "triton",
        "model_name": "model",
        "file": "triton/model/1/model.onnx",
        "rows_checked": 5 + 256,  # the example and the first 256 reference rows
    }
    assert 0 <= export["max_abs_diff"] < 1e-5 and export["seconds"] > 0
    assert model.training  # the export put it back in the mode it had
    graph = onnx.load(f"{artifact.path}/{export['file']}")
    onnx.checker.check_model(graph, full_check=True)
    assert max(o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")) == 17

    config = triton_config(artifact)
    assert (config.name, config.backend, config.max_batch_size) == ("model", "onnxruntime", 0)
    [tensor_in], [tensor_out] = config.input, config.output
    signature = info["signature"]
    assert (tensor_in.name, tensor_out.name) == (signature["inputs"][0]["name"], signature["outputs"][0]["name"])
    assert tensor_in.data_type == model_config_pb2.TYPE_FP32 and list(tensor_in.dims) == [-1, 10]
    assert tensor_out.data_type == model_config_pb2.TYPE_FP32 and list(tensor_out.dims) == [-1, 2]

    session = onnx_session(artifact)
    assert [(i.name, i.shape) for i in session.get_inputs()] == [("input-0", ["batch", 10])]
    assert [o.name for o in session.get_outputs()] == ["output-0"]
    model.eval()
    example = np.asarray(info["example"], dtype=np.float32)
    reference = np.load(f"{artifact.path}/reference.npy")
    for rows in (example, reference, reference[:1], reference[:37]):  # any batch size: the first dim is dynamic
        [got] = session.run(["output-0"], {"input-0": rows})
        np.testing.assert_allclose(got, eager(model, rows), rtol=1e-5, atol=1e-6)


def test_images_and_integer_inputs_get_their_dims_and_triton_types(tmp_path):
    torch.manual_seed(0)
    conv = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    images = np.random.default_rng(1).normal(size=(40, 1, 8, 8)).astype(np.float32)
    artifact = save(conv, images, tmp_path, "conv")
    config = triton_config(artifact)
    assert list(config.input[0].dims) == [-1, 1, 8, 8] and list(config.output[0].dims) == [-1, 3]
    assert artifact.metadata["model"]["export"]["max_abs_diff"] < 1e-4

    class Lookup(nn.Module):  # integer token ids in, one float per row out
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(20, 4)

        def forward(self, ids):
            return self.embed(ids).sum(dim=(1, 2))

    torch.manual_seed(0)
    ids = np.random.default_rng(2).integers(0, 20, size=(50, 6))
    artifact = save(Lookup(), ids, tmp_path, "lookup")
    config = triton_config(artifact)
    assert config.input[0].data_type == model_config_pb2.TYPE_INT64 and list(config.input[0].dims) == [-1, 6]
    assert config.output[0].data_type == model_config_pb2.TYPE_FP32 and list(config.output[0].dims) == [-1]


class SignFlip(nn.Module):
    """Data-dependent control flow: tracing keeps only the branch the example took."""

    def forward(self, x):
        return x * 2 if x.sum() > 0 else -x


def test_a_trace_that_does_not_hold_on_the_reference_rows_is_refused_with_the_reason(tmp_path):
    rows = np.concatenate([np.ones((5, 10)), -np.ones((50, 10))]).astype(np.float32)  # the example's rows sum > 0
    artifact = save(SignFlip(), rows, tmp_path)
    export = artifact.metadata["model"]["export"]
    assert set(export) == {"format", "error"} and export["format"] == "onnx"
    assert export["error"].startswith("ValueError: onnxruntime's outputs differ from the model's by up to")
    assert "up to 3 on 60 example and reference rows" in export["error"]  # 5 example rows + the 55 rows
    assert "the trace warned: Converting a tensor to a Python boolean" in export["error"]
    assert not (tmp_path / "model" / "triton").exists()
    assert (tmp_path / "model" / "model.pt").exists() and artifact.metadata["model"]["signature"]  # eager kept


def test_without_onnx_or_a_signature_there_is_no_export_and_the_metadata_says_why(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` raises ImportError
    export = save(mlp(), tmp_path=tmp_path).metadata["model"]["export"]
    assert export["error"] == (
        "ImportError: onnx is not installed where the step ran: pip install onnx onnxruntime (or ai4mlops-lab[torch])"
    )
    assert not (tmp_path / "model" / "triton").exists()
    monkeypatch.undo()

    artifact = types.SimpleNamespace(path=str(tmp_path / "bare"), metadata={})
    runtime._save_model(mlp(), artifact, {}, {}, None, 100)  # no features anywhere: no signature
    assert artifact.metadata["model"]["export"]["error"].startswith("ValueError: the model has no signature")


@pytest.mark.parametrize(
    ("imports", "train_cell", "exports"),
    [
        ("import torch\nfrom torch import nn", "model = nn.Linear(3, 1)\nout = model(torch.zeros(4, 3))", True),
        ("from sklearn.linear_model import LinearRegression", "model = LinearRegression()", False),
    ],
)
def test_steps_that_output_a_torch_model_embed_the_export_and_install_its_packages(
    tmp_path, imports, train_cell, exports
):
    path = tmp_path / "nb.ipynb"
    nbformat.write(
        notebook([(["imports"], imports), (["step:train"], train_cell), (["step:use"], "print(model)")]), path
    )
    result = compile_notebook(path, tmp_path / "out", target="cluster")
    packages = {s["name"]: [p.split("==")[0] for p in s["packages"]] for s in result["steps"]}
    assert ({"onnx", "onnxruntime"} <= set(packages["train"])) is exports
    assert "onnx" not in packages["use"]  # it outputs no model
    module = (tmp_path / "out" / f"{result['pipeline']}.py").read_text()
    train = module[module.index("def train(") : module.index("def use(")]
    assert "    def _export_model(" in train and "_save_model(_get(_ns, 'model')" in train


def test_a_local_run_of_the_example_saves_an_export_with_the_eager_outputs(trained):
    _, run = trained
    [artifact] = [a for a in run["artifacts"] if a["name"] == "model"]
    info = artifact["metadata"]["model"]
    export = info["export"]
    assert "error" not in export and export["file"] == "triton/model/1/model.onnx" and export["max_abs_diff"] < 1e-5
    folder = types.SimpleNamespace(path=artifact["uri"])
    config = triton_config(folder)
    signature = info["signature"]
    assert [(t.name, list(t.dims)) for t in config.input] == [("input-0", signature["inputs"][0]["shape"])]
    assert [(t.name, list(t.dims)) for t in config.output] == [("output-0", signature["outputs"][0]["shape"])]
    model = runtime.load_artifact(types.SimpleNamespace(path=artifact["uri"], metadata=artifact["metadata"])).eval()
    session = onnx_session(folder)
    example = np.asarray(info["example"], dtype=np.float32)
    reference = np.load(f"{artifact['uri']}/reference.npy")
    for rows in (example, reference):  # the example input and the whole reference sample (640 rows)
        [got] = session.run(["output-0"], {"input-0": rows})
        np.testing.assert_allclose(got, eager(model, rows), rtol=1e-5, atol=1e-6)


def test_a_module_of_a_class_defined_in_the_notebook_is_a_model_that_loads_elsewhere(tmp_path):
    cells = [
        ("cell 1", "import numpy as np\nimport torch\nfrom torch import nn"),
        (
            "cell 2",
            "class Net(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.layer = nn.Linear(4, 2)\n"
            "    def forward(self, x):\n"
            "        return torch.tanh(self.layer(x))\n"
            "torch.manual_seed(0)\n"
            "net = Net()\n"
            "x_train = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)\n"
            "out = net(torch.from_numpy(x_train))",
        ),
    ]
    seen, unwatch = runtime._observe_models()  # as the generated step does
    namespace = runtime._run({}, cells)
    unwatch()
    assert type(namespace["net"]).__module__ == "__main__"  # as in a step
    artifact = types.SimpleNamespace(path=str(tmp_path / "net"), metadata={})
    runtime._save_model(namespace["net"], artifact, namespace, seen, None, 100)
    info = artifact.metadata["model"]
    assert info["framework"] == "torch" and info["file"] == "model.pt" and "error" not in info["export"]
    rows = np.asarray(info["example"], dtype=np.float32)
    code = (
        "import json, sys, types, numpy as np, torch\n"
        "from ai4mlops_lab.pipeline.runtime import load_artifact\n"
        "path, metadata, rows = sys.argv[1], json.loads(sys.argv[2]), np.asarray(json.loads(sys.argv[3]), 'float32')\n"
        "model = load_artifact(types.SimpleNamespace(path=path, metadata=metadata)).eval()\n"
        "print(json.dumps(model(torch.from_numpy(rows)).tolist()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, artifact.path, json.dumps(artifact.metadata), json.dumps(rows.tolist())],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    [got] = onnx_session(artifact).run(["output-0"], {"input-0": rows})
    np.testing.assert_allclose(json.loads(done.stdout), got, rtol=1e-5, atol=1e-6)


def test_a_step_that_imports_torch_finds_the_features_of_a_model_it_never_called(tmp_path):
    from sklearn.linear_model import LogisticRegression

    x = np.random.default_rng(0).normal(size=(30, 3))
    model = LogisticRegression().fit(x, x[:, 0] > 0)
    artifact = types.SimpleNamespace(path=str(tmp_path / "clf"), metadata={})
    runtime._save_model(model, artifact, {"torch": torch, "np": np, "x": x}, {}, None, 100)  # torch has `detach`
    assert artifact.metadata["model"]["reference"]["source"] == "variable x (2-D numeric, the most rows)"
    assert "export" not in artifact.metadata["model"]  # only torch models are exported
