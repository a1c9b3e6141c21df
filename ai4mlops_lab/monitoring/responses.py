"""Predictions of one logged exchange (a request and its answer): one per row, with the key its label comes by.

Answers are V1 `{"predictions": [...]}` (a value, or a list of scores, per row) or V2 `{"outputs": [tensor, ...]}`
(the tensor the model's signature names as its output, else the first; rows along its first axis), as our model
server and KServe's runtimes (Triton: `model_name`, `model_version`, flat `data`) answer. A classifier's scores
become class probabilities (see `performance.probabilities`) and its prediction the likeliest class; a regressor
gives one value per row.

Keys (see `OutcomePolicy.id_source`): the V2 request's `id` or the events' `Ce-Id` (a shadow's without its
suffix, so that one label joins both versions' answers), or a top-level request field (V2: in `parameters`)
holding one id per row. A batch's rows under one id are keyed `ID/ROW` (0-based).
"""

from __future__ import annotations

import json
import math
from urllib.parse import unquote

import numpy as np

from ..serving.prediction import SHADOW_SUFFIX
from ..store.event_records import TEST_SOURCE_SUFFIX
from .outcome_policy import OutcomePolicy
from .payloads import UndecodableRequest
from .performance import probabilities

#: The end of a logged event's `Ce-Source` that names the version that answered.
_VERSION_MARK = "versions/"


def answer_outputs(body: bytes, output_name: str | None = None) -> np.ndarray:
    """The (rows x outputs) float table of a V1 or V2 answer body; UndecodableRequest says why not.
    `output_name` picks the V2 tensor (default: the first)."""
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UndecodableRequest("the answer is not JSON") from None
    if not isinstance(answer, dict):
        raise UndecodableRequest("the answer is not a JSON object")
    if "predictions" in answer:
        values, rows = (
            answer["predictions"],
            len(answer["predictions"]) if isinstance(answer["predictions"], list) else 0,
        )
    elif isinstance(answer.get("outputs"), list) and answer["outputs"] and isinstance(answer["outputs"][0], dict):
        tensor = next((t for t in answer["outputs"] if t.get("name") == output_name), answer["outputs"][0])
        shape = tensor.get("shape")
        if not isinstance(shape, list) or not shape or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise UndecodableRequest(f"output {tensor.get('name')!r} has no valid shape")
        values, rows = tensor.get("data"), shape[0]
        if np.size(values) != math.prod(shape):
            raise UndecodableRequest(f"output {tensor.get('name')!r} holds a different number of values than its shape")
    else:
        raise UndecodableRequest("the answer has neither 'predictions' (V1) nor 'outputs' (V2)")
    if not rows:
        raise UndecodableRequest("the answer holds no rows")
    try:
        table = np.asarray(values, dtype=np.float64).reshape(rows, -1)
    except (ValueError, TypeError):
        raise UndecodableRequest("the answer's values are not numbers in rows of one length") from None
    if not np.isfinite(table).all():
        raise UndecodableRequest("the answer holds NaN or infinity")
    return table


def row_keys(exchange: dict, rows: int, policy: OutcomePolicy) -> list[str]:
    """The key of each row of an exchange, by the policy's `id_source`."""
    request = _request(exchange)
    if policy.id_source == "field":
        held = request.get(policy.id_field)
        if held is None and isinstance(request.get("parameters"), dict):
            held = request["parameters"].get(policy.id_field)
        if isinstance(held, list):
            if len(held) != rows:
                raise UndecodableRequest(f"field {policy.id_field!r} holds {len(held)} ids for {rows} rows")
            return [_key(k, policy.id_field) for k in held]
        base = _key(held, policy.id_field)
    elif policy.id_source == "ce_id" or (policy.id_source == "auto" and request.get("id") in (None, "")):
        base = exchange["ce_id"].removesuffix(SHADOW_SUFFIX) if exchange["endpoint"] == "shadow" else exchange["ce_id"]
    else:
        base = _key(request.get("id"), "id")
    return [base] if rows == 1 else [f"{base}/{row}" for row in range(rows)]


def exchange_predictions(
    exchange: dict, policy: OutcomePolicy, task: str, output_name: str | None = None
) -> list[dict]:
    """The predictions of one exchange (see `EventStore.exchanges`), one per row, ready for `OutcomeStore`;
    `output_name`: the model's output tensor (see `answer_outputs`)."""
    table = answer_outputs(exchange["response"], output_name)
    keys = row_keys(exchange, len(table), policy)
    if task == "classification":
        probs = probabilities(table)
        values = probs.argmax(axis=1).astype(float)
        scores = [[round(float(p), 6) for p in row] for row in probs]
    else:
        if table.shape[1] != 1:
            raise UndecodableRequest(
                f"the model answers {table.shape[1]} values per row; a regressor gives one (set task: classification)"
            )
        values, scores = table[:, 0], [None] * len(table)
    source = exchange["source"].removesuffix(TEST_SOURCE_SUFFIX)
    version = unquote(source.rsplit(_VERSION_MARK, 1)[1]) if _VERSION_MARK in source else None
    return [
        {
            "key": key,
            "endpoint": exchange["endpoint"],
            "version": version,
            "event_id": exchange["id"],
            "row": row,
            "predicted_at": exchange["event_ts"],
            "value": float(values[row]),
            "scores": scores[row],
        }
        for row, key in enumerate(keys)
    ]


def _request(exchange: dict) -> dict:
    try:
        request = json.loads(exchange["request"])
    except (ValueError, UnicodeDecodeError, TypeError):
        raise UndecodableRequest("the request is not JSON") from None
    if not isinstance(request, dict):
        raise UndecodableRequest("the request is not a JSON object")
    return request


def _key(value, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise UndecodableRequest(f"the request's {field!r} is {value!r}, not an id (a string or a whole number)")
    return str(value)
