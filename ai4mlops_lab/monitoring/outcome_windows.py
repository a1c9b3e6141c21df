"""What a window of predictions says about a model's outcomes: realized performance on its labels, the output
distribution against the reference period's, per-prediction errors for concept-drift detectors, and whether a
metric crossed its alert level. Pure functions of rows read from the store (see `OutcomeStore`)."""

from __future__ import annotations

import numpy as np

from .performance import HIGHER_IS_BETTER, classification_metrics, regression_metrics
from .stats import SortedColumns, chi2_homogeneity, ks_pvalue, ks_statistic

#: Output drift is flagged below this p-value (it is shown, not alerted on).
OUTPUT_ALPHA = 0.01
#: At most this many reference values are kept for a regressor's output test.
REFERENCE_VALUES = 2000


def realized(task: str, outcomes: list[dict], n_classes: int | None) -> dict | None:
    """The realized metrics of labelled predictions (None without any)."""
    if not outcomes:
        return None
    labels = np.array([o["label"] for o in outcomes])
    predicted = np.array([o["value"] for o in outcomes])
    if task == "regression":
        return regression_metrics(labels, predicted)
    probs = np.array([o["scores"] for o in outcomes]) if all(o["scores"] for o in outcomes) else None
    classes = list(range(n_classes)) if n_classes else None
    return classification_metrics(labels.astype(int), predicted.astype(int), probs, classes=classes)


def errors(task: str, outcomes: list[dict]) -> np.ndarray:
    """Per labelled prediction: 1 for a wrong class and 0 for a right one, or the absolute error of a value."""
    labels = np.array([o["label"] for o in outcomes], dtype=float)
    predicted = np.array([o["value"] for o in outcomes], dtype=float)
    if task == "classification":
        return (labels != predicted).astype(float)
    return np.abs(labels - predicted)


def output_summary(task: str, predictions: list[dict], n_classes: int | None) -> dict:
    """The reference period's outputs: counts per class, or a sample of values."""
    values = np.array([p["value"] for p in predictions], dtype=float)
    if task == "classification":
        return {"counts": _class_counts(values, n_classes).tolist()}
    step = max(1, len(values) // REFERENCE_VALUES)
    return {"values": np.sort(values)[::step].tolist()}


def output_drift(task: str, reference: dict, predictions: list[dict], n_classes: int | None) -> dict:
    """Whether this window's outputs come from the reference period's distribution: a chi-squared test of class
    counts (classifiers) or a two-sample KS test (regressors). `{test, p_value, drift, counts|quantiles}`."""
    values = np.array([p["value"] for p in predictions], dtype=float)
    if task == "classification":
        counts = _class_counts(values, max(n_classes or 0, len(reference["counts"])))
        ref = np.zeros(len(counts))
        ref[: len(reference["counts"])] = reference["counts"]
        _, p_value, _ = chi2_homogeneity(ref, counts)
        return {"test": "chi2", "p_value": p_value, "drift": p_value < OUTPUT_ALPHA, "counts": counts.tolist()}
    ref = np.asarray(reference["values"], dtype=float)[:, None]
    d = ks_statistic(SortedColumns.from_array(ref), SortedColumns.from_array(values[:, None]))
    p_value = float(ks_pvalue(d, np.array([len(ref)]), np.array([len(values)]))[0])
    quantiles = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95]).tolist()
    return {"test": "ks", "p_value": p_value, "drift": p_value < OUTPUT_ALPHA, "quantiles": quantiles}


def alert_level(metric: str, threshold: float | None, max_drop: float, baseline: float | None) -> float | None:
    """The metric's alert level: the policy's threshold, else the baseline worse by `max_drop` (None: neither)."""
    if threshold is not None:
        return threshold
    if baseline is None:
        return None
    return baseline - max_drop if HIGHER_IS_BETTER[metric] else baseline + max_drop


def crossed(metric: str, value: float | None, level: float | None) -> bool:
    """Whether `value` is worse than the alert `level`."""
    if value is None or level is None:
        return False
    return value < level if HIGHER_IS_BETTER[metric] else value > level


def _class_counts(values: np.ndarray, n_classes: int | None) -> np.ndarray:
    width = max(int(n_classes or 0), int(values.max()) + 1 if len(values) else 0)
    return np.bincount(values.astype(int), minlength=width)
