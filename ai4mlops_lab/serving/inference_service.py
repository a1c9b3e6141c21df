"""Build a KServe `serving.kserve.io/v1beta1` InferenceService for a model, as a camelCase dict.

Built-in model formats (sklearn, xgboost, ...) become `spec.predictor.model` with `modelFormat`
and `storageUri` (and `protocolVersion` when given: `onnx` needs v2 to find KServe's Triton
runtime), served by the KServe runtime for that format; a torch model's exported form is `onnx`
(a Triton model repository, see pipeline/export.py). Anything else (our torch `nn.Module`
pickles, custom code) runs as a custom predictor: one `kserve-container` with our predictor
image, the model location in its `STORAGE_URI` env (KServe's storage initializer downloads it to
/mnt/models). `pytorch` stays available as a built-in format for a TorchServe model store (.mar +
config.properties), which is what KServe's pytorch runtime loads.

The kserve SDK is imported lazily (importing it parses the process's command line).
"""

from __future__ import annotations

import json
import re
import sys
from urllib.parse import urlsplit

from ..errors import UserError
from .log_storage import LogStorage

API_VERSION = "serving.kserve.io/v1beta1"
KIND = "InferenceService"

#: Model formats KServe's stock ClusterServingRuntimes serve from `spec.predictor.model`.
BUILTIN_FORMATS = (
    "sklearn",
    "xgboost",
    "lightgbm",
    "onnx",
    "tensorflow",
    "pytorch",
    "triton",
    "pmml",
    "paddle",
    "huggingface",
    "mlflow",
)
#: Our model flavours that have no honest KServe runtime and need the predictor image.
CUSTOM_FORMATS = ("torch", "custom")
#: Inference protocols a KServe model spec may name.
PROTOCOLS = ("v1", "v2")
#: URI schemes KServe's storage initializer (or the PVC mount) can read from inside the cluster.
CLUSTER_SCHEMES = ("s3", "gs", "pvc", "http", "https", "hdfs", "webhdfs", "hf", "oci")
MODEL_DIR = "/mnt/models"
CONTAINER_NAME = "kserve-container"

_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: `<name>-predictor` must itself be a 63-character DNS-1035 label (Service and Deployment names).
MAX_NAME = 63 - len("-predictor")
_QUANTITY = re.compile(
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
    r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
_RESOURCE_NAME = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
ACCELERATORS = ("nvidia.com/gpu", "amd.com/gpu")


class InferenceServiceError(UserError):
    """The InferenceService cannot be built from these settings."""

    code = "invalid_inference_service"


def validate_name(name: str) -> str:
    """An InferenceService name: a DNS-1035 label short enough for `<name>-predictor`."""
    if not isinstance(name, str) or not _DNS1035.match(name) or len(name) > MAX_NAME:
        raise InferenceServiceError(
            f"{name!r} is not a valid InferenceService name.",
            f"Use at most {MAX_NAME} lowercase letters, digits and '-', starting with a letter and "
            f"ending with a letter or digit (a DNS-1035 label), e.g. {service_name(str(name))!r}.",
        )
    return name


def service_name(text: str) -> str:
    """A valid InferenceService name derived from any text (a run or model name)."""
    slug = re.sub(r"[^a-z0-9-]+", "-", str(text).lower()).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)
    if not slug or not slug[0].isalpha():
        slug = "m-" + slug
    return slug[:MAX_NAME].rstrip("-") or "model"


def cluster_storage_uri(uri: str) -> str:
    """The storage URI as KServe reads it; local paths are refused with what to do instead.

    KFP's `minio://bucket/key` artifacts become `s3://bucket/key` (KServe has no minio scheme:
    the predictor's service account carries the S3 credentials and the MinIO endpoint).
    """
    uri = (uri or "").strip()
    if not uri:
        raise InferenceServiceError(
            "No storage URI was given for the model.",
            "Give the run's model artifact URI (s3://, gs://, minio://, pvc://).",
        )
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "minio":
        return "s3://" + uri.split("://", 1)[1]
    if scheme in CLUSTER_SCHEMES and parts.netloc:
        return uri
    if scheme in ("", "file") or len(scheme) == 1:  # a path (or a Windows drive letter)
        raise InferenceServiceError(
            f"The model at {uri!r} is a local file, which the cluster cannot read.",
            "Copy the model to storage the cluster can reach and give that URI instead: a PVC "
            "(pvc://CLAIM/path), S3/MinIO (s3://bucket/path) or GCS (gs://bucket/path); runs on "
            "Kubeflow Pipelines already store their models there.",
        )
    raise InferenceServiceError(
        f"The storage URI {uri!r} has a scheme KServe cannot read.",
        f"Use one of {', '.join(s + '://' for s in CLUSTER_SCHEMES)} (minio:// is mapped to s3://).",
    )


def normalize_resources(resources: dict | None) -> dict:
    """`{"limits": {...}, "requests": {...}}` from our step settings.

    Accepts that shape, or a flat `{"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"}`, which
    becomes the limits and (accelerators aside, which Kubernetes sets equal) the requests.
    """
    if not resources:
        return {}
    if not isinstance(resources, dict):
        raise InferenceServiceError(
            f"Resources must be a mapping, not {type(resources).__name__}.",
            'Use e.g. {"limits": {"cpu": "2", "memory": "4Gi"}}.',
        )
    if set(resources) <= {"limits", "requests"}:
        nested = {k: dict(v or {}) for k, v in resources.items()}
    else:
        nested = {"limits": dict(resources), "requests": {k: v for k, v in resources.items() if k not in ACCELERATORS}}
    out = {}
    for kind, values in nested.items():
        checked = {}
        for key, value in values.items():
            if not isinstance(key, str) or not _RESOURCE_NAME.match(key):
                raise InferenceServiceError(
                    f"{key!r} is not a Kubernetes resource name.",
                    "Use cpu, memory, ephemeral-storage or e.g. nvidia.com/gpu.",
                )
            if isinstance(value, bool) or not isinstance(value, (int, float, str)) or not _QUANTITY.match(str(value)):
                raise InferenceServiceError(
                    f"{value!r} is not a valid quantity for {kind} {key!r}.",
                    'Write quantities like "500m" or "2" (cpu), "4Gi" (memory), "1" (gpu).',
                )
            checked[key] = str(value)
        if checked:
            out[kind] = checked
    return out


def build_inference_service(
    name: str,
    namespace: str,
    *,
    model_format: str,
    storage_uri: str,
    resources: dict | None = None,
    logger_url: str | None,
    protocol_version: str | None = None,
    log_storage: LogStorage | None = None,
    runtime_version: str | None = None,
    image: str | None = None,
    metadata: dict | None = None,
    service_account_name: str | None = None,
    annotations: dict | None = None,
    labels: dict | None = None,
) -> dict:
    """The serialised (camelCase) InferenceService object, ready for the API server.

    `image` (our predictor image) makes a custom predictor; it is required for the formats in
    CUSTOM_FORMATS. Its container gets the model artifact's `metadata` (what `serving/container.py` loads the model
    with: framework, file, signature) in MODEL_METADATA. `logger_url` (the monitoring ingest URL) adds a logger
    sending requests and responses (`mode: all`), one CloudEvent each; `log_storage` instead makes it write them in
    batches to a bucket (read by `monitoring.bucket_reader`); neither leaves monitoring off. `protocol_version` (v1,
    v2) picks the runtime's protocol (None: its default). `service_account_name` is the predictor's service account,
    which carries the storage credentials.
    """
    validate_name(name)
    if not isinstance(namespace, str) or not _DNS1123.match(namespace) or len(namespace) > 63:
        raise InferenceServiceError(
            f"{namespace!r} is not a valid namespace name.", "Use a DNS-1123 label such as 'default' or 'team-a'."
        )
    fmt = (model_format or "").strip().lower()
    if fmt not in BUILTIN_FORMATS and fmt not in CUSTOM_FORMATS:
        raise InferenceServiceError(
            f"Unknown model format {model_format!r}.",
            f"Use one of {', '.join(BUILTIN_FORMATS)}, or {' / '.join(CUSTOM_FORMATS)} with a predictor image.",
        )
    if fmt in CUSTOM_FORMATS and not image:
        raise InferenceServiceError(
            f"A {fmt!r} model needs a predictor image: KServe has no built-in runtime that loads it.",
            "Set the predictor image (the ai4mlops-lab model server image) in the serving settings; "
            "for KServe's own pytorch runtime, export a TorchServe model store and use format 'pytorch'.",
        )
    if protocol_version is not None and protocol_version not in PROTOCOLS:
        raise InferenceServiceError(
            f"Unknown protocol version {protocol_version!r}.", f"Use one of {', '.join(PROTOCOLS)}."
        )
    if protocol_version is not None and image:
        raise InferenceServiceError(
            "A predictor image speaks both V1 and V2: its protocol version cannot be set.",
            "Leave the protocol version out, or serve a built-in model format.",
        )
    uri = cluster_storage_uri(storage_uri)
    res = normalize_resources(resources)
    for label, values in (("label", labels), ("annotation", annotations)):
        for key, value in (values or {}).items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise InferenceServiceError(
                    f"The {label} {key!r}: {value!r} is not a string pair.", f"Give {label}s as strings."
                )

    k8s, ks = _sdk()
    requirements = k8s.V1ResourceRequirements(limits=res.get("limits"), requests=res.get("requests")) if res else None
    predictor = ks.V1beta1PredictorSpec(service_account_name=service_account_name or None)
    if image:
        env = [
            k8s.V1EnvVar(name="STORAGE_URI", value=uri),
            k8s.V1EnvVar(name="MODEL_NAME", value=name),
            k8s.V1EnvVar(name="MODEL_FORMAT", value=fmt),
            k8s.V1EnvVar(name="MODEL_DIR", value=MODEL_DIR),
        ]
        if metadata is not None:
            env.append(k8s.V1EnvVar(name="MODEL_METADATA", value=json.dumps(serving_metadata(metadata))))
        predictor.containers = [k8s.V1Container(name=CONTAINER_NAME, image=image, env=env, resources=requirements)]
    else:
        predictor.model = ks.V1beta1ModelSpec(
            name=None,
            model_format=ks.V1beta1ModelFormat(name=fmt),
            storage_uri=uri,
            protocol_version=protocol_version,
            runtime_version=runtime_version or None,
            resources=requirements,
        )
    if log_storage is not None:
        predictor.logger = ks.V1beta1LoggerSpec(
            mode="all",
            url=log_storage.logger_url,
            storage=ks.models.V1beta1LoggerStorageSpec(
                key=log_storage.key or None,
                service_account_name=log_storage.service_account or None,
                parameters=log_storage.parameters(),
            ),
            batch_size=log_storage.batch_size,
            batch_interval=log_storage.batch_interval,
        )
    elif logger_url is not None:
        predictor.logger = ks.V1beta1LoggerSpec(mode="all", url=_check_url(logger_url))
    isvc = ks.V1beta1InferenceService(
        api_version=API_VERSION,
        kind=KIND,
        metadata=k8s.V1ObjectMeta(
            name=name,
            namespace=namespace,
            labels=dict(labels) if labels else None,
            annotations=dict(annotations) if annotations else None,
        ),
        spec=ks.V1beta1InferenceServiceSpec(predictor=predictor),
    )
    return k8s.ApiClient().sanitize_for_serialization(isvc)


def serving_metadata(metadata: dict) -> dict:
    """A model artifact's metadata as its predictor needs it: without the example rows and the reference data's
    description (an environment variable stays small)."""
    model = {key: value for key, value in metadata.get("model", {}).items() if key not in ("example", "reference")}
    return {**metadata, "model": model}


def _check_url(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InferenceServiceError(
            f"The monitoring ingest URL {url!r} is not an http(s) URL.",
            "Set the monitoring ingest URL, e.g. http://monitoring.kubeflow.svc:8080/ingest.",
        )
    return url


def _sdk():
    """(kubernetes.client, kserve) imported on first use, with a neutral command line for kserve."""
    from kubernetes import client as k8s

    if "kserve" not in sys.modules:
        argv = sys.argv
        sys.argv = argv[:1]  # kserve's model_server parses sys.argv when imported
        try:
            import kserve  # noqa: F401
        finally:
            sys.argv = argv
    import kserve as ks

    return k8s, ks
