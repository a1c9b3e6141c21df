"""Benchmark analyze/compile on a generated 10-step notebook: warm in-process medians and a cold CLI-like call,
for compile_notebook (the IR built from the model) and the old path (the generated module run through kfp's compiler).

Run: `python bench/compile.py [N]`. Kale's published figures: 0.1-1.9 s warm compile, 2-3 s CLI.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GOAL_MS = 50
KALE_WARM = (0.1, 1.9)
KALE_CLI = (2.0, 3.0)
NEW = "from ai4mlops_lab.pipeline.compiler import compile_notebook; assert compile_notebook({path!r})['ok']"
OLD = "from bench.compile import kfp_compile; kfp_compile({path!r})"


def ten_step_notebook():
    from nbformat.v4 import new_code_cell, new_notebook  # here: the cold old-path run imports this module

    nb = new_notebook()
    nb.cells.append(new_code_cell("import numpy as np\nimport json", metadata={"tags": ["imports"]}))
    nb.cells.append(new_code_cell("n = 100\nscale = 0.5", metadata={"tags": ["pipeline-parameters"]}))
    nb.cells.append(new_code_cell("data0 = np.arange(n) * scale", metadata={"tags": ["step:step0"]}))
    for i in range(1, 10):
        source = (
            f"data{i} = data{i - 1} + {i}\nstat{i} = float(data{i}.mean())\n"
            f"def fn{i}(v):\n    return v * scale + {i}\nnote{i} = json.dumps({{'i': {i}}})"
        )
        tags = [f"step:step{i}", "limit:cpu:1"] + (["prev:step0"] if i % 3 == 0 else [])
        nb.cells.append(new_code_cell(source, metadata={"tags": tags}))
    nb.cells.append(new_code_cell("print(stat9)", metadata={"tags": ["pipeline-metrics"]}))
    return nb


def kfp_compile(path: str | Path) -> None:
    """The old compile: the same model and generated module, whose IR kfp's compiler writes after executing it."""
    import importlib.metadata

    from ai4mlops_lab import confined
    from ai4mlops_lab.notebook.reader import read_notebook
    from ai4mlops_lab.pipeline.codegen import generate_module
    from ai4mlops_lab.pipeline.compiler import _build
    from tests.compiler.kfp_reference import kfp_ir_text

    notebook = Path(path)
    pipeline, _ = _build(read_notebook(notebook), notebook.stem)
    yaml_name = f"{pipeline.name}.pipeline.yaml"
    source = generate_module(pipeline, "cluster", importlib.metadata.version("kfp"), yaml_name)
    module = confined.write_file(notebook.parent / "old", f"{pipeline.name}.py", data=source)
    confined.write_file(notebook.parent / "old", yaml_name, data=kfp_ir_text(module))


def median_ms(fn, repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `fn()` (CPU time is steadier on a shared machine)."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def cold_s(code: str) -> tuple[float, float]:
    """Median wall and CPU seconds of 3 fresh interpreters, each importing and compiling once (as the CLI does)."""
    walls, cpus = [], []
    for _ in range(3):
        start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}"], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        walls.append(time.perf_counter() - start)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def measure(repeat: int = 20) -> dict:
    """Median milliseconds of analysing and compiling the 10-step notebook, ours and the old path through kfp: warm
    (wall, CPU) and cold (seconds, fresh interpreters)."""
    import nbformat

    from ai4mlops_lab.pipeline.compiler import analyze_notebook, compile_notebook

    nb = ten_step_notebook()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ipynb"
        nbformat.write(nb, path)
        assert compile_notebook(path)["ok"]  # first calls pay the imports
        kfp_compile(path)
        analyze_ms, _ = median_ms(lambda: analyze_notebook(nb, "bench"), repeat)
        new_warm = median_ms(lambda: compile_notebook(path), repeat)
        old_warm = median_ms(lambda: kfp_compile(path), repeat)
        new_cold, old_cold = cold_s(NEW.format(path=str(path))), cold_s(OLD.format(path=str(path)))
    return {"analyze_ms": analyze_ms, "new_warm": new_warm, "old_warm": old_warm, "new_cold": new_cold,
            "old_cold": old_cold}  # fmt: skip


def main(repeat: int = 20) -> None:
    found = measure(repeat)
    analyze_ms, new_warm, old_warm = found["analyze_ms"], found["new_warm"], found["old_warm"]
    new_cold, old_cold = found["new_cold"], found["old_cold"]
    print(f"10-step notebook; warm: median of {repeat} in process, cold: median of 3 fresh interpreters (CLI-like)")
    print(f"  analyze_notebook {analyze_ms:8.2f} ms  (goal < 20 ms)")
    print(f"  compile           {'IR from model':>13} {'old: via kfp':>13}  {'/ goal 50 ms':>12}  {'old / new':>9}")
    for name, new, old, unit, goal in (
        ("warm, wall", new_warm[0], old_warm[0], "ms", GOAL_MS),
        ("warm, CPU", new_warm[1], old_warm[1], "ms", GOAL_MS),
        ("cold, wall", new_cold[0], old_cold[0], "s", None),
        ("cold, CPU", new_cold[1], old_cold[1], "s", None),
    ):
        ratio = f"{new / goal:12.2f}" if goal else " " * 12
        print(f"  {name:<16} {new:10.2f} {unit:<2} {old:10.2f} {unit:<2}  {ratio}  {old / new:8.1f}x")
    print(
        f"  Kale: warm {KALE_WARM[0]}-{KALE_WARM[1]} s ({KALE_WARM[0] * 1000 / new_warm[0]:.0f}x-"
        f"{KALE_WARM[1] * 1000 / new_warm[0]:.0f}x slower), CLI {KALE_CLI[0]}-{KALE_CLI[1]} s "
        f"({KALE_CLI[0] / new_cold[0]:.1f}x-{KALE_CLI[1] / new_cold[0]:.1f}x slower)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
