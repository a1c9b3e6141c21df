"""Realized performance of a window of labelled predictions, in plain numpy.

Classification: accuracy, macro F1, ROC AUC (binary) and log loss; regression: MAE, RMSE and R2. Each equals
scikit-learn's on the same rows (`accuracy_score`, `f1_score(average="macro", zero_division=0)`, `roc_auc_score`,
`log_loss`, `mean_absolute_error`, `root_mean_squared_error`, `r2_score`), except that R2 is None where
scikit-learn returns a made-up 0 or 1 (constant labels).
"""

from __future__ import annotations

import numpy as np

from ai4mlops_lab.errors import FieldError

#: Whether a larger value of each metric is better: a threshold on it is a floor (True) or a ceiling (False).
HIGHER_IS_BETTER = {
    "accuracy": True,
    "f1_macro": True,
    "roc_auc": True,
    "log_loss": False,
    "mae": False,
    "rmse": False,
    "r2": True,
}

#: Rows of k scores in [0, 1] that sum to 1 within this are probabilities already (float32 outputs round).
SUM_TOLERANCE = 1e-3


def probabilities(scores) -> np.ndarray:
    """Class probabilities (n, k), k >= 2, column j for class j, from a classifier's raw outputs.

    Assumes k columns are k classes: kept when every value is in [0, 1] and every row sums to 1 (within
    `SUM_TOLERANCE`), otherwise read as logits and put through softmax. One column, or a vector, is a binary model's
    score for class 1: kept as P(class 1) when in [0, 1], otherwise a logit put through the sigmoid; the result is
    [1 - p, p]. Multi-label outputs (an independent sigmoid per column) are not supported.
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim not in (1, 2) or (s.ndim == 2 and s.shape[1] < 1):
        raise FieldError("predictions", f"expected scores of shape (n,) or (n, k), got {s.shape}")
    if not np.isfinite(s).all():
        raise FieldError("predictions", "the scores hold NaN or infinite values", "drop or fix those predictions")
    inside = bool(((s >= 0) & (s <= 1)).all())
    if s.ndim == 1:
        p = s if inside else 1 / (1 + np.exp(-s))
        return np.column_stack([1 - p, p])
    if inside and bool((np.abs(s.sum(axis=1) - 1) <= SUM_TOLERANCE).all()):
        return s
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def classification_metrics(labels, predicted, probabilities=None, classes=None) -> dict:
    """Accuracy, macro F1, ROC AUC and log loss of one window.

    `labels` and `predicted` are the true and predicted class of each row. `probabilities` (optional, any form that
    `probabilities()` reads) gives column j for class `classes[j]` (default: class j); every label must be one of
    `classes`. Macro F1 averages over the classes that occur as a label or a prediction, as scikit-learn does.
    `roc_auc` is None unless the model is binary, probabilities are given and both classes occur in the labels;
    `log_loss` is None without probabilities. Probabilities are clipped to [eps, 1 - eps] for the log loss.
    """
    y = _column("labels", labels)
    yhat = _column("predicted", predicted, len(y))
    union, codes = np.unique(np.concatenate([y, yhat]), return_inverse=True)
    k = len(union)
    confusion = np.bincount(codes[: len(y)] * k + codes[len(y) :], minlength=k * k).reshape(k, k)
    out = {
        "accuracy": float(np.mean(y == yhat)),
        "f1_macro": float(macro_f1(confusion)),
        "roc_auc": None,
        "log_loss": None,
    }
    if probabilities is None:
        return out
    p = _probability_rows(probabilities, len(y))
    columns = np.arange(p.shape[1]) if classes is None else np.asarray(classes)
    if len(columns) != p.shape[1]:
        raise FieldError("classes", f"{len(columns)} classes for {p.shape[1]} probability columns")
    order = np.argsort(columns, kind="stable")
    where = np.searchsorted(columns, y, sorter=order).clip(0, len(columns) - 1)
    col = order[where]
    unknown = columns[col] != y
    if unknown.any():
        raise FieldError(
            "labels",
            f"label {y[unknown][0]!r} is not one of the classes of the probability columns {columns.tolist()}",
            "labels must name the class of a probability column",
        )
    eps = np.finfo(np.float64).eps
    out["log_loss"] = float(-np.mean(np.log(np.clip(p[np.arange(len(y)), col], eps, 1 - eps))))
    if p.shape[1] == 2:
        auc = rank_auc(midranks(p[:, 1]), col == 1)
        out["roc_auc"] = None if np.isnan(auc) else float(auc)
    return out


def regression_metrics(y, predicted) -> dict:
    """MAE, RMSE and R2 of one window; R2 is None when `y` is constant (undefined: scikit-learn returns 0 or 1)."""
    t = _column("labels", y).astype(np.float64)
    e = t - _column("predicted", predicted, len(t)).astype(np.float64)
    if not (np.isfinite(t).all() and np.isfinite(e).all()):
        raise FieldError("labels", "the labels or predictions hold NaN or infinite values", "drop or fix those rows")
    total = float(np.sum((t - np.average(t)) ** 2))
    return {
        "mae": float(np.mean(np.abs(e))),
        "rmse": float(np.sqrt(np.mean(e**2))),
        "r2": None if np.ptp(t) == 0 else 1 - float(np.sum(e**2)) / total,
    }


def macro_f1(confusion: np.ndarray) -> np.ndarray:
    """Mean F1 over the classes that occur, from confusion matrices (..., k, k), rows true and columns predicted.

    A class occurs when its row or column is non-zero; its F1 is 2 TP / (2 TP + FP + FN). Counts may be expected
    (fractional) counts. NaN when no class occurs.
    """
    c = np.asarray(confusion, dtype=np.float64)
    tp = np.diagonal(c, axis1=-2, axis2=-1)
    denominator = c.sum(axis=-1) + c.sum(axis=-2)
    occurs = denominator > 0
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=occurs)
    with np.errstate(invalid="ignore"):
        return f1.sum(axis=-1) / occurs.sum(axis=-1)


def midranks(scores: np.ndarray) -> np.ndarray:
    """Ranks 1..n of `scores`, tied values sharing the mean of their ranks."""
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)
    return (last - (counts - 1) / 2)[inverse]


def rank_auc(ranks: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """ROC AUC (Mann-Whitney U / (P N)) from the scores' midranks and positive masks (..., n); NaN for one class."""
    pos = np.asarray(positive, dtype=np.float64)
    n_pos = pos.sum(axis=-1)
    n_neg = pos.shape[-1] - n_pos
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos @ ranks - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _column(field: str, values, n: int | None = None) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise FieldError(field, f"expected one value per row, got an array of shape {a.shape}")
    if n is None and len(a) == 0:
        raise FieldError(field, "no rows", "pass a window with at least one labelled prediction")
    if n is not None and len(a) != n:
        raise FieldError(field, f"{len(a)} values for {n} labels", "pass one value per row, in the same order")
    return a


def _probability_rows(scores, n: int) -> np.ndarray:
    p = probabilities(scores)
    if len(p) != n:
        raise FieldError("probabilities", f"{len(p)} rows for {n} labels", "pass one row per label, in the same order")
    return p
