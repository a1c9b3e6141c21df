"""How to call a deployment: a curl command and a Python (requests) program per protocol, built from its
endpoint URLs and the example input recorded with its model."""

from __future__ import annotations

import json
import shlex

from .artifacts import recorded_input
from .signature import V2_TYPES

EXAMPLE_ROWS = 1
DIGITS = 4  # the example's numbers, rounded: still a valid input, and readable


def example_rows(record: dict) -> list:
    """The first rows of the model's recorded example input (rounded); else one row of zeros of its width."""
    example = record["config"].get("metadata", {}).get("model", {}).get("example")
    if isinstance(example, list) and example:
        return _rounded(example[:EXAMPLE_ROWS])
    shape = recorded_input(record).get("shape") or [-1, 1]
    row = 0
    for size in reversed(shape[1:]):
        row = [row] * max(size, 1)
    return [row]


def _rounded(value):
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return round(value, DIGITS) if isinstance(value, float) else value


def _flat(value) -> list:
    return [x for item in value for x in _flat(item)] if isinstance(value, list) else [value]


def _shape(value) -> list[int]:
    return [len(value), *_shape(value[0])] if isinstance(value, list) and value else []


def bodies(record: dict) -> dict:
    """The V1 (`{instances}`) and V2 (`{inputs}`) request bodies of the example rows."""
    rows = example_rows(record)
    tensor = recorded_input(record)
    dtype = tensor.get("dtype", "float32")
    v2 = {
        "name": tensor.get("name", "input-0"),
        "shape": _shape(rows),
        "datatype": V2_TYPES.get(dtype, dtype.upper()),
        "data": _flat(rows),
    }
    return {"v1": {"instances": rows}, "v2": {"inputs": [v2]}}


def curl(url: str, body: str) -> str:
    return f"curl -sS -X POST {shlex.quote(url)} \\\n  -H 'Content-Type: application/json' \\\n  -d {shlex.quote(body)}"


def python(url: str, body: str, answer: str) -> str:
    return (
        "import requests\n\n"
        f"url = {json.dumps(url)}\n"
        f"body = {body}\n"
        "response = requests.post(url, json=body, timeout=30)\n"
        "response.raise_for_status()\n"
        f'print(response.json()["{answer}"])\n'
    )


def call_examples(record: dict) -> dict | None:
    """`{v1, v2}` (only `v2` for a runtime that speaks only V2), each `{url, body, curl, python}`, for a deployment
    that has endpoints; else None."""
    endpoints = record.get("endpoints")
    if not endpoints:
        return None
    examples = {}
    for protocol, body in bodies(record).items():
        if protocol not in endpoints:
            continue
        url, text = endpoints[protocol], json.dumps(body)
        answer = "predictions" if protocol == "v1" else "outputs"
        examples[protocol] = {"url": url, "body": text, "curl": curl(url, text), "python": python(url, text, answer)}
    return examples
