"""Split a tagged notebook into prelude cells, parameter and metric cells, and steps (merging untagged cells)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .cells import Cell
from .diagnostics import Diagnostic, error, info, warning
from .limits import MAX_STEPS, CodeBudget, too_many_steps
from .settings import NotebookSettings
from .tags import StepSettings, apply_setting, parse_cell_tags


@dataclass
class StepCells:
    """One step: its code cells in notebook order, explicit `prev:` upstreams and settings."""

    name: str
    cells: list[int] = field(default_factory=list)
    prevs: list[str] = field(default_factory=list)
    settings: StepSettings = field(default_factory=StepSettings)


@dataclass
class Structure:
    """The notebook's cells grouped by role; `sources` maps every code cell index to its source."""

    sources: dict[int, str] = field(default_factory=dict)
    imports: list[int] = field(default_factory=list)
    functions: list[int] = field(default_factory=list)
    parameters: list[int] = field(default_factory=list)
    metrics: list[int] = field(default_factory=list)
    steps: list[StepCells] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict, repr=False)  # step name -> index in `steps`

    def step(self, name: str) -> StepCells | None:
        position = self.positions.get(name)
        return None if position is None else self.steps[position]

    def add_step(self, step: StepCells) -> None:
        self.positions[step.name] = len(self.steps)
        self.steps.append(step)


_GROUPS = {
    "imports": "imports",
    "functions": "functions",
    "pipeline-parameters": "parameters",
    "pipeline-metrics": "metrics",
}


def split_notebook(cells: list[Cell], settings: NotebookSettings) -> tuple[Structure, list[Diagnostic]]:
    """Walk code cells top to bottom applying the tag rules; bad input becomes diagnostics, never exceptions."""
    out, diags = Structure(), []
    target: str | None = None  # group name or "step:NAME" that an untagged cell joins
    last_step: StepCells | None = None
    ignored: list[int] = []
    budget = CodeBudget()
    for cell in cells:
        index, source = cell.index, cell.source
        if cell.kind != "code":
            if cell.tags:
                diags.append(
                    warning(
                        index,
                        None,
                        f"tags on a {cell.kind} cell are ignored",
                        "only code cells take part in the pipeline",
                    )
                )
            continue
        parsed, cell_diags = parse_cell_tags(cell.tags, index)
        diags += cell_diags
        kind = parsed.kind
        if kind == "skip":
            continue
        analysed, size_diags = budget.admit(index, source)
        diags += size_diags
        out.sources[index] = source if analysed else ""
        if kind == "step" and parsed.step and out.step(parsed.step) is None and len(out.steps) >= MAX_STEPS:
            diags.append(too_many_steps(index))
            break
        if out.metrics and kind in ("step", "imports", "functions", "pipeline-parameters"):
            diags.append(
                error(
                    index,
                    None,
                    f"{kind} cell after the pipeline-metrics cell",
                    "pipeline-metrics must be the last cells of the notebook",
                )
            )
            continue
        if kind == "step":
            last_step = _step_cell(out, parsed.step, last_step, index, diags)
            if last_step is None:
                target = None
                continue
            target = "step:" + last_step.name
            diags += _prevs(out, last_step, parsed.prevs, index)
            for tag in parsed.settings:
                diags += apply_setting(last_step.settings, tag, index)
        elif kind is not None:
            target = _GROUPS[kind]
            if kind == "pipeline-metrics" and last_step is None:
                diags.append(
                    error(
                        index,
                        None,
                        "pipeline-metrics cell before any step",
                        "metrics are read from the steps above them",
                    )
                )
        elif target is None:
            if source.strip():
                ignored.append(index)
            continue
        if target.startswith("step:"):
            if last_step is not None and kind != "step":
                last_step.cells.append(index)
        else:
            getattr(out, target).append(index)
    if ignored:
        diags.append(
            info(
                ignored[0],
                None,
                _untagged_before_first_tag([i + 1 for i in ignored]),
                "tag them (e.g. imports or step:NAME) to include them",
            )
        )
    if not out.steps:
        diags.append(error(None, None, "the notebook has no steps", "tag a code cell with step:NAME"))
    _defaults(out, settings, diags)
    return out, diags


def _step_cell(
    out: Structure, name: str, last: StepCells | None, index: int, diags: list[Diagnostic]
) -> StepCells | None:
    """Resolve a step tag: new step, append to an existing one, or continue the previous one (empty name)."""
    if name == "":
        if last is None:
            diags.append(
                error(
                    index,
                    None,
                    "'step:' continues the previous step but there is none above",
                    "name the step: step:NAME",
                )
            )
            return None
        step = last
    else:
        step = out.step(name)
        if step is None:
            step = StepCells(name)
            out.add_step(step)
    step.cells.append(index)
    return step


def _prevs(out: Structure, step: StepCells, prevs: list[str], index: int) -> list[Diagnostic]:
    diags = []
    defined = out.positions
    for prev in prevs:
        if prev == step.name:
            diags.append(error(index, None, f"step '{step.name}' cannot depend on itself (prev:{prev})"))
        elif prev not in defined:
            diags.append(
                error(
                    index,
                    None,
                    f"prev:{prev} refers to an unknown step",
                    f"steps defined so far: {', '.join(defined) or 'none'}",
                )
            )
        elif defined[prev] > defined[step.name]:
            diags.append(
                error(
                    index,
                    None,
                    f"prev:{prev} refers to a step defined below '{step.name}'",
                    "prev: must name a step defined above",
                )
            )
        elif prev not in step.prevs:
            step.prevs.append(prev)
    return diags


def _defaults(out: Structure, settings: NotebookSettings, diags: list[Diagnostic]) -> None:
    """Apply notebook-wide defaults (volumes, caching, steps_defaults tags) under each step's own tags."""
    for step in out.steps:
        own = step.settings
        merged = StepSettings(volumes=[dict(v) for v in settings.volumes], cache=settings.enable_caching)
        for tag in settings.step_defaults:
            problems = apply_setting(merged, tag, None)
            if step is out.steps[0]:
                diags += problems
        merged.image = own.image or merged.image
        merged.limits.update(own.limits)
        merged.requests.update(own.requests)
        merged.annotations.update(own.annotations)
        merged.labels.update(own.labels)
        merged.secrets += own.secrets
        merged.volumes += own.volumes
        for key in ("cache", "retry", "timeout"):
            if getattr(own, key) is not None:
                setattr(merged, key, getattr(own, key))
        step.settings = merged


def _untagged_before_first_tag(numbers: list[int]) -> str:
    """'untagged cell 1 before the first tag is ...' / 'untagged cells 1, 2 and 4 before ... are ...'."""
    if len(numbers) == 1:
        return f"untagged cell {numbers[0]} before the first tag is not part of the pipeline"
    listed = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
    return f"untagged cells {listed} before the first tag are not part of the pipeline"
