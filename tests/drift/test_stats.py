"""Statistics against reference values (computed once with scipy 1.14 / statsmodels and hard-coded)."""

import numpy as np
import pytest

from ai4mlops_lab.monitoring import stats


def wave(n, shift, phase):
    """Deterministic, non-random sample: identical on every platform."""
    i = np.arange(n)
    return np.sin(i * 0.7 + phase) * 2 + np.cos(i * 1.3) * 0.5 + shift


def ks(a, b):
    ref, win = (stats.SortedColumns.from_array(np.asarray(v)[:, None]) for v in (a, b))
    d = stats.ks_statistic(ref, win)
    return d[0], stats.ks_pvalue(d, ref.counts, win.counts)[0]


# (n, m, shift): scipy.stats.ks_2samp(wave(n, 0, 0), wave(m, shift, 1)) statistic and p-value
# (scipy's default method: exact for these sizes).
KS_REFERENCE = [
    (5000, 1000, 0.1, 0.0426, 0.09530370887681307),
    (5000, 1000, 0.0, 0.0152, 0.9896116169213618),
    (2000, 500, 0.15, 0.057, 0.14525618594668685),
    (1000, 1000, 0.05, 0.025, 0.9136894237272155),
    (300, 200, 0.3, 0.12333333333333334, 0.04892309829572868),
    (60, 40, 0.5, 0.21666666666666667, 0.1904559065949674),
    (8, 6, 1.0, 0.5, 0.30169830169830175),
]


@pytest.mark.parametrize("n,m,shift,d_ref,p_ref", KS_REFERENCE)
def test_ks_matches_reference(n, m, shift, d_ref, p_ref):
    d, p = ks(wave(n, 0, 0), wave(m, shift, 1))
    assert d == pytest.approx(d_ref, abs=1e-12)
    exact = n * m <= stats.KS_EXACT_MAX_CELLS
    # exact lattice count: to rounding; asymptotic with Stephens' correction: within 2 %
    assert p == pytest.approx(p_ref, rel=1e-9 if exact else 0.02)


def test_ks_with_ties_matches_reference():
    a = np.repeat(np.arange(5.0), [10, 20, 30, 20, 20])
    b = np.repeat(np.arange(5.0), [5, 5, 10, 10, 20])
    d, p = ks(a, b)
    assert d == pytest.approx(0.2)
    assert p == pytest.approx(0.13304666304580612, rel=1e-9)


def test_ks_is_vectorised_over_columns_and_drops_nans():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(400, 3))
    win = rng.normal(size=(300, 3))
    win[:7, 1] = np.nan
    ref[:5, 2] = np.nan
    sorted_win = stats.SortedColumns.from_array(win)
    d = stats.ks_statistic(stats.SortedColumns.from_array(ref), sorted_win)
    assert sorted_win.counts.tolist() == [300, 293, 300]
    for j in range(3):
        assert d[j] == pytest.approx(ks(ref[:, j], win[:, j][~np.isnan(win[:, j])])[0], abs=1e-12)
    # brute force: sup |F_ref - F_win| over all pooled values
    a, b = ref[:, 0], win[:, 0]
    pooled = np.concatenate([a, b])
    brute = np.max(np.abs((a[:, None] <= pooled).mean(0) - (b[:, None] <= pooled).mean(0)))
    assert d[0] == pytest.approx(brute, abs=1e-12)


def test_ks_column_mismatch_and_empty_columns():
    sorted_ref = stats.SortedColumns.from_array(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="expected 2 columns, got 3"):
        stats.ks_statistic(sorted_ref, stats.SortedColumns.from_array(np.zeros((5, 3))))
    win = stats.SortedColumns.from_array(np.array([[np.nan, 1.0]] * 4))
    d = stats.ks_statistic(sorted_ref, win)
    assert np.isnan(d[0]) and d[1] == 1.0 and win.counts.tolist() == [0, 4]
    assert np.isnan(stats.ks_pvalue(d, [10, 10], win.counts)[0])


def test_count_below():
    cols = stats.SortedColumns.from_array(np.array([[3.0, 1.0], [1.0, np.nan], [2.0, 5.0], [2.0, 2.0]]))
    assert cols.count_below(np.array([[2.0, 3.0], [0.0, 9.0]])).tolist() == [[1, 3], [0, 3]]


@pytest.mark.parametrize(
    "x,ref",
    [
        (0.5, 0.9639452436648751),
        (0.8, 0.5441424115741981),
        (1.0, 0.26999967167735456),
        (1.3581, 0.0499996304316674),
        (1.6276, 0.010001537333060776),
        (2.0, 0.0006709252557796953),
    ],
)
def test_kolmogorov_sf(x, ref):
    assert float(stats.kolmogorov_sf(x)) == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize(
    "x,df,ref",
    [
        (3.841458820694124, 1, 0.05),  # the textbook 5 % critical value
        (11.0705, 5, 0.0499999554280436),
        (0.5, 3, 0.9188914116546758),
        (20.0, 20, 0.4579297144718523),
        (150.0, 100, 0.0009039320423540184),
        (30.0, 80, 0.9999999351095112),
        (1000.0, 3, 1.7994208765314067e-216),
        (2.0, 0.5, 0.06792113201010888),
    ],
)
def test_chi2_sf(x, df, ref):
    assert stats.chi2_sf(x, df) == pytest.approx(ref, rel=1e-9)


def test_chi2_homogeneity_matches_contingency_test():
    stat, p, df = stats.chi2_homogeneity(np.array([400, 300, 200, 100]), np.array([30, 50, 10, 10]))
    assert (stat, df) == (pytest.approx(18.51605758582503), 3)
    assert p == pytest.approx(0.0003441912240945317, rel=1e-9)
    # a category the reference never saw still gives a finite, small p-value
    stat, p, df = stats.chi2_homogeneity(np.array([400, 300, 200, 0]), np.array([30, 50, 10, 3]))
    assert stat == pytest.approx(47.147763131259005) and p == pytest.approx(3.2329474233049917e-10, rel=1e-9)
    assert stats.chi2_homogeneity(np.array([5, 0]), np.array([7, 0]))[1:] == (1.0, 0)


def test_psi():
    assert stats.psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert float(stats.psi([0.5, 0.5], [0.25, 0.75])) == pytest.approx(0.25 * np.log(3), rel=1e-12)
    assert np.isfinite(stats.psi([1.0, 0.0], [0.0, 1.0]))


def test_multiple_testing_corrections():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.2, 0.5])
    # statsmodels multipletests(p, method="fdr_bh")
    assert stats.adjust(p, "bh") == pytest.approx([0.03, 0.06, 0.06, 0.03, 0.24, 0.5])
    assert stats.adjust(p, "bonferroni") == pytest.approx([0.06, 0.24, 0.18, 0.03, 1.0, 1.0])
    assert stats.adjust(p, "none") == pytest.approx(p)
    with pytest.raises(ValueError, match="correction"):
        stats.adjust(p, "holm")
