"""Test statistics and their null distributions, in plain numpy (no scipy).

Everything here is a pure function of arrays: the two-sample Kolmogorov-Smirnov
test vectorised over features, the chi-squared survival function, the
population stability index and the multiple-testing corrections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Below this many lattice cells (n * m) the two-sample KS p-value is exact.
KS_EXACT_MAX_CELLS = 100_000


@dataclass(frozen=True)
class SortedColumns:
    """Each column of a 2-D array sorted once, NaNs dropped (stored last), for repeated lookups."""

    values: np.ndarray  # (d, n) float64, row j = column j sorted, NaNs at the end
    counts: np.ndarray  # (d,) int64, non-NaN values per column

    @classmethod
    def from_array(cls, x: np.ndarray) -> SortedColumns:
        """Sort each column of `x` (n, d); NaNs are kept out of the counts."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"expected a 2-D array, got {x.ndim}-D")
        return cls(np.sort(x.T, axis=1), (~np.isnan(x)).sum(axis=0).astype(np.int64))

    @property
    def width(self) -> int:
        return len(self.counts)

    def count_below(self, edges: np.ndarray) -> np.ndarray:
        """Per column j, how many of its values are < each of ``edges[j]`` (d, k); returns (d, k)."""
        return np.array([np.searchsorted(v[:n], e) for v, n, e in zip(self.values, self.counts, edges)]).reshape(
            edges.shape
        )


def ks_statistic(reference: SortedColumns, window: SortedColumns) -> np.ndarray:
    """Two-sample KS distance per column between two sets of sorted columns.

    NaN where either side has no values. The reference CDF at every window
    value comes from searchsorted on the sorted reference. The supremum of
    ``F_ref - F_win`` is reached just before a window value and that of
    ``F_win - F_ref`` at one, so evaluating both CDFs at the window values
    alone is exact, ties included.
    """
    win, m = window.values, window.counts
    d = reference.width
    if window.width != d:
        raise ValueError(f"expected {d} columns, got {window.width}")
    n = reference.counts
    below = np.empty(win.shape)
    upto = np.empty(win.shape)
    for j in range(d):
        ref_j = reference.values[j, : n[j]]
        below[j] = left = np.searchsorted(ref_j, win[j], side="left")
        upto[j] = left
        if n[j]:  # a second search only for window values equal to a reference value
            tie = ref_j[np.minimum(left, n[j] - 1)] == win[j]
            if tie.any():
                upto[j, tie] = np.searchsorted(ref_j, win[j, tie], side="right")
    with np.errstate(invalid="ignore", divide="ignore"):
        rank = np.arange(win.shape[1])
        nn, mm = n[:, None].astype(np.float64), m[:, None].astype(np.float64)
        gap = np.maximum(below / nn - rank / mm, (rank + 1) / mm - upto / nn)
    gap[rank >= m[:, None]] = -np.inf  # NaN cells sort last; keep them out
    stat = gap.max(axis=1, initial=-np.inf)
    stat[(m == 0) | (n == 0)] = np.nan
    return stat


def ks_pvalue(d: np.ndarray, n: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Two-sided p-value of two-sample KS distances `d` for sample sizes `n` and `m`.

    Exact (lattice-path count) when ``n * m <= KS_EXACT_MAX_CELLS``; otherwise
    the Kolmogorov limit distribution at Stephens' corrected argument
    ``(sqrt(e) + 0.12 + 0.11 / sqrt(e)) * d`` with ``e = n m / (n + m)``.
    NaN where `d` is NaN or a sample is empty.
    """
    d, n, m = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (d, n, m)))
    valid = ~np.isnan(d) & (n >= 1) & (m >= 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.sqrt(n * m / (n + m))
        p = np.where(valid, kolmogorov_sf((e + 0.12 + 0.11 / e) * d), np.nan)
    for i in zip(*np.nonzero(valid & (n * m <= KS_EXACT_MAX_CELLS))):
        p[i] = _ks_exact_sf(float(d[i]), int(n[i]), int(m[i]))
    return p


def kolmogorov_sf(x: np.ndarray) -> np.ndarray:
    """P(K > x) for the Kolmogorov distribution, elementwise.

    ``2 sum (-1)^(k-1) exp(-2 k^2 x^2)`` for x >= 1; below 1 that series
    converges slowly, so the Jacobi-theta dual form of the CDF is used instead.
    """
    x = np.asarray(x, dtype=np.float64)
    k = np.arange(1, 11).reshape((-1,) + (1,) * x.ndim)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        xs = np.where(x > 0, x, 1.0)
        tail = 2.0 * np.sum((-1.0) ** (k - 1) * np.exp(-2.0 * k * k * xs * xs), axis=0)
        t = np.pi**2 / (8.0 * xs * xs)
        cdf = np.sqrt(2.0 * np.pi) / xs * np.sum(np.exp(-((2 * k - 1) ** 2) * t), axis=0)
    sf = np.where(xs >= 1.0, tail, 1.0 - cdf)
    return np.where(np.isnan(x), np.nan, np.clip(np.where(x > 0, sf, 1.0), 0.0, 1.0))


def _ks_exact_sf(d: float, n: int, m: int) -> float:
    """P(D >= d) under H0 by counting monotone lattice paths that stay strictly inside the band."""
    if n > m:
        n, m = m, n
    h = round(d * n * m)  # D is a multiple of 1/(n m): |i m - j n| / (n m)
    if h <= 0:
        return 1.0
    j = np.arange(m + 1)
    u = np.where(j * n < h, 1.0, 0.0)  # row i = 0: only horizontal moves
    log_scale = 0.0
    for i in range(1, n + 1):
        inside = np.abs(i * m - j * n) < h
        lo = int(np.argmax(inside))
        u = np.where(inside, np.cumsum(np.where(j >= lo, u, 0.0)), 0.0)
        top = u.max()
        if top == 0.0:
            return 1.0
        u /= top
        log_scale += math.log(top)
    if u[m] == 0.0:
        return 1.0
    log_total = math.lgamma(n + m + 1) - math.lgamma(n + 1) - math.lgamma(m + 1)
    inside_prob = math.exp(math.log(u[m]) + log_scale - log_total)
    return min(1.0, max(0.0, 1.0 - inside_prob))


def chi2_sf(x: float, df: float) -> float:
    """P(X > x) for a chi-squared variable with `df` degrees of freedom."""
    if df <= 0:
        raise ValueError("df must be positive")
    if x <= 0:
        return 1.0
    return gamma_q(df / 2.0, x / 2.0)


def gamma_q(a: float, x: float) -> float:
    """Regularised upper incomplete gamma Q(a, x): series below ``a + 1``, continued fraction above."""
    if x <= 0:
        return 1.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        term = total = 1.0 / a
        k = a
        for _ in range(10_000):
            k += 1.0
            term *= x / k
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    # Modified Lentz evaluation of the continued fraction for Q.
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    dd = 1.0 / b
    h = dd
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        dd = an * dd + b
        dd = tiny if abs(dd) < tiny else dd
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        dd = 1.0 / dd
        delta = dd * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)


def chi2_homogeneity(ref_counts: np.ndarray, win_counts: np.ndarray) -> tuple[float, float, int]:
    """Pearson chi-squared test that two count vectors over the same bins share one distribution.

    Returns ``(statistic, p_value, df)``. Bins empty on both sides are ignored;
    a bin seen only in the window (an unseen category) has a positive expected
    reference count and so adds to the statistic.
    """
    table = np.vstack([ref_counts, win_counts]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    df = table.shape[1] - 1
    if df < 1 or np.any(table.sum(axis=1) == 0):
        return 0.0, 1.0, max(df, 0)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    stat = float(((table - expected) ** 2 / expected).sum())
    return stat, chi2_sf(stat, df), df


def psi(ref_frac: np.ndarray, win_frac: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """Population stability index ``sum (w - r) ln(w / r)`` over the bins (last axis).

    Fractions are floored at `eps` so that empty bins stay finite.
    """
    r = np.maximum(np.asarray(ref_frac, dtype=np.float64), eps)
    w = np.maximum(np.asarray(win_frac, dtype=np.float64), eps)
    return np.sum((w - r) * np.log(w / r), axis=-1)


def bonferroni(p: np.ndarray) -> np.ndarray:
    """Bonferroni-adjusted p-values ``min(1, k p)`` (controls the family-wise error rate)."""
    p = np.asarray(p, dtype=np.float64)
    return np.minimum(1.0, p * len(p))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (controls the false discovery rate).

    The smallest adjusted value is Simes' p-value for the global null, so
    "any adjusted p < alpha" has family-wise error at most alpha when no
    feature drifts (under independence or positive dependence).
    """
    p = np.asarray(p, dtype=np.float64)
    k = len(p)
    if k == 0:
        return p.copy()
    order = np.argsort(p)
    scaled = p[order] * k / np.arange(1, k + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(k)
    out[order] = np.minimum(1.0, adjusted)
    return out


def adjust(p: np.ndarray, correction: str) -> np.ndarray:
    """Apply the named multiple-testing correction: 'bonferroni', 'bh' or 'none'."""
    if correction == "bonferroni":
        return bonferroni(p)
    if correction == "bh":
        return benjamini_hochberg(p)
    if correction == "none":
        return np.asarray(p, dtype=np.float64).copy()
    raise ValueError(f"correction must be 'bonferroni', 'bh' or 'none', got {correction!r}")
