"""Drift detectors, fitted once on a reference profile and then called once per window.

- ``FeatureDetector``: one test per feature (KS for numeric, chi-squared on the
  category counts for categorical), PSI next to each p-value as effect size, and
  a multiple-testing correction across the features.
- ``MMDDetector``: one joint test over the numeric features (RBF-kernel MMD with
  a permutation test on a precomputed kernel).
- ``DriftDetector``: runs one or both and gives the overall verdict.

Overall verdict. Each family gives one p-value for "nothing drifted": the
smallest corrected per-feature p-value (Bonferroni: family-wise error <= alpha;
Benjamini-Hochberg: its smallest adjusted p-value is Simes' global test, so the
family-wise error is <= alpha too when nothing drifts), and the MMD
permutation p-value. With both families the two are combined by Bonferroni:
``p = min(1, 2 * min(p_features, p_mmd))``, i.e. each family is judged at
alpha / 2. Drift iff ``p < alpha``, so the false-alarm rate of the verdict stays
at most alpha, and a feature (or the MMD test) is flagged iff it alone would
make the verdict drift.

That guarantee is over the draw of reference and window together. All windows
of a deployment share one reference, whose own sampling noise they all see, so
the rate one deployment experiences varies around alpha from reference to
reference; a reference several times larger than the window (default: up to
5,000 reference rows against windows of 500) keeps that variation small.
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np

from . import stats
from .mmd import Backend, ReferenceKernel, mmd_permutation_test
from .profile import CATEGORICAL, NUMERIC, ReferenceProfile
from .results import INSUFFICIENT, OK, DriftResult, FeatureResult, MultivariateResult

#: A category whose expected window count is below this is pooled into one "other" bin
#: (with the categories the reference never saw), so the chi-squared approximation holds.
MIN_EXPECTED = 5.0

METHODS = ("features", "mmd", "both")


class FeatureDetector:
    """Per-feature two-sample tests against the reference, with a multiple-testing correction.

    Precomputed at construction: the sorted reference columns (KS), the
    reference decile edges and bin fractions (PSI), the reference category
    counts (chi-squared). NaNs / missing values are dropped per feature and
    counted in ``n_missing``; a feature with fewer than `min_rows` values left
    gets status ``insufficient_data`` and takes no part in the correction.
    """

    def __init__(
        self, profile: ReferenceProfile, correction: str = "bonferroni", min_rows: int = 10, psi_bins: int = 10
    ):
        stats.adjust(np.zeros(0), correction)  # validates the name
        self.profile = profile
        self.correction = correction
        self.min_rows = min_rows
        self._sorted = stats.SortedColumns.from_array(profile.numeric)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column has no deciles
            qs = np.arange(1, psi_bins) / psi_bins
            self._edges = np.nanquantile(profile.numeric, qs, axis=0).T.reshape(self._sorted.width, len(qs))
        self._ref_bins = _bin_fractions(self._sorted, self._edges)
        self._categories = [Counter(v for v in labels if v is not None) for labels in profile.categorical]

    def test(self, window, alpha: float = 0.05) -> list[FeatureResult]:
        """Test every feature of `window` (rows x features); flag those with adjusted p < alpha."""
        return self.test_split(*self.profile.split(window), alpha=alpha)

    def test_split(self, numeric: np.ndarray, categorical: list, alpha: float) -> list[FeatureResult]:
        """`test` on a window already split by ``ReferenceProfile.split``."""
        num = iter(self._numeric_results(numeric))
        cat = iter(
            self._categorical_result(name, labels, ref)
            for name, labels, ref in zip(self.profile.categorical_names, categorical, self._categories)
        )
        results = [next(num) if kind == NUMERIC else next(cat) for kind in self.profile.kinds]
        tested = [r for r in results if r.status == OK]
        if tested:
            adjusted = stats.adjust(np.array([r.p_value for r in tested]), self.correction)
            for r, q in zip(tested, adjusted):
                r.adjusted_p_value = float(q)
                r.drift = bool(q < alpha)
        return results

    @staticmethod
    def family_p_value(results: list[FeatureResult]) -> float | None:
        """The smallest adjusted p-value: the features family's p-value for "nothing drifted"."""
        adjusted = [r.adjusted_p_value for r in results if r.adjusted_p_value is not None]
        return min(adjusted) if adjusted else None

    def _numeric_results(self, x: np.ndarray) -> list[FeatureResult]:
        window = stats.SortedColumns.from_array(x)
        d = stats.ks_statistic(self._sorted, window)
        m_valid = window.counts
        p = stats.ks_pvalue(d, self._sorted.counts, m_valid)
        effect = stats.psi(self._ref_bins, _bin_fractions(window, self._edges))
        out = []
        for j, name in enumerate(self.profile.numeric_names):
            r = FeatureResult(name, NUMERIC, "ks", n=int(m_valid[j]), n_missing=int(len(x) - m_valid[j]))
            if m_valid[j] < self.min_rows or self._sorted.counts[j] < self.min_rows:
                r.status = INSUFFICIENT
            else:
                r.statistic, r.p_value, r.effect_size = float(d[j]), float(p[j]), float(effect[j])
            out.append(r)
        return out

    def _categorical_result(self, name: str, labels: list, ref: Counter) -> FeatureResult:
        win = Counter(v for v in labels if v is not None)
        m = sum(win.values())
        unseen = sum(c for v, c in win.items() if v not in ref)
        r = FeatureResult(name, CATEGORICAL, "chi2", n=m, n_missing=len(labels) - m, n_unseen=unseen)
        n_ref = sum(ref.values())
        if m < self.min_rows or n_ref < self.min_rows:
            r.status = INSUFFICIENT
            return r
        kept = [v for v, c in ref.items() if c * m / n_ref >= MIN_EXPECTED]
        ref_counts = np.array([ref[v] for v in kept] + [n_ref - sum(ref[v] for v in kept)], dtype=np.float64)
        win_counts = np.array([win[v] for v in kept] + [m - sum(win[v] for v in kept)], dtype=np.float64)
        r.statistic, r.p_value, _ = stats.chi2_homogeneity(ref_counts, win_counts)
        r.effect_size = float(stats.psi(ref_counts / n_ref, win_counts / m))
        return r


class MMDDetector:
    """Joint two-sample test over the numeric features: RBF-kernel MMD with a permutation test.

    Fitted once: features are standardised with the reference mean and standard
    deviation (constant features get scale 1), optionally mapped by a seeded
    Gaussian random projection to `projection_dim` dimensions, and a random
    subsample of `n_reference` complete reference rows is kept together with its
    kernel block and the median-heuristic bandwidth (median pairwise distance of
    that subsample, unless `bandwidth` is given). Per window, rows with a missing
    value are dropped and at most `max_window` random rows are used, so the
    pooled kernel is at most (n_reference + max_window)^2.
    """

    method = "mmd"

    def __init__(
        self,
        profile: ReferenceProfile,
        n_permutations: int = 100,
        n_reference: int = 1000,
        max_window: int = 1000,
        projection_dim: int | None = None,
        bandwidth: float | None = None,
        backend: str = "auto",
        seed: int = 0,
        min_rows: int = 10,
    ):
        self.profile = profile
        x = profile.numeric
        if x.shape[1] == 0:
            raise ValueError("the MMD test needs at least one numeric feature")
        if n_permutations < 1:
            raise ValueError("n_permutations must be at least 1")
        self.n_permutations, self.max_window, self.min_rows = n_permutations, max_window, min_rows
        self._rng = np.random.default_rng(seed)
        x = x[~np.isnan(x).any(axis=1)]
        if len(x) < min_rows:
            raise ValueError(f"the reference has {len(x)} complete numeric rows, the MMD test needs {min_rows}")
        self._mean = x.mean(axis=0)
        std = x.std(axis=0)
        self._scale = np.where(std > 0, std, 1.0)
        self._projection = None
        if projection_dim is not None and projection_dim < x.shape[1]:
            k = projection_dim
            self._projection = self._rng.normal(size=(x.shape[1], k)) / np.sqrt(k)
        if len(x) > n_reference:
            x = x[self._rng.choice(len(x), size=n_reference, replace=False)]
        self._kernel = ReferenceKernel.fit(self._embed(x), Backend.get(backend), bandwidth)
        self.bandwidth = self._kernel.bandwidth
        self.n_reference = len(x)
        self.backend = self._kernel.backend.name

    def _embed(self, x: np.ndarray) -> np.ndarray:
        z = (x - self._mean) / self._scale
        return z if self._projection is None else z @ self._projection

    def test(self, window, alpha: float = 0.05) -> MultivariateResult:
        """Test `window` (rows x features) against the reference."""
        return self.test_numeric(self.profile.split(window)[0], alpha)

    def test_numeric(self, x: np.ndarray, alpha: float = 0.05) -> MultivariateResult:
        """Test the numeric block of a window (rows x numeric features)."""
        x = x[~np.isnan(x).any(axis=1)]
        if len(x) > self.max_window:
            x = x[self._rng.choice(len(x), size=self.max_window, replace=False)]
        if len(x) < self.min_rows:
            return MultivariateResult(self.method, None, None, len(x), self.n_reference, status=INSUFFICIENT)
        stat, p = mmd_permutation_test(self._kernel, self._embed(x), self.n_permutations, self._rng)
        return MultivariateResult(self.method, stat, p, len(x), self.n_reference, drift=p < alpha)


class DriftDetector:
    """The per-window drift check: the feature tests, the MMD test, or both (see the module doc)."""

    def __init__(
        self,
        profile: ReferenceProfile,
        method: str = "features",
        alpha: float = 0.05,
        correction: str = "bonferroni",
        min_rows: int = 10,
        n_permutations: int = 100,
        mmd_reference: int = 1000,
        mmd_max_window: int = 1000,
        projection_dim: int | None = None,
        backend: str = "auto",
        seed: int = 0,
    ):
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {alpha}")
        self.profile, self.method, self.alpha, self.min_rows = profile, method, alpha, min_rows
        self.features = FeatureDetector(profile, correction, min_rows) if method != "mmd" else None
        self.mmd = None
        if method != "features":
            self.mmd = MMDDetector(
                profile, n_permutations, mmd_reference, mmd_max_window, projection_dim, None, backend, seed, min_rows
            )
        self.settings = {
            "method": method,
            "alpha": alpha,
            "correction": correction if self.features else None,
            "min_rows": min_rows,
            "n_permutations": n_permutations if self.mmd else None,
            "mmd_reference": self.mmd.n_reference if self.mmd else None,
            "mmd_max_window": mmd_max_window if self.mmd else None,
            "bandwidth": self.mmd.bandwidth if self.mmd else None,
            "projection_dim": projection_dim if self.mmd else None,
            "backend": self.mmd.backend if self.mmd else None,
            "seed": seed,
        }

    def detect(self, window, bounds: dict | None = None) -> DriftResult:
        """Check one window (rows x features); `bounds` (e.g. ``Window.bounds()``) is stored as is."""
        return self.detect_split(*self.profile.split(window), bounds=bounds)

    def detect_split(self, numeric: np.ndarray, categorical: list, bounds: dict | None = None) -> DriftResult:
        """`detect` on a window already split by ``ReferenceProfile.split``."""
        n = len(numeric)
        result = DriftResult(dict(bounds or {}), n, drift=False, p_value=None, settings=dict(self.settings))
        if n < self.min_rows:
            result.status = INSUFFICIENT
            return result
        families = (self.features is not None) + (self.mmd is not None)
        family_alpha = self.alpha / families
        p_values = []
        if self.features is not None:
            result.features = self.features.test_split(numeric, categorical, family_alpha)
            p_values.append(FeatureDetector.family_p_value(result.features))
        if self.mmd is not None:
            result.multivariate = self.mmd.test_numeric(numeric, family_alpha)
            p_values.append(result.multivariate.p_value)
        tested = [p for p in p_values if p is not None]
        if not tested:
            result.status = INSUFFICIENT
            return result
        result.p_value = min(1.0, families * min(tested))
        result.drift = result.p_value < self.alpha
        return result


def _bin_fractions(columns: stats.SortedColumns, edges: np.ndarray) -> np.ndarray:
    """Fraction of each column's values in the bins cut at `edges` (d, k), as (d, k + 1);
    bin b is ``[edges[b - 1], edges[b])``. NaN for a column without values."""
    n = columns.counts[:, None]
    below = np.concatenate([np.zeros_like(n), columns.count_below(edges), n], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diff(below, axis=1) / n
