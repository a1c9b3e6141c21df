"""Build the Pipeline model from a split notebook and its dataflow analysis."""

from __future__ import annotations

import heapq
import math
import re

from ..analysis.dataflow import Flow
from ..notebook.diagnostics import Diagnostic, error, warning
from ..notebook.settings import NotebookSettings
from ..notebook.structure import Structure
from . import packages
from .kfp_names import is_kfp_name, kfp_name, kfp_names, task_name
from .model import SCALAR_TYPES, Edge, Pipeline, Step, StepInput, StepOutput

# Module-level names of the generated file, and local names of each generated component.
RESERVED_MODULE_NAMES = {
    "os",
    "NamedTuple",
    "compiler",
    "dsl",
    "kubernetes",
    "Input",
    "Output",
    "Artifact",
    "Dataset",
    "Model",
    "Metrics",
    "pipeline",
    "TARGET",
    "BASE_IMAGE",
    "PIPELINE_NAME",
    "KFP_PACKAGE",
    "_packages",
    "STEP_IMAGE",
    "_missing",
}
RESERVED_LOCAL_NAMES = {
    "_run",
    "_get",
    "_scalar",
    "_save",
    "_load",
    "_log_metrics",
    "_ns",
    "namedtuple",
    "_observe_models",
    "_save_model",
    "_export_model",
    "_seen",
    "_unwatch",
}
_MARSHALLING_DISTRIBUTIONS = ("cloudpickle",)
#: What a step that outputs a torch model needs to write its exported form and check it (export.py).
_EXPORT_DISTRIBUTIONS = ("onnx", "onnxruntime")


def build_pipeline(
    structure: Structure, flow: Flow, settings: NotebookSettings, name_hint: str
) -> tuple[Pipeline, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    pipeline = Pipeline(pipeline_name(settings.pipeline_name or name_hint), settings, list(flow.parameters))
    _check_parameters(flow, diags)
    taken = set(RESERVED_MODULE_NAMES) | {p.name for p in flow.parameters}
    tasks: set[str] = set()
    order = [s.name for s in structure.steps]
    for cells in structure.steps:
        function = _function_name(cells.name, taken, tasks)
        step = Step(
            cells.name,
            function,
            task_name(function),
            list(cells.cells),
            _step_code(structure, flow, cells.name),
            settings=cells.settings,
        )
        pipeline.steps.append(step)
    if pipeline.name in {step.task for step in pipeline.steps}:
        # kfp.local takes a pipeline named like one of its tasks for that single component.
        pipeline.name = f"{pipeline.name}-pipeline"
    for step in pipeline.steps:
        _wire(step, flow, pipeline, diags)
    outputs = {(s.name, o.name): o.key for s in pipeline.steps for o in s.outputs}
    for step in pipeline.steps:
        for inp in step.inputs:
            if inp.source:
                inp.key = outputs[(inp.source, inp.name)]
    _edges(pipeline, structure, flow, order)
    ordered, cycle_diags = _topological(pipeline, structure)
    diags += cycle_diags
    pipeline.task_order = [step.name for step in ordered]
    data_modules: dict[str, set[str]] = {}  # the modules of each step and of all its producers
    for step in ordered:
        data_modules[step.name] = set(flow.steps[step.name].modules).union(
            *(data_modules.get(source, ()) for source in {s for s in flow.steps[step.name].inputs.values() if s})
        )
    unknown: set[str] = set()
    for step in pipeline.steps:
        diags += _packages_of(step, flow, data_modules[step.name], unknown)
        diags += _step_image(step, settings)
        diags += _gpu_requests(step)
    return pipeline, diags


def pipeline_name(name: str) -> str:
    """A KFP-valid pipeline name: lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:128] or "pipeline"


def _function_name(step: str, taken: set[str], tasks: set[str]) -> str:
    """The step's component function: a valid KFP name whose task name and `<function>_task` variable
    in the pipeline function are free too (`a__b` and `a_b` both make the task `a-b`)."""
    function = kfp_name(step, taken)
    suffix = 2
    while function in taken or f"{function}_task" in taken or task_name(function) in tasks:
        function, suffix = f"{kfp_name(step)}_{suffix}", suffix + 1
    taken |= {function, f"{function}_task"}
    tasks.add(task_name(function))
    return function


def _unique(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    return name


def _check_parameters(flow: Flow, diags: list[Diagnostic]) -> None:
    seen: set[str] = set()
    for param in flow.parameters:
        if param.name in seen:
            diags.append(error(param.cell, param.line, f"pipeline parameter '{param.name}' is defined twice"))
        elif not is_kfp_name(param.name) or param.name in RESERVED_MODULE_NAMES:
            diags.append(
                error(
                    param.cell,
                    param.line,
                    f"pipeline parameter name '{param.name}' is not accepted by "
                    "Kubeflow Pipelines" + (" here" if is_kfp_name(param.name) else ""),
                    "start it with an ASCII letter and use only letters, digits and _"
                    + (
                        f"; {param.name!r} is a name of the generated pipeline module"
                        if param.name in RESERVED_MODULE_NAMES
                        else ""
                    ),
                )
            )
        elif isinstance(param.default, float) and not math.isfinite(param.default):
            diags.append(
                error(
                    param.cell,
                    param.line,
                    f"pipeline parameter '{param.name}' has the default {param.default}, which a pipeline cannot carry",
                    "use a finite number",
                )
            )
        seen.add(param.name)


def _step_code(structure: Structure, flow: Flow, name: str) -> list[tuple[str, str]]:
    """The step's code, part by part, each labelled as people name it (`cell 4`: notebook cells counted from 1)."""
    cells = [*structure.imports, *structure.functions]
    parts = [(f"cell {c + 1}", flow.code.get(c, "")) for c in cells]
    extra = flow.steps[name].extra_imports
    if extra:
        parts.append(("imports made by earlier steps", "\n".join(extra)))
    parts += [(f"cell {c + 1}", flow.code.get(c, "")) for c in structure.step(name).cells]
    return parts


def _wire(step: Step, flow: Flow, pipeline: Pipeline, diags: list[Diagnostic]) -> None:
    """Inputs from parameters and upstream outputs, output keys that clash with nothing, metrics."""
    params = {p.name: p.type for p in pipeline.parameters}
    analysed = flow.steps[step.name]
    names = set(RESERVED_LOCAL_NAMES)
    args = kfp_names(list(analysed.inputs), names)
    for var, source in analysed.inputs.items():
        if source:
            produced = flow.steps[source].outputs[var]
            step.inputs.append(StepInput(var, source, produced.type, "", args[var]))
        else:
            step.inputs.append(StepInput(var, "", params[var], var, args[var]))
    if analysed.metrics:
        step.metrics_key = _unique("metrics", names)
        names.add(step.metrics_key)
        step.metrics = [(var.replace("_", "-"), var) for var in analysed.metrics]
    keys = kfp_names([var + "_out" if var in analysed.inputs else var for var in analysed.outputs], names)
    for (var, output), key in zip(analysed.outputs.items(), keys.values()):
        step.outputs.append(StepOutput(var, output.type, key))


def _edges(pipeline: Pipeline, structure: Structure, flow: Flow, order: list[str]) -> None:
    pairs: dict[tuple[str, str], list[str]] = {k: sorted(v) for k, v in flow.edges.items()}
    for cells in structure.steps:
        for prev in cells.prevs:
            pairs.setdefault((prev, cells.name), [])
    position = {name: i for i, name in enumerate(order)}
    for (source, target), variables in sorted(pairs.items(), key=lambda kv: (position[kv[0][1]], position[kv[0][0]])):
        pipeline.edges.append(Edge(source, target, variables, "data" if variables else "prev"))
    after: dict[str, list[str]] = {}
    for edge in pipeline.edges:  # sorted by target, then source, in notebook order
        after.setdefault(edge.target, []).append(edge.source)
    for step in pipeline.steps:
        step.after = after.get(step.name, [])


def _topological(pipeline: Pipeline, structure: Structure) -> tuple[list[Step], list[Diagnostic]]:
    """The steps, each after its upstreams and otherwise in notebook order (Kahn's algorithm; steps in a
    cycle last), and an error for a cycle. A step appended later may read a step defined after it."""
    position = {s.name: i for i, s in enumerate(pipeline.steps)}
    waiting = {s.name: len(s.after) for s in pipeline.steps}
    downstream: dict[str, list[str]] = {}
    for step in pipeline.steps:
        for upstream in step.after:
            downstream.setdefault(upstream, []).append(step.name)
    ready = [position[s.name] for s in pipeline.steps if not s.after]
    ordered: list[Step] = []
    while ready:
        step = pipeline.steps[heapq.heappop(ready)]
        ordered.append(step)
        for target in downstream.get(step.name, ()):
            waiting[target] -= 1
            if not waiting[target]:
                heapq.heappush(ready, position[target])
    stuck = [s for s in pipeline.steps if waiting[s.name]]
    if not stuck:
        return ordered, []
    cell = structure.step(stuck[0].name).cells[0]
    return ordered + stuck, [
        error(
            cell,
            None,
            f"steps {', '.join(s.name for s in stuck)} form a dependency cycle",
            "a step appended later (same step:NAME) reads data of a step in between; split or reorder it",
        )
    ]


def _packages_of(step: Step, flow: Flow, data_modules: set[str], reported: set[str]) -> list[Diagnostic]:
    """Pinned packages imported by the step's code and its data producers' (values unpickle with their
    libraries: `data_modules`), pip magics, marshalling, and what exports a torch model it outputs."""
    analysed = flow.steps[step.name]
    modules = data_modules | flow.prelude_modules
    reqs, unknown = packages.requirements(modules)
    unknown = [m for m in unknown if m not in reported]
    reported.update(unknown)
    artifacts = any(p.type not in SCALAR_TYPES for p in [*step.inputs, *step.outputs])
    if artifacts:
        reqs += [p for p in map(packages.pinned, _MARSHALLING_DISTRIBUTIONS) if p and p not in reqs]
    if any(o.type == "Model" for o in step.outputs) and any(r.split("==")[0] == "torch" for r in reqs):
        reqs += [p for p in map(packages.pinned, _EXPORT_DISTRIBUTIONS) if p and p not in reqs]
    reqs += [r for r in [*flow.prelude_pip, *analysed.pip] if r not in reqs]
    step.packages = reqs
    return [
        warning(
            step.cells[0],
            None,
            f"module '{m}' of step '{step.name}' is not installed here, so it is not pinned or listed",
            "install it (or add `%pip install` in the step) so it can be pinned",
        )
        for m in unknown
    ]


def _step_image(step: Step, settings: NotebookSettings) -> list[Diagnostic]:
    """Run the step in the notebook's step image unless it names its own; a warning for what the image lacks."""
    recorded = settings.step_image
    if recorded is None or step.settings.image:
        return []
    step.image, step.preinstalled = recorded.image, recorded.packages
    missing = step.cluster_packages(packages.kfp_version())
    if not missing:
        return []
    return [
        warning(
            step.cells[0] if step.cells else None,
            None,
            f"the step image {recorded.image} lacks {', '.join(missing)} of step '{step.name}', "
            "so a cluster run installs them when the step starts",
            "run `ai4mlops image NOTEBOOK` again to build an image with the packages the steps import now",
        )
    ]


def _gpu_requests(step: Step) -> list[Diagnostic]:
    settings = step.settings
    diags = []
    for resource in [r for r in settings.requests if "gpu" in r]:
        value = settings.requests.pop(resource)
        if resource not in settings.limits:
            settings.limits[resource] = value
            diags.append(
                warning(
                    step.cells[0],
                    None,
                    f"request:{resource}:{value} is applied as a limit",
                    "Kubernetes accelerators are set by limits only",
                )
            )
    return diags
