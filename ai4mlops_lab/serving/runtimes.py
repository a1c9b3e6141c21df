"""Which runtime serves a deployment's model, and how its URLs name the model.

On KServe, its own runtimes load sklearn and xgboost models, and a torch model's exported form: ONNX in a Triton
model repository that the step wrote beside the eager model (pipeline/export.py), served by KServe's Triton runtime
(`modelFormat: onnx`, protocol V2 only, the repository's model name in its URLs). A torch model without that form
is served by our predictor image, and the deployment says why (`fallback`); with no image configured it cannot go
to KServe, and the error says why. Local deployments are served by our model server.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import UserError
from ..states import DeploymentTarget

#: Model frameworks (artifact metadata `model.framework`) that KServe deployments serve.
FRAMEWORKS = ("sklearn", "xgboost", "torch")
#: The setting that names the predictor image.
IMAGE_SETTING = "predictorImage"
#: How each runtime is shown (the `runtime.label` of a deployment).
TRITON_LABEL = "KServe Triton runtime (ONNX)"
IMAGE_LABEL = "ai4mlops predictor image"
LOCAL_LABEL = "ai4mlops model server (this machine)"


@dataclass(frozen=True)
class KserveServing:
    """How an InferenceService serves a model: `format` (its modelFormat; `torch` for the predictor image),
    `storage_uri` (what the runtime reads), `image` (the predictor image, else None: a KServe runtime),
    `protocol` (its protocolVersion; None: the runtime's default), `served_model` (the model's name in the
    runtime's URLs; None: the deployment's) and `fallback` (why the predictor image serves a torch model)."""

    format: str
    storage_uri: str
    image: str | None = None
    protocol: str | None = None
    served_model: str | None = None
    fallback: str | None = None

    def config(self) -> dict:
        """The fields a deployment record's config keeps."""
        return asdict(self)


#: The config fields of a KserveServing.
SERVING_FIELDS = tuple(field.name for field in fields(KserveServing))


def kserve_serving(artifact: dict, run_id: str, storage_uri: str, image: str | None) -> KserveServing:
    """How KServe serves the Model artifact of run `run_id` stored at `storage_uri` (its folder), with the
    predictor `image` configured (or None)."""
    info = artifact["metadata"]["model"]
    framework = info.get("framework")
    what = f"The model {artifact['name']!r} of run {run_id}"
    if framework not in FRAMEWORKS:
        raise UserError(
            f"{what} is a {framework!r} model, which cannot be deployed to KServe.",
            f"Deploy {', '.join(FRAMEWORKS)} models.",
        )
    if framework != "torch":
        return KserveServing(framework, storage_uri)
    export = info.get("export") or {"error": "the run saved none (it ran before ai4mlops-lab exported torch models)"}
    if not export.get("error"):
        return KserveServing(
            "onnx",
            f"{storage_uri.rstrip('/')}/{export['repository']}",
            protocol="v2",
            served_model=export["model_name"],
        )
    if image:
        return KserveServing(
            "torch", storage_uri, image=image, fallback=f"No ONNX export of the torch model: {export['error']}"
        )
    raise UserError(
        f"{what} is a torch model with no ONNX export for KServe's own runtimes ({export['error']}), and no "
        "predictor image is configured to serve it instead.",
        "Make the export work and run again (onnx and onnxruntime come with ai4mlops-lab[torch]), or set the "
        f"{IMAGE_SETTING!r} setting to the predictor image in a registry the cluster can pull from, or deploy the "
        "model locally.",
        code="predictor_image_missing",
    )


def describe(target: str, config: dict) -> dict:
    """Which runtime serves a deployment of `target` with record `config`: `{name, label, protocols, fallback}`
    (`fallback`: why the predictor image serves a torch model, else None). A record written before the runtime
    fields is read from the InferenceService it keeps."""
    if target != DeploymentTarget.KSERVE:
        return {"name": "local", "label": LOCAL_LABEL, "protocols": ["v1", "v2"], "fallback": None}
    predictor = config.get("object", {}).get("spec", {}).get("predictor", {})
    fmt = config.get("format") or predictor.get("model", {}).get("modelFormat", {}).get("name")
    protocols = [config["protocol"]] if config.get("protocol") else ["v1", "v2"]
    if config.get("image") or predictor.get("containers"):
        name, label = "predictor-image", IMAGE_LABEL
    elif fmt == "onnx":
        name, label = "triton", TRITON_LABEL
    elif fmt:
        name, label = f"kserve-{fmt}", f"KServe {fmt} runtime"
    else:
        name, label = "kserve", "KServe"
    return {"name": name, "label": label, "protocols": protocols, "fallback": config.get("fallback")}
