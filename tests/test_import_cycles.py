"""No import cycles between the parts of ai4mlops_lab (its subpackages and top-level modules).

Every import counts, the lazy ones inside functions too: a cycle is a cycle even when it does not fail at import
time, since the two parts can no longer be understood, tested or changed one without the other. The package's
own `__init__` (its name, version and Jupyter entry points) is the top, not a part: parts may read its name.
"""

import ast
from pathlib import Path

import ai4mlops_lab

PACKAGE = Path(ai4mlops_lab.__file__).parent
ROOT = PACKAGE.name


def part(module: str) -> str | None:
    """The part of ai4mlops_lab a module belongs to: its subpackage or top-level module (None if outside)."""
    names = module.split(".")
    if names[0] != ROOT:
        return None
    return names[1] if len(names) > 1 else ROOT


def module_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    names = list(relative.parts)
    return ".".join(names[:-1] if names[-1] == "__init__" else names)


def imported(path: Path) -> set[str]:
    """The absolute names of the modules a file imports (at the top or inside functions)."""
    module = module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            found.add(base)
            found.update(
                f"{base}.{alias.name}"
                for alias in node.names
                if (PACKAGE.parent / f"{base}.{alias.name}".replace(".", "/")).exists()
                or (PACKAGE.parent / (f"{base}.{alias.name}".replace(".", "/") + ".py")).exists()
            )
    return found


def graph() -> dict[str, set[str]]:
    """Part -> the other parts it imports."""
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        source = part(module_of(path))
        for name in imported(path):
            target = part(name)
            if target not in (None, source, ROOT) and source != ROOT:
                edges.setdefault(source, set()).add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Cycles found by a depth-first search, each as the parts along it: at least one when the graph has any."""
    found, done = [], set()

    def visit(node, path):
        if node in path:
            found.append(path[path.index(node) :] + [node])
            return True
        if node in done:
            return False
        done.add(node)
        return any(visit(target, path + [node]) for target in sorted(edges.get(node, ())))

    for node in sorted(edges):
        visit(node, [])
    return found


def test_the_graph_sees_lazy_and_relative_imports():
    edges = graph()
    assert "workspace" in edges["server"] and "workspace" in edges["cli"]
    assert {"runs", "serving", "monitoring", "store"} <= edges["workspace"]  # all imported inside functions
    assert "cli" not in {target for targets in edges.values() for target in targets}


def test_no_import_cycles_between_parts():
    edges = graph()
    assert cycles(edges) == [], f"import cycles between parts of ai4mlops_lab: {cycles(edges)}"


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
