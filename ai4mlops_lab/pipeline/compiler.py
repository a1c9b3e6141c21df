"""Public entry points: analyse a notebook (fast, no KFP) and compile it to `<pipeline>.py` + IR YAML."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import linecache
import os
import sys
import types
from collections.abc import Mapping
from pathlib import Path

from .. import confined
from ..analysis.dataflow import analyze_flow
from ..notebook.cells import notebook_cells, notebook_metadata
from ..notebook.diagnostics import Diagnostic, error
from ..notebook.reader import NotebookReadError, read_notebook
from ..notebook.settings import read_settings
from ..notebook.structure import split_notebook
from .builder import build_pipeline
from .codegen import generate_module
from .model import Pipeline

__all__ = ["NotebookReadError", "analyze_notebook", "compile_notebook", "compile_pipeline"]
TARGETS = ("cluster", "local")


def analyze_notebook(nb: Mapping, name_hint: str = "pipeline") -> dict:
    """The pipeline a notebook describes, with diagnostics; writes nothing and never imports kfp."""
    pipeline, diags = _build(nb, name_hint)
    return _result(pipeline, diags, [])


def compile_notebook(path: str | Path, outdir: str | Path | None = None, target: str = "cluster") -> dict:
    """Write `<pipeline>.py` and `<pipeline>.pipeline.yaml` (into `outdir`, default: next to the notebook).

    `target="local"` generates steps without `packages_to_install`, for kfp.local runs in this environment
    (the generated file also honours the AI4MLOPS_LAB_TARGET environment variable). Nothing is written
    when a diagnostic is an error. Raises NotebookReadError when `path` is not a readable notebook.
    Each file is written to a temporary file in `outdir`, then renamed: a symlink at its name is replaced,
    never written through.
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    path = Path(path)
    pipeline, diags = _build(read_notebook(path), path.stem)
    if pipeline.needs_kubernetes() and importlib.util.find_spec("kfp.kubernetes") is None:
        diags.append(
            error(
                None,
                None,
                "this pipeline uses Kubernetes settings (secrets, volumes, labels, annotations "
                "or timeouts) but the kfp-kubernetes package is not installed",
                f"pip install kfp-kubernetes=={importlib.metadata.version('kfp')}",
            )
        )
    if any(d.severity == "error" for d in diags):
        return _result(pipeline, diags, [])
    files = compile_pipeline(pipeline, outdir if outdir is not None else path.parent, target)
    return _result(pipeline, diags, [str(f) for f in files])


def compile_pipeline(pipeline: Pipeline, outdir: str | Path, target: str = "cluster") -> tuple[Path, Path]:
    """Write the pipeline's module `<pipeline>.py` and its IR `<pipeline>.pipeline.yaml` into `outdir` (see
    `compile_notebook`); their paths."""
    outdir = confined.make_folder(outdir)
    yaml_name = f"{pipeline.name}.pipeline.yaml"
    source = generate_module(pipeline, target, importlib.metadata.version("kfp"), yaml_name)
    module_path = confined.write_file(outdir, f"{pipeline.name}.py", data=source)
    with confined.atomic_path(outdir, yaml_name) as temporary:
        _compile_module(source, module_path, temporary)
    return module_path, outdir / yaml_name


def _build(nb: Mapping, name_hint: str) -> tuple[Pipeline, list[Diagnostic]]:
    metadata, diags = notebook_metadata(nb)
    cells, cell_diags = notebook_cells(nb)
    settings, settings_diags = read_settings(metadata)
    diags += cell_diags + settings_diags
    structure, structure_diags = split_notebook(cells, settings)
    flow = analyze_flow(structure)
    pipeline, build_diags = build_pipeline(structure, flow, settings, name_hint)
    diags += structure_diags + flow.diagnostics + build_diags
    order = {"error": 0, "warning": 1, "info": 2}
    diags.sort(key=lambda d: (d.cell if d.cell is not None else -1, d.line or 0, order[d.severity]))
    return pipeline, diags


def _result(pipeline: Pipeline, diags: list[Diagnostic], files: list[str]) -> dict:
    result = pipeline.to_dict()
    result["diagnostics"] = [d.to_dict() for d in diags]
    result["files"] = files
    result["ok"] = not any(d.severity == "error" for d in diags)
    return result


def _import_kfp_without_client() -> None:
    """Import kfp without the API client its package imports eagerly (kubernetes: ~0.8 s of ~1.3 s).

    Compiling never uses the client; kfp's own containers skip it the same way (`_KFP_RUNTIME`).
    Modules that need the client import `kfp.client` explicitly.
    """
    if "kfp" in sys.modules:
        return
    previous = os.environ.get("_KFP_RUNTIME")
    os.environ["_KFP_RUNTIME"] = "true"
    try:
        import kfp  # noqa: F401
    finally:
        if previous is None:
            del os.environ["_KFP_RUNTIME"]
        else:
            os.environ["_KFP_RUNTIME"] = previous


def _compile_module(source: str, module_path: Path, yaml_path: Path) -> None:
    """Execute the generated module (its file must exist: kfp reads component source from it) and compile."""
    _import_kfp_without_client()
    from kfp import compiler

    module = types.ModuleType("_ai4mlops_generated")
    module.__file__ = str(module_path)
    linecache.cache[str(module_path)] = (len(source), None, source.splitlines(True), str(module_path))
    exec(compile(source, str(module_path), "exec", dont_inherit=True), module.__dict__)
    compiler.Compiler().compile(module.pipeline, str(yaml_path))
