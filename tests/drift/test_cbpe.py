"""CBPE on synthetic models whose true probabilities are known: labels are drawn from them, so the realized
performance of each window is the estimate's target."""

import json

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from ai4mlops_lab.errors import FieldError, UserError
from ai4mlops_lab.monitoring.cbpe import CBPE, Isotonic
from ai4mlops_lab.monitoring.performance import classification_metrics


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Model:
    """Inputs x ~ N(shift, spread) in 2-D; true P(class | x) = softmax(x @ W); the model reports
    softmax(confidence * x @ W) (confidence 1: calibrated, > 1: overconfident)."""

    def __init__(self, k, confidence=1.0, seed=0):
        self.w = np.random.default_rng(seed).normal(size=(2, k)) * 1.5
        self.k = k
        self.confidence = confidence

    def window(self, rng, n, spread=1.5, shift=0.0):
        logits = (rng.normal(size=(n, 2)) * spread + shift) @ self.w
        truth = softmax(logits)
        labels = (rng.random((n, 1)) > np.cumsum(truth, axis=1)[:, :-1]).sum(axis=1)
        scores = softmax(self.confidence * logits)
        if self.k == 2:
            scores = scores[:, 1]  # a binary model's P(class 1)
        return scores, labels


def realized(scores, labels):
    p = np.column_stack([1 - scores, scores]) if scores.ndim == 1 else scores
    return classification_metrics(labels, p.argmax(axis=1), p)


def errors(model, estimator, rng, windows=10, n=2000, **shape):
    """Estimated minus realized value of each metric per window, and the sampling errors."""
    out = []
    for _ in range(windows):
        scores, labels = model.window(rng, n, **shape)
        est, real = estimator.estimate(scores), realized(scores, labels)
        metrics = [m for m in ("accuracy", "f1_macro", "roc_auc") if est[m] is not None]
        out.append({m: (est[m] - real[m], est["sampling_error"][m]) for m in metrics})
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_isotonic_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.random(3000), 2 + seed % 2)  # ties
    y = (rng.random(3000) < x**2).astype(float)
    ours = Isotonic.fit(x, y)
    theirs = IsotonicRegression(out_of_bounds="clip").fit(x, y)
    grid = np.linspace(-0.2, 1.2, 2001)
    np.testing.assert_allclose(ours(grid), theirs.predict(grid), atol=1e-12)
    assert ours.y.min() >= 0 and ours.y.max() <= 1 and np.all(np.diff(ours.y) >= 0)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("seed", [0, 1])
def test_estimates_match_realized_per_window(k, seed):
    model = Model(k, seed=seed)
    rng = np.random.default_rng(100 + seed)
    estimator = CBPE.fit(*model.window(rng, 20_000))
    for window in errors(model, estimator, rng):
        for metric, (error, sampling_error) in window.items():
            assert abs(error) < max(4 * sampling_error, 0.005), (metric, error, sampling_error)
            assert abs(error) < 0.04, (metric, error)


def test_sampling_error_is_the_spread_of_realized_around_estimate():
    model = Model(2, seed=4)
    rng = np.random.default_rng(4)
    estimator = CBPE.fit(*model.window(rng, 20_000))
    runs = errors(model, estimator, rng, windows=300, n=500)
    for metric in ("accuracy", "f1_macro", "roc_auc"):
        error = np.array([w[metric][0] for w in runs])
        band = np.array([w[metric][1] for w in runs])
        assert np.std(error) == pytest.approx(np.mean(band), rel=0.2), metric
        assert abs(np.mean(error)) < 3 * np.std(error) / np.sqrt(len(error)) + 0.002, metric


@pytest.mark.parametrize("k", [2, 3])
def test_shift_that_lowers_confidence_lowers_the_estimate(k):
    model = Model(k, seed=5)
    rng = np.random.default_rng(5)
    estimator = CBPE.fit(*model.window(rng, 20_000))
    scores, labels = model.window(rng, 3000, spread=0.3)  # inputs crowd where classes overlap
    est, real = estimator.estimate(scores), realized(scores, labels)
    assert est["accuracy"] < estimator.reference["accuracy"] - 0.1
    assert real["accuracy"] < estimator.reference["accuracy"] - 0.1
    assert est["accuracy"] == pytest.approx(real["accuracy"], abs=4 * est["sampling_error"]["accuracy"])


@pytest.mark.parametrize("k", [2, 3])
def test_calibration_fixes_overconfident_scores(k):
    model = Model(k, confidence=3.0, seed=6)
    rng = np.random.default_rng(6)
    estimator = CBPE.fit(*model.window(rng, 20_000))
    assert all(c is not None for c in estimator.calibrators)
    for _ in range(5):
        scores, labels = model.window(rng, 3000, spread=0.8)
        p = np.column_stack([1 - scores, scores]) if k == 2 else scores
        naive = p.max(axis=1).mean()  # expected accuracy if the scores were probabilities
        est, real = estimator.estimate(scores), realized(scores, labels)
        assert naive - real["accuracy"] > 0.05
        assert est["accuracy"] == pytest.approx(real["accuracy"], abs=0.025)


def test_calibrated_scores_are_mostly_left_alone():
    model = Model(2, seed=7)
    rng = np.random.default_rng(7)
    estimator = CBPE.fit(*model.window(rng, 20_000))
    scores = model.window(rng, 1000)[0]
    calibrated = estimator.calibrate(np.column_stack([1 - scores, scores]))[:, 1]
    assert np.abs(calibrated - scores).mean() < 0.02


def test_expected_confusion_matrix_adds_up():
    model = Model(3, seed=8)
    rng = np.random.default_rng(8)
    estimator = CBPE.fit(*model.window(rng, 5000))
    scores, labels = model.window(rng, 1000)
    est = estimator.estimate(scores)
    confusion = np.array(est["confusion_matrix"])
    assert confusion.shape == (3, 3) and confusion.sum() == pytest.approx(1000)
    np.testing.assert_allclose(confusion.sum(axis=0), np.bincount(scores.argmax(axis=1), minlength=3))
    assert np.trace(confusion) / 1000 == pytest.approx(est["accuracy"])
    assert np.array(est["sampling_error"]["confusion_matrix"]).shape == (3, 3)


def test_given_predictions_are_used():
    model = Model(2, seed=9)
    rng = np.random.default_rng(9)
    scores, labels = model.window(rng, 5000)
    estimator = CBPE.fit(scores, labels, predicted=np.zeros(5000, dtype=int))
    assert estimator.reference["accuracy"] == pytest.approx(np.mean(labels == 0))
    window = model.window(rng, 2000)[0]
    always_zero = estimator.estimate(window, predicted=np.zeros(2000, dtype=int))
    calibrated = estimator.calibrate(np.column_stack([1 - window, window]))
    assert always_zero["accuracy"] == pytest.approx(calibrated[:, 0].mean())


@pytest.mark.parametrize("k", [2, 4])
def test_state_round_trip_gives_identical_estimates(k):
    model = Model(k, confidence=2.0, seed=10)
    rng = np.random.default_rng(10)
    estimator = CBPE.fit(*model.window(rng, 8000))
    restored = CBPE.from_state(json.loads(json.dumps(estimator.state())))
    scores = model.window(rng, 1500, shift=0.5)[0]
    assert restored.estimate(scores) == estimator.estimate(scores)
    assert restored.reference == estimator.reference
    assert estimator.estimate(scores) == estimator.estimate(scores)  # the band is seeded


def test_unusable_reference_is_refused_with_what_to_do():
    rng = np.random.default_rng(11)
    scores = rng.random(100)
    with pytest.raises(FieldError) as e:
        CBPE.fit(scores, np.ones(100, dtype=int))
    assert e.value.field == "labels" and "one class" in e.value.message and e.value.hint
    with pytest.raises(FieldError) as e:
        CBPE.fit(scores, np.ones(99, dtype=int))
    assert e.value.field == "labels" and "100" in e.value.message
    with pytest.raises(FieldError) as e:
        CBPE.fit(scores, np.full(100, 2))
    assert e.value.field == "labels" and e.value.hint
    with pytest.raises(FieldError) as e:
        CBPE.fit(np.empty((0, 3)), np.empty(0, dtype=int))
    assert e.value.field == "probabilities"


def test_window_of_another_model_is_refused():
    rng = np.random.default_rng(12)
    estimator = CBPE.fit(rng.random(200), (rng.random(200) < 0.5).astype(int))
    with pytest.raises(FieldError) as e:
        estimator.estimate(softmax(rng.normal(size=(10, 3))))
    assert e.value.field == "predictions"
    with pytest.raises(UserError):
        CBPE.from_state({**estimator.state(), "version": 99})
