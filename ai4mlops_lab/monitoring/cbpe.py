"""Confidence-based performance estimation (CBPE, as NannyML does): a classifier's accuracy, macro F1 and ROC AUC
on a window without labels, from its scores calibrated on labelled reference data.

Fit: per class, an isotonic map from the model's probability to the observed frequency of that class (one-vs-rest;
a binary model calibrates P(class 1) only), kept only where it lowers the expected calibration error out of fold
(5 folds, 10 equal-count bins); rows are then renormalised to sum 1 (uniform where every class maps to 0).

Estimate: with calibrated probabilities p, the expected confusion matrix is C[i, j] = sum of p[:, i] over the rows
predicted j; accuracy and macro F1 are read from it (ratios of expected counts, as NannyML does). The binary ROC AUC
is the area under the expected ROC curve: rows ordered by the model's own score, expected true positives the
cumulative sum of calibrated P(class 1), tied scores one point.

Sampling error: the standard deviation of each realized metric (and confusion-matrix cell) over `DRAWS` label sets
drawn from the window's calibrated probabilities, seeded so that a window always gets the same band. It is the
spread of the realized value around the estimate that label noise causes given the window's scores (for accuracy,
sqrt(sum q (1 - q)) / n with q the calibrated probability of each predicted class), so it follows the window's
confidence; NannyML instead scales a deviation measured on the reference by 1 / sqrt(n). Neither covers a change of
P(label | input) after the reference (concept drift), which no estimate without labels can see.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai4mlops_lab.errors import FieldError, UserError
from ai4mlops_lab.monitoring import performance
from ai4mlops_lab.monitoring.performance import classification_metrics, macro_f1, midranks, rank_auc

#: Label sets drawn per window for the sampling error.
DRAWS = 100
BATCH = 10
#: Folds and equal-count bins of the check that calibration helps.
FOLDS = 5
BINS = 10
STATE_VERSION = 1


@dataclass(frozen=True)
class Isotonic:
    """A non-decreasing map from score to probability: linear between breakpoints `x` -> `y`, flat beyond them."""

    x: np.ndarray
    y: np.ndarray

    @classmethod
    def fit(cls, scores: np.ndarray, targets: np.ndarray) -> Isotonic:
        """Least-squares non-decreasing fit of 0/1 `targets` on `scores` (pool adjacent violators), in [0, 1]."""
        xs, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
        starts, values = pool_adjacent_violators(np.bincount(inverse, weights=targets), counts.astype(np.float64))
        ends = np.append(starts[1:], len(xs)) - 1
        x = np.column_stack([xs[starts], xs[ends]]).ravel()
        y = np.repeat(np.clip(values, 0, 1), 2)
        keep = np.append(True, x[1:] != x[:-1])
        return cls(x[keep], y[keep])

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return np.interp(scores, self.x, self.y)


def pool_adjacent_violators(sums: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Blocks of the non-decreasing weighted least-squares fit to `sums / weights`: each block's first index and
    value. Adjacent blocks with equal values are pooled too (same fit, fewer breakpoints)."""
    starts: list[int] = []
    block_sums: list[float] = []
    block_weights: list[float] = []
    for i, (s, w) in enumerate(zip(sums.tolist(), weights.tolist())):
        start = i
        while block_sums and block_sums[-1] * w >= s * block_weights[-1]:
            start = starts.pop()
            s += block_sums.pop()
            w += block_weights.pop()
        starts.append(start)
        block_sums.append(s)
        block_weights.append(w)
    return np.array(starts, dtype=np.int64), np.array(block_sums) / np.array(block_weights)


def expected_calibration_error(p: np.ndarray, targets: np.ndarray) -> float:
    """Mean |mean probability - frequency| over `BINS` equal-count bins of `p` sorted, weighted by bin size."""
    order = np.argsort(p, kind="stable")
    bins = np.array_split(order, BINS)
    return float(sum(len(b) * abs(p[b].mean() - targets[b].mean()) for b in bins if len(b)) / len(p))


def calibration_helps(scores: np.ndarray, targets: np.ndarray) -> bool:
    """Whether isotonic calibration, fitted on the other folds, lowers the expected calibration error."""
    if targets.min() == targets.max() or len(scores) < FOLDS * BINS:
        return False
    fold = np.random.default_rng(0).permutation(len(scores)) % FOLDS
    calibrated = np.empty(len(scores))
    for f in range(FOLDS):
        test = fold == f
        calibrated[test] = Isotonic.fit(scores[~test], targets[~test])(scores[test])
    return expected_calibration_error(calibrated, targets) < expected_calibration_error(scores, targets)


class CBPE:
    """A classifier's performance estimated from its scores (see the module docstring); build with `fit` or
    `from_state`. `reference` holds the realized metrics of the reference it was fitted on."""

    def __init__(self, classes: int, calibrators: list[Isotonic | None], reference: dict, reference_rows: int):
        self.classes = classes
        self.calibrators = calibrators
        self.reference = reference
        self.reference_rows = reference_rows

    @classmethod
    def fit(cls, probabilities, labels, predicted=None) -> CBPE:
        """Calibrate on labelled reference rows: the model's scores (any form `performance.probabilities` reads),
        the true class index of each row and the predicted class (default: the most probable)."""
        p = performance.probabilities(probabilities)
        n, k = p.shape
        if n == 0:
            raise FieldError("probabilities", "no reference rows", "fit on a reference window with labels")
        y = _classes("labels", labels, n, k)
        if len(np.unique(y)) < 2:
            raise FieldError(
                "labels",
                f"the reference labels hold one class only ({y[0]})",
                "CBPE learns how confidence matches outcomes: fit it on a reference that holds at least two classes",
            )
        yhat = p.argmax(axis=1) if predicted is None else _classes("predicted", predicted, n, k)
        columns = [1] if k == 2 else range(k)
        calibrators = []
        for c in columns:
            hit = (y == c).astype(np.float64)
            calibrators.append(Isotonic.fit(p[:, c], hit) if calibration_helps(p[:, c], hit) else None)
        return cls(k, calibrators, classification_metrics(y, yhat, p), n)

    def calibrate(self, p: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities (n, k) from probabilities (n, k) of this model."""
        if self.classes == 2:
            cal = self.calibrators[0]
            p1 = p[:, 1] if cal is None else cal(p[:, 1])
            return np.column_stack([1 - p1, p1])
        c = np.column_stack([p[:, j] if cal is None else cal(p[:, j]) for j, cal in enumerate(self.calibrators)])
        total = c.sum(axis=1, keepdims=True)
        return np.divide(c, total, out=np.full_like(c, 1 / self.classes), where=total > 0)

    def estimate(self, probabilities, predicted=None) -> dict:
        """Estimated accuracy, f1_macro, roc_auc (binary; else None) and confusion matrix (expected counts, rows
        the true class, columns the predicted one) of one window, with `sampling_error` (a standard deviation) for
        each. The predicted class defaults to the most probable one of the raw scores."""
        raw = performance.probabilities(probabilities)
        n, k = raw.shape
        if k != self.classes:
            raise FieldError("predictions", f"{k} classes, the reference had {self.classes}", "estimate the same model")
        if n == 0:
            raise FieldError("predictions", "no rows in the window")
        yhat = raw.argmax(axis=1) if predicted is None else _classes("predicted", predicted, n, k)
        p = self.calibrate(raw)
        confusion = np.stack([np.bincount(yhat, weights=p[:, i], minlength=k) for i in range(k)])
        auc = _expected_auc(raw[:, 1], p[:, 1]) if k == 2 else None
        return {
            "rows": n,
            "accuracy": float(np.trace(confusion) / n),
            "f1_macro": float(macro_f1(confusion)),
            "roc_auc": auc,
            "confusion_matrix": confusion.tolist(),
            "sampling_error": _sampling_error(p, yhat, raw[:, 1] if k == 2 else None),
        }

    def state(self) -> dict:
        """JSON-serializable state: the calibrators' breakpoints (None: not calibrated) and the reference."""
        return {
            "version": STATE_VERSION,
            "classes": self.classes,
            "calibrators": [None if c is None else {"x": c.x.tolist(), "y": c.y.tolist()} for c in self.calibrators],
            "reference": self.reference,
            "reference_rows": self.reference_rows,
        }

    @classmethod
    def from_state(cls, state: dict) -> CBPE:
        """The estimator that `state()` described."""
        if state.get("version") != STATE_VERSION:
            raise UserError(
                f"the stored performance estimator has version {state.get('version')}, expected {STATE_VERSION}",
                "fit it again on the reference",
            )
        calibrators = [
            None if c is None else Isotonic(np.array(c["x"]), np.array(c["y"])) for c in state["calibrators"]
        ]
        return cls(state["classes"], calibrators, state["reference"], state["reference_rows"])


def _classes(field: str, values, n: int, k: int) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim != 1 or len(a) != n:
        raise FieldError(field, f"expected {n} class indices, one per row, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.integer) or (len(a) and (a.min() < 0 or a.max() >= k)):
        raise FieldError(
            field,
            f"values must be class indices 0..{k - 1} (the probability columns)",
            "map each class to the index of its column in the model's output",
        )
    return a


def _expected_auc(scores: np.ndarray, p1: np.ndarray) -> float | None:
    """Area under the expected ROC curve: thresholds at the distinct scores, descending."""
    values, inverse = np.unique(-scores, return_inverse=True)
    positives = np.bincount(inverse, weights=p1, minlength=len(values))
    negatives = np.bincount(inverse, minlength=len(values)) - positives
    tp = np.concatenate([[0.0], np.cumsum(positives)])
    fp = np.concatenate([[0.0], np.cumsum(negatives)])
    if tp[-1] <= 0 or fp[-1] <= 0:
        return None
    return float(np.sum(np.diff(fp) * (tp[1:] + tp[:-1])) / (2 * tp[-1] * fp[-1]))


def _sampling_error(p: np.ndarray, yhat: np.ndarray, scores: np.ndarray | None) -> dict:
    """Standard deviation of the realized metrics over `DRAWS` label sets drawn from `p` (seeded), drawn
    `BATCH` at a time to bound memory."""
    n, k = p.shape
    rng = np.random.default_rng(0)
    cumulative = np.cumsum(p, axis=1)
    ranks = midranks(scores) if scores is not None else None
    confusion, auc = [], []
    for _ in range(DRAWS // BATCH):
        u = rng.random((BATCH, n))
        labels = np.zeros((BATCH, n), dtype=np.int64)
        for j in range(k - 1):
            labels += u > cumulative[:, j]
        cells = np.arange(BATCH)[:, None] * k * k + labels * k + yhat
        confusion.append(np.bincount(cells.ravel(), minlength=BATCH * k * k).reshape(BATCH, k, k))
        if ranks is not None:
            auc.append(rank_auc(ranks, labels == 1))
    confusion = np.concatenate(confusion)
    auc = np.concatenate(auc) if auc else np.array([])
    auc = auc[~np.isnan(auc)]
    return {
        "accuracy": float(np.std(np.trace(confusion, axis1=1, axis2=2) / n, ddof=1)),
        "f1_macro": float(np.std(macro_f1(confusion), ddof=1)),
        "roc_auc": float(np.std(auc, ddof=1)) if len(auc) > 1 else None,
        "confusion_matrix": np.std(confusion, axis=0, ddof=1).tolist(),
    }
