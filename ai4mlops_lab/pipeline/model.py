"""The pipeline model: a plain, serialisable DAG of steps."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..analysis.special import Parameter
from ..notebook.settings import NotebookSettings
from ..notebook.tags import StepSettings

SCALAR_TYPES = ("int", "float", "str", "bool")


@dataclass
class StepInput:
    name: str  # variable name
    source: str  # producing step, or "" for a pipeline parameter
    type: str  # scalar type name or artifact class name
    key: str  # the producer's output name (or the parameter name)
    arg: str  # the component input name (a valid KFP name; differs from `name` for `_x`, `données`, ...)


@dataclass
class StepOutput:
    name: str  # variable name
    type: str
    key: str  # component output name (a valid KFP name; differs from `name` for clashes, `_x`, `données`, ...)


@dataclass
class Step:
    name: str
    function: str  # Python function name in the generated module
    task: str  # task name in the compiled IR
    cells: list[int]
    code: list[tuple[str, str]]  # the step's Python as (label, code): prelude and step cells, magics commented out
    after: list[str] = field(default_factory=list)
    inputs: list[StepInput] = field(default_factory=list)
    outputs: list[StepOutput] = field(default_factory=list)
    metrics: list[tuple[str, str]] = field(default_factory=list)  # (metric name, variable)
    metrics_key: str = "metrics"
    packages: list[str] = field(default_factory=list)
    settings: StepSettings = field(default_factory=StepSettings)
    image: str | None = None  # the notebook's step image, when the step runs in it (no `image:` tag of its own)
    preinstalled: tuple[str, ...] = ()  # the requirements that image holds

    def cluster_packages(self, kfp_version: str) -> list[str]:
        """What the step installs at start on a cluster: kfp (its executor) and its packages, less its image's."""
        return [p for p in [f"kfp=={kfp_version}", *self.packages] if p not in self.preinstalled]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "task": self.task,
            "cells": list(self.cells),
            "after": list(self.after),
            "inputs": [{"name": i.name, "from": i.source or None, "type": i.type} for i in self.inputs],
            "outputs": [{"name": o.name, "type": o.type, "key": o.key} for o in self.outputs],
            "parameters": [i.name for i in self.inputs if not i.source],
            "metrics": [{"name": m, "variable": v} for m, v in self.metrics],
            "packages": list(self.packages),
            "settings": self.settings.to_dict(),
            "image": self.image,
        }


@dataclass
class Edge:
    source: str
    target: str
    variables: list[str]
    kind: str  # "data" | "prev"

    def to_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "variables": list(self.variables), "kind": self.kind}


@dataclass
class Pipeline:
    name: str
    settings: NotebookSettings
    parameters: list[Parameter] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    task_order: list[str] = field(default_factory=list)  # step names, each after its upstreams

    def to_dict(self) -> dict:
        return {
            "pipeline": self.name,
            "parameters": [{"name": p.name, "type": p.type, "default": p.default} for p in self.parameters],
            "steps": [s.to_dict() for s in self.steps],
            "edges": [e.to_dict() for e in self.edges],
            "settings": self.settings.to_dict(),
        }

    def needs_kubernetes(self) -> bool:
        return any(step.settings.needs_kubernetes() for step in self.steps)
