"""Build the KFP IR straight from the Pipeline model: the PipelineSpec and platform spec documents, in the JSON
form kfp's compiler writes them (`json_format.MessageToDict` of kfp's pipeline-spec protobufs).

It is the IR kfp's compiler makes from the generated `<pipeline>.py` (tests/compiler/test_ir_parity.py compiles
both and compares them), without executing decorators, and without importing kfp or protobuf. Where the JSON
form has rules, they are noted: enums by name, int64 as a string, numbers as floats, zero values left out.
What is kfp's own is spelled as kfp 2.x spells it: the install script, the executor command and the preamble
of the embedded component source.
"""

from __future__ import annotations

import os
import re

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


def ir_documents(pipeline: Pipeline, target: str, kfp_version: str) -> list[dict]:
    """The PipelineSpec document, then the platform spec's when a step has Kubernetes settings."""
    by_name = {step.name: step for step in pipeline.steps}
    caching = os.environ.get("KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT", "").strip().lower() not in _CACHE_OFF
    root: dict = {"dag": {"tasks": {step.task: _task(step, by_name, caching) for step in pipeline.steps}}}
    if pipeline.parameters:
        root["inputDefinitions"] = {"parameters": {p.name: _parameter(p.type, p.default) for p in pipeline.parameters}}
    info = {"name": pipeline.name}
    if pipeline.settings.description:
        info["description"] = pipeline.settings.description
    spec = {
        "components": {f"comp-{step.task}": _component(step) for step in pipeline.steps},
        "deploymentSpec": {
            "executors": {
                f"exec-{step.task}": {"container": _container(step, pipeline, target, kfp_version)}
                for step in pipeline.steps
            }
        },
        "pipelineInfo": info,
        "root": root,
        "schemaVersion": SCHEMA_VERSION,
        "sdkVersion": f"kfp-{kfp_version}",
    }
    kubernetes = {f"exec-{step.task}": config for step in pipeline.steps if (config := _kubernetes(step))}
    if not kubernetes:
        return [spec]
    return [spec, {"platforms": {"kubernetes": {"deploymentSpec": {"executors": kubernetes}}}}]


def _component(step: Step) -> dict:
    component = {"executorLabel": f"exec-{step.task}"}
    inputs = _definitions([(i.arg, i.type) for i in step.inputs])
    outputs = _definitions(
        [(o.key, o.type) for o in step.outputs] + ([(step.metrics_key, "Metrics")] if step.metrics else [])
    )
    if inputs:
        component["inputDefinitions"] = inputs
    if outputs:
        component["outputDefinitions"] = outputs
    return component


def _definitions(named: list[tuple[str, str]]) -> dict:
    artifacts = {
        name: {"artifactType": {"schemaTitle": f"system.{kind}", "schemaVersion": "0.0.1"}}
        for name, kind in named
        if kind not in SCALAR_TYPES
    }
    parameters = {name: {"parameterType": _PARAMETER_TYPES[kind]} for name, kind in named if kind in SCALAR_TYPES}
    return {key: value for key, value in (("artifacts", artifacts), ("parameters", parameters)) if value}


def _container(step: Step, pipeline: Pipeline, target: str, kfp_version: str) -> dict:
    packages = step.cluster_packages(kfp_version) if target == "cluster" else []
    install = ["sh", "-c", _INSTALL.format(packages=" ".join(map(repr, packages)))] if packages else []
    # kfp dedents the function's source; at column 0, that empties its whitespace-only lines.
    source = _BLANK_LINE.sub("", "\n".join(component_function(step, pipeline.settings.reference_rows)) + "\n")
    container: dict = {
        "args": ["--executor_input", "{{$}}", "--function_to_execute", step.function],
        "command": [*install, "sh", "-ec", _EXECUTOR, f"{_PREAMBLE}{source}\n"],
        "image": step.settings.image or step.image or pipeline.settings.base_image,
    }
    env = {volume["env"]: volume["mount_path"] for volume in step.settings.volumes if volume.get("env")}
    if env:
        container["env"] = [{"name": name, "value": value} for name, value in env.items()]
    resources = _resources(step)
    if resources:
        container["resources"] = resources
    return container


def _resources(step: Step) -> dict:
    """Each quantity as written (`resourceCpuLimit`) and as a number (`cpuLimit`, left out when zero)."""
    resources: dict = {}
    for kind, values in (("Limit", step.settings.limits), ("Request", step.settings.requests)):
        for resource, value in values.items():
            if resource in _ACCELERATORS:  # the last one set wins, as in kfp
                accelerator = {"resourceCount": value, "resourceType": resource, "type": resource}
                if int(value):
                    accelerator["count"] = str(int(value))  # an int64
                resources["accelerator"] = accelerator
            else:
                resources[f"resource{resource.capitalize()}{kind}"] = value
                number = _cpu(value) if resource == "cpu" else _memory(value)
                if number:
                    resources[f"{resource}{kind}"] = number
    return resources


def _cpu(value: str) -> float:
    return float(value[:-1]) / 1000 if value.endswith("m") else float(value)


def _memory(value: str) -> float:
    """GB, computed as kfp does (`1Gi` is 1.073741824)."""
    for suffix, size in _MEMORY_UNITS.items():
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * size / 10**9
    return float(value) / 10**9


def _task(step: Step, by_name: dict[str, Step], caching: bool) -> dict:
    enabled = caching if step.settings.cache is None else step.settings.cache
    task: dict = {
        "cachingOptions": {"enableCache": True} if enabled else {},
        "componentRef": {"name": f"comp-{step.task}"},
        "taskInfo": {"name": step.task},
    }
    upstream = {inp.source for inp in step.inputs if inp.source} | set(step.after)
    if upstream:
        task["dependentTasks"] = sorted(by_name[name].task for name in upstream)
    parameters, artifacts = {}, {}
    for inp in step.inputs:
        if not inp.source:
            parameters[inp.arg] = {"componentInputParameter": inp.key}
        elif inp.type in SCALAR_TYPES:
            producer = by_name[inp.source].task
            parameters[inp.arg] = {"taskOutputParameter": {"outputParameterKey": inp.key, "producerTask": producer}}
        else:
            producer = by_name[inp.source].task
            artifacts[inp.arg] = {"taskOutputArtifact": {"outputArtifactKey": inp.key, "producerTask": producer}}
    inputs = {key: value for key, value in (("artifacts", artifacts), ("parameters", parameters)) if value}
    if inputs:
        task["inputs"] = inputs
    if step.settings.retry is not None:  # kfp writes its defaults out
        policy = {"backoffDuration": "0s", "backoffFactor": 2.0, "backoffMaxDuration": "3600s"}
        if step.settings.retry:
            policy["maxRetryCount"] = step.settings.retry
        task["retryPolicy"] = policy
    return task


def _parameter(kind: str, default: object) -> dict:
    """A pipeline parameter; its default as a google.protobuf.Value holds it: numbers are floats (not bools)."""
    value = default if isinstance(default, (bool, str)) else float(default)
    return {"defaultValue": value, "isOptional": True, "parameterType": _PARAMETER_TYPES[kind]}


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
        config["activeDeadlineSeconds"] = str(s.timeout)  # an int64
    return config
