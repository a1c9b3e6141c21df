"""What cluster steps install at start, without and with a step image (`ai4mlops image`), per step and per run.

    python bench/step_images.py [NOTEBOOK ...]      (default: examples/*.ipynb)

Compiles each notebook for a cluster twice, as it is and with the step image `ai4mlops image` would record, and
counts the requirements in each executor's `pip install` (top level, as the IR names them) and what pip would install
for them here: the distributions with their dependencies (this environment's versions) and their size on disk.
"""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml
from packaging.requirements import Requirement

from ai4mlops_lab.notebook.settings import STEP_IMAGE_KEY
from ai4mlops_lab.pipeline import images
from ai4mlops_lab.pipeline.compiler import compile_notebook, notebook_pipeline
from ai4mlops_lab.pipeline.packages import kfp_version

ROOT = Path(__file__).resolve().parents[1]


def installs(ir: Path) -> dict[str, list[str]]:
    """Each executor's `pip install` requirements (none when its command installs nothing)."""
    spec = yaml.safe_load(ir.read_text())
    out = {}
    for name, executor in spec["deploymentSpec"]["executors"].items():
        command = executor["container"]["command"]
        match = (
            re.search(r"pip install --quiet --no-warn-script-location (.*?) &&", command[2])
            if len(command) > 2
            else None
        )
        out[name.removeprefix("exec-")] = shlex.split(match.group(1)) if match and command[:2] == ["sh", "-c"] else []
    return out


def closure(requirements: list[str]) -> set[str]:
    """The distributions pip installs for `requirements` (with their dependencies), as installed here."""
    seen: set[str] = set()
    todo = [Requirement(r).name for r in requirements]
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def size_mb(distributions: set[str]) -> float:
    total = 0
    for name in distributions:
        for file in importlib.metadata.distribution(name).files or []:
            path = file.locate()
            total += path.stat().st_size if path.is_file() else 0
    return total / 1e6


def measure(notebook: Path, folder: Path) -> list[tuple[str, list[str], list[str]]]:
    """(step, before, after): what each step installs at start without and with the step image."""
    before = installs(Path(compile_notebook(notebook, folder / "before")["files"][1]))
    pipeline, _ = notebook_pipeline(notebook)
    plan = images.plan_step_image(pipeline, "registry.example.org/team/steps", kfp_version())
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata.setdefault("ai4mlops_lab", {})[STEP_IMAGE_KEY] = plan.record().to_dict()
    recorded = folder / notebook.name
    nbformat.write(nb, recorded)
    after = installs(Path(compile_notebook(recorded, folder / "after")["files"][1]))
    return [(step, before[step], after[step]) for step in before]


def main(paths: list[str]) -> None:
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "examples").glob("*.ipynb"))
    print(f"torch {importlib.metadata.version('torch')}, kfp {kfp_version()}, Python {sys.version.split()[0]}")
    print("| notebook | step | pip installs at start, before | with the step image |")
    print("| --- | --- | --- | --- |")
    for notebook in notebooks:
        with tempfile.TemporaryDirectory() as folder:
            rows = measure(notebook, Path(folder))
        run_before, run_after, dists_before, mb_before = 0, 0, 0, 0.0
        for step, before, after in rows:
            dists = closure(before)
            megabytes = size_mb(dists)
            run_before, run_after = run_before + len(before), run_after + len(after)
            dists_before, mb_before = dists_before + len(dists), mb_before + megabytes
            print(
                f"| {notebook.name} | {step} | {len(before)} requirements ({', '.join(before)}): {len(dists)} "
                f"distributions, {megabytes:.0f} MB | {len(after)} |"
            )
        print(
            f"| {notebook.name} | **per run** | {run_before} requirements, {dists_before} distributions, "
            f"{mb_before:.0f} MB installed | {run_after} |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
