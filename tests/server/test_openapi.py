"""The OpenAPI document is valid, names exactly the registered routes, and is served."""

import itertools
import json
import re

import pytest
import yaml
from openapi_spec_validator import validate

from ai4mlops_lab.server.openapi import DOCUMENT
from ai4mlops_lab.server.routes import UnknownRouteHandler, api_routes

from ..requests import NAME, deploy_record
from .contract import document
from .routes import METHODS, methods_of


def expanded(pattern: str) -> list[str]:
    """The document paths of a route pattern: each `(a|b)` group gives one path per word, any other group is a
    parameter (written `{}`)."""
    pieces = re.split(r"(\([^)]*\))", pattern)
    choices = [
        [p] if not p.startswith("(") else p[1:-1].split("|") if re.fullmatch(r"\(\w+(\|\w+)+\)", p) else ["{}"]
        for p in pieces
    ]
    return ["".join(c) for c in itertools.product(*choices)]


def registered() -> set[tuple[str, str]]:
    return {
        (method, path)
        for pattern, handler in api_routes("")
        if handler is not UnknownRouteHandler
        for method in methods_of(handler)
        for path in expanded(pattern)
    }


def documented() -> set[tuple[str, str]]:
    return {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, item in document()["paths"].items()
        for method in item
        if method in METHODS
    }


def test_the_document_is_valid_openapi_3_1():
    validate(document())
    assert document()["openapi"].startswith("3.1")


def test_every_registered_route_is_documented_and_nothing_else():
    assert registered() - documented() == set(), "routes missing from openapi.yaml"
    assert documented() - registered() == set(), "openapi.yaml documents routes that are not registered"


def test_every_failure_answers_the_error_shape():
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            assert operation["responses"]["default"] == {"$ref": "#/components/responses/Error"}, (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and status != "422":
                    assert response == {"$ref": "#/components/responses/Error"}, (method, path, status)


def test_conditional_gets_document_304_and_the_etag():
    for path, item in document()["paths"].items():
        get = item.get("get", {})
        if any(p.get("$ref", "").endswith("/IfNoneMatch") for p in get.get("parameters", [])):
            assert "304" in get["responses"] and "ETag" in get["responses"]["200"]["headers"], path


async def test_the_extension_serves_the_document(jp_fetch):
    response = await jp_fetch("ai4mlops-lab", "api", "openapi.json")
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


@pytest.mark.parametrize("route", ["runs", "experiments", f"deployments/{NAME}/drift"])
async def test_conditional_gets_answer_304_as_documented(jp_fetch, jp_root_dir, route):
    """(`jp_fetch` checks each reply against the document, the 304 included.)"""
    deploy_record(jp_root_dir / ".ai4mlops")
    first = await jp_fetch("ai4mlops-lab", "api", *route.split("/"))
    again = await jp_fetch(
        "ai4mlops-lab", "api", *route.split("/"), headers={"If-None-Match": first.headers["ETag"]}, raise_error=False
    )
    assert again.code == 304 and not again.body


async def test_a_deployment_policy_reads_as_documented(jp_fetch, jp_root_dir):
    deploy_record(jp_root_dir / ".ai4mlops")
    policy = json.loads((await jp_fetch("ai4mlops-lab", "api", "deployments", NAME, "drift", "policy")).body)
    assert policy["window"] == "count"
