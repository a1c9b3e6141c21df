"""Benchmark analyze/compile on a generated 10-step notebook: warm in-process medians and a cold CLI-like call,
for compile_notebook (the IR built from the model) and the old path (the generated module run through kfp's compiler).

Run: `python bench/compile.py [N]`. Kale's published figures: 0.1-1.9 s warm compile, 2-3 s CLI.
"""

from __future__ import annotations

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


def kfp_compile(path: str) -> None:
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


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cold_s(code: str) -> float:
    """Median of 3 fresh interpreters, each importing and compiling once (what the CLI does)."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(repeat: int = 20) -> None:
    import nbformat

    from ai4mlops_lab.pipeline.compiler import analyze_notebook, compile_notebook

    nb = ten_step_notebook()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ipynb"
        nbformat.write(nb, path)
        assert compile_notebook(path)["ok"]  # first calls pay the imports
        kfp_compile(str(path))
        analyze_ms = median_ms(lambda: analyze_notebook(nb, "bench"), repeat)
        warm = median_ms(lambda: compile_notebook(path), repeat), median_ms(lambda: kfp_compile(str(path)), repeat)
        cold = cold_s(NEW.format(path=str(path))), cold_s(OLD.format(path=str(path)))
    print(f"10-step notebook; warm: median of {repeat} in process, cold: median of 3 fresh interpreters")
    print(f"  analyze_notebook {analyze_ms:8.2f} ms  (goal < 20 ms)")
    print(f"  {'compile':<16} {'IR from model':>14} {'old: via kfp':>14}  {'/ goal 50 ms':>12}  {'old / new':>9}")
    print(f"  {'warm':<16} {warm[0]:11.2f} ms {warm[1]:11.2f} ms  {warm[0] / GOAL_MS:12.2f}  {warm[1] / warm[0]:8.1f}x")
    print(f"  {'cold CLI-like':<16} {cold[0]:12.2f} s {cold[1]:12.2f} s  {'':12}  {cold[1] / cold[0]:8.1f}x")
    print(
        f"  Kale: warm {KALE_WARM[0]}-{KALE_WARM[1]} s ({KALE_WARM[0] * 1000 / warm[0]:.0f}x-"
        f"{KALE_WARM[1] * 1000 / warm[0]:.0f}x slower), CLI {KALE_CLI[0]}-{KALE_CLI[1]} s "
        f"({KALE_CLI[0] / cold[0]:.1f}x-{KALE_CLI[1] / cold[0]:.1f}x slower)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
