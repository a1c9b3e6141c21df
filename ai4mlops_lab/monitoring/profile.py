"""The reference (training) data a deployment is monitored against: a capped sample plus a summary.

Numeric versus categorical, per column, decided in this order:

1. ``categorical=[...]`` given (names or positions): exactly those columns are
   categorical, every other column is numeric.
2. Otherwise a column holding any non-numeric value (strings, bools, other
   objects) is categorical.
3. Otherwise a column whose values are all integers with at most
   ``max_categories`` (default 20) distinct values is categorical: codes, flags
   and small counts are tested with chi-squared on their counts, which suits
   them better than KS (KS is conservative on heavily tied data).
4. Everything else is numeric.

Missing values (None, NaN) are dropped per feature and counted. Categories are
compared as canonical strings: integral numbers as ``"3"`` (so 3, 3.0 and "3"
are one category), everything else as ``str(value)``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

NUMERIC = "numeric"
CATEGORICAL = "categorical"


def category_key(value) -> str | None:
    """Canonical category label of a value; None for a missing one."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, Real):
        number = float(value)
        if math.isnan(number):
            return None
        if number.is_integer():
            return str(int(number))
    return str(value)


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


def to_float(column: np.ndarray) -> tuple[np.ndarray, int]:
    """A column as float64 with NaN for missing, and how many values could not be read as numbers.

    Unreadable values (e.g. a string in a numeric feature) become NaN, so they
    are counted as missing rather than breaking the detector.
    """
    if column.dtype.kind in "biuf":
        return column.astype(np.float64), 0
    out = np.full(len(column), np.nan)
    bad = 0
    for i, v in enumerate(column):
        if v is None:
            continue
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            bad += 1
    return out, bad


def as_columns(x, width: int | None = None, names: list[str] | None = None) -> list[np.ndarray]:
    """Split a table (ndarray, DataFrame or list of rows) into its columns, checking the width.

    Lists go through an object array, so that numbers mixed with strings stay numbers.
    """
    if isinstance(x, np.ndarray):
        arr = x
    elif hasattr(x, "to_numpy"):  # pandas / polars DataFrame
        arr = x.to_numpy()
    else:
        arr = np.asarray(x, dtype=object)
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, width or 0)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D table (rows x features), got shape {arr.shape}")
    if width is not None and arr.shape[1] != width:
        shown = f" ({', '.join(names)})" if names and len(names) <= 20 else ""
        raise ValueError(f"expected {width} features{shown}, got {arr.shape[1]}")
    return [arr[:, j] for j in range(arr.shape[1])]


def _infer_kind(column: np.ndarray, max_categories: int) -> str:
    if column.dtype.kind in "bUS":
        return CATEGORICAL
    if column.dtype.kind == "O" and not all(v is None or _is_number(v) for v in column):
        return CATEGORICAL
    values, _ = to_float(column)
    values = values[~np.isnan(values)]
    whole = values.size and np.all(np.isfinite(values)) and np.all(values == np.round(values))
    if whole and np.unique(values).size <= max_categories:
        return CATEGORICAL
    return NUMERIC


@dataclass
class ReferenceProfile:
    """Feature names and kinds, the (capped) reference sample, and its summary."""

    feature_names: list[str]
    kinds: list[str]
    numeric: np.ndarray  # (rows, numeric features) float64, NaN = missing
    categorical: list[list[str | None]]  # per categorical feature, canonical labels
    n_rows: int  # rows given, before the cap
    seed: int

    @classmethod
    def from_array(
        cls,
        x,
        feature_names: list[str] | None = None,
        categorical: list[str | int] | None = None,
        max_rows: int = 5000,
        seed: int = 0,
        max_categories: int = 20,
    ) -> ReferenceProfile:
        """Profile a reference table (ndarray, DataFrame or list of rows), keeping at most
        `max_rows` random rows.

        Feature names default to a DataFrame's columns, else ``x0, x1, ...``.
        The sample is drawn with `seed`, so the same input always gives the
        same profile.
        """
        if feature_names is None and hasattr(x, "columns"):
            feature_names = [str(c) for c in x.columns]
        columns = as_columns(x)
        d = len(columns)
        names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(d)]
        if len(names) != d:
            raise ValueError(f"expected {d} feature names, got {len(names)}")
        if len(set(names)) != d:
            raise ValueError("feature names must be unique")
        n = len(columns[0]) if columns else 0
        if n == 0:
            raise ValueError("the reference has no rows")
        keep = np.arange(n)
        if n > max_rows:
            keep = np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))
        columns = [c[keep] for c in columns]
        if categorical is not None:
            chosen = {names[c] if isinstance(c, Integral) else c for c in categorical}
            unknown = chosen - set(names)
            if unknown:
                raise ValueError(f"categorical names unknown features: {sorted(unknown)}")
            kinds = [CATEGORICAL if name in chosen else NUMERIC for name in names]
        else:
            kinds = [_infer_kind(c, max_categories) for c in columns]
        numeric = []
        for name, kind, col in zip(names, kinds, columns):
            if kind == NUMERIC:
                values, bad = to_float(col)
                if bad:
                    raise ValueError(f"feature {name!r} is numeric but has {bad} non-numeric values")
                numeric.append(values)
        num = np.column_stack(numeric) if numeric else np.empty((len(keep), 0))
        cats = [[category_key(v) for v in col] for kind, col in zip(kinds, columns) if kind == CATEGORICAL]
        return cls(names, kinds, num, cats, n, seed)

    @property
    def numeric_names(self) -> list[str]:
        return [n for n, k in zip(self.feature_names, self.kinds) if k == NUMERIC]

    @property
    def categorical_names(self) -> list[str]:
        return [n for n, k in zip(self.feature_names, self.kinds) if k == CATEGORICAL]

    def split(self, window) -> tuple[np.ndarray, list[list[str | None]]]:
        """A window in the reference's layout: the numeric block (float64, NaN = missing or
        unreadable) and the categorical label lists.

        Raises ValueError naming the expected and actual width when they differ.
        """
        columns = as_columns(window, len(self.feature_names), self.feature_names)
        numeric = [to_float(col)[0] for kind, col in zip(self.kinds, columns) if kind == NUMERIC]
        cats = [[category_key(v) for v in col] for kind, col in zip(self.kinds, columns) if kind == CATEGORICAL]
        m = len(columns[0]) if columns else 0
        return (np.column_stack(numeric) if numeric else np.empty((m, 0))), cats

    def to_dict(self, bins: int = 20, top_categories: int = 50) -> dict:
        """JSON-ready summary: per feature its kind, counts, moments/quantiles or category
        counts, and a histogram for charts."""
        features = []
        num_iter = iter(self.numeric.T)
        cat_iter = iter(self.categorical)
        for name, kind in zip(self.feature_names, self.kinds):
            if kind == NUMERIC:
                features.append({"name": name, "kind": kind, **_numeric_summary(next(num_iter), bins)})
            else:
                features.append({"name": name, "kind": kind, **_categorical_summary(next(cat_iter), top_categories)})
        return {
            "n_rows": self.n_rows,
            "n_sampled": int(self.numeric.shape[0]),
            "seed": self.seed,
            "features": features,
        }


def _numeric_summary(values: np.ndarray, bins: int) -> dict:
    ok = values[~np.isnan(values)]
    out = {"count": int(ok.size), "missing": int(values.size - ok.size)}
    if not ok.size:
        return out
    qs = [0.05, 0.25, 0.5, 0.75, 0.95]
    counts, edges = np.histogram(ok, bins=bins)
    out.update(
        mean=float(ok.mean()),
        std=float(ok.std()),
        min=float(ok.min()),
        max=float(ok.max()),
        quantiles={str(q): float(v) for q, v in zip(qs, np.quantile(ok, qs))},
        histogram={"edges": edges.tolist(), "counts": counts.tolist()},
    )
    return out


def _categorical_summary(labels: list[str | None], top: int) -> dict:
    counts = Counter(v for v in labels if v is not None)
    common = counts.most_common(top)
    rest = sum(counts.values()) - sum(c for _, c in common)
    return {
        "count": sum(counts.values()),
        "missing": len(labels) - sum(counts.values()),
        "n_categories": len(counts),
        "categories": dict(common),
        "other": rest,
    }
