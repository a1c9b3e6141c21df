"""Detector behaviour: categorical data, unseen categories, edge cases, results, MMD internals."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ai4mlops_lab.monitoring import mmd
from ai4mlops_lab.monitoring.detectors import DriftDetector, FeatureDetector, MMDDetector
from ai4mlops_lab.monitoring.profile import ReferenceProfile

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def numeric_profile():
    return ReferenceProfile.from_array(np.random.default_rng(0).normal(size=(2000, 4)), ["a", "b", "c", "d"])


def mixed_table(rng, n, p_colour=(0.5, 0.3, 0.2)):
    colour = rng.choice(np.array(["red", "green", "blue"], dtype=object), size=n, p=p_colour)
    rows = np.empty((n, 3), dtype=object)
    rows[:, 0] = rng.normal(size=n)
    rows[:, 1] = colour
    rows[:, 2] = rng.integers(0, 4, size=n)  # small integer codes: categorical by the heuristic
    return rows


def test_mixed_table_kinds_and_no_drift_in_distribution():
    rng = np.random.default_rng(1)
    profile = ReferenceProfile.from_array(mixed_table(rng, 3000), ["amount", "colour", "code"])
    assert profile.kinds == ["numeric", "categorical", "categorical"]
    result = DriftDetector(profile).detect(mixed_table(rng, 800))
    assert [(f.name, f.test) for f in result.features] == [("amount", "ks"), ("colour", "chi2"), ("code", "chi2")]
    assert result.status == "ok" and all(f.p_value is not None and f.effect_size >= 0 for f in result.features)


def test_changed_category_mix_is_detected():
    rng = np.random.default_rng(2)
    det = DriftDetector(ReferenceProfile.from_array(mixed_table(rng, 3000), ["amount", "colour", "code"]))
    result = det.detect(mixed_table(rng, 800, p_colour=(0.3, 0.3, 0.4)))
    assert result.drift
    colour = result.features[1]
    assert colour.drift and colour.adjusted_p_value < 0.05 and colour.effect_size > 0.1


def test_unseen_category_counts_as_drift_evidence():
    rng = np.random.default_rng(3)
    det = DriftDetector(ReferenceProfile.from_array(mixed_table(rng, 3000), ["amount", "colour", "code"]))
    window = mixed_table(rng, 800)
    window[:40, 1] = "purple"
    window[:3, 2] = 17
    result = det.detect(window)
    colour, code = result.features[1], result.features[2]
    assert colour.n_unseen == 40 and colour.drift and result.drift
    assert code.n_unseen == 3 and code.p_value < 0.05


def test_explicit_categorical_list_and_heuristics():
    rows = [[1.5, 2, "x", True], [2.5, 3, "y", False], [3.5, 2, "x", True], [None, 4, None, False]]
    profile = ReferenceProfile.from_array(rows, ["f", "i", "s", "b"])
    assert profile.kinds == ["numeric", "categorical", "categorical", "categorical"]
    forced = ReferenceProfile.from_array(rows, ["f", "i", "s", "b"], categorical=["s", 3])
    assert forced.kinds == ["numeric", "numeric", "categorical", "categorical"]
    wide = ReferenceProfile.from_array(np.arange(100.0)[:, None])  # 100 distinct integers: numeric
    assert wide.kinds == ["numeric"]
    with pytest.raises(ValueError, match="non-numeric"):
        ReferenceProfile.from_array(rows, ["f", "i", "s", "b"], categorical=["i"])


def test_profile_caps_rows_and_summary_is_json():
    x = np.random.default_rng(4).normal(size=(7000, 2))
    profile = ReferenceProfile.from_array(x, max_rows=5000, seed=3)
    assert profile.numeric.shape == (5000, 2) and profile.n_rows == 7000
    again = ReferenceProfile.from_array(x, max_rows=5000, seed=3)
    assert np.array_equal(profile.numeric, again.numeric)
    summary = json.loads(json.dumps(profile.to_dict(), allow_nan=False))
    feat = summary["features"][0]
    assert feat["kind"] == "numeric" and feat["count"] == 5000 and sum(feat["histogram"]["counts"]) == 5000
    assert set(feat["quantiles"]) == {"0.05", "0.25", "0.5", "0.75", "0.95"}
    cats = ReferenceProfile.from_array([["a"], ["b"], ["a"], [None]]).to_dict()["features"][0]
    assert cats["categories"] == {"a": 2, "b": 1} and cats["missing"] == 1


def test_small_window_is_insufficient_data(numeric_profile):
    result = DriftDetector(numeric_profile, "both").detect(np.zeros((5, 4)))
    assert result.status == "insufficient_data" and result.drift is False and result.p_value is None
    assert DriftDetector(numeric_profile).detect([]).status == "insufficient_data"


def test_width_mismatch_names_expected_and_got(numeric_profile):
    with pytest.raises(ValueError, match=r"expected 4 features \(a, b, c, d\), got 3"):
        DriftDetector(numeric_profile).detect(np.zeros((50, 3)))
    with pytest.raises(ValueError, match="2-D"):
        DriftDetector(numeric_profile).detect(np.zeros(50))


def test_nans_are_dropped_per_feature_and_counted(numeric_profile):
    rng = np.random.default_rng(5)
    window = rng.normal(size=(300, 4))
    window[:30, 0] = np.nan
    window[:, 3] = np.nan
    result = DriftDetector(numeric_profile, "both").detect(window)
    a, d = result.features[0], result.features[3]
    assert (a.n, a.n_missing, a.status) == (270, 30, "ok")
    assert (d.n, d.status, d.p_value, d.drift) == (0, "insufficient_data", None, False)
    assert result.multivariate.status == "insufficient_data"  # every row has a missing value
    assert result.status == "ok" and result.p_value is not None


def test_unreadable_numeric_values_count_as_missing(numeric_profile):
    rows = np.random.default_rng(6).normal(size=(100, 4)).astype(object)
    rows[:5, 1] = "n/a"
    result = DriftDetector(numeric_profile).detect(rows)
    assert result.features[1].n_missing == 5


def test_constant_feature():
    rng = np.random.default_rng(7)
    ref = np.column_stack([rng.normal(size=1000), np.full(1000, 2.5)])
    det = DriftDetector(ReferenceProfile.from_array(ref), "both")
    same = det.detect(np.column_stack([rng.normal(size=200), np.full(200, 2.5)]))
    assert same.features[1].statistic == 0.0 and same.features[1].p_value == 1.0 and not same.features[1].drift
    moved = det.detect(np.column_stack([rng.normal(size=200), np.full(200, 3.0)]))
    assert moved.features[1].statistic == 1.0 and moved.features[1].drift and moved.drift


def test_result_round_trips_through_json(numeric_profile):
    det = DriftDetector(numeric_profile, "both", correction="bh", n_permutations=50)
    window = np.random.default_rng(8).normal(size=(200, 4))
    window[0, 0] = np.nan
    result = det.detect(window, {"kind": "count", "start": 0, "end": 200})
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["settings"]["correction"] == "bh" and data["settings"]["n_permutations"] == 50
    assert data["window"] == {"kind": "count", "start": 0, "end": 200}
    assert data["score"] == pytest.approx(1 - data["p_value"])
    assert json.loads(json.dumps(data, allow_nan=False)) == data


def test_overall_verdict_combines_families_by_bonferroni(numeric_profile):
    det = DriftDetector(numeric_profile, "both")
    result = det.detect(np.random.default_rng(9).normal(size=(300, 4)) + [0.0, 0.0, 0.0, 0.4])
    p_features = FeatureDetector.family_p_value(result.features)
    assert result.p_value == pytest.approx(min(1.0, 2 * min(p_features, result.multivariate.p_value)))
    flagged = any(f.drift for f in result.features) or result.multivariate.drift
    assert result.drift == flagged == (result.p_value < 0.05)


def test_bad_settings():
    profile = ReferenceProfile.from_array(np.zeros((20, 1)) + np.arange(20)[:, None] * 0.1)
    with pytest.raises(ValueError, match="method"):
        DriftDetector(profile, "ks")
    with pytest.raises(ValueError, match="correction"):
        DriftDetector(profile, correction="holm")
    with pytest.raises(ValueError, match="numeric"):
        MMDDetector(ReferenceProfile.from_array([["a"]] * 20))


def brute_mmd2(x, y, bandwidth):
    def k(a, b):
        return np.exp(-((a[:, None] - b[None]) ** 2).sum(-1) / (2 * bandwidth**2))

    return k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean()


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_mmd_statistic_and_permutation_p_value(backend):
    if backend == "torch":
        pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    x, y = rng.normal(size=(60, 3)), rng.normal(size=(40, 3)) + 0.5
    be = mmd.Backend.get(backend)
    ref = mmd.ReferenceKernel.fit(x, be, 1.5)
    stat, p = mmd.mmd_permutation_test(ref, y, 200, np.random.default_rng(0))
    assert stat == pytest.approx(brute_mmd2(x, y, 1.5), rel=1e-4)
    # brute-force permutation p-value with fresh kernels per permutation
    pooled, perm_rng = np.vstack([x, y]), np.random.default_rng(1)
    perms = [perm_rng.permutation(100) for _ in range(200)]
    exceed = sum(brute_mmd2(pooled[q[:60]], pooled[q[60:]], 1.5) >= stat for q in perms)
    assert p == pytest.approx((1 + exceed) / 201, abs=0.03)
    assert p < 0.05


def test_mmd_on_identical_constant_data_is_a_tie_not_drift():
    det = MMDDetector(ReferenceProfile.from_array(np.full((300, 2), 0.5)), n_permutations=50)
    assert det.test(np.full((100, 2), 0.5)).p_value == 1.0


def test_mmd_projection_for_wide_inputs():
    rng = np.random.default_rng(11)
    profile = ReferenceProfile.from_array(rng.normal(size=(1500, 60)))
    det = DriftDetector(profile, "mmd", projection_dim=8, mmd_reference=500)
    assert det.mmd._projection.shape == (60, 8) and det.settings["projection_dim"] == 8
    shifted = rng.normal(size=(500, 60)) + 0.3
    assert det.detect(shifted).drift
    assert det.detect(rng.normal(size=(500, 60))).multivariate.p_value > 0.01


def test_median_bandwidth():
    x = np.array([[0.0], [1.0], [3.0]])  # distances 1, 2, 3
    d2 = (x - x.T) ** 2
    assert mmd.median_bandwidth(d2) == pytest.approx(2.0)
    assert mmd.median_bandwidth(np.zeros((4, 4))) == 1.0
    ref = mmd.ReferenceKernel.fit(x, mmd.Backend.get("numpy"))
    assert ref.bandwidth == pytest.approx(2.0) and ref.total == pytest.approx(ref.row_sums.sum())


def test_importing_the_detectors_does_not_import_torch():
    code = (
        "import sys, ai4mlops_lab.monitoring.detectors, ai4mlops_lab.monitoring.windows; print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_backend_choice():
    assert mmd.Backend.get("numpy").name == "numpy"
    with pytest.raises(ValueError, match="backend"):
        mmd.Backend.get("jax")
    torch = pytest.importorskip("torch")
    expected = "torch:cuda" if torch.cuda.is_available() else "numpy"
    assert mmd.Backend.get("auto").name == expected


def test_dataframe_input_takes_column_names():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(12)
    df = pd.DataFrame({"age": rng.normal(40, 10, 1000), "city": rng.choice(["a", "b"], 1000)})
    profile = ReferenceProfile.from_array(df)
    assert (profile.feature_names, profile.kinds) == (["age", "city"], ["numeric", "categorical"])
    assert DriftDetector(profile).detect(df.iloc[:300]).status == "ok"
