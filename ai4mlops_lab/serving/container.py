"""The process of the predictor image (predictor.Dockerfile beside this module): the custom predictor of an
InferenceService (`inference_service.py` sets its environment), serving the model that KServe's storage
initializer put in MODEL_DIR.

Environment: MODEL_NAME (the InferenceService's name, which the V1/V2 paths carry), MODEL_DIR (default /mnt/models),
MODEL_METADATA (the model artifact's metadata as JSON: framework, file, signature), PORT (default 8080, the port
KServe sends requests to) and AI4MLOPS_PREDICTOR_HOST (default 127.0.0.1; the image sets 0.0.0.0, so that the pod's
port answers). Request logging is KServe's (the InferenceService's logger), not this process's.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from .inference_service import MODEL_DIR

HOST_ENV = "AI4MLOPS_PREDICTOR_HOST"
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class ContainerSettings:
    name: str
    model_dir: str
    metadata: dict
    host: str
    port: int


def container_settings(environ: Mapping[str, str]) -> ContainerSettings:
    """The settings from the environment; a UserError naming the variable that is missing or wrong."""
    name = environ.get("MODEL_NAME", "").strip()
    if not name:
        raise UserError("MODEL_NAME is not set.", "Set it to the model's name (KServe sets the InferenceService's).")
    try:
        metadata = json.loads(environ.get("MODEL_METADATA", ""))
        framework, file = metadata["model"]["framework"], metadata["model"]["file"]
    except (ValueError, TypeError, KeyError) as err:
        raise UserError(
            f"MODEL_METADATA is not a model artifact's metadata ({type(err).__name__}: {err}).",
            'Set it to the artifact\'s metadata as JSON, {"model": {"framework": ..., "file": ...}, ...}, as '
            "ai4mlops-lab's cluster deployments do.",
        ) from None
    model_dir = environ.get("MODEL_DIR") or MODEL_DIR
    if not (Path(model_dir) / file).is_file():
        raise UserError(
            f"MODEL_DIR {model_dir} has no {file} (the {framework} model file its metadata names).",
            "Point STORAGE_URI at the model artifact's folder (the storage initializer copies it to MODEL_DIR).",
        )
    port = environ.get("PORT") or str(DEFAULT_PORT)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"PORT {port!r} is not a TCP port number.", f"Leave it unset for {DEFAULT_PORT}.")
    return ContainerSettings(name, model_dir, metadata, environ.get(HOST_ENV) or "127.0.0.1", int(port))


def main() -> int:
    """Serve the model until stopped; exit 2 with what to set when the environment does not describe one."""
    try:
        settings = container_settings(os.environ)
    except UserError as exc:
        print(f"error: {exc.message}\nhint: {exc.hint}", file=sys.stderr)
        return 2
    from .predictor import Predictor
    from .server import PredictorServer

    predictor = Predictor(settings.name, settings.model_dir, settings.metadata)
    predictor.load()
    PredictorServer(predictor, host=settings.host, http_port=settings.port, enable_grpc=False, workers=1).start(
        [predictor]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
