"""Issue 18: the predictor image's process (serving/container.py) takes its model from the environment the
InferenceService sets, and ai4mlops_lab/serving/predictor.Dockerfile runs exactly it. Serving through the
Dockerfile's ENTRYPOINT from the installed wheel is .ci/check-wheel's part (.ci/predictor_image.py)."""

import importlib.util
import json
from pathlib import Path

import pytest

from ai4mlops_lab.errors import UserError
from ai4mlops_lab.serving import container
from ai4mlops_lab.serving.inference_service import MODEL_DIR, build_inference_service

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "ai4mlops_lab" / "serving" / "predictor.Dockerfile"
METADATA = {
    "format": "torch-module",
    "model": {
        "framework": "torch",
        "file": "model.pt",
        "signature": {"inputs": [{"name": "input-0", "dtype": "float32", "shape": [-1, 3]}]},
        "example": [[0.0, 1.0, 2.0]] * 5,
        "reference": {"file": "reference.npy", "rows": 5},
    },
}


def _parser():
    spec = importlib.util.spec_from_file_location("predictor_image", ROOT / ".ci" / "predictor_image.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _container_env(tmp_path: Path) -> dict[str, str]:
    """The predictor container's environment as the InferenceService sets it, MODEL_DIR holding a model file."""
    service = build_inference_service(
        "digits",
        "default",
        model_format="torch",
        storage_uri="s3://models/digits",
        image="predictor:1",
        logger_url=None,
        metadata=METADATA,
    )
    [spec] = service["spec"]["predictor"]["containers"]
    (tmp_path / "model.pt").write_bytes(b"weights")
    return {**{e["name"]: e["value"] for e in spec["env"]}, "MODEL_DIR": str(tmp_path)}


def test_the_dockerfile_runs_the_container_module_listening_where_kserve_sends_requests():
    parser = _parser()
    assert parser.entrypoint(DOCKERFILE) == ["python3", "-m", "ai4mlops_lab.serving.container"]
    assert importlib.util.find_spec("ai4mlops_lab.serving.container").origin == container.__file__
    env = parser.environment(DOCKERFILE)
    assert env[container.HOST_ENV] == "0.0.0.0" and env["PORT"] == "8080" and env["MODEL_DIR"] == MODEL_DIR
    copy = [args for name, args in parser.instructions(DOCKERFILE) if name == "COPY"]
    assert copy == ["ai4mlops_lab-${VERSION}-py3-none-any.whl /tmp/"]


def test_the_inference_service_environment_is_what_the_container_reads(tmp_path):
    env = _container_env(tmp_path)
    settings = container.container_settings(env)
    assert (settings.name, settings.model_dir, settings.host, settings.port) == (
        "digits",
        str(tmp_path),
        "127.0.0.1",
        8080,
    )
    assert settings.metadata["model"]["signature"] == METADATA["model"]["signature"]
    assert "example" not in settings.metadata["model"] and "reference" not in settings.metadata["model"]
    assert len(env["MODEL_METADATA"]) < 400


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"MODEL_NAME": ""}, "MODEL_NAME"),
        ({"MODEL_METADATA": "{not json"}, "MODEL_METADATA"),
        ({"MODEL_METADATA": json.dumps({"model": {"framework": "torch"}})}, "MODEL_METADATA"),
        ({"MODEL_DIR": "/nonexistent"}, "MODEL_DIR /nonexistent has no model.pt"),
        ({"PORT": "http"}, "PORT 'http'"),
    ],
)
def test_a_wrong_environment_is_an_error_naming_the_variable(tmp_path, change, named):
    with pytest.raises(UserError) as err:
        container.container_settings({**_container_env(tmp_path), **change})
    assert named in err.value.message and err.value.hint


def test_main_exits_2_with_the_error_and_what_to_set(monkeypatch, capsys):
    monkeypatch.delenv("MODEL_NAME", raising=False)
    assert container.main() == 2
    err = capsys.readouterr().err
    assert "error: MODEL_NAME is not set." in err and "hint:" in err
