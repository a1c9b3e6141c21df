"""CBPE benchmark: ai4mlops_lab.monitoring.cbpe against NannyML's CBPE on the synthetic datasets NannyML ships.

Run by hand in the bench venv (see bench/README.md), from the repository root:

    /work/bench-venv/bin/python bench/outcomes_cbpe.py [--chunk-size 5000] [--threads 1]

Both estimators are fitted on the dataset's reference period (scores, predicted class and labels) and estimate
each chunk of its analysis period without labels; the analysis targets then give the realized value per chunk.
Per dataset and metric it prints each chunk's realized value, our estimate and NannyML's, then the mean absolute
error of each against the realized values, the largest difference between the two estimators, the mean sampling
error each reports and how many chunks fall within 3 sampling errors. Timings: fit, and estimate per chunk (ours
timed chunk by chunk; NannyML's one `estimate` call over the analysis divided by the number of chunks).

Metrics: accuracy and ROC AUC (binary); F1 of class 1 for the binary dataset (NannyML's binary `f1`; ours from
the expected confusion matrix), macro F1 for the multiclass one. Our ROC AUC is binary only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import cpu_threads  # noqa: F401  (pins thread pools before numpy loads)

os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"  # NannyML posts usage events otherwise

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ai4mlops_lab.monitoring.cbpe import CBPE  # noqa: E402

BAND = 3  # NannyML's confidence band: 3 sampling errors


def binary_dataset():
    """(reference, analysis with targets, NannyML arguments, probability columns, class names, label column)."""
    import nannyml as nml

    reference, analysis, targets = nml.load_synthetic_binary_classification_dataset()
    args = {
        "y_pred_proba": "y_pred_proba",
        "problem_type": "classification_binary",
        "metrics": ["roc_auc", "accuracy", "f1"],
    }
    return reference, analysis, targets, args, ["y_pred_proba"], [0, 1], "work_home_actual"


def multiclass_dataset():
    import nannyml as nml

    reference, analysis, targets = nml.load_synthetic_multiclass_classification_dataset()
    classes = sorted(["prepaid_card", "highstreet_card", "upmarket_card"])
    columns = [f"y_pred_proba_{c}" for c in classes]
    args = {
        "y_pred_proba": dict(zip(classes, columns)),
        "problem_type": "classification_multiclass",
        "metrics": ["roc_auc", "accuracy", "f1"],
    }
    return reference, analysis, targets, args, columns, classes, "y_true"


def _codes(values, classes) -> np.ndarray:
    return np.searchsorted(np.asarray(classes), np.asarray(values))


def _realized(labels: np.ndarray, predicted: np.ndarray, scores: np.ndarray, k: int) -> dict:
    from sklearn import metrics

    out = {"accuracy": metrics.accuracy_score(labels, predicted)}
    if k == 2:
        out["roc_auc"] = metrics.roc_auc_score(labels, scores)
        out["f1"] = metrics.f1_score(labels, predicted)
    else:
        out["roc_auc"] = metrics.roc_auc_score(labels, scores, multi_class="ovr", average="macro")
        out["f1"] = metrics.f1_score(labels, predicted, average="macro")
    return out


def _ours(estimate: dict, k: int) -> dict:
    """Our estimate under NannyML's metric names (binary f1: class 1, from the expected confusion matrix)."""
    out = {"accuracy": (estimate["accuracy"], estimate["sampling_error"]["accuracy"])}
    if k == 2:
        (_, fp), (fn, tp) = estimate["confusion_matrix"]
        out["roc_auc"] = (estimate["roc_auc"], estimate["sampling_error"]["roc_auc"])
        out["f1"] = (2 * tp / (2 * tp + fp + fn), float("nan"))
    else:
        out["roc_auc"] = (float("nan"), float("nan"))
        out["f1"] = (estimate["f1_macro"], estimate["sampling_error"]["f1_macro"])
    return out


def run_dataset(name: str, load, chunk_size: int) -> dict:
    import nannyml as nml

    reference, analysis, targets, args, columns, classes, label = load()
    k = len(classes)
    analysis = analysis.merge(targets, on="id")
    ref_scores = reference[columns].to_numpy()
    ref_labels = _codes(reference[label], classes)
    ref_predicted = _codes(reference["y_pred"], classes)

    start = time.perf_counter()
    ours = CBPE.fit(ref_scores, ref_labels, ref_predicted)
    our_fit = time.perf_counter() - start

    theirs = nml.CBPE(y_pred="y_pred", y_true=label, chunk_size=chunk_size, **args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        theirs.fit(reference)
        their_fit = time.perf_counter() - start
        start = time.perf_counter()
        result = theirs.estimate(analysis.drop(columns=[label])).filter(period="analysis").to_df()
        their_estimate = time.perf_counter() - start

    rows = []
    our_times = []
    for i, lo in enumerate(range(0, len(analysis) - chunk_size + 1, chunk_size)):
        chunk = analysis.iloc[lo : lo + chunk_size]
        scores = chunk[columns].to_numpy()
        predicted = _codes(chunk["y_pred"], classes)
        start = time.perf_counter()
        estimate = ours.estimate(scores, predicted)
        our_times.append(time.perf_counter() - start)
        real = _realized(_codes(chunk[label], classes), predicted, scores[:, 0] if k == 2 else scores, k)
        mine = _ours(estimate, k)
        for metric in args["metrics"]:
            rows.append(
                {
                    "chunk": i,
                    "metric": metric,
                    "realized": real[metric],
                    "ours": mine[metric][0],
                    "ours_se": mine[metric][1],
                    "nannyml": float(result[(metric, "value")].iloc[i]),
                    "nannyml_se": float(result[(metric, "sampling_error")].iloc[i]),
                }
            )
    timing = {
        "fit_s": (our_fit, their_fit),
        "chunk_ms": (1000 * float(np.mean(our_times)), 1000 * their_estimate / len(our_times)),
    }
    report(name, rows, timing, chunk_size)
    return {"rows": rows, "timing": timing}


def _cell(value: float, fmt: str) -> str:
    return "-" if np.isnan(value) else format(value, fmt)


def report(name: str, rows: list[dict], timing: dict, chunk_size: int) -> None:
    print(f"\n## {name} (chunks of {chunk_size})\n")
    print("| metric | chunk | realized | ours | NannyML | ours - realized | NannyML - realized |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['metric']} | {r['chunk']} | {r['realized']:.4f} | {_cell(r['ours'], '.4f')} | {r['nannyml']:.4f} "
            f"| {_cell(r['ours'] - r['realized'], '+.4f')} | {r['nannyml'] - r['realized']:+.4f} |"
        )
    print(
        "\n| metric | MAE ours | MAE NannyML | max abs(ours - NannyML) | mean se ours / NannyML "
        f"| chunks within {BAND} se ours / NannyML |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for metric in dict.fromkeys(r["metric"] for r in rows):
        m = [r for r in rows if r["metric"] == metric]
        real = np.array([r["realized"] for r in m])
        ours, theirs = np.array([r["ours"] for r in m]), np.array([r["nannyml"] for r in m])
        ours_se, theirs_se = np.array([r["ours_se"] for r in m]), np.array([r["nannyml_se"] for r in m])
        ours_in = np.sum(np.abs(ours - real) <= BAND * ours_se) if not np.isnan(ours_se).all() else float("nan")
        gap = np.max(np.abs(ours - theirs))
        print(
            f"| {metric} | {_cell(np.mean(np.abs(ours - real)), '.4f')} | {np.mean(np.abs(theirs - real)):.4f} "
            f"| {_cell(gap, '.1e')} | {_cell(ours_se.mean(), '.4f')} / {theirs_se.mean():.4f} "
            f"| {_cell(ours_in, '.0f')} / {np.sum(np.abs(theirs - real) <= BAND * theirs_se)} of {len(m)} |"
        )
    (our_fit, their_fit), (our_chunk, their_chunk) = timing["fit_s"], timing["chunk_ms"]
    print(
        f"\nfit: ours {our_fit:.2f} s, NannyML {their_fit:.2f} s; "
        f"estimate per chunk: ours {our_chunk:.1f} ms, NannyML {their_chunk:.1f} ms"
    )


def cbpe_part(chunk_size: int = 5000) -> dict:
    """Both datasets, printed as markdown tables; returns the rows and timings per dataset."""
    return {
        "binary": run_dataset("binary classification", binary_dataset, chunk_size),
        "multiclass": run_dataset("multiclass classification", multiclass_dataset, chunk_size),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--threads", default="1", help="thread-pool size for numpy (set before import)")
    cbpe_part(parser.parse_args().chunk_size)


if __name__ == "__main__":
    main()
