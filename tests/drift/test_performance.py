"""Realized performance metrics equal scikit-learn's on the same rows."""

import numpy as np
import pytest
from sklearn import metrics

from ai4mlops_lab.errors import FieldError
from ai4mlops_lab.monitoring.performance import (
    HIGHER_IS_BETTER,
    classification_metrics,
    probabilities,
    regression_metrics,
)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def window(seed, k, n=700, decimals=None):
    """Labels drawn from the model's probabilities, predictions the most probable class (sometimes another)."""
    rng = np.random.default_rng(seed)
    p = softmax(rng.normal(scale=1.5, size=(n, k)))
    if decimals is not None:  # binary scores on a coarse grid: many ties
        p1 = np.round(p[:, 1], decimals)
        p = np.column_stack([1 - p1, p1])
    labels = (rng.random((n, 1)) > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1)
    predicted = np.where(rng.random(n) < 0.1, rng.integers(0, k, n), p.argmax(axis=1))
    return labels, predicted, p


def assert_like_sklearn(labels, predicted, p):
    k = p.shape[1]
    got = classification_metrics(labels, predicted, p)
    assert got["accuracy"] == pytest.approx(metrics.accuracy_score(labels, predicted), abs=1e-12)
    f1 = metrics.f1_score(labels, predicted, average="macro", zero_division=0)
    assert got["f1_macro"] == pytest.approx(f1, abs=1e-12)
    assert got["log_loss"] == pytest.approx(metrics.log_loss(labels, p, labels=list(range(k))), rel=1e-12)
    if k == 2:
        assert got["roc_auc"] == pytest.approx(metrics.roc_auc_score(labels, p[:, 1]), abs=1e-12)
    else:
        assert got["roc_auc"] is None


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_classification_metrics_equal_sklearn(seed, k):
    assert_like_sklearn(*window(seed, k))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("decimals", [1, 2])
def test_roc_auc_with_tied_scores_equals_sklearn(seed, decimals):
    labels, predicted, p = window(seed, 2, decimals=decimals)
    assert len(np.unique(p[:, 1])) <= 10**decimals + 1
    assert_like_sklearn(labels, predicted, p)


def test_macro_f1_averages_over_labels_and_predictions():
    # class 3 is only predicted, class 2 only a label: both count, with F1 0
    labels = np.array([0, 0, 1, 1, 2, 2, 0, 1])
    predicted = np.array([0, 1, 1, 1, 0, 3, 0, 3])
    got = classification_metrics(labels, predicted)
    assert got["f1_macro"] == pytest.approx(metrics.f1_score(labels, predicted, average="macro", zero_division=0))
    assert got["roc_auc"] is None and got["log_loss"] is None


def test_probability_columns_follow_named_classes():
    rng = np.random.default_rng(7)
    p1 = rng.random(300)
    labels = np.where(rng.random(300) < p1, "spam", "ham")
    predicted = np.where(p1 > 0.5, "spam", "ham")
    got = classification_metrics(labels, predicted, p1, classes=["ham", "spam"])
    assert got["roc_auc"] == pytest.approx(metrics.roc_auc_score(labels == "spam", p1), abs=1e-12)
    assert got["log_loss"] == pytest.approx(metrics.log_loss(labels, np.column_stack([1 - p1, p1])), rel=1e-12)


def test_roc_auc_needs_both_classes():
    got = classification_metrics([1, 1, 1], [1, 0, 1], [0.9, 0.4, 0.8])
    assert got["roc_auc"] is None
    assert got["log_loss"] == pytest.approx(metrics.log_loss([1, 1, 1], [0.9, 0.4, 0.8], labels=[0, 1]))


def test_log_loss_clips_certain_mistakes_like_sklearn():
    p = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    got = classification_metrics([1, 1, 0], [0, 1, 0], p)
    assert got["log_loss"] == pytest.approx(metrics.log_loss([1, 1, 0], p), rel=1e-12)


def test_probabilities_keeps_probabilities_and_maps_logits():
    rng = np.random.default_rng(3)
    p = softmax(rng.normal(size=(50, 4)))
    assert np.array_equal(probabilities(p), p)
    logits = rng.normal(scale=3, size=(50, 4))
    np.testing.assert_allclose(probabilities(logits), softmax(logits))
    assert probabilities(logits).sum(axis=1) == pytest.approx(np.ones(50))
    s = rng.random(50)
    np.testing.assert_array_equal(probabilities(s), np.column_stack([1 - s, s]))
    np.testing.assert_array_equal(probabilities(s[:, None]), np.column_stack([1 - s, s]))
    z = rng.normal(scale=3, size=50)
    np.testing.assert_allclose(probabilities(z)[:, 1], 1 / (1 + np.exp(-z)))
    # scores in [0, 1] that do not sum to 1 are logits
    np.testing.assert_allclose(probabilities([[0.2, 0.2]]), [[0.5, 0.5]])


def test_probabilities_refuses_nan():
    with pytest.raises(FieldError) as e:
        probabilities([[0.5, np.nan]])
    assert e.value.field == "predictions"


def test_classification_errors_name_the_field():
    with pytest.raises(FieldError) as e:
        classification_metrics([0, 1, 1], [0, 1])
    assert e.value.field == "predicted"
    with pytest.raises(FieldError) as e:
        classification_metrics([0, 1, 2], [0, 1, 1], [0.1, 0.9, 0.8])
    assert e.value.field == "labels" and "2" in e.value.message
    with pytest.raises(FieldError) as e:
        classification_metrics([0, 1], [0, 1], [0.1, 0.9, 0.8])
    assert e.value.field == "probabilities"
    with pytest.raises(FieldError) as e:
        classification_metrics([], [])
    assert e.value.field == "labels"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_regression_metrics_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=500) * 10
    predicted = y + rng.normal(size=500) * (seed + 1)
    got = regression_metrics(y, predicted)
    assert got["mae"] == pytest.approx(metrics.mean_absolute_error(y, predicted), rel=1e-12)
    assert got["rmse"] == pytest.approx(metrics.root_mean_squared_error(y, predicted), rel=1e-12)
    assert got["r2"] == pytest.approx(metrics.r2_score(y, predicted), rel=1e-12)


def test_r2_is_none_for_constant_labels():
    got = regression_metrics([0.1, 0.1, 0.1], [0.1, 0.2, 0.0])
    assert got["r2"] is None
    assert got["mae"] == pytest.approx(metrics.mean_absolute_error([0.1] * 3, [0.1, 0.2, 0.0]))


def test_every_metric_says_which_way_is_better():
    labels, predicted, p = window(0, 2)
    names = set(classification_metrics(labels, predicted, p)) | set(regression_metrics([1.0, 2.0], [1.0, 3.0]))
    assert names == set(HIGHER_IS_BETTER)
    assert not HIGHER_IS_BETTER["log_loss"] and HIGHER_IS_BETTER["roc_auc"]
