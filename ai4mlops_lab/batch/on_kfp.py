"""Batch jobs on Kubeflow Pipelines: a generated one-step pipeline (a `pipeline.model.Pipeline` compiled like a
notebook's) whose step runs `batch/step.py` from this package, installed at this version, over an S3 input to an
S3 output with the model artifact the cluster reads (`s3://`, or KFP's `minio://` as `s3://`). The model, input and
output URIs and the options are the pipeline's parameters, so the run can be repeated from the KFP UI. The
output is not looked up from here (the cluster may see another endpoint): the step refuses an existing output
unless `overwrite`, as a local job does."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from ..analysis.special import Parameter
from ..errors import FieldError, UserError
from ..notebook.settings import NotebookSettings
from ..notebook.tags import StepSettings
from ..objectstore import S3Settings
from ..pipeline.compiler import compile_pipeline
from ..pipeline.model import Pipeline, Step, StepInput
from ..pipeline.packages import pinned
from ..pipeline.s3_secret import SECRET_KEYS
from ..runs.kfp_backend import FINAL, KfpBackend
from .objects import input_object, is_uri, output_objects
from .service import ModelSource

PIPELINE_NAME = "ai4mlops-batch-predict"
EXPERIMENT = "batch-predictions"
STEP = "predict"
#: The distribution each model framework is installed from.
FRAMEWORKS = {"torch": "torch", "sklearn": "scikit-learn", "xgboost": "xgboost"}
#: The step's code: its inputs are the pipeline's parameters.
CODE = (
    "from ai4mlops_lab.batch.step import run\n\n"
    "summary = run(model_uri, model_metadata, input_uri, output_uri, overwrite, chunk_size, task, s3_endpoint)"
)


def plan_objects(input: str, output: str | None) -> tuple[str, str, str]:
    """The input, output and rejects objects of a job on Kubeflow: S3 URIs only (FieldErrors name the field)."""
    for name, value in (("input", input), ("output", output)):
        if value is not None and not is_uri(value):
            raise FieldError(
                name,
                f"A batch job on Kubeflow reads and writes S3 objects; {value!r} is not an s3:// URI.",
                "Upload the file to S3 and give its s3://BUCKET/KEY, or run the job here (target local).",
            )
    source = input_object(input)
    target, rejects = output_objects(source, PurePosixPath(source.key), output)
    return str(source), str(target), str(rejects)


def cluster_model_uri(found: ModelSource) -> str:
    """The S3 URI the cluster reads the model from (KFP's `minio://` as `s3://`); a FieldError (`model`) for a
    model elsewhere."""
    scheme, _, rest = found.uri.partition("://")
    if scheme.lower() in ("s3", "minio") and rest:
        return f"s3://{rest}"
    if not rest:
        raise FieldError(
            "model",
            f"The model of {found.described} is on this machine only ({found.uri}), which the cluster cannot read.",
            "Predict here (target local), or run the notebook on Kubeflow Pipelines (target kfp) and predict with "
            "that run's model or its KServe deployment, whose artifacts are in S3.",
        )
    raise FieldError(
        "model",
        f"The model of {found.described} is at {found.uri}; batch jobs on Kubeflow read models from S3.",
        "Predict with a model whose artifact is in S3 (s3:// or minio://).",
    )


def build_pipeline(parameters: dict, framework: str | None, s3_secret: str | None) -> Pipeline:
    """The one-step pipeline of a job with these `parameters` (its defaults); its step installs this package at
    this version and the model's `framework`, and reads its S3 credentials from `s3_secret` when given."""
    package = pinned("ai4mlops-lab")
    if package is None:
        raise UserError("ai4mlops-lab is not installed as a package here.", "Install it (pip install ai4mlops-lab).")
    packages = [package] + [p for p in (pinned(FRAMEWORKS.get(framework or "", "")),) if p]
    if any(str(parameters[name]).lower().endswith(".parquet") for name in ("input_uri", "output_uri")):
        packages += [p for p in (pinned("pyarrow"),) if p]
    secrets = [{"name": s3_secret, "key": key, "env": key} for key in SECRET_KEYS] if s3_secret else []
    types = {bool: "bool", int: "int", str: "str"}
    step = Step(
        name=STEP,
        function=STEP,
        task=STEP,
        cells=[],
        code=[("batch predict", CODE)],
        inputs=[StepInput(name, "", types[type(value)], name, name) for name, value in parameters.items()],
        packages=packages,
        settings=StepSettings(secrets=secrets, cache=False),
    )
    return Pipeline(
        name=PIPELINE_NAME,
        settings=NotebookSettings(description="Batch predictions of an S3 object (ai4mlops-lab)"),
        parameters=[Parameter(name, types[type(value)], value, 0, 0) for name, value in parameters.items()],
        steps=[step],
        task_order=[STEP],
    )


def submit(
    backend: KfpBackend,
    job_id: str,
    job_dir: Path,
    found: ModelSource,
    objects: tuple[str, str, str],
    options: dict,
    s3_secret: str | None = None,
) -> dict:
    """Compile the job's pipeline into `job_dir` and start a run of it; `KfpBackend.submit`'s answer."""
    parameters = {
        "model_uri": cluster_model_uri(found),
        "model_metadata": json.dumps(found.metadata),
        "input_uri": objects[0],
        "output_uri": objects[1],
        "overwrite": options["overwrite"],
        "chunk_size": options["chunk_size"],
        "task": options["task"],
        "s3_endpoint": S3Settings.from_environment().endpoint_url,
    }
    framework = (found.metadata.get("model") or {}).get("framework")
    _, pipeline_yaml = compile_pipeline(build_pipeline(parameters, framework, s3_secret), job_dir)
    return backend.submit(
        pipeline_yaml,
        pipeline_name=PIPELINE_NAME,
        parameters=parameters,
        experiment=EXPERIMENT,
        run_name=f"batch {job_id}",
        description=f"Batch predictions of {found.described}",
    )


def followed(backend: KfpBackend, run_id: str) -> tuple[str, str] | None:
    """The final state and error of the run, or None while it runs."""
    status = backend.status(run_id, step_names=[])
    return (status["state"], status["error"]) if status["state"] in FINAL else None
