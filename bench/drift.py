"""Drift detection benchmark: ai4mlops_lab.monitoring against alibi-detect, frouros, evidently, torchdrift.

Run by hand in the bench venv (see bench/README.md), from the repository root:

    /work/bench-venv/bin/python bench/drift.py            # full run, several minutes
    /work/bench-venv/bin/python bench/drift.py --windows 10 --anchor-mmd-calls 0   # quick look

Every library sees identical synthetic data: references of 5,000 rows, windows
of 1,000 and 5,000 rows, d = 10 and 100, and three scenarios: no shift, a mean
shift (0.2 standard deviations in 30 % of the features) and a covariance shift
(correlation 0.5 inside pairs of features in that 30 %, marginals unchanged).
Per detector it prints the median time of one call on a window (fitting on the
reference is not timed) and the share of windows flagged at alpha = 0.05: the
false-alarm rate under no shift, the power under a shift. Windows are spread
over several freshly drawn references, so the rates are not those of one lucky
or unlucky reference. Per-feature detectors all use Bonferroni over the
features. The anchors' MMD permutation tests take tens of seconds per call, so
they are timed on `--anchor-mmd-calls` windows (d = 10, window 1,000, mean
shift) and their rates are not measured. All libraries run with
`--threads` (default 1) threads: this machine is shared, and oversubscribed
thread pools make timings meaningless.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import cpu_threads  # noqa: F401  (pins thread pools before numpy loads)
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ai4mlops_lab.monitoring.detectors import FeatureDetector, MMDDetector  # noqa: E402
from ai4mlops_lab.monitoring.profile import ReferenceProfile  # noqa: E402

ALPHA = 0.05
N_REF = 5000
SCENARIOS = ("none", "mean", "cov")


def make_sample(rng: np.random.Generator, n: int, d: int, scenario: str) -> np.ndarray:
    """n rows of d standard normal features, shifted as the scenario says."""
    x = rng.normal(size=(n, d))
    k = max(2, round(0.3 * d)) // 2 * 2  # affected features (an even count, for pairs)
    if scenario == "mean":
        x[:, :k] += 0.2
    elif scenario == "cov":
        rho = 0.5
        x[:, 1:k:2] = rho * x[:, 0:k:2] + math.sqrt(1 - rho**2) * x[:, 1:k:2]
    return x


# ---------------------------------------------------------------- detectors
# Each factory takes the reference (n, d) and returns a call: window -> drift?


def ours_ks(correction):
    def fit(ref):
        det = FeatureDetector(ReferenceProfile.from_array(ref), correction)
        return lambda w: any(r.drift for r in det.test(w, ALPHA))

    return fit


def ours_mmd(n_reference, max_window):
    def fit(ref):
        det = MMDDetector(ReferenceProfile.from_array(ref), n_reference=n_reference, max_window=max_window)
        return lambda w: det.test(w, ALPHA).drift

    return fit


def alibi_ks(ref):
    from alibi_detect.cd import KSDrift

    det = KSDrift(ref, p_val=ALPHA, correction="bonferroni")
    return lambda w: bool(det.predict(w)["data"]["is_drift"])


def alibi_mmd(ref):
    from alibi_detect.cd import MMDDrift

    det = MMDDrift(ref.astype(np.float32), backend="pytorch", p_val=ALPHA, n_permutations=100)
    return lambda w: bool(det.predict(w.astype(np.float32))["data"]["is_drift"])


def frouros_ks(ref):
    from frouros.detectors.data_drift import KSTest

    dets = []
    for j in range(ref.shape[1]):
        dets.append(KSTest())
        dets[-1].fit(X=ref[:, j])
    d = len(dets)
    return lambda w: min(det.compare(X=w[:, j])[0].p_value for j, det in enumerate(dets)) * d < ALPHA


def frouros_mmd(ref):
    from frouros.callbacks import PermutationTestDistanceBased
    from frouros.detectors.data_drift import MMD

    det = MMD(callbacks=[PermutationTestDistanceBased(num_permutations=100, random_state=0, num_jobs=1)])
    det.fit(X=ref)
    return lambda w: det.compare(X=w)[1]["PermutationTestDistanceBased"]["p_value"] < ALPHA


def torchdrift_ks(ref):
    import torch
    import torchdrift

    det = torchdrift.detectors.KSDriftDetector(return_p_value=True)  # Bonferroni inside
    det.fit(torch.from_numpy(ref.astype(np.float32)))
    return lambda w: float(det(torch.from_numpy(w.astype(np.float32)))) < ALPHA


def torchdrift_mmd(ref):
    import torch
    import torchdrift

    det = torchdrift.detectors.KernelMMDDriftDetector(return_p_value=True, n_perm=100)
    det.fit(torch.from_numpy(ref.astype(np.float32)))
    return lambda w: float(det(torch.from_numpy(w.astype(np.float32)))) < ALPHA


def evidently_ks(ref):
    """evidently's registered per-column K-S stattest (scipy ks_2samp on pandas Series)."""
    import pandas as pd
    from evidently.legacy.calculations.stattests.ks_stattest import _ks_stat_test
    from evidently.legacy.core import ColumnType

    cols = [pd.Series(ref[:, j]) for j in range(ref.shape[1])]
    d = len(cols)

    def call(w):
        p = [_ks_stat_test(c, pd.Series(w[:, j]), ColumnType.Numerical, ALPHA)[0] for j, c in enumerate(cols)]
        return min(p) * d < ALPHA

    return call


def evidently_report(ref):
    """evidently's DataDriftPreset(method='ks') report, end to end (timed only)."""
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    names = [f"x{j}" for j in range(ref.shape[1])]
    ref_df = pd.DataFrame(ref, columns=names)
    report = Report([DataDriftPreset(method="ks")])

    def call(w):
        report.run(current_data=pd.DataFrame(w, columns=names), reference_data=ref_df)
        return False  # its verdict (share of drifted columns) is another rule: timed only

    return call


@dataclass
class Detector:
    family: str
    name: str
    fit: object
    module: str | None = None  # anchor package, for the import check
    max_calls: int | None = None  # None: every window, with rates; else time only this many calls
    only_default_size: bool = False  # run at d = 10, window 1,000 only
    anchor_mmd: bool = False  # tens of seconds per call: --anchor-mmd-calls calls


DETECTORS = [
    Detector("ks", "ours (bonferroni)", ours_ks("bonferroni")),
    Detector("ks", "ours (bh)", ours_ks("bh")),
    Detector("ks", "alibi-detect KSDrift", alibi_ks, "alibi_detect"),
    Detector("ks", "frouros KSTest x d", frouros_ks, "frouros"),
    Detector("ks", "torchdrift KSDriftDetector", torchdrift_ks, "torchdrift"),
    Detector("ks", "evidently K-S stattest x d", evidently_ks, "evidently"),
    Detector("ks", "evidently DataDriftPreset report", evidently_report, "evidently", max_calls=3),
    Detector("mmd", "ours (ref 1000, window<=1000)", ours_mmd(1000, 1000)),
    Detector("mmd", "ours (full ref 5000, window<=5000)", ours_mmd(5000, 5000), only_default_size=True),
    Detector("mmd", "alibi-detect MMDDrift (torch)", alibi_mmd, "alibi_detect", 1, True, True),
    Detector("mmd", "torchdrift KernelMMD", torchdrift_mmd, "torchdrift", 1, True, True),
    Detector("mmd", "frouros MMD + permutations", frouros_mmd, "frouros", 1, True, True),
]


@dataclass
class Row:
    family: str
    name: str
    d: int
    m: int
    ms: list[float] = field(default_factory=list)
    rates: dict = field(default_factory=dict)  # scenario -> (flagged, windows)


def installed(module: str | None) -> bool:
    if module is None:
        return True
    try:
        __import__(module)
    except Exception:  # an anchor failing to import for any reason is "not installed" here
        return False
    return True


def run_config(det: Detector, d: int, m: int, data: dict, anchor_mmd_calls: int) -> Row:
    row = Row(det.family, det.name, d, m)
    limit = anchor_mmd_calls if det.anchor_mmd else det.max_calls
    scenarios = ("mean",) if limit is not None else SCENARIOS
    for scenario in scenarios:
        flagged = total = 0
        for ref, windows in data[scenario]:
            call = det.fit(ref)
            for w in windows:
                if limit is not None and len(row.ms) >= limit:
                    break
                t0 = time.perf_counter()
                verdict = call(w)
                row.ms.append((time.perf_counter() - t0) * 1e3)
                flagged += bool(verdict)
                total += 1
        if limit is None:
            row.rates[scenario] = (flagged, total)
    return row


def ks_pvalue_agreement(rng: np.random.Generator) -> float | None:
    """Largest |p_ours - p_scipy| over per-feature KS p-values on a few shifted windows."""
    try:
        from scipy.stats import ks_2samp
    except ImportError:
        return None
    worst = 0.0
    for _ in range(5):
        ref, w = make_sample(rng, N_REF, 10, "none"), make_sample(rng, 1000, 10, "mean")
        ours = FeatureDetector(ReferenceProfile.from_array(ref), "none").test(w)
        for j, r in enumerate(ours):
            worst = max(worst, abs(r.p_value - ks_2samp(ref[:, j], w[:, j]).pvalue))
    return worst


def fmt_rate(rate):
    if rate is None:
        return "n/a"
    flagged, total = rate
    return f"{flagged / total:.2f} ({flagged}/{total})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", type=int, default=40, help="windows per scenario and config (default 40)")
    ap.add_argument("--references", type=int, default=4, help="references the windows are spread over (default 4)")
    ap.add_argument("--anchor-mmd-calls", type=int, default=1, help="timed calls of each anchor MMD (default 1)")
    ap.add_argument("--dims", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        pass

    print(f"threads={args.threads}  reference={N_REF} rows  alpha={ALPHA}  windows/scenario={args.windows}")
    available = []
    for det in DETECTORS:
        if installed(det.module):
            available.append(det)
        else:
            print(f"{det.name}: not installed")

    rows = []
    per_ref = max(1, args.windows // args.references)
    for d in args.dims:
        for m in args.sizes:
            rng = np.random.default_rng([args.seed, d, m])
            data = {
                s: [
                    (make_sample(rng, N_REF, d, "none"), [make_sample(rng, m, d, s) for _ in range(per_ref)])
                    for _ in range(args.references)
                ]
                for s in SCENARIOS
            }
            for det in available:
                if det.only_default_size and (d, m) != (10, 1000):
                    continue
                if det.anchor_mmd and args.anchor_mmd_calls < 1:
                    continue
                row = run_config(det, d, m, data, args.anchor_mmd_calls)
                rows.append(row)
                print(
                    f"  d={d:<3} m={m:<5} {det.family:<3} {det.name:<36} {np.median(row.ms):10.2f} ms/call"
                    f"  FA {fmt_rate(row.rates.get('none'))}  power mean {fmt_rate(row.rates.get('mean'))}"
                    f"  cov {fmt_rate(row.rates.get('cov'))}",
                    flush=True,
                )

    print("\n| family | detector | d | window | ms/call | false alarms | power (mean) | power (cov) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r.family} | {r.name} | {r.d} | {r.m} | {np.median(r.ms):.2f} | {fmt_rate(r.rates.get('none'))} "
            f"| {fmt_rate(r.rates.get('mean'))} | {fmt_rate(r.rates.get('cov'))} |"
        )

    print("\nTime ratios, anchor / ours (same family, d, window; ours = the first 'ours' row):")
    for family, d, m in sorted({(r.family, r.d, r.m) for r in rows}):
        group = [r for r in rows if (r.family, r.d, r.m) == (family, d, m)]
        ours = next((r for r in group if r.name.startswith("ours")), None)
        if ours is None:
            continue
        base = np.median(ours.ms)
        ratios = ", ".join(f"{r.name}: {np.median(r.ms) / base:.1f}x" for r in group if not r.name.startswith("ours"))
        print(f"  {family} d={d} m={m} (ours {base:.2f} ms): {ratios or 'no anchor'}")

    worst = ks_pvalue_agreement(np.random.default_rng(args.seed + 1))
    print(
        "\nKS p-values, ours vs scipy.stats.ks_2samp: "
        + ("scipy not installed" if worst is None else f"max |difference| = {worst:.2e}")
    )


if __name__ == "__main__":
    main()
