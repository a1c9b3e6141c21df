"""Issue 17's ratios in one run, side by side: each measured figure beside its anchor and its goal.

Run: `PYTHONPATH=. python bench/ratios.py [--quick]` (not run in CI; about 5 minutes, `--quick` about 2). Runs, in
one process and one after the other, the measuring functions of the other benches: compile (`compile.py`), the torch
example's local run against the same cells in a kernel (`local_run.py`), serving against a bare `kserve.Model`
(`serving.py`), reading KServe's logger objects from a bucket against posting them to the ingest route
(`log_bucket.py`, `ingest.py`), and growth of the store's routes from 10^3 to 10^5 rows (`scale.py`; 10^6 by hand).
Prints one table: figure, ours, anchor, ratio, goal and whether it is met. The machine's load average is printed
with it: on a shared machine wall times swing, CPU times (compile, growth) much less.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


@dataclass(frozen=True)
class Ratio:
    """One row: `ours` and `anchor` in `unit`, their ratio ours / anchor, and the goal for it: at least `goal` where
    more is better (rates), at most `goal` where less is better (times)."""

    figure: str
    ours: float
    anchor: float
    unit: str
    anchor_name: str
    goal: float
    more_is_better: bool

    @property
    def ratio(self) -> float:
        return self.ours / self.anchor

    @property
    def met(self) -> bool:
        return self.ratio >= self.goal if self.more_is_better else self.ratio <= self.goal


def at_most(figure: str, ours: float, anchor: float, unit: str, anchor_name: str, goal: float) -> Ratio:
    """A row where less is better (times, costs)."""
    return Ratio(figure, ours, anchor, unit, anchor_name, goal, more_is_better=False)


def at_least(figure: str, ours: float, anchor: float, unit: str, anchor_name: str, goal: float) -> Ratio:
    """A row where more is better (rates)."""
    return Ratio(figure, ours, anchor, unit, anchor_name, goal, more_is_better=True)


def compile_rows(quick: bool) -> list[Ratio]:
    import compile as compile_bench

    found = compile_bench.measure(5 if quick else 20)
    (wall, cpu), old = found["new_warm"], found["old_warm"][0]
    return [
        at_most("compile 10 steps, warm (wall)", wall, compile_bench.GOAL_MS, "ms", "goal", 1.0),
        at_most("compile 10 steps, warm (CPU)", cpu, compile_bench.GOAL_MS, "ms", "goal", 1.0),
        at_most("compile 10 steps, warm (wall)", wall, old, "ms", "old path via kfp", 1.0),
    ]


def local_run_rows(quick: bool) -> list[Ratio]:
    import local_run

    found = local_run.measure(
        "torch example", ROOT / "examples" / "torch-train.ipynb", 1 if quick else 3, ("warm", local_run.SPARE)
    )
    kernel, cold, run = found["kernel"], found["warm"], found[local_run.SPARE]
    return [
        at_most("torch example, local run (spare worker)", run["wall"], kernel, "s", "same cells in a kernel", 1.5),
        at_most("torch example, local run (no spare)", cold["wall"], kernel, "s", "same cells in a kernel", 1.5),
        # below zero when the run beats the kernel (whose time includes importing torch): shown as none
        at_most(
            "torch example, overhead per step (spare)",
            max(run["overhead"], 0.0),
            local_run.GOAL_PER_STEP,
            "s",
            "goal",
            1.0,
        ),  # fmt: skip
        at_most(
            "torch example, overhead per step (no spare)", cold["overhead"], local_run.GOAL_PER_STEP, "s", "goal", 1.0
        ),  # fmt: skip
    ]


def serving_rows(quick: bool) -> list[Ratio]:
    import serving

    compared = serving.compare(500 if quick else 2000)
    return [
        at_least(f"serving {protocol} c={concurrency}, logging on", ours, bare, "req/s", "bare kserve.Model", 0.9)
        for (protocol, concurrency), (ours, bare) in compared.items()
    ]


def monitoring_rows(quick: bool) -> list[Ratio]:
    import log_bucket

    from ai4mlops_lab.monitoring.bucket_reader import FETCHERS

    predictions = 20_000 if quick else 100_000
    bucket = log_bucket.read_rate(predictions, 1000, "json", 10, FETCHERS)["predictions"]
    one_row = log_bucket.read_rate(predictions // 5, 1000, "json", 1, FETCHERS)["predictions"]
    ingest = log_bucket.ingest_rate(5_000 if quick else 20_000)
    return [
        at_least("bucket read, 10 rows/request", bucket, log_bucket.GOAL, "pred/s", "goal", 1.0),
        # a prediction posted is two events (request, response)
        at_least("bucket read vs posting, 1 row/request", one_row, ingest / 2, "pred/s", "POST /ingest", 25.0),
        at_least("POST /ingest, 8 senders", ingest, 5000, "events/s", "goal", 1.0),
    ]


def growth_rows(quick: bool) -> list[Ratio]:
    import scale

    small, large = 10**3, 10**4 if quick else 10**5
    folder = Path(tempfile.mkdtemp(prefix="a4m-ratios-"))
    try:
        table = scale.grow(folder, [small, large])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    log_growth = 2.0  # cost may grow as log n: log(10^5) / log(10^3) is 1.7
    worst = sorted(table[small], key=lambda name: table[large][name] / table[small][name])[-3:]
    return [
        at_most(
            f"{name}, at {large:,} rows", table[large][name], table[small][name], "CPU ms", f"at {small:,}", log_growth
        )  # fmt: skip
        for name in reversed(worst)
    ]


PARTS = {
    "compile": compile_rows,
    "local run": local_run_rows,
    "serving": serving_rows,
    "monitoring": monitoring_rows,
    "growth": growth_rows,
}


def print_table(rows: list[Ratio]) -> None:
    print(f"\ncores: {len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.1f}; ratio: ours / anchor")
    print("| figure | ours | anchor | ratio | goal | met |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        goal = f"{'>=' if row.more_is_better else '<='} {row.goal:g}"
        print(
            f"| {row.figure} | {row.ours:,.2f} {row.unit} | {row.anchor:,.2f} ({row.anchor_name}) | "
            f"{row.ratio:.2f} | {goal} | {'yes' if row.met else 'no'} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller sizes")
    parser.add_argument("--only", choices=list(PARTS), nargs="*", help="measure only these parts")
    args = parser.parse_args()
    rows: list[Ratio] = []
    for name, part in PARTS.items():
        if args.only is None or name in args.only:
            print(f"== {name}", flush=True)
            rows.extend(part(args.quick))
    print_table(rows)


if __name__ == "__main__":
    main()
