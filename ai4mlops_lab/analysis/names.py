"""Name-level facts of one cell's code via `ast`: reads, writes, mutations, deletions, imports, functions."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

# Methods that never change their receiver; any other method call on a name counts as a mutation.
PURE_METHODS = frozenset(
    [
        "copy",
        "count",
        "index",
        "get",
        "keys",
        "values",
        "items",
        "startswith",
        "endswith",
        "format",
        "join",
        "split",
        "strip",
        "lower",
        "upper",
        "replace",
        "mean",
        "sum",
        "std",
        "var",
        "min",
        "max",
        "median",
        "prod",
        "cumsum",
        "argmax",
        "argmin",
        "all",
        "any",
        "round",
        "abs",
        "head",
        "tail",
        "describe",
        "info",
        "astype",
        "reshape",
        "flatten",
        "ravel",
        "transpose",
        "tolist",
        "item",
        "numpy",
        "detach",
        "clone",
        "cpu",
        "size",
        "dim",
        "numel",
        "shape",
        "dtype",
        "predict",
        "predict_proba",
        "transform",
        "score",
        "to_numpy",
        "to_dict",
        "to_list",
        "isna",
        "isnull",
        "notna",
        "unique",
        "nunique",
        "value_counts",
        "groupby",
        "agg",
        "apply_along_axis",
        "dot",
        "matmul",
        "sort_values",
        "sort_index",
        "query",
        "filter",
        "select",
        "parameters",
        "named_parameters",
        "state_dict",
        "children",
        "modules",
    ]
)
_SCALARS = {int: "int", float: "float", str: "str", bool: "bool"}
_SCALAR_CALLS = {"int": "int", "float": "float", "str": "str", "bool": "bool", "len": "int"}
_DATA_ROOTS = {"np", "numpy", "pd", "pandas", "torch", "pa", "pyarrow"}
_MODEL_NAME_PARTS = ("model", "net", "clf", "classifier", "regressor", "estimator")
_UNPICKLABLE_CALLS = {
    "open": "an open file",
    "Lock": "a lock",
    "RLock": "a lock",
    "Semaphore": "a semaphore",
    "socket": "a socket",
    "connect": "a connection",
    "Popen": "a subprocess",
}


@dataclass
class Binding:
    """What a write stores, as far as can be told statically."""

    scalar: str | None = None  # "int" | "float" | "str" | "bool", or None when unknown
    augmented: bool = False  # `x op= literal`: scalar is the literal's type
    kind: str = "Artifact"  # artifact type hint: "Dataset" | "Model" | "Artifact"
    unpicklable: str | None = None  # e.g. "an open file"
    import_stmt: str | None = None  # the import statement that binds the name
    callable: bool = False  # function, class or lambda: needs cloudpickle to travel


@dataclass
class Event:
    """One name event in execution order. kind: read | write | mutate | del | deferred (function free var)."""

    kind: str
    name: str
    line: int
    definite: bool = True
    binding: Binding | None = None


@dataclass
class CellFacts:
    events: list[Event] = field(default_factory=list)
    modules: set[str] = field(default_factory=set)  # top-level imported module names
    star_imports: list[tuple[int, str]] = field(default_factory=list)  # (line, statement)
    dynamic: list[tuple[int, str]] = field(default_factory=list)  # (line, what)
    function_deps: dict[str, set[str]] = field(default_factory=dict)  # function name -> free variables
    pip: list[str] = field(default_factory=list)  # requirements from `pip install` magics (set by the caller)


def analyze_code(code: str, modules: frozenset[str] = frozenset()) -> CellFacts:
    """Facts of already magic-stripped cell code; `modules` are names bound to modules by earlier cells.
    Raises SyntaxError for invalid code."""
    tree = ast.parse(code)
    visitor = _CellVisitor(modules)
    for stmt in tree.body:
        visitor.statement(stmt, definite=True)
    return visitor.facts


class _CellVisitor:
    def __init__(self, modules: frozenset[str]) -> None:
        self.facts = CellFacts()
        self.module_names: set[str] = set(modules)
        self.generator_functions: set[str] = set()

    def emit(self, kind: str, name: str, node: ast.AST, definite: bool = True, binding: Binding | None = None):
        self.facts.events.append(Event(kind, name, getattr(node, "lineno", 1), definite, binding))

    # statements -------------------------------------------------------------------------------------
    def statement(self, node: ast.stmt, definite: bool) -> None:
        handler = getattr(self, "stmt_" + type(node).__name__, None)
        if handler is not None:
            handler(node, definite)
        else:
            self.generic_statement(node, definite)

    def block(self, body: list[ast.stmt], definite: bool) -> None:
        for stmt in body:
            self.statement(stmt, definite)

    def generic_statement(self, node: ast.stmt, definite: bool) -> None:
        self.reads(node)
        for target in _store_names(node):
            self.emit("write", target.id, target, definite, Binding())

    def stmt_Expr(self, node: ast.Expr, definite: bool) -> None:
        self.reads(node.value)

    def stmt_Assign(self, node: ast.Assign, definite: bool) -> None:
        self.reads(node.value)
        for target in node.targets:
            self.assign_target(target, node.value, definite)

    def stmt_AnnAssign(self, node: ast.AnnAssign, definite: bool) -> None:
        self.reads(node.annotation)
        if node.value is not None:
            self.reads(node.value)
            self.assign_target(node.target, node.value, definite)

    def stmt_AugAssign(self, node: ast.AugAssign, definite: bool) -> None:
        self.reads(node.value)
        root = _root_name(node.target)
        if isinstance(node.target, ast.Name):
            self.emit("read", root.id, node)
            scalar = _literal_scalar(node.value)
            self.emit("write", root.id, node, definite, Binding(scalar=scalar, augmented=True))
        elif root is not None:
            self.reads(node.target)
            self.emit("mutate", root.id, node, definite)

    def stmt_Delete(self, node: ast.Delete, definite: bool) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.emit("read", target.id, target)
                self.emit("del", target.id, target, definite)
            else:
                self.reads(target)
                root = _root_name(target)
                if root is not None:
                    self.emit("mutate", root.id, target, definite)

    def stmt_Import(self, node: ast.Import, definite: bool) -> None:
        for alias in node.names:
            self.facts.modules.add(alias.name.split(".")[0])
            bound = alias.asname or alias.name.split(".")[0]
            stmt = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
            self.module_names.add(bound)
            self.emit("write", bound, node, definite, Binding(import_stmt=stmt))

    def stmt_ImportFrom(self, node: ast.ImportFrom, definite: bool) -> None:
        module = "." * node.level + (node.module or "")
        if node.level == 0 and node.module:
            self.facts.modules.add(node.module.split(".")[0])
        for alias in node.names:
            if alias.name == "*":
                self.facts.star_imports.append((node.lineno, f"from {module} import *"))
                continue
            bound = alias.asname or alias.name
            stmt = f"from {module} import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
            self.emit("write", bound, node, definite, Binding(import_stmt=stmt))

    def stmt_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef, definite: bool) -> None:
        for expr in [*node.decorator_list, *_defaults(node.args), *_annotations(node)]:
            self.reads(expr)
        free = _free_variables(node)
        self.facts.function_deps[node.name] = free
        if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for stmt in node.body for n in _own_nodes(stmt)):
            self.generator_functions.add(node.name)
        for name in sorted(free):
            self.emit("deferred", name, node)
        self.emit("write", node.name, node, definite, Binding(callable=True))

    stmt_AsyncFunctionDef = stmt_FunctionDef

    def stmt_ClassDef(self, node: ast.ClassDef, definite: bool) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.reads(expr)
        class_locals: set[str] = set()
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for expr in [*stmt.decorator_list, *_defaults(stmt.args)]:
                    self.reads(expr, exclude=class_locals)
                for name in sorted(_free_variables(stmt)):
                    self.emit("deferred", name, stmt)
                class_locals.add(stmt.name)
            else:
                self.reads(stmt, exclude=class_locals)
                class_locals |= {n.id for n in _store_names(stmt)}
        self.emit("write", node.name, node, definite, Binding(callable=True))

    def stmt_For(self, node: ast.For | ast.AsyncFor, definite: bool) -> None:
        self.reads(node.iter)
        self.assign_target(node.target, None, False)
        self.block(node.body, False)
        self.block(node.orelse, False)

    stmt_AsyncFor = stmt_For

    def stmt_While(self, node: ast.While, definite: bool) -> None:
        self.reads(node.test)
        self.block(node.body, False)
        self.block(node.orelse, False)

    def stmt_If(self, node: ast.If, definite: bool) -> None:
        self.reads(node.test)
        start = len(self.facts.events)
        self.block(node.body, False)
        body_writes = {e.name for e in self.facts.events[start:] if e.kind == "write"}
        middle = len(self.facts.events)
        self.block(node.orelse, False)
        else_writes = {e.name for e in self.facts.events[middle:] if e.kind == "write"}
        if definite:  # a name written on both branches is definitely written
            for name in sorted(body_writes & else_writes):
                last = next(e for e in reversed(self.facts.events) if e.name == name and e.kind == "write")
                last.definite = True

    def stmt_With(self, node: ast.With | ast.AsyncWith, definite: bool) -> None:
        for item in node.items:
            self.reads(item.context_expr)
            if item.optional_vars is not None:
                self.assign_target(item.optional_vars, item.context_expr, definite)
        self.block(node.body, definite)

    stmt_AsyncWith = stmt_With

    def stmt_Try(self, node: ast.Try, definite: bool) -> None:
        self.block(node.body, definite)
        for handler in node.handlers:
            if handler.type is not None:
                self.reads(handler.type)
            if handler.name:
                self.emit("write", handler.name, handler, False, Binding())
            self.block(handler.body, False)
        self.block(node.orelse, False)
        self.block(node.finalbody, definite)

    stmt_TryStar = stmt_Try

    def stmt_Global(self, node: ast.Global, definite: bool) -> None:
        return None

    stmt_Nonlocal = stmt_Global

    # expressions ------------------------------------------------------------------------------------
    def reads(self, node: ast.AST, exclude: set[str] = frozenset()) -> None:
        """Emit reads (and mutations through method calls) of an expression or simple statement."""
        for sub in _own_nodes(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id not in exclude:
                self.emit("read", sub.id, sub)
            elif isinstance(sub, ast.Call):
                self.call(sub)
            elif isinstance(sub, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                deferred = isinstance(sub, ast.Lambda)
                for name in sorted(_free_variables(sub) - exclude):
                    self.emit("deferred" if deferred else "read", name, sub)
            elif isinstance(sub, ast.NamedExpr):
                self.emit("write", sub.target.id, sub, False, Binding())

    def call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id == "exec":
                self.facts.dynamic.append((node.lineno, "exec(...)"))
            elif func.id == "setattr" and node.args and _is_module_expr(node.args[0], self.module_names):
                self.facts.dynamic.append((node.lineno, "setattr on a module"))
            return
        if not isinstance(func, ast.Attribute):
            return
        root = _root_name(func.value)
        if _is_namespace_call(func.value):
            if func.attr in ("update", "setdefault", "__setitem__"):
                self.facts.dynamic.append((node.lineno, f"{ast.unparse(func)}(...)"))
        elif root is not None and root.id not in self.module_names and func.attr not in PURE_METHODS:
            self.emit("mutate", root.id, node)

    def assign_target(self, target: ast.expr, value: ast.expr | None, definite: bool) -> None:
        if isinstance(target, ast.Name):
            self.emit("write", target.id, target, definite, self.binding(target.id, value))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.assign_target(element.value if isinstance(element, ast.Starred) else element, None, definite)
        elif isinstance(target, ast.Starred):
            self.assign_target(target.value, None, definite)
        else:  # x[...] = v, x.attr = v
            if isinstance(target, ast.Subscript) and _is_namespace_call(target.value):
                self.facts.dynamic.append((target.lineno, f"{ast.unparse(target.value)}[...] = ..."))
                return
            self.reads(target)
            root = _root_name(target)
            if root is not None:
                if root.id in self.module_names:
                    self.facts.dynamic.append((target.lineno, f"assignment to module attribute {ast.unparse(target)}"))
                else:
                    self.emit("mutate", root.id, target, definite)

    def binding(self, name: str, value: ast.expr | None) -> Binding:
        if value is None:
            return Binding()
        binding = Binding(scalar=_literal_scalar(value), kind=_kind_hint(name, value))
        if isinstance(value, ast.Call):
            callee = value.func.id if isinstance(value.func, ast.Name) else getattr(value.func, "attr", None)
            if isinstance(value.func, ast.Name) and callee in _SCALAR_CALLS:
                binding.scalar = _SCALAR_CALLS[callee]
            binding.unpicklable = _UNPICKLABLE_CALLS.get(callee)
            if callee in self.generator_functions:
                binding.unpicklable = "a generator"
        elif isinstance(value, ast.JoinedStr):
            binding.scalar = "str"
        elif isinstance(value, ast.GeneratorExp):
            binding.unpicklable = "a generator"
        elif isinstance(value, ast.Lambda):
            binding.callable = True
        return binding


# helpers --------------------------------------------------------------------------------------------
_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _own_nodes(node: ast.AST):
    """`node` and its descendants in source order, yielding nested scopes without descending into them."""
    yield node
    if isinstance(node, _SCOPES):
        return
    for child in ast.iter_child_nodes(node):
        yield from _own_nodes(child)


def _store_names(node: ast.AST) -> list[ast.Name]:
    return [n for n in _own_nodes(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]


def _root_name(node: ast.expr) -> ast.Name | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def _is_namespace_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("globals", "locals", "vars")
    )


def _is_module_expr(node: ast.expr, module_names: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in module_names
    return isinstance(node, ast.Subscript) and "sys.modules" in ast.unparse(node.value)


def _defaults(args: ast.arguments) -> list[ast.expr]:
    return [d for d in [*args.defaults, *args.kw_defaults] if d is not None]


def _annotations(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return [a.annotation for a in every if a is not None and a.annotation is not None] + (
        [node.returns] if node.returns is not None else []
    )


def _free_variables(node: ast.AST) -> set[str]:
    """Names a function, lambda, class body or comprehension reads from the enclosing (global) scope."""
    bound: set[str] = set()
    loaded: set[str] = set()
    declared_global: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        bound |= {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}
        children = node.body if isinstance(node.body, list) else [node.body]
    elif isinstance(node, ast.ClassDef):
        children = node.body
    else:
        children = list(ast.iter_child_nodes(node))
    for child in children:
        for sub in _own_nodes(child):
            if isinstance(sub, _SCOPES):
                if hasattr(sub, "name"):
                    bound.add(sub.name)
                loaded |= _free_variables(sub)
            elif isinstance(sub, ast.Name):
                (bound if isinstance(sub.ctx, (ast.Store, ast.Del)) else loaded).add(sub.id)
            elif isinstance(sub, (ast.Global, ast.Nonlocal)):
                declared_global |= set(sub.names)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                bound |= {(a.asname or a.name).split(".")[0] for a in sub.names}
            elif isinstance(sub, ast.ExceptHandler) and sub.name:
                bound.add(sub.name)
    return (loaded - bound) | (declared_global & loaded)


def _literal_scalar(value: ast.expr) -> str | None:
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, (ast.USub, ast.UAdd)):
        value = value.operand
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            return None
    if isinstance(value, ast.Constant):
        return _SCALARS.get(type(value.value))
    return None


def named_like_a_model(name: str) -> bool:
    """Whether a variable's name says it holds a model (model, net, clf, ...)."""
    lowered = name.lower()
    return any(part in lowered for part in _MODEL_NAME_PARTS)


def _kind_hint(name: str, value: ast.expr) -> str:
    if named_like_a_model(name):
        return "Model"
    node = value.func if isinstance(value, ast.Call) else value
    dotted = ast.unparse(node) if isinstance(node, (ast.Attribute, ast.Name)) else ""
    if dotted.startswith(("nn.", "torch.nn.")):
        return "Model"
    root = _root_name(node) if isinstance(node, (ast.Attribute, ast.Subscript, ast.Name)) else None
    if root is not None and root.id in _DATA_ROOTS:
        return "Dataset"
    return "Artifact"
