"""The gate's live performance check on labelled predictions, and its two settings."""

import pytest

from ai4mlops_lab.errors import FieldError
from ai4mlops_lab.registry import gate


def live(stable, candidate, higher=True):
    return {"metric": "accuracy", "higher": higher, "stable": stable, "candidate": candidate}


def policy(**change):
    return gate.changed_policy(gate.DEFAULT_POLICY, change)


def test_no_labels_asked_no_check():
    assert (
        gate.performance_check(policy(), live({"labelled": 0, "value": None}, {"labelled": 0, "value": None})) is None
    )


def test_the_check_waits_for_labels_on_both_sides():
    check = gate.performance_check(
        policy(min_labels=50), live({"labelled": 80, "value": 0.9}, {"labelled": 10, "value": 0.2})
    )
    assert check["passed"] is None and check["detail"] == "waiting for labels: 10 (candidate) and 80 (stable) of 50"
    assert gate.verdict([check])["verdict"] == "waiting"


def test_a_drop_within_the_allowance_passes_and_beyond_it_fails():
    allowed = policy(min_labels=50, max_metric_drop=0.05)
    assert gate.performance_check(allowed, live({"labelled": 60, "value": 0.9}, {"labelled": 60, "value": 0.86}))[
        "passed"
    ]
    failed = gate.performance_check(allowed, live({"labelled": 60, "value": 0.9}, {"labelled": 60, "value": 0.8}))
    assert failed["passed"] is False and "worse than the allowed drop of 0.05" in failed["detail"]
    lower_better = gate.performance_check(
        allowed, live({"labelled": 60, "value": 1.0}, {"labelled": 60, "value": 1.2}, False)
    )
    assert lower_better["passed"] is False


def test_bad_settings_name_themselves():
    for change, field in (({"min_labels": 2.5}, "min_labels"), ({"max_metric_drop": -1}, "max_metric_drop")):
        with pytest.raises(FieldError) as err:
            policy(**change)
        assert err.value.field == field
