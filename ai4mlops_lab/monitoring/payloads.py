"""Feature rows of one logged inference request: V1 `instances` and V2 `inputs` tensors, batches split.

Every row is flattened, so a batch of shape (n, ...) gives an (n, features) table, the layout of the
model's reference sample (which is flattened the same way).
"""

from __future__ import annotations

import json
import math

import numpy as np


class UndecodableRequest(ValueError):
    """A request whose payload gives no feature rows; the message says why, briefly."""


def request_rows(body: bytes, input_name: str | None = None, features: list[str] | None = None) -> np.ndarray:
    """The (rows x features) table of a V1 or V2 request body: float64, or object for text/bytes values.

    `input_name` picks the V2 tensor (default: the first); `features` orders V1 rows given as objects.
    """
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UndecodableRequest("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise UndecodableRequest("the body is not a JSON object")
    if "instances" in payload:
        return _v1_rows(payload["instances"], features)
    inputs = payload.get("inputs")
    if isinstance(inputs, list) and inputs and all(isinstance(t, dict) and "data" in t for t in inputs):
        return _v2_rows(inputs, input_name)
    if inputs is not None:  # V1's columnar alternative to `instances`
        return _v1_rows(inputs, features)
    raise UndecodableRequest("the body has neither 'instances' (V1) nor 'inputs' (V2)")


def _v1_rows(instances, features: list[str] | None) -> np.ndarray:
    if not isinstance(instances, list) or not instances:
        raise UndecodableRequest("'instances' is not a non-empty list")
    if all(isinstance(row, dict) for row in instances):
        if not features:
            raise UndecodableRequest("rows are objects but the model records no feature names")
        instances = [[row.get(name) for name in features] for row in instances]
    return _table(instances, len(instances))


def _v2_rows(inputs: list[dict], input_name: str | None) -> np.ndarray:
    tensor = next((t for t in inputs if t.get("name") == input_name), inputs[0])
    shape = tensor.get("shape")
    if not isinstance(shape, list) or not shape or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise UndecodableRequest(f"tensor {tensor.get('name')!r} has no valid shape")
    data = tensor["data"]
    values = np.asarray(data, dtype=object if tensor.get("datatype") == "BYTES" else None)
    if values.size != math.prod(shape):
        raise UndecodableRequest(
            f"tensor {tensor.get('name')!r} holds {values.size} values, its shape {shape} needs {math.prod(shape)}"
        )
    return _table(values.reshape(shape), shape[0])


def _table(values, n: int) -> np.ndarray:
    try:
        array = np.asarray(values)
    except ValueError:
        raise UndecodableRequest("rows have different lengths") from None
    if array.dtype.kind in "biuf":
        return array.reshape(n, -1).astype(np.float64)
    array = np.asarray(values, dtype=object)  # mixed numbers and text keep their types
    if any(isinstance(v, (list, dict)) for v in array.flat):
        raise UndecodableRequest("rows have different lengths or nested objects")
    return array.reshape(n, -1)
