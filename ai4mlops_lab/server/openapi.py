"""`GET /openapi.json`: the REST contract (`ai4mlops_lab/openapi.yaml`), as JSON."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import ApiHandler

#: The OpenAPI document of every route, shipped in the package.
DOCUMENT = Path(__file__).resolve().parents[1] / "openapi.yaml"


@cache
def openapi_json() -> str:
    """The document serialised as JSON (parsed once per process)."""
    import yaml

    return json.dumps(yaml.safe_load(DOCUMENT.read_text(encoding="utf-8")))


class OpenApiHandler(ApiHandler):
    @web.authenticated
    @authorized
    def get(self):
        self.set_header("Content-Type", "application/json")
        self.finish(openapi_json())
