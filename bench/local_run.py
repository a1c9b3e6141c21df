"""Overhead of a local run (kfp.local, one worker) over running the same notebook in one kernel.

Run: `python bench/local_run.py [REPEAT]`. For the 10-step numpy notebook of bench/compile.py and
the torch example, prints the kernel time (nbclient, top to bottom, kernel start excluded), then for
each local execution mode (plain kfp.local subprocesses, then warm: fork server and parallel steps;
see ai4mlops_lab/runs/local_execution.py; then warm with a spare worker started ahead, as when the pipeline
panel was open, ai4mlops_lab/runs/spare.py) the local run time (start to end, as the user waits for
it), the overhead per step and where it goes.
Anchor: Kale's code for a 4-step toy notebook takes 35-55 s under kfp.local; goal < 0.5 s/step.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KALE_TOY = (35.0, 55.0)  # seconds, 4 steps
GOAL_PER_STEP = 0.5
SPARE = "warm, spare worker ready"  # the pipeline panel was open: the run goes to a worker started ahead


def _ten_step_notebook() -> nbformat.NotebookNode:
    spec = importlib.util.spec_from_file_location("bench_compile", Path(__file__).with_name("compile.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ten_step_notebook()


def kernel_seconds(notebook: Path) -> float:
    """Execute the notebook's code cells in one fresh kernel; the kernel's start is not counted."""
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}}
    )
    with client.setup_kernel():
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
        return time.perf_counter() - start


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def local_run(notebook: Path, workspace: Path, spare: bool = False) -> dict:
    """One local run through the run service, waited for; its record, wall time and time to its first step.
    `spare`: started once a spare worker is ready, as when the pipeline panel was open on the notebook."""
    from ai4mlops_lab.runs.service import RunService
    from ai4mlops_lab.runs.spare import notebook_modules
    from ai4mlops_lab.store.runs import RunStore
    from ai4mlops_lab.workspace import STORE_FILE

    service = RunService(workspace, RunStore(workspace / STORE_FILE), root=notebook.parent)
    if spare:
        service.prepare_local(notebook_modules(nbformat.read(notebook, as_version=4).cells))
        assert service.spares.waiting.ready(120)
    start, epoch = time.perf_counter(), time.time()
    run = service.start(notebook)
    while run["status"] in ("pending", "running"):
        time.sleep(0.05)
        run = service.run(run["id"])
    run["wall"] = time.perf_counter() - start
    if run["status"] != "succeeded":
        raise SystemExit(f"run failed: {run['error']}")
    run["first_step"] = min(_epoch(s["started_at"]) for s in run["steps"]) - epoch
    return run


def measure(name: str, notebook: Path, repeat: int, modes: tuple[str, ...] | None = None) -> dict:
    """Print the kernel time and each mode's local run (default: every mode, the plain subprocesses first); the
    medians: {"kernel": s, MODE: {"wall": s, "overhead": s per step}}."""
    from ai4mlops_lab.runs.local_execution import ENV, MODES

    kernel = statistics.median(kernel_seconds(notebook) for _ in range(repeat))
    found: dict = {"kernel": kernel}
    print(f"\n{name}, median of {repeat}")
    print(f"  kernel (nbclient, top to bottom)   {kernel:7.2f} s")
    for mode in modes or (*reversed(MODES), SPARE):  # subprocess (before), warm (after), warm with a spare
        os.environ[ENV] = "warm" if mode == SPARE else mode
        runs = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:  # fresh workspace: no cache hits
                runs.append(local_run(notebook, Path(tmp) / ".ai4mlops", spare=mode == SPARE))
        wall = statistics.median(r["wall"] for r in runs)
        steps = len(runs[0]["steps"])
        step_sum = statistics.median(sum(s["duration"] or 0 for s in r["steps"]) for r in runs)
        first = statistics.median(r["first_step"] for r in runs)
        overhead = (wall - kernel) / steps
        found[mode] = {"wall": wall, "overhead": overhead}
        print(f"  {mode}: {steps} steps")
        print(f"    local run (start to end)         {wall:7.2f} s   = {wall / kernel:5.1f}x the kernel")
        print(f"      until the first step starts    {first:7.2f} s   (compile, worker start, kfp import)")
        print(
            f"      sum of step durations          {step_sum:7.2f} s   (process start, imports, (un)marshalling, code)"
        )
        print(
            f"    overhead per step                {overhead:7.2f} s   (goal {GOAL_PER_STEP} s: "
            f"{'met' if overhead <= GOAL_PER_STEP else f'{overhead / GOAL_PER_STEP:.1f}x over'})"
        )
        print(
            "    slowest steps: "
            + ", ".join(
                f"{s['name']} {s['duration']:.2f}s"
                for s in sorted(runs[0]["steps"], key=lambda s: -(s["duration"] or 0))[:3]
            )
        )
        if steps == 4:
            print(
                f"    vs Kale's 4-step toy under kfp.local ({KALE_TOY[0]:.0f}-{KALE_TOY[1]:.0f} s): "
                f"{KALE_TOY[0] / wall:.0f}-{KALE_TOY[1] / wall:.0f}x faster"
            )
    os.environ.pop(ENV)
    return found


def main(repeat: int = 3) -> None:
    from ai4mlops_lab.pipeline.compiler import compile_notebook

    with tempfile.TemporaryDirectory() as tmp:
        numpy_nb = Path(tmp) / "ten_steps.ipynb"
        nbformat.write(_ten_step_notebook(), numpy_nb)
        compile_notebook(numpy_nb, Path(tmp) / "warm-up", target="local")  # imports are the server's, once
        measure("10-step numpy notebook", numpy_nb, repeat)
    measure("torch example (examples/torch-train.ipynb)", ROOT / "examples" / "torch-train.ipynb", repeat)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
