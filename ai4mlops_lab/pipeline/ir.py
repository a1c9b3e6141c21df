"""Build the KFP IR (PipelineSpec protobuf and the Kubernetes platform document) straight from the Pipeline model.

It is the IR kfp's compiler makes from the generated `<pipeline>.py` (tests/compiler/test_ir_parity.py compiles
both and compares them), without executing decorators per compile. What is kfp's own is spelled as kfp 2.x
spells it: the install script, the executor command and the preamble of the embedded component source.
"""

from __future__ import annotations

import os
import re
import sys

from .codegen import component_function
from .model import SCALAR_TYPES, Pipeline, Step

SCHEMA_VERSION = "2.1.0"
_PARAMETER_TYPES = {"int": "NUMBER_INTEGER", "float": "NUMBER_DOUBLE", "str": "STRING", "bool": "BOOLEAN"}
_ACCELERATORS = ("nvidia.com/gpu", "amd.com/gpu")
_INSTALL = (
    '\nif ! [ -x "$(command -v pip)" ]; then\n'
    "    python3 -m ensurepip || python3 -m ensurepip --user || apt-get install python3-pip\nfi\n\n"
    'PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location {packages} && "$0" "$@"\n'
)
_CONTINUED = " " * 25
_EXECUTOR = (
    'program_path=$(mktemp -d)\n\nprintf "%s" "$0" > "$program_path/ephemeral_component.py"\n'
    f"_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main{_CONTINUED}--component_module_path"
    f'{_CONTINUED}"$program_path/ephemeral_component.py"{_CONTINUED}"$@"\n'
)
_PREAMBLE = "\nimport kfp\nfrom kfp import dsl\nfrom kfp.dsl import *\nfrom typing import *\n\n"
_MEMORY_UNITS = {  # suffix -> bytes; kfp states memory in GB (10**9 bytes)
    "Ei": 1 << 60,
    "Pi": 1 << 50,
    "Ti": 1 << 40,
    "Gi": 1 << 30,
    "Mi": 1 << 20,
    "Ki": 1 << 10,
    "E": 10**18,
    "P": 10**15,
    "T": 10**12,
    "G": 10**9,
    "M": 10**6,
    "K": 10**3,
}
_BLANK_LINE = re.compile(r"^[ \t]+$", re.MULTILINE)
_CACHE_OFF = {"1", "true", "t", "yes", "y", "on"}  # KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT, as kfp reads it


def pipeline_spec_module():
    """kfp's `pipeline_spec_pb2`, imported without kfp's SDK and API client (`_KFP_RUNTIME`, as kfp's own
    containers do: ~1 s). Modules that need the client import `kfp.client` explicitly."""
    if "kfp" not in sys.modules:
        previous = os.environ.get("_KFP_RUNTIME")
        os.environ["_KFP_RUNTIME"] = "true"
        try:
            import kfp  # noqa: F401
        finally:
            if previous is None:
                del os.environ["_KFP_RUNTIME"]
            else:
                os.environ["_KFP_RUNTIME"] = previous
    from kfp.pipeline_spec import pipeline_spec_pb2

    return pipeline_spec_pb2


def ir_documents(pipeline: Pipeline, target: str, kfp_version: str) -> list[dict]:
    """The IR's documents as kfp writes them (`json_format.MessageToDict`): the PipelineSpec, then the
    platform spec when a step has Kubernetes settings."""
    from google.protobuf import json_format

    pb = pipeline_spec_module()
    spec = pb.PipelineSpec(sdk_version=f"kfp-{kfp_version}", schema_version=SCHEMA_VERSION)
    spec.pipeline_info.name = pipeline.name
    if pipeline.settings.description:
        spec.pipeline_info.description = pipeline.settings.description
    deployment = pb.PipelineDeploymentConfig()
    kubernetes = {}
    for step in pipeline.steps:
        _component(pb, spec.components[f"comp-{step.task}"], step)
        _container(pb, deployment.executors[f"exec-{step.task}"].container, step, pipeline, target, kfp_version)
        config = _kubernetes(step)
        if config:
            kubernetes[f"exec-{step.task}"] = config
    for param in pipeline.parameters:
        definition = spec.root.input_definitions.parameters[param.name]
        definition.parameter_type = pb.ParameterType.ParameterTypeEnum.Value(_PARAMETER_TYPES[param.type])
        _set_value(definition.default_value, param.default)
        definition.is_optional = True
    by_name = {step.name: step for step in pipeline.steps}
    caching = os.environ.get("KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT", "").strip().lower() not in _CACHE_OFF
    for step in pipeline.steps:
        _task(pb, spec.root.dag.tasks[step.task], step, by_name, caching)
    document = json_format.MessageToDict(spec)
    # PipelineSpec.deployment_spec is a Struct holding this message as JSON (no integers: a Struct has none).
    document["deploymentSpec"] = json_format.MessageToDict(deployment)
    platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": kubernetes}}}}
    return [document, platform] if kubernetes else [document]


def _component(pb, component, step: Step) -> None:
    component.executor_label = f"exec-{step.task}"
    for inp in step.inputs:
        _declare(pb, component.input_definitions, inp.arg, inp.type)
    for out in step.outputs:
        _declare(pb, component.output_definitions, out.key, out.type)
    if step.metrics:
        _declare(pb, component.output_definitions, step.metrics_key, "Metrics")


def _declare(pb, definitions, name: str, kind: str) -> None:
    if kind in SCALAR_TYPES:
        definitions.parameters[name].parameter_type = pb.ParameterType.ParameterTypeEnum.Value(_PARAMETER_TYPES[kind])
    else:
        schema = definitions.artifacts[name].artifact_type
        schema.schema_title, schema.schema_version = f"system.{kind}", "0.0.1"


def _container(pb, container, step: Step, pipeline: Pipeline, target: str, kfp_version: str) -> None:
    container.image = step.settings.image or pipeline.settings.base_image
    packages = [f"kfp=={kfp_version}", *step.packages] if target == "cluster" else []
    if packages:
        container.command.extend(["sh", "-c", _INSTALL.format(packages=" ".join(map(repr, packages)))])
    # kfp dedents the function's source; at column 0, that empties its whitespace-only lines.
    source = _BLANK_LINE.sub("", "\n".join(component_function(step, pipeline.settings.reference_rows)) + "\n")
    container.command.extend(["sh", "-ec", _EXECUTOR, f"{_PREAMBLE}{source}\n"])
    container.args.extend(["--executor_input", "{{$}}", "--function_to_execute", step.function])
    env = {volume["env"]: volume["mount_path"] for volume in step.settings.volumes if volume.get("env")}
    for name, value in env.items():
        container.env.add(name=name, value=value)
    resources = container.resources
    for kind, values in (("limit", step.settings.limits), ("request", step.settings.requests)):
        for resource, value in values.items():
            if resource in _ACCELERATORS:
                accelerator = resources.accelerator
                accelerator.type = accelerator.resource_type = resource
                accelerator.count, accelerator.resource_count = int(value), value
            else:
                number = _cpu(value) if resource == "cpu" else _memory(value)
                setattr(resources, f"resource_{resource}_{kind}", value)
                setattr(resources, f"{resource}_{kind}", number)


def _cpu(value: str) -> float:
    return float(value[:-1]) / 1000 if value.endswith("m") else float(value)


def _memory(value: str) -> float:
    """GB, computed as kfp does (`1Gi` is 1.073741824)."""
    for suffix, size in _MEMORY_UNITS.items():
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * size / 10**9
    return float(value) / 10**9


def _task(pb, task, step: Step, by_name: dict[str, Step], caching: bool) -> None:
    task.task_info.name = step.task
    task.component_ref.name = f"comp-{step.task}"
    task.caching_options.enable_cache = caching if step.settings.cache is None else step.settings.cache
    if step.settings.retry is not None:
        policy = task.retry_policy
        policy.max_retry_count = step.settings.retry
        policy.backoff_duration.FromJsonString("0s")  # kfp writes its defaults out
        policy.backoff_factor = 2.0
        policy.backoff_max_duration.FromJsonString("3600s")
    for inp in step.inputs:
        if not inp.source:
            task.inputs.parameters[inp.arg].component_input_parameter = inp.key
        elif inp.type in SCALAR_TYPES:
            output = task.inputs.parameters[inp.arg].task_output_parameter
            output.producer_task, output.output_parameter_key = by_name[inp.source].task, inp.key
        else:
            output = task.inputs.artifacts[inp.arg].task_output_artifact
            output.producer_task, output.output_artifact_key = by_name[inp.source].task, inp.key
    upstream = {inp.source for inp in step.inputs if inp.source} | set(step.after)
    task.dependent_tasks.extend(sorted(by_name[name].task for name in upstream))


def _set_value(value, python) -> None:
    """A google.protobuf.Value from a parameter default (bool before int: bool is an int)."""
    if isinstance(python, bool):
        value.bool_value = python
    elif isinstance(python, str):
        value.string_value = python
    else:
        value.number_value = python


def _kubernetes(step: Step) -> dict:
    """The step's Kubernetes executor config, as kfp-kubernetes writes it."""
    s = step.settings
    config: dict = {}
    secrets = [
        {
            "keyToEnv": [{"envVar": env, "secretKey": key} for key, env in mapping.items()],
            "optional": False,
            "secretName": name,
            "secretNameParameter": {"runtimeValue": {"constant": name}},
        }
        for name, mapping in s.secrets_by_name().items()
    ]
    if secrets:
        config["secretAsEnv"] = secrets
    if s.volumes:
        config["pvcMount"] = [
            {
                "constant": volume["pvc"],  # kfp-kubernetes still writes the deprecated field too
                "mountPath": volume["mount_path"],
                "pvcNameParameter": {"runtimeValue": {"constant": volume["pvc"]}},
            }
            for volume in s.volumes
        ]
    if s.labels or s.annotations:
        config["podMetadata"] = {
            key: dict(values) for key, values in (("labels", s.labels), ("annotations", s.annotations)) if values
        }
    if s.timeout is not None:
        config["activeDeadlineSeconds"] = str(s.timeout)
    return config
