"""Concept-drift detectors: the detection points frouros documents (ours the same or earlier), no false alarm
on stationary error streams and a bounded delay after a change (bounds from bench/outcomes_detectors.py), a
state that survives JSON and a restart mid-stream, scale-free regression errors, and no alarm when errors fall."""

import json

import numpy as np
import pytest

from ai4mlops_lab.monitoring.concept_drift import METHODS, detector_from_state, make_detector

CHANGE = 1000


def errors_stream(before: float, after: float, seed: int = 31) -> np.ndarray:
    """frouros's docstring stream for DDM/EDDM: 0/1 errors at one rate, then another, from a seeded legacy RNG."""
    np.random.seed(seed)
    return np.concatenate([np.random.binomial(1, before, CHANGE), np.random.binomial(1, after, CHANGE)]).astype(float)


def values_stream() -> np.ndarray:
    """frouros's docstring stream for ADWIN/Page-Hinkley: N(0.2, 0.01) then N(0.8, 0.04)."""
    np.random.seed(31)
    return np.concatenate([np.random.normal(0.2, 0.01, CHANGE), np.random.normal(0.8, 0.04, CHANGE)])


def drifts(found):
    return [index for index, kind in found if kind == "drift"]


def test_ddm_matches_the_points_frouros_documents():
    found = make_detector("ddm").update_many(errors_stream(0.6, 0.8))
    assert drifts(found) == [1131]
    assert min(i for i, kind in found if kind == "warning") == 1049


def test_eddm_drifts_where_frouros_documents():
    assert drifts(make_detector("eddm").update_many(errors_stream(0.6, 0.8))) == [1294]


@pytest.mark.parametrize(("method", "frouros_drift"), [("adwin", 1055), ("page_hinkley", 1094)])
def test_window_and_cumulative_detectors_drift_no_later_than_frouros_and_not_before_the_change(method, frouros_drift):
    found = drifts(make_detector(method).update_many(values_stream()))
    assert found and CHANGE <= found[0] <= frouros_drift


@pytest.mark.parametrize(("method", "max_delay"), [("adwin", 500), ("page_hinkley", 700)])
def test_no_false_alarm_without_a_change_and_a_bounded_delay_after_one(method, max_delay):
    for seed in range(8):
        rng = np.random.default_rng(seed)
        assert drifts(make_detector(method).update_many(rng.binomial(1, 0.2, 3 * CHANGE))) == [], seed
        changed = np.concatenate([rng.binomial(1, 0.2, CHANGE), rng.binomial(1, 0.4, CHANGE)])
        found = drifts(make_detector(method).update_many(changed))
        assert found and CHANGE <= found[0] <= CHANGE + max_delay, (seed, found)


@pytest.mark.parametrize("method", ["ddm", "adwin", "page_hinkley"])  # EDDM false-alarms at any rate (bench)
def test_falling_errors_raise_no_drift(method):
    assert drifts(make_detector(method).update_many(errors_stream(0.5, 0.1))) == []


@pytest.mark.parametrize(
    ("method", "scaled"), [(method, False) for method in METHODS] + [("adwin", True), ("page_hinkley", True)]
)
def test_a_restart_mid_stream_detects_exactly_what_one_pass_does(method, scaled):
    stream = errors_stream(0.6, 0.8)
    whole = make_detector(method, scaled=scaled).update_many(stream)
    detector, found, start = make_detector(method, scaled=scaled), [], 0
    for end in (7, 25, 400, 1003, 1130, 1500, len(stream)):  # batch ends cut the stream at awkward places
        found += [(start + i, kind) for i, kind in detector.update_many(stream[start:end])]
        detector = detector_from_state(json.loads(json.dumps(detector.state())))
        start = end
    assert found == whole


@pytest.mark.parametrize("method", ["adwin", "page_hinkley"])
def test_scaled_detectors_read_errors_in_any_unit_alike(method):
    rng = np.random.default_rng(4)
    errors = np.abs(np.concatenate([rng.normal(0, 1.0, CHANGE), rng.normal(0, 2.0, CHANGE)]))
    in_units = make_detector(method, scaled=True).update_many(errors)
    in_thousands = make_detector(method, scaled=True).update_many(errors * 1000)
    assert in_units == in_thousands
    assert drifts(in_units) and drifts(in_units)[0] >= CHANGE


def test_an_unknown_method_or_a_scaled_binary_one_is_refused():
    with pytest.raises(ValueError, match="adwin"):
        make_detector("magic")
    with pytest.raises(ValueError, match="0/1"):
        make_detector("ddm", scaled=True)
