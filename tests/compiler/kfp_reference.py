"""The reference IR: the generated `<pipeline>.py` executed and compiled by kfp's own compiler, in this process."""

from __future__ import annotations

import difflib
import json
import linecache
import os
import sys
import types
from pathlib import Path

import yaml


def kfp_ir_text(module_path: Path) -> str:
    """What `python <pipeline>.py` writes, with the environment the generated module reads left unset."""
    _import_kfp_without_client()
    from kfp import compiler

    assert "AI4MLOPS_LAB_TARGET" not in os.environ and "KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT" not in os.environ
    source = module_path.read_text()
    module = types.ModuleType("_ai4mlops_generated")
    module.__file__ = str(module_path)
    # kfp reads each component's source through linecache: never a stale copy of an earlier file of this name.
    linecache.cache[str(module_path)] = (len(source), None, source.splitlines(True), str(module_path))
    exec(compile(source, str(module_path), "exec", dont_inherit=True), module.__dict__)
    out = module_path.with_name(f"{module_path.stem}.kfp.pipeline.yaml")
    compiler.Compiler().compile(module.pipeline, str(out))
    return out.read_text()


def _import_kfp_without_client() -> None:
    """As the compiler imported kfp when it ran the generated module: its API client (~0.8 s) never loaded."""
    if "kfp" in sys.modules:
        return
    previous = os.environ.get("_KFP_RUNTIME")
    os.environ["_KFP_RUNTIME"] = "true"  # what kfp's own containers set
    try:
        import kfp  # noqa: F401
    finally:
        if previous is None:
            del os.environ["_KFP_RUNTIME"]
        else:
            os.environ["_KFP_RUNTIME"] = previous


def assert_same_ir(ours: str, reference: str) -> None:
    """The same comment header, and the same documents with their keys in the same order."""
    for part in (_header, _documents):
        mine, kfps = "\n".join(part(ours)), "\n".join(part(reference))
        assert mine == kfps, "".join(difflib.unified_diff(kfps.splitlines(True), mine.splitlines(True), "kfp", "ours"))


def _header(text: str) -> list[str]:
    lines = text.splitlines()
    return lines[: next(i for i, line in enumerate(lines) if not line.startswith("#"))]


def _documents(text: str) -> list[str]:
    """Each document as JSON: keeps key order and tells 8 from 8.0 and 1 from true."""
    return [json.dumps(doc, indent=1) for doc in yaml.safe_load_all(text)]
