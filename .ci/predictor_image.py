"""Prove the predictor image serves a model, without a container engine: run its Dockerfile's ENTRYPOINT, with its ENV
and the InferenceService's container environment, from the package installed in this Python (a clean venv holding
the wheel, in .ci/check-wheel), on a torch model saved by the pipeline runtime, and predict through it.

    VENV/bin/python .ci/predictor_image.py ai4mlops_lab/serving/predictor.Dockerfile \
        dist/ai4mlops_lab-VERSION-py3-none-any.whl

The storage initializer's copy into MODEL_DIR is the one stand-in; the host is 127.0.0.1, the port a free one.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    lines = (line.strip() for line in text.splitlines())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines if line and line[0] != "#"]


def entrypoint(dockerfile: Path) -> list[str]:
    """The ENTRYPOINT, which must be in exec (JSON) form: what the container runs, argument for argument."""
    [args] = [args for name, args in instructions(dockerfile) if name == "ENTRYPOINT"]
    return json.loads(args)


def environment(dockerfile: Path) -> dict[str, str]:
    """The variables the Dockerfile's ENV lines set (KEY=VALUE form)."""
    env = {}
    for name, args in instructions(dockerfile):
        if name == "ENV":
            env.update(word.split("=", 1) for word in shlex.split(args))
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def main(dockerfile: Path, wheel: Path) -> None:
    import numpy
    import torch

    import ai4mlops_lab
    from ai4mlops_lab.pipeline.runtime import _save_model
    from ai4mlops_lab.serving.inference_service import build_inference_service

    installed = Path(ai4mlops_lab.__file__).resolve()
    assert Path(sys.prefix).resolve() in installed.parents, f"ai4mlops_lab comes from {installed}, not this venv"
    version = re.match(r"ai4mlops_lab-([^-]+)-py3-none-any\.whl$", wheel.name).group(1)
    [copied] = [args.split()[0] for name, args in instructions(dockerfile) if name == "COPY"]
    assert copied.replace("${VERSION}", version) == wheel.name, f"the Dockerfile copies {copied}, not {wheel.name}"

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    features = numpy.random.default_rng(0).normal(size=(20, 3)).astype(numpy.float32)
    with tempfile.TemporaryDirectory() as folder:
        artifact = SimpleNamespace(path=str(Path(folder) / "model"), metadata={})
        _save_model(model, artifact, {"features": features}, {}, None, 100)
        service = build_inference_service(
            "digits",
            "default",
            model_format="torch",
            storage_uri="s3://models/digits",
            image="predictor:test",
            logger_url=None,
            metadata=artifact.metadata,
        )
        [container] = service["spec"]["predictor"]["containers"]
        port = _free_port()
        env = {
            **os.environ,
            **environment(dockerfile),
            **{e["name"]: e["value"] for e in container["env"]},
            "MODEL_DIR": artifact.path,  # where the storage initializer would have copied STORAGE_URI
            "AI4MLOPS_PREDICTOR_HOST": "127.0.0.1",
            "PORT": str(port),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        env.pop("PYTHONPATH", None)
        log = Path(folder) / "predictor.log"
        with log.open("wb") as output:
            server = subprocess.Popen(entrypoint(dockerfile), env=env, cwd=folder, stdout=output, stderr=output)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                assert server.poll() is None, f"the entry point exited with {server.returncode}"
                try:
                    if _request(f"{base}/v1/models/digits").get("ready"):
                        break
                except (urllib.error.URLError, ConnectionError):
                    pass
                assert time.monotonic() < deadline, "the predictor was not ready in 120 s"
                time.sleep(0.5)
            rows = features[:4]
            answer = _request(f"{base}/v1/models/digits:predict", {"instances": rows.tolist()})
            with torch.no_grad():
                expected = model(torch.from_numpy(rows)).numpy()
            assert numpy.allclose(answer["predictions"], expected, atol=1e-5), (answer, expected)
        except BaseException:
            print(log.read_text(errors="replace")[-6000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"predictor image: {shlex.join(entrypoint(dockerfile))} served a torch model from {wheel.name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
