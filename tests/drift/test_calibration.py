"""False-alarm rate and power of the overall verdict, seeded.

A p-value is calibrated over the draw of both samples, so every null window
is tested against a freshly drawn reference: the rates measured here are the
ones the tests guarantee. (Against one fixed reference the realised rate varies
from reference to reference around alpha: the reference's own sampling noise is
shared by all its windows.)
"""

import math

import numpy as np
import pytest

from ai4mlops_lab.monitoring.detectors import DriftDetector
from ai4mlops_lab.monitoring.profile import ReferenceProfile

ALPHA = 0.05
D = 10
N_REF = 5000


def bound(n_windows):
    """alpha plus 2.5 binomial standard errors."""
    return ALPHA + 2.5 * math.sqrt(ALPHA * (1 - ALPHA) / n_windows)


def false_alarm_rate(method, correction, n_windows, m, seed, **kw):
    rng = np.random.default_rng(seed)
    alarms = 0
    for i in range(n_windows):
        profile = ReferenceProfile.from_array(rng.normal(size=(N_REF, D)))
        det = DriftDetector(profile, method, ALPHA, correction, seed=i, **kw)
        alarms += det.detect(rng.normal(size=(m, D))).drift
    return alarms / n_windows


def power(det, n_windows, m, shift, seed):
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(n_windows):
        x = rng.normal(size=(m, D))
        x[:, :3] += shift
        hits += det.detect(x).drift
    return hits / n_windows


@pytest.mark.parametrize("correction", ["bonferroni", "bh"])
def test_feature_tests_false_alarm_rate(correction):
    n = 300
    assert false_alarm_rate("features", correction, n, m=1000, seed=11) <= bound(n)


def test_mmd_false_alarm_rate():
    n = 120
    rate = false_alarm_rate("mmd", "bonferroni", n, m=500, seed=12, n_permutations=50, mmd_reference=500)
    assert rate <= bound(n)


def test_combined_false_alarm_rate():
    n = 120
    rate = false_alarm_rate("both", "bh", n, m=500, seed=13, n_permutations=50, mmd_reference=500)
    assert rate <= bound(n)


@pytest.fixture(scope="module")
def reference_profile():
    return ReferenceProfile.from_array(np.random.default_rng(14).normal(size=(N_REF, D)))


@pytest.mark.parametrize(
    "method,correction", [("features", "bonferroni"), ("features", "bh"), ("mmd", "bonferroni"), ("both", "bh")]
)
def test_power_for_a_small_mean_shift(reference_profile, method, correction):
    """0.2 standard deviations in the mean of 3 of 10 features, windows of 1000 rows."""
    det = DriftDetector(reference_profile, method, ALPHA, correction, n_permutations=100)
    assert power(det, 50, m=1000, shift=0.2, seed=15) >= 0.9


def test_categorical_false_alarm_rate_and_power():
    cats = np.array(["a", "b", "c", "d", "e"], dtype=object)
    p_ref = [0.4, 0.25, 0.2, 0.1, 0.05]
    p_new = [0.34, 0.25, 0.22, 0.12, 0.07]
    rng = np.random.default_rng(16)

    def table(n, p):
        return np.column_stack([rng.choice(cats, size=n, p=p) for _ in range(3)])

    n, alarms = 300, 0
    for _ in range(n):
        det = DriftDetector(ReferenceProfile.from_array(table(N_REF, p_ref)))
        alarms += det.detect(table(1000, p_ref)).drift
    assert alarms / n <= bound(n)
    det = DriftDetector(ReferenceProfile.from_array(table(N_REF, p_ref)))
    assert np.mean([det.detect(table(1000, p_new)).drift for _ in range(50)]) >= 0.9
