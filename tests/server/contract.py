"""Check a response of the API against its OpenAPI document (`ai4mlops_lab/openapi.yaml`)."""

from __future__ import annotations

import json
import re
from functools import cache

import jsonschema

from ai4mlops_lab.server.openapi import openapi_json

PREFIX = "/ai4mlops-lab/api"


@cache
def document() -> dict:
    """The document as the extension serves it."""
    return json.loads(openapi_json())


def template_regex(template: str) -> re.Pattern:
    """A document path (`/runs/{run_id}`) as a regex over concrete paths."""
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def operation_path(path: str) -> str | None:
    """The document path that a concrete path under the API matches (a literal segment before a template)."""
    candidates = [t for t in document()["paths"] if template_regex(t).match(path)]
    return min(candidates, key=lambda t: t.count("{"), default=None)


def _pointer(*keys: str) -> str:
    return "#/" + "/".join(k.replace("~", "~0").replace("/", "~1") for k in keys)


def response_schema_ref(method: str, path: str, status: int) -> str | None:
    """A JSON pointer to the schema of the reply `status` of `method path` (None: no body expected);
    routes and methods the document lacks answer the error shape."""
    doc = document()
    template = operation_path(path)
    operation = doc["paths"].get(template, {}).get(method.lower()) if template else None
    if operation is None:
        return _pointer("components", "schemas", "Error")
    responses = operation["responses"]
    key = str(status) if str(status) in responses else "default"
    assert key in responses, f"{method} {template} answered {status}, which the document does not list"
    response, where = responses[key], ("paths", template, method.lower(), "responses", key)
    if "$ref" in response:
        where = tuple(response["$ref"].removeprefix("#/").split("/"))
        response = doc["components"]["responses"][where[-1]]
    if "content" not in response:
        return None
    return _pointer(*where, "content", "application/json", "schema")


def check_response(method: str, path: str, status: int, body: bytes) -> None:
    """Assert that a reply (`path` after the API prefix, e.g. `/runs/abc`) conforms to the document."""
    ref = response_schema_ref(method, path, status)
    if ref is None:
        assert not body, f"{method} {path} answered {status} with a body"
        return
    if status >= 400:
        assert b"Traceback" not in body, f"{method} {path} answered a traceback"
    try:
        payload = json.loads(body)
    except ValueError:
        raise AssertionError(f"{method} {path} answered {status} with a non-JSON body: {body[:200]!r}") from None
    # The document is the root schema: its components resolve; `$ref` picks the response's schema.
    validator = jsonschema.Draft202012Validator({**document(), "$ref": ref})
    errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path))
    assert not errors, f"{method} {path} {status} breaks the contract: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in errors[:5]
    )


def api_path(url_path: str) -> str | None:
    """The part of a URL path after the API prefix, or None for other URLs."""
    _, found, rest = url_path.partition(PREFIX)
    return ("/" + rest.lstrip("/")).rstrip("/") or "/" if found else None
