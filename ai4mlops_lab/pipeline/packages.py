"""Map imported module names to pinned distributions of the compiling environment."""

from __future__ import annotations

import importlib.metadata
import sys
from functools import cache, lru_cache

_NOT_DISTRIBUTIONS = frozenset(sys.stdlib_module_names) | {"__future__", "__main__"}


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


@cache
def pinned(distribution: str) -> str | None:
    """`dist==version` (local version labels such as `+cpu` dropped: indexes do not serve them)."""
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    return f"{distribution}=={version.split('+')[0]}"


@cache
def kfp_version() -> str:
    """The installed kfp's version, which the IR and the generated module name (read once: it is not free)."""
    return importlib.metadata.version("kfp")


def requirements(modules: set[str]) -> tuple[list[str], list[str]]:
    """Pinned requirements for top-level module names, and the modules no installed distribution provides."""
    reqs, unknown = [], []
    for module in sorted(modules - _NOT_DISTRIBUTIONS):
        dists = sorted(set(_distributions().get(module, ())))
        pins = [p for p in map(pinned, dists) if p]
        if pins:
            reqs += [p for p in pins if p not in reqs]
        else:
            unknown.append(module)
    return reqs, unknown
