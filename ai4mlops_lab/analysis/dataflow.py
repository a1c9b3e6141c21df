"""Turn per-cell name facts into data edges between steps, step inputs/outputs and diagnostics."""

from __future__ import annotations

import ast
import bisect
import builtins
from dataclasses import dataclass, field

from ..notebook.diagnostics import Diagnostic, error, warning
from ..notebook.structure import Structure
from .magics import StrippedCell, strip_magics
from .names import Binding, CellFacts, Event, analyze_code, named_like_a_model
from .special import Parameter, parse_metrics, parse_parameters, too_complex

# Names a notebook kernel provides without a definition; the step runtime provides `display` too.
_KERNEL_NAMES = set(dir(builtins)) | {"display", "__name__", "__file__", "__builtins__"}
# `for _, row in ...`: a name written to be thrown away, data only when a later step reads it.
THROWAWAY = "_"


@dataclass
class Output:
    """A variable a step passes on: `type` is a scalar type name or an artifact class name."""

    name: str
    type: str
    callable: bool = False


@dataclass
class StepFlow:
    name: str
    inputs: dict[str, str] = field(default_factory=dict)  # variable -> source step, or "" for a pipeline parameter
    outputs: dict[str, Output] = field(default_factory=dict)
    metrics: list[str] = field(default_factory=list)
    extra_imports: list[str] = field(default_factory=list)  # imports re-done because an earlier step made them
    modules: set[str] = field(default_factory=set)
    pip: list[str] = field(default_factory=list)


@dataclass
class Flow:
    """The analysis result of a whole notebook."""

    parameters: list[Parameter] = field(default_factory=list)
    steps: dict[str, StepFlow] = field(default_factory=dict)
    edges: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (source, target) -> variables
    code: dict[int, str] = field(default_factory=dict)  # magic-stripped code per cell
    prelude_modules: set[str] = field(default_factory=set)
    prelude_pip: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass
class _Located:
    cell: int
    seq: int
    step: str
    event: Event


def analyze_flow(structure: Structure) -> Flow:
    """Full static analysis of a split notebook; never raises for bad user code."""
    flow = Flow()
    facts = {
        cell: _cell_facts(structure.sources[cell], cell, flow) for cell in [*structure.imports, *structure.functions]
    }
    modules = frozenset(e.name for f in facts.values() if f for e in f.events if e.binding and e.binding.import_stmt)
    for step in structure.steps:
        facts.update({cell: _cell_facts(structure.sources[cell], cell, flow, modules) for cell in step.cells})
    for cell in structure.parameters:
        params, diags = parse_parameters(structure.sources[cell], cell)
        flow.parameters += params
        flow.diagnostics += diags
    param_types = {p.name: p.type for p in flow.parameters}
    prelude = _Prelude(structure, facts, param_types, flow)
    bindings = _bindings(structure, facts)
    steps = [s.name for s in structure.steps]
    stars = sorted((cell, stmt) for cell, f in facts.items() if f is not None for _, stmt in f.star_imports)
    for step in structure.steps:
        flow.steps[step.name] = _resolve_step(step.name, step.cells, facts, bindings, prelude, param_types, stars, flow)
    _metrics(structure, bindings, param_types, flow)
    _outputs(structure, facts, flow, param_types, steps)
    return flow


def _cell_facts(source: str, cell: int, flow: Flow, modules: frozenset[str] = frozenset()) -> CellFacts | None:
    stripped: StrippedCell = strip_magics(source)
    flow.code[cell] = stripped.code
    for line, text in stripped.magics:
        flow.diagnostics.append(
            warning(
                cell,
                line,
                f"IPython syntax '{text}' is commented out in the pipeline step",
                "use plain Python; `pip install` lines become step packages",
            )
        )
    try:
        facts = analyze_code(stripped.code, modules)
    except SyntaxError as exc:
        flow.diagnostics.append(error(cell, exc.lineno, f"syntax error: {exc.msg}", "fix the cell so it parses"))
        return None
    except (RecursionError, MemoryError):
        flow.diagnostics.append(too_complex(cell))
        return None
    facts.pip = stripped.packages
    for line, stmt in facts.star_imports:
        flow.diagnostics.append(
            warning(
                cell, line, f"star import '{stmt}' hides which names it defines", "import the names you use explicitly"
            )
        )
    for line, what in facts.dynamic:
        flow.diagnostics.append(
            warning(
                cell,
                line,
                f"names created dynamically ({what}) are invisible to the analysis",
                "assign variables explicitly so they can be passed between steps",
            )
        )
    return facts


class _Prelude:
    """The `imports` and `functions` cells, prepended to every step."""

    def __init__(self, structure: Structure, facts: dict, param_types: dict, flow: Flow):
        self.names: set[str] = set()
        self.function_deps: dict[str, set[str]] = {}
        self.star: list[str] = []
        for cell in [*structure.imports, *structure.functions]:
            cell_facts = facts.get(cell)
            if cell_facts is None:
                continue
            flow.prelude_modules |= cell_facts.modules
            flow.prelude_pip += cell_facts.pip
            self.star += [stmt for _, stmt in cell_facts.star_imports]
            for event in cell_facts.events:
                if event.kind == "read" and not (
                    event.name in self.names or event.name in _KERNEL_NAMES or event.name in param_types
                ):
                    if not self.star:
                        flow.diagnostics.append(
                            error(
                                cell,
                                event.line,
                                f"name '{event.name}' is not defined",
                                "imports/functions cells may only use their own names and pipeline parameters",
                            )
                        )
                elif event.kind == "write":
                    self.names.add(event.name)
            self.function_deps.update(cell_facts.function_deps)
        for name in list(self.function_deps):  # transitive closure through other prelude functions
            seen, todo, deps = {name}, [name], set()
            while todo:
                for dep in self.function_deps.get(todo.pop(), ()):
                    if dep in self.function_deps and dep not in seen:
                        seen.add(dep)
                        todo.append(dep)
                    elif dep not in self.names:
                        deps.add(dep)
            self.function_deps[name] = deps


def _bindings(structure: Structure, facts: dict) -> dict[str, list[_Located]]:
    """Every write/mutate/del of each name by any step, in notebook order."""
    result: dict[str, list[_Located]] = {}
    for step in structure.steps:
        for cell in step.cells:
            for seq, event in enumerate(getattr(facts.get(cell), "events", ())):
                if event.kind in ("write", "mutate", "del"):
                    result.setdefault(event.name, []).append(_Located(cell, seq, step.name, event))
    for located in result.values():
        located.sort(key=lambda b: (b.cell, b.seq))
    return result


def _resolve_step(
    name: str,
    cells: list[int],
    facts: dict,
    bindings: dict,
    prelude: _Prelude,
    param_types: dict,
    stars: list[tuple[int, str]],
    flow: Flow,
) -> StepFlow:
    """The step's inputs (from the closest step above that binds each name, or parameters) and its
    modules; `stars` are the notebook's star imports as (cell, statement) in notebook order."""
    result = StepFlow(name)
    needs: dict[str, tuple[int, int, int, bool]] = {}  # name -> (cell, seq, line, optional)
    definite: set[str] = set()
    maybe: set[str] = set()
    written: set[str] = set()
    deferred: list[tuple[str, int, int, int]] = []

    def need(var: str, cell: int, seq: int, line: int, optional: bool = False) -> None:
        if var in definite or var in needs:
            return
        if var in prelude.names:
            for dep in sorted(prelude.function_deps.get(var, ())):
                need(dep, cell, seq, line, optional)
            return
        needs[var] = (cell, seq, line, optional or var in maybe)

    for cell in cells:
        cell_facts = facts.get(cell)
        if cell_facts is None:
            continue
        result.modules |= cell_facts.modules
        result.pip += cell_facts.pip
        for seq, event in enumerate(cell_facts.events):
            var = event.name
            if event.kind == "deferred":
                deferred.append((var, cell, seq, event.line))
                continue
            if event.kind in ("read", "mutate", "del"):
                need(var, cell, seq, event.line)
            if event.kind == "del":
                definite.discard(var)
                if var in needs and var not in maybe:
                    flow.diagnostics.append(
                        warning(
                            cell,
                            event.line,
                            f"'del {var}' only affects step '{name}'",
                            f"'{var}' is received from upstream; other steps keep their copy",
                        )
                    )
            elif event.kind == "mutate" or (event.kind == "write" and event.definite):
                definite.add(var)
                written.add(var)
            elif event.kind == "write":
                if var != THROWAWAY:  # a loop or branch may not write it: the upstream value goes on
                    need(var, cell, seq, event.line, optional=True)
                maybe.add(var)
                written.add(var)
    for var, cell, seq, line in deferred:
        if var not in written:
            need(var, cell, seq, line)
    stars_above = list(prelude.star)
    for var, (cell, seq, line, optional) in sorted(needs.items(), key=lambda kv: kv[1][:2]):
        binder = _last_binder(bindings.get(var, ()), name, cell, seq)
        if binder is not None and binder.event.kind == "del":
            flow.diagnostics.append(
                error(
                    cell,
                    line,
                    f"'{var}' is deleted in step '{binder.step}' "
                    f"(cell {binder.cell + 1}, line {binder.event.line}) before it is read here",
                    "remove the del or re-create the variable",
                )
            )
        elif binder is not None and binder.event.binding and binder.event.binding.import_stmt:
            if binder.event.binding.import_stmt not in result.extra_imports:
                result.extra_imports.append(binder.event.binding.import_stmt)
                result.modules.add(binder.event.binding.import_stmt.split()[1].split(".")[0])
        elif binder is not None:
            result.inputs[var] = binder.step
            flow.edges.setdefault((binder.step, name), []).append(var)
        elif var in param_types:
            result.inputs[var] = ""
        elif var in _KERNEL_NAMES or optional:
            continue
        else:
            own = [stmt for c in cells if c <= cell and facts.get(c) for _, stmt in facts[c].star_imports]
            above = [stmt for c, stmt in stars if c < cell]
            others = [stmt for stmt in stars_above + above if stmt not in own]
            if own or others:
                flow.diagnostics.append(
                    warning(cell, line, f"'{var}' is assumed to come from a star import", "import it explicitly")
                )
                result.extra_imports += [s for s in others if s not in result.extra_imports]
            else:
                flow.diagnostics.append(
                    error(
                        cell,
                        line,
                        f"name '{var}' is read but defined nowhere above",
                        "define it in this or an earlier step, or make it a pipeline parameter",
                    )
                )
    return result


def _last_binder(located: list[_Located], step: str, cell: int, seq: int) -> _Located | None:
    """The last binding by another step before (cell, seq); `located` is in notebook order."""
    position = bisect.bisect_left(located, (cell, seq), key=lambda b: (b.cell, b.seq))
    while position > 0:
        position -= 1
        if located[position].step != step:
            return located[position]
    return None


def _metrics(structure: Structure, bindings: dict, param_types: dict, flow: Flow) -> None:
    """Each printed metric is logged by the last step that computes it; a pipeline parameter (as Kale
    does) by the last step that reads it, else by the first step, which then receives it."""
    for cell in structure.metrics:
        metrics, diags = parse_metrics(structure.sources[cell], cell)
        flow.diagnostics += diags
        for var, line in metrics:
            located = [b for b in bindings.get(var, ()) if b.event.kind != "del"]
            if located:
                producer = located[-1].step
            elif param_types.get(var) == "str":
                flow.diagnostics.append(
                    error(
                        cell,
                        line,
                        f"metric '{var}' is a text parameter, not a number",
                        "print numbers (int, float or bool) in pipeline-metrics",
                    )
                )
                continue
            elif var in param_types and structure.steps:
                readers = [s for s in flow.steps.values() if s.inputs.get(var) == ""]
                producer = readers[-1].name if readers else structure.steps[0].name
                flow.steps[producer].inputs.setdefault(var, "")
            else:
                flow.diagnostics.append(
                    error(cell, line, f"metric '{var}' is not computed by any step", "assign it in a step above")
                )
                continue
            if var not in flow.steps[producer].metrics:
                flow.steps[producer].metrics.append(var)


def _outputs(structure: Structure, facts: dict, flow: Flow, param_types: dict, order: list[str]) -> None:
    """Type every passed variable from the producing step's bindings, in notebook order. Models a step
    makes (named like one: a loss module is no model to deploy) are outputs even when no later step
    reads them: they are what gets deployed."""
    types: dict[tuple[str, str], str | None] = {}
    passed: dict[str, set[str]] = {}
    for (source, _), variables in flow.edges.items():
        passed.setdefault(source, set()).update(variables)
    for producer in order:
        step = structure.step(producer)
        bound: dict[str, list[tuple[int, Event]]] = {}  # variable -> its writes, mutations and dels
        for cell in step.cells:
            for event in getattr(facts.get(cell), "events", ()):
                if event.kind in ("write", "mutate", "del"):
                    bound.setdefault(event.name, []).append((cell, event))
        targets = passed.get(producer, set()) | {
            var
            for var, events in bound.items()
            for _, e in events
            if e.kind == "write"
            and e.binding
            and e.binding.kind == "Model"
            and not e.binding.scalar
            and named_like_a_model(var)
        }
        trailing = _trailing_name(flow.code.get(step.cells[-1], ""))
        if trailing in bound or trailing in flow.steps[producer].inputs:
            targets.add(trailing)
        for var in sorted(targets):
            source = flow.steps[producer].inputs.get(var)
            incoming = param_types.get(var) if source == "" else types.get((source, var)) if source else None
            events = bound.get(var, [])
            scalar, binding = _scalar_type(incoming, [e for _, e in events])
            types[(producer, var)] = scalar
            last_cell, last = events[-1] if events else (None, None)
            if last is not None and last.binding and last.binding.unpicklable:
                flow.diagnostics.append(
                    error(
                        last_cell,
                        last.line,
                        f"'{var}' holds {last.binding.unpicklable}, which cannot be passed to another step",
                        "re-create it in the step that uses it, or pass plain data instead",
                    )
                )
            kind = scalar or (binding.kind if binding else "Artifact")
            flow.steps[producer].outputs[var] = Output(var, kind, bool(binding and binding.callable))


def _trailing_name(code: str) -> str | None:
    """The variable a cell ends with as a bare expression (`md5_hash`): Kale makes it a step output."""
    try:
        body = ast.parse(code).body
    except (SyntaxError, RecursionError, MemoryError):
        return None
    last = body[-1] if body else None
    return last.value.id if isinstance(last, ast.Expr) and isinstance(last.value, ast.Name) else None


def _scalar_type(incoming: str | None, events: list[Event]) -> tuple[str | None, Binding | None]:
    scalar, last = incoming, None
    for event in events:
        binding = event.binding
        if event.kind != "write" or binding is None:
            scalar = None
            continue
        last = binding
        if binding.augmented:
            pair = {scalar, binding.scalar}
            scalar = scalar if len(pair) == 1 else "float" if pair == {"int", "float"} else None
        elif event.definite:
            scalar = binding.scalar
        elif binding.scalar != scalar:
            scalar = None
    return scalar, last
