"""Logged exchanges for outcome tests: a classifier's answers (request and response events sharing a Ce-Id)."""

import json
import time
from datetime import UTC, datetime

import numpy as np

from ai4mlops_lab.store.event_records import InferenceEvent

CLASSES = 3


def log_exchange(events, name, ce_id, request, response, *, endpoint="default", source="test", at=None):
    """Store one answered request: a request and a response event with the same Ce-Id."""
    stamp = datetime.fromtimestamp(at if at is not None else time.time(), UTC).isoformat()
    for kind, body in (("request", request), ("response", response)):
        events.add(
            InferenceEvent(
                ce_id,
                kind,
                name,
                "local",
                "predictor",
                endpoint,
                source,
                stamp,
                "application/json",
                json.dumps(body).encode(),
            )
        )


def answers(n, seed=0, confidence=4.0):
    """`n` rows of logits over CLASSES classes, one class raised by `confidence` (drawn uniformly), and the class
    each row predicts (its top logit)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, CLASSES))
    logits[np.arange(n), rng.integers(0, CLASSES, n)] += confidence
    return logits, logits.argmax(axis=1)


def log_predictions(events, name, logits, first=0, protocol="v2", at=None, endpoint="default", source="test"):
    """Log one single-row exchange per row of `logits`, keyed `r{first + i}` (V2 `id`, or the Ce-Id for V1)."""
    for i, row in enumerate(logits):
        key = f"r{first + i}"
        features = [[0.0] * 10]
        if protocol == "v2":
            request = {
                "id": key,
                "inputs": [{"name": "input-0", "shape": [1, 10], "datatype": "FP32", "data": features[0]}],
            }
            response = {
                "id": key,
                "model_name": name,
                "outputs": [
                    {"name": "output-0", "shape": [1, CLASSES], "datatype": "FP32", "data": [float(v) for v in row]}
                ],
            }
        else:
            request, response = {"instances": features}, {"predictions": [[float(v) for v in row]]}
        log_exchange(events, name, key, request, response, endpoint=endpoint, source=source, at=at)


def labels_for(predicted, accuracy, seed=0):
    """True classes that agree with `predicted` on about `accuracy` of the rows."""
    rng = np.random.default_rng(seed + 1000)
    wrong = rng.random(len(predicted)) >= accuracy
    shift = rng.integers(1, CLASSES, len(predicted))
    return np.where(wrong, (predicted + shift) % CLASSES, predicted)
