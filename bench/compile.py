"""Benchmark analyze/compile on a generated 10-step notebook: warm in-process medians and a cold CLI-like call.

Run: `python bench/compile.py [N]`. Kale's published figures: 0.1-1.9 s warm compile, 2-3 s CLI.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KALE_WARM = (0.1, 1.9)
KALE_CLI = (2.0, 3.0)


def ten_step_notebook() -> nbformat.NotebookNode:
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


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(repeat: int = 20) -> None:
    from ai4mlops_lab.pipeline.compiler import analyze_notebook, compile_notebook

    nb = ten_step_notebook()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ipynb"
        nbformat.write(nb, path)
        assert compile_notebook(path)["ok"]  # first call pays the kfp import
        analyze_ms = median_ms(lambda: analyze_notebook(nb, "bench"), repeat)
        compile_ms = median_ms(lambda: compile_notebook(path), repeat)
        code = (
            f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
            "from ai4mlops_lab.pipeline.compiler import compile_notebook;"
            f"assert compile_notebook({str(path)!r})['ok']"
        )
        cold = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            cold.append(time.perf_counter() - start)
        cold_s = statistics.median(cold)
    print(f"10-step notebook, median of {repeat} (warm, in process):")
    print(f"  analyze_notebook  {analyze_ms:8.2f} ms   (goal < 20 ms)")
    print(
        f"  compile_notebook  {compile_ms:8.2f} ms   (goal < 50 ms; Kale warm {KALE_WARM[0]}-{KALE_WARM[1]} s: "
        f"{KALE_WARM[0] * 1000 / compile_ms:.1f}x-{KALE_WARM[1] * 1000 / compile_ms:.0f}x faster)"
    )
    print(
        f"  cold CLI-like call {cold_s:7.2f} s    (median of 3; Kale CLI {KALE_CLI[0]}-{KALE_CLI[1]} s: "
        f"{KALE_CLI[0] / cold_s:.1f}x-{KALE_CLI[1] / cold_s:.1f}x faster)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
