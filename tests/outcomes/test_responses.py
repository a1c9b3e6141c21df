"""Predictions read from logged answers: one per row, keyed as the policy says, classes from scores."""

import json

import numpy as np
import pytest

from ai4mlops_lab.monitoring.outcome_policy import OutcomePolicy
from ai4mlops_lab.monitoring.payloads import UndecodableRequest
from ai4mlops_lab.monitoring.responses import exchange_predictions


def exchange(request, response, ce_id="ce-1", endpoint="default", source="http://x/deployments/d/versions/v2"):
    return {
        "id": 9,
        "ce_id": ce_id,
        "endpoint": endpoint,
        "source": source,
        "event_ts": 100.0,
        "request": json.dumps(request).encode(),
        "response": json.dumps(response).encode(),
    }


V2_REQUEST = {"id": "req-7", "inputs": [{"name": "x", "shape": [2, 1], "datatype": "FP32", "data": [1, 2]}]}


def test_v2_answers_give_the_likeliest_class_keyed_by_the_request_id_per_row():
    response = {
        "id": "req-7",
        "outputs": [{"name": "o", "shape": [2, 3], "datatype": "FP32", "data": [0.1, 3.0, 0.2, 2.0, 0.0, 0.1]}],
    }
    rows = exchange_predictions(exchange(V2_REQUEST, response), OutcomePolicy(), "classification")
    assert [(r["key"], r["value"], r["version"], r["row"]) for r in rows] == [
        ("req-7/0", 1.0, "v2", 0),
        ("req-7/1", 0.0, "v2", 1),
    ]
    assert np.allclose([sum(r["scores"]) for r in rows], 1.0, atol=1e-5)


def test_v1_answers_are_keyed_by_the_ce_id_and_a_shadow_loses_its_suffix():
    one = exchange({"instances": [[1.0]]}, {"predictions": [[0.2, 0.8]]}, ce_id="abc.shadow", endpoint="shadow")
    (row,) = exchange_predictions(one, OutcomePolicy(), "classification")
    assert (row["key"], row["endpoint"], row["value"]) == ("abc", "shadow", 1.0)
    assert row["scores"] == [0.2, 0.8]


def test_a_request_field_keys_each_row_and_must_match_the_rows():
    policy = OutcomePolicy().updated({"id_source": "field", "id_field": "ids"})
    request = {"instances": [[1.0], [2.0]], "ids": ["u1", "u2"]}
    rows = exchange_predictions(exchange(request, {"predictions": [1.5, 2.5]}), policy, "regression")
    assert [(r["key"], r["value"], r["scores"]) for r in rows] == [("u1", 1.5, None), ("u2", 2.5, None)]
    with pytest.raises(UndecodableRequest, match="2 rows"):
        exchange_predictions(exchange({**request, "ids": ["u1"]}, {"predictions": [1, 2]}), policy, "regression")


def test_unreadable_answers_say_why():
    policy = OutcomePolicy()
    for response, reason in (
        ({"foo": 1}, "neither"),
        ({"predictions": [[1, 2], [3]]}, "rows of one length"),
        ({"predictions": [[1.0, 2.0]]}, "regressor gives one"),
    ):
        with pytest.raises(UndecodableRequest, match=reason):
            exchange_predictions(exchange({"instances": [[1]]}, response), policy, "regression")
    with pytest.raises(UndecodableRequest, match="not an id"):
        exchange_predictions(
            exchange({**V2_REQUEST, "id": True}, {"predictions": [[1.0]]}),
            OutcomePolicy().updated({"id_source": "v2_id"}),
            "regression",
        )
