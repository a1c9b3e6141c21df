"""Public entry points: analyse a notebook (fast, no KFP) and compile it to `<pipeline>.py` + IR YAML."""

from __future__ import annotations

import importlib.metadata
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
from .ir import ir_documents
from .model import Pipeline
from .packages import kfp_version

__all__ = ["NotebookReadError", "analyze_notebook", "compile_notebook", "compile_pipeline", "notebook_pipeline"]
TARGETS = ("cluster", "local")


def analyze_notebook(nb: Mapping, name_hint: str = "pipeline") -> dict:
    """The pipeline a notebook describes, with diagnostics; writes nothing and never imports kfp."""
    pipeline, diags = _build(nb, name_hint)
    return _result(pipeline, diags, [])


def notebook_pipeline(path: str | Path) -> tuple[Pipeline, list[Diagnostic]]:
    """The pipeline of the notebook at `path` and its diagnostics (raises NotebookReadError)."""
    path = Path(path)
    return _build(read_notebook(path), path.stem)


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
    pipeline, diags = notebook_pipeline(path)
    if pipeline.needs_kubernetes() and not _installed("kfp-kubernetes"):
        diags.append(
            error(
                None,
                None,
                "this pipeline uses Kubernetes settings (secrets, volumes, labels, annotations "
                "or timeouts) but the kfp-kubernetes package is not installed",
                f"pip install kfp-kubernetes=={kfp_version()}",
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
    version = kfp_version()
    module_path = confined.write_file(
        outdir, f"{pipeline.name}.py", data=generate_module(pipeline, target, version, yaml_name)
    )
    confined.write_file(outdir, yaml_name, data=_ir_text(pipeline, target, version))
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


def _installed(distribution: str) -> bool:
    """Whether a distribution is installed, by its metadata (finding `kfp.kubernetes` would import kfp's SDK)."""
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _ir_text(pipeline: Pipeline, target: str, kfp_version: str) -> str:
    """The IR file's text, built from the model (what kfp compiles from the generated module)."""
    from .ir_file import ir_text  # imports yaml: only when writing

    return ir_text(ir_documents(pipeline, target, kfp_version), pipeline.settings.description)
