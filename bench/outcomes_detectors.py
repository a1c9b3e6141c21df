"""Concept-drift detectors benchmark: ai4mlops_lab.monitoring.concept_drift against frouros, side by side.

Run by hand in the bench venv (see bench/README.md), from the repository root:

    /work/bench-venv/bin/python bench/outcomes_detectors.py [--seeds 30]

Both libraries run with their default settings on the same streams:
- frouros's docstring streams (seed 31): 0/1 errors at rates 0.6 then 0.8 (DDM, EDDM), values N(0.2, 0.01)
  then N(0.8, 0.04) (ADWIN, Page-Hinkley); the change is at 1,000. Printed: each library's detection points.
- `--seeds` error streams of a classifier: 3,000 draws at an error rate of 0.2 (no change: every drift is a false
  alarm), and 1,000 at 0.2 then 1,000 at 0.4 (delay: the first drift at or after the change, 1,000 when none).
- Speed: values read per second by each library on the change stream (one value at a time).
Our ADWIN only reports a rise in errors; frouros's ADWIN reports either direction (no stream here falls).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from frouros.detectors.concept_drift import ADWIN, DDM, EDDM, PageHinkley

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ai4mlops_lab.monitoring.concept_drift import METHODS, make_detector  # noqa: E402

FROUROS = {"ddm": DDM, "eddm": EDDM, "adwin": ADWIN, "page_hinkley": PageHinkley}
CHANGE = 1000


def frouros_detections(method: str, values: np.ndarray) -> list[tuple[int, str]]:
    """frouros's (position, kind) per value; it is reset after each drift, as ours resets itself."""
    detector = FROUROS[method]()
    found = []
    for index, value in enumerate(values.tolist()):
        detector.update(value=value)
        status = detector.status
        if status.get("drift"):
            found.append((index, "drift"))
            detector.reset()
        elif status.get("warning"):
            found.append((index, "warning"))
    return found


def ours_detections(method: str, values: np.ndarray) -> list[tuple[int, str]]:
    return make_detector(method).update_many(values)


LIBRARIES = {"ours": ours_detections, "frouros": frouros_detections}


def docstring_stream(method: str) -> np.ndarray:
    np.random.seed(31)
    if method in ("ddm", "eddm"):
        return np.concatenate([np.random.binomial(1, 0.6, CHANGE), np.random.binomial(1, 0.8, CHANGE)]).astype(float)
    return np.concatenate([np.random.normal(0.2, 0.01, CHANGE), np.random.normal(0.8, 0.04, CHANGE)])


def drifts(found: list[tuple[int, str]]) -> list[int]:
    return [index for index, kind in found if kind == "drift"]


def seeded(method: str, seeds: int) -> dict:
    """False alarms on stationary streams and delays after a change, per library, over `seeds` streams."""
    out = {name: {"false_alarms": 0, "delays": [], "seconds": 0.0, "values": 0} for name in LIBRARIES}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        still = rng.binomial(1, 0.2, 3 * CHANGE).astype(float)
        changed = np.concatenate([rng.binomial(1, 0.2, CHANGE), rng.binomial(1, 0.4, CHANGE)]).astype(float)
        for name, detect in LIBRARIES.items():
            out[name]["false_alarms"] += len(drifts(detect(method, still)))
            start = time.perf_counter()
            after = [i for i in drifts(detect(method, changed)) if i >= CHANGE]
            out[name]["seconds"] += time.perf_counter() - start
            out[name]["values"] += len(changed)
            out[name]["delays"].append(after[0] - CHANGE if after else CHANGE)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=30)
    seeds = parser.parse_args().seeds
    print("frouros docstring streams (change at 1000): detection points, ours | frouros")
    for method in METHODS:
        stream = docstring_stream(method)
        ours, theirs = ours_detections(method, stream), frouros_detections(method, stream)
        first_warning = [next((i for i, k in found if k == "warning"), None) for found in (ours, theirs)]
        print(
            f"  {method:13s} drift {drifts(ours)[:3]} | {drifts(theirs)[:3]}"
            f"   first warning {first_warning[0]} | {first_warning[1]}"
        )
    print(f"\n{seeds} seeded error streams: rate 0.2 (3000 values) and 0.2 -> 0.4 at 1000")
    print(f"  {'method':13s} {'false alarms':>14s} {'median delay':>14s} {'max delay':>12s} {'values/s':>20s}")
    for method in METHODS:
        result = seeded(method, seeds)
        ours, theirs = result["ours"], result["frouros"]
        cells = [
            f"{ours['false_alarms']} | {theirs['false_alarms']}",
            f"{np.median(ours['delays']):.0f} | {np.median(theirs['delays']):.0f}",
            f"{max(ours['delays'])} | {max(theirs['delays'])}",
            f"{ours['values'] / ours['seconds']:,.0f} | {theirs['values'] / theirs['seconds']:,.0f}",
        ]
        print(f"  {method:13s} {cells[0]:>14s} {cells[1]:>14s} {cells[2]:>12s} {cells[3]:>20s}")
    print("  (each cell: ours | frouros)")


if __name__ == "__main__":
    main()
