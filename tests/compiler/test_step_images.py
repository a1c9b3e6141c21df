"""Issue 18: a recorded step image puts the steps' packages in the image, so cluster steps install nothing at start."""

from pathlib import Path

import nbformat
import pytest
import yaml

from ai4mlops_lab.errors import FieldError, UserError
from ai4mlops_lab.notebook.settings import StepImage
from ai4mlops_lab.pipeline import images
from ai4mlops_lab.pipeline.compiler import compile_notebook, notebook_pipeline
from ai4mlops_lab.pipeline.packages import kfp_version, pinned
from tests.compiler.helpers import analyze, find, step
from tests.compiler.notebooks.make_notebooks import notebook

IMAGE = "registry.example.org/team/steps:0123456789ab"
CELLS = [
    (["imports"], "import numpy as np"),
    (["step:make"], "features = np.ones((4, 2), dtype=np.float32)"),
    (["step:fit"], "import torch\nmodel = torch.nn.Linear(2, 1)"),
    (["step:use"], "score = float(model(torch.from_numpy(features)).sum())"),
]
#: What the steps import, and onnx + onnxruntime: the torch model `fit` outputs is exported to ONNX as it is saved.
ALL = [pinned(name) for name in ("kfp", "numpy", "torch", "cloudpickle", "onnx", "onnxruntime")]


def _recorded(packages, image=IMAGE) -> dict:
    return {"ai4mlops_lab": {"step_image": {"image": image, "packages": packages}}}


def _executors(tmp_path: Path, metadata=None, cells=CELLS, target="cluster") -> dict:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook(cells, metadata), path)
    result = compile_notebook(path, tmp_path / "out", target=target)
    assert result["ok"], result["diagnostics"]
    spec = yaml.safe_load(Path(result["files"][1]).read_text())
    return {name[len("exec-") :]: e["container"] for name, e in spec["deploymentSpec"]["executors"].items()}


def _installs(container: dict) -> str:
    """The install script of an executor's command ('' when it installs nothing)."""
    command = container["command"]
    return command[2] if command[:2] == ["sh", "-c"] else ""


def test_a_recorded_image_runs_every_step_and_nothing_is_installed_at_start(tmp_path):
    executors = _executors(tmp_path, _recorded(ALL))
    assert set(executors) == {"make", "fit", "use"}
    for container in executors.values():
        assert container["image"] == IMAGE
        assert container["command"][:2] == ["sh", "-ec"] and "pip" not in " ".join(container["command"][:3])
        assert _installs(container) == ""


def test_without_a_recorded_image_each_step_installs_kfp_and_its_packages_on_the_base_image(tmp_path):
    executors = _executors(tmp_path)
    for name, container in executors.items():
        assert container["image"] == "python:3.11"
        assert "pip install" in _installs(container) and f"'kfp=={kfp_version()}'" in _installs(container), name
    assert f"'{pinned('torch')}'" in _installs(executors["use"])


def test_a_local_target_is_the_same_with_or_without_the_image_but_for_the_image_name(tmp_path):
    with_image = _executors(tmp_path / "a", _recorded(ALL), target="local")
    without = _executors(tmp_path / "b", target="local")
    for name, container in with_image.items():
        assert {**container, "image": "python:3.11"} == without[name]


def test_a_step_with_its_own_image_keeps_it_and_installs_its_packages(tmp_path):
    cells = [*CELLS[:2], (["step:fit", "image:python:3.12-slim"], CELLS[2][1]), CELLS[3]]
    executors = _executors(tmp_path, _recorded(ALL), cells)
    assert executors["fit"]["image"] == "python:3.12-slim" and f"'{pinned('torch')}'" in _installs(executors["fit"])
    assert executors["use"]["image"] == IMAGE and _installs(executors["use"]) == ""


def test_a_stale_image_installs_only_what_it_lacks_and_says_so(tmp_path):
    stale = [p for p in ALL if not p.startswith("torch==")]
    executors = _executors(tmp_path, _recorded(stale))
    assert _installs(executors["make"]) == ""
    script = _installs(executors["use"])
    assert f"'{pinned('torch')}'" in script and "numpy" not in script and "kfp" not in script
    result = analyze(CELLS, _recorded(stale))
    warning = find(result, "warning", "lacks")
    assert pinned("torch") in warning["message"] and "'fit'" in warning["message"]
    assert "ai4mlops image" in warning["hint"]
    assert step(result, "use")["image"] == IMAGE and result["settings"]["step_image"]["image"] == IMAGE


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("registry/x:1", "ai4mlops_lab.step_image'"),
        ({"image": "", "packages": []}, "ai4mlops_lab.step_image.image'"),
        ({"image": "has space:1", "packages": []}, "ai4mlops_lab.step_image.image'"),
        ({"image": "r/x:1", "packages": "numpy"}, "ai4mlops_lab.step_image.packages'"),
    ],
)
def test_a_malformed_recorded_image_is_an_error_naming_the_field(value, field):
    result = analyze(CELLS, {"ai4mlops_lab": {"step_image": value}})
    assert not result["ok"]
    assert field in find(result, "error", "step_image")["message"]


def _plan(cells=CELLS, repository="registry.example.org/team/steps"):
    pipeline, _ = _pipeline(cells)
    return images.plan_step_image(pipeline, repository, kfp_version())


def _pipeline(cells):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "nb.ipynb"
        nbformat.write(notebook(cells), path)
        return notebook_pipeline(path)


def test_the_plan_pins_kfp_and_every_steps_packages_and_tags_by_content():
    plan = _plan()
    assert plan.packages == tuple(sorted(ALL, key=str.lower)) and plan.steps == ("make", "fit", "use")
    requirements = plan.files["requirements.txt"].split("\n", 1)[1]
    assert requirements == "".join(f"{p}\n" for p in plan.packages)
    dockerfile = plan.files["Dockerfile"]
    assert "\nFROM python:3.11\n" in dockerfile and f"ARG TORCH_INDEX_URL={images.TORCH_CPU_INDEX}\n" in dockerfile
    assert plan.image.startswith("registry.example.org/team/steps:") and len(plan.image.rsplit(":", 1)[1]) == 12
    assert plan.record() == StepImage(plan.image, plan.packages)
    fewer = _plan([CELLS[0], CELLS[1]])
    assert fewer.image != plan.image and "torch" not in fewer.files["Dockerfile"]


def test_a_step_asking_for_a_gpu_gets_cuda_torch_by_default():
    plan = _plan([*CELLS[:2], (["step:fit", "limit:nvidia.com/gpu:1"], CELLS[2][1]), CELLS[3]])
    assert "\nARG TORCH_INDEX_URL=\n" in plan.files["Dockerfile"]


def test_a_bad_repository_is_a_field_error():
    with pytest.raises(FieldError) as err:
        _plan(repository="Registry/Steps:latest")
    assert err.value.field == "repository" and "Registry/Steps:latest" in err.value.message


@pytest.mark.parametrize(
    ("pip", "says"), [("%pip install numpy==1.0", "numpy==1.0"), ("%pip install ./mypkg", "local path './mypkg'")]
)
def test_requirements_one_image_cannot_hold_are_refused_by_name(pip, says):
    with pytest.raises(UserError) as err:
        _plan([*CELLS, (["step:extra"], f"{pip}\nz = 1")])
    assert says in err.value.message


def test_every_step_with_its_own_image_leaves_nothing_to_build():
    with pytest.raises(UserError) as err:
        _plan([(["step:only", "image:python:3.12"], "x = 1")])
    assert "own image" in err.value.message
