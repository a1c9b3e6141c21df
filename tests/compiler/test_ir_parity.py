"""The IR compile_notebook builds from the model equals what kfp's compiler makes from the generated `<pipeline>.py`."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from ai4mlops_lab.pipeline.compiler import compile_notebook
from ai4mlops_lab.pipeline.packages import pinned
from tests.compiler.kfp_reference import assert_same_ir, kfp_ir_text
from tests.compiler.notebooks.make_notebooks import notebook

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = sorted((ROOT / "tests" / "compiler" / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "examples").glob("*.ipynb")
)

# Every step setting, both accelerators, notebook volumes (one exposed as a variable), caching off by default.
SETTINGS = notebook(
    [
        (["imports"], "import numpy as np\nimport json"),
        (["pipeline-parameters"], 'epochs = 3\nrate = 0.25\nname = "it\'s a \\\\ test"\nshuffle = False'),
        (
            [
                "step:prep",
                "limit:cpu:1.5",
                "request:cpu:250m",
                "limit:memory:3G",
                "request:memory:512Mi",
                "retry:0",
                "cache:enabled",
                "timeout:90",
                "secret:creds:token:API_TOKEN",
                "secret:creds:user:API_USER",
                "secret:other:key:OTHER_KEY",
                "label:tier:gold",
                "label:team:ml",
                "annotation:team.io/owner:ml",
                "image:python:3.12-slim",
            ],
            "data = np.arange(epochs) * rate",
        ),
        (["step:train", "limit:nvidia.com/gpu:02", "request:memory:2000000", "retry:4"], "total = float(data.sum())"),
        (["step:other", "request:amd.com/gpu:1", "limit:memory:1Ti", "request:memory:64Ki"], "flag = not shuffle"),
        (["step:report", "prev:other"], "text = json.dumps({'name': name, 'total': total})"),
        (["step:idle", "limit:amd.com/gpu:0", "request:cpu:0", "limit:memory:0"], "pass"),
        (["pipeline-metrics"], "print(total)"),
    ],
    {
        "ai4mlops_lab": {
            "description": "Line one\nligne deux, accentuée",
            "enable_caching": False,
            "steps_defaults": ["label:owner:lab"],
            "volumes": [
                {"name": "data", "mount_point": "/data", "type": "pvc"},
                {"name": "raw-files", "mount_point": "/raw", "type": "pvc", "expose_as_env_var": True},
            ],
        }
    },
)

# Cell text that YAML and the embedded source must carry unchanged: non-ASCII names and text, whitespace-only
# lines, tabs, quotes of every kind, a trailing backslash, a carriage return, a form feed, a line separator.
ODD_TEXT = notebook(
    [
        (["imports"], "import math\n   \n\t\nimport json"),
        (["functions"], 'def say(v):\n    """Say \'{v}\' "twice"."""\n    return f"{v} {v}"\n    \n'),
        (["pipeline-parameters"], "titre = 'données « brutes »'\nseuil = 1e-3"),
        (["step:premier"], "données = [1, 2, 3]\nnote = '''trois'''\ncontinued = 1 + \\\n    2"),
        (["step:second"], "texte = say(titre)  # ¿qué?\nline = 'a\\r\\nb'\r\nbreak_ = 1\x0c\nsep = '\u2028'"),
        (["step:third"], "x = math.fsum(données) * seuil\n" + "# " + "long " * 60 + "\n# a folder: C:\\"),
        (["step:fourth"], "s = str(x)\n" + "y = '" + "é" * 200 + "'"),
    ],
    {"ai4mlops_lab": {"description": "", "pipeline_name": "Odd Text!"}},
)

# Outputs of every kind: scalars, a dataset-like value, a torch model (watched), metrics, a model reference.
OUTPUTS = notebook(
    [
        (["imports"], "import numpy as np\nimport torch"),
        (["step:make"], "n = 4\nratio = 0.5\nlabel = 'x'\nok = True\nfeatures = np.ones((n, 2), dtype=np.float32)"),
        (["step:fit", "reference:features"], "model = torch.nn.Linear(2, 1)\nloss = float(ratio * n)"),
        (["step:use"], "pred = model(torch.from_numpy(features))\nscore = float(pred.sum())\nflag = ok and label"),
        (["pipeline-metrics"], "print(score)\nprint(loss)"),
    ]
)


# Steps in a recorded step image that lacks torch (`use` installs it at start), and a step with an image of its own.
STEP_IMAGE = notebook(
    [
        (["imports"], "import numpy as np"),
        (["step:make"], "features = np.ones((4, 2), dtype=np.float32)"),
        (["step:fit", "image:python:3.12-slim"], "import torch\nmodel = torch.nn.Linear(2, 1)"),
        (["step:use"], "score = float(model(torch.from_numpy(features)).sum())"),
    ],
    {
        "ai4mlops_lab": {
            "step_image": {
                "image": "registry.example.org/team/steps:0123456789ab",
                "packages": [pinned("kfp"), pinned("numpy"), pinned("cloudpickle")],
            }
        }
    },
)


def _compile_both(tmp_path: Path, path: Path, target: str) -> tuple[str, str]:
    result = compile_notebook(path, tmp_path / "out", target=target)
    assert result["ok"], result["diagnostics"]
    module, ir = map(Path, result["files"])
    return ir.read_text(), kfp_ir_text(module)


@pytest.fixture(autouse=True)
def _no_target_override(monkeypatch):
    monkeypatch.delenv("AI4MLOPS_LAB_TARGET", raising=False)
    monkeypatch.delenv("KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT", raising=False)


@pytest.mark.parametrize("target", ["cluster", "local"])
@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_committed_notebooks_compile_to_kfps_ir(tmp_path, path, target):
    assert_same_ir(*_compile_both(tmp_path, path, target))


@pytest.mark.parametrize("target", ["cluster", "local"])
@pytest.mark.parametrize(
    "nb", [SETTINGS, ODD_TEXT, OUTPUTS, STEP_IMAGE], ids=["settings", "odd-text", "outputs", "step-image"]
)
def test_varied_notebooks_compile_to_kfps_ir(tmp_path, nb, target):
    path = tmp_path / "varied.ipynb"
    nbformat.write(nb, path)
    ours, reference = _compile_both(tmp_path, path, target)
    assert_same_ir(ours, reference)
    assert ours.startswith("# PIPELINE DEFINITION\n")


def test_the_settings_notebook_reaches_every_part_of_the_ir(tmp_path):
    """Guards the corpus: a parity test over a notebook without these parts would prove nothing about them."""
    path = tmp_path / "settings.ipynb"
    nbformat.write(SETTINGS, path)
    spec, platform = yaml.safe_load_all(_compile_both(tmp_path, path, "cluster")[0])
    executors = spec["deploymentSpec"]["executors"]
    assert executors["exec-prep"]["container"]["env"] == [{"name": "KALE_VOLUME_RAW_FILES", "value": "/raw"}]
    assert set(executors["exec-other"]["container"]["resources"]) == {
        "accelerator",
        "memoryLimit",
        "memoryRequest",
        "resourceMemoryLimit",
        "resourceMemoryRequest",
    }
    tasks = spec["root"]["dag"]["tasks"]
    assert tasks["prep"]["cachingOptions"] == {"enableCache": True} and tasks["train"]["cachingOptions"] == {}
    assert tasks["train"]["retryPolicy"]["maxRetryCount"] == 4
    kubernetes = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert [s["secretName"] for s in kubernetes["exec-prep"]["secretAsEnv"]] == ["creds", "other"]
    assert kubernetes["exec-report"]["podMetadata"] == {"labels": {"owner": "lab"}}


def test_caching_off_by_default_in_the_environment_is_kfps_too(tmp_path, monkeypatch):
    """kfp reads KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT once, at import; the fast path at each compile."""
    from kfp.dsl import pipeline_context

    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook([(["step:a"], "x = 1"), (["step:b", "cache:enabled"], "y = x")]), path)
    monkeypatch.setattr(pipeline_context.Pipeline, "_execution_caching_default", False)
    monkeypatch.setenv("KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT", "yes")
    result = compile_notebook(path, tmp_path / "out")
    ours = Path(result["files"][1]).read_text()
    monkeypatch.delenv("KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT")
    assert_same_ir(ours, kfp_ir_text(Path(result["files"][0])))
    tasks = yaml.safe_load(ours)["root"]["dag"]["tasks"]
    assert tasks["a"]["cachingOptions"] == {} and tasks["b"]["cachingOptions"] == {"enableCache": True}


def test_compiling_imports_neither_kfp_nor_protobuf(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbformat.write(SETTINGS, path)
    code = (
        "import sys; from ai4mlops_lab.pipeline.compiler import compile_notebook;"
        f"assert compile_notebook({str(path)!r})['ok'];"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kfp', 'google')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("target", ["cluster", "local"])
def test_the_batch_job_pipeline_compiles_to_kfps_ir(tmp_path, target):
    """A pipeline built in code (no notebook cells): a Kubeflow batch job's, with its S3 secret."""
    from ai4mlops_lab.batch import on_kfp
    from ai4mlops_lab.pipeline.compiler import compile_pipeline

    parameters = {
        "model_uri": "minio://data/models/run-1/model",
        "model_metadata": '{"model": {"framework": "torch"}}',
        "input_uri": "s3://data/rows.parquet",
        "output_uri": "s3://data/out/rows.parquet",
        "overwrite": False,
        "chunk_size": 8,
        "task": "auto",
        "s3_endpoint": "http://127.0.0.1:9000",
    }
    module, ir = compile_pipeline(on_kfp.build_pipeline(parameters, "torch", "s3-creds"), tmp_path, target)
    assert_same_ir(ir.read_text(), kfp_ir_text(module))
