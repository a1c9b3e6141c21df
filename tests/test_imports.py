"""The package's import rules, read from the source with `ast`: no private name (`_x`) is imported from another
subpackage, and the store imports nothing of the monitoring package."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ai4mlops_lab"


def modules():
    """(module path parts under the package, syntax tree) of every module."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield parts, ast.parse(path.read_text(), filename=str(path))


def imported(parts: tuple[str, ...], tree: ast.Module):
    """(target module path parts under the package, imported names) of each `from ... import` of our package."""
    package = parts[:-1]
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package[: len(package) - (node.level - 1)]
            target = (*base, *(node.module.split(".") if node.module else ()))
        elif node.module and node.module.split(".")[0] == PACKAGE.name:
            target = tuple(node.module.split(".")[1:])
        else:
            continue
        yield target, [alias.name for alias in node.names]


def subpackage(parts: tuple[str, ...]) -> str:
    """The subpackage (or top-level module) a module belongs to."""
    return parts[0] if parts else ""


def test_no_private_name_is_imported_across_subpackages():
    crossing = []
    for parts, tree in modules():
        for target, names in imported(parts, tree):
            if subpackage(target) == subpackage(parts):
                continue
            crossing += [
                f"{'/'.join(parts)}.py: from {'.'.join(target)} import {name}"
                for name in names
                if name.startswith("_") and not name.startswith("__")
            ]
    assert crossing == [], "private names imported from another subpackage:\n" + "\n".join(crossing)


def test_the_store_imports_nothing_of_monitoring():
    found = [
        f"{'/'.join(parts)}.py imports {'.'.join(target)}"
        for parts, tree in modules()
        if parts[0] == "store"
        for target, _ in imported(parts, tree)
        if subpackage(target) == "monitoring"
    ]
    assert found == []


def test_the_rules_see_relative_imports():
    """The parser resolves `from ..x import _y` in a subpackage to the subpackage `x`."""
    tree = ast.parse("from ..pipeline.runtime import _load\nfrom .checker import _Rows\n")
    assert list(imported(("monitoring", "reference_data"), tree)) == [
        (("pipeline", "runtime"), ["_load"]),
        (("monitoring", "checker"), ["_Rows"]),
    ]
