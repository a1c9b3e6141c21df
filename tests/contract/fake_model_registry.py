"""A strict loopback fake of the Kubeflow Model Registry REST API (v1alpha3), driven by the official OpenAPI document.

Every request is matched to an operation of the document (404 unknown path, 405 wrong method); its path and query
parameters (known names only, one value each) and its JSON body are validated against the document's schemas made
structural (`$ref`s resolved, `allOf` merged, a `discriminator`'s branches told apart by its value, read-only fields
refused in requests, unknown fields refused as the server's decoder does), with `fake_k8s.validate`. The checks the
real server makes on top are applied too: unique model names, version names unique per model, artifact names unique
per version, `name` finds of versions need `parentResourceId`, page tokens must be ones it gave. An invalid request
is answered 400 (`{code, message}`) and kept in `faults`; so is every response the fake would send that the document
does not allow (answered 500 instead), and every status an operation does not declare.

State lives in memory. PATCH replaces every editable field, as the real server does (a field left out is cleared).
Lists page by `pageSize`, at most `max_page_size` items a page (small in tests, to make clients follow
`nextPageToken`); `filterQuery` supports comparisons with `=` joined by AND, on standard or custom properties.
Tests can require a bearer token (401 otherwise), answer 403 as the RBAC proxy in front of the registry does, or
check that versions only ever change their state (`immutable_versions`).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

from .fake_k8s import validate
from .fake_kfp import Recorded, Refusal, Routes

PREFIX = "/api/model_registry/v1alpha3"
#: The fields PATCH replaces, by entity (what the server's converters leave editable).
EDITABLE = {
    "registered_model": (
        "customProperties",
        "description",
        "externalId",
        "owner",
        "state",
        "readme",
        "maturity",
        "language",
        "tasks",
        "provider",
        "logo",
        "license",
        "licenseLink",
        "libraryName",
    ),
    "model_version": ("customProperties", "description", "externalId", "state", "author"),
}
_COMPARISON = re.compile(
    r"\s*(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)(?:\.(string_value|int_value|double_value|bool_value))?\s*=\s*"
    r"(\"[^\"]*\"|'[^']*')\s*"
)
_STANDARD = {"name", "id", "state", "externalId"}
_VALUE_KEYS = ("string_value", "int_value", "double_value", "bool_value")


def structural(doc: dict, schema: dict, *, writing: bool) -> dict:
    """`schema` of the OpenAPI 3.0 document `doc` as one self-contained structural schema for `fake_k8s.validate`:
    `$ref`s resolved, `allOf` merged, each branch of a `discriminator` requiring its value, `readOnly` properties
    dropped when `writing` (a request), objects without `additionalProperties` strict."""
    schema = _deref(doc, schema)
    if "oneOf" in schema:
        branches = [structural(doc, branch, writing=writing) for branch in schema["oneOf"]]
        discriminator = schema.get("discriminator")
        if discriminator:
            key = discriminator["propertyName"]
            branches = []
            for value, ref in discriminator["mapping"].items():
                branch = structural(doc, {"$ref": ref}, writing=writing)
                branch["properties"] = {**branch.get("properties", {}), key: {"type": "string", "enum": [value]}}
                branch["required"] = sorted({*branch.get("required", []), key})
                branches.append(branch)
        return {"oneOf": branches}
    out, properties, required = {}, {}, set()
    for part in _parts(doc, schema):
        out |= {k: v for k, v in part.items() if k in ("type", "enum", "pattern", "minLength", "format", "nullable")}
        for name, sub in (part.get("properties") or {}).items():
            if not (writing and _deref(doc, sub).get("readOnly")):
                properties[name] = {**properties.get(name, {}), **structural(doc, sub, writing=writing)}
        required |= set(part.get("required") or [])
        extra = part.get("additionalProperties")
        if isinstance(extra, dict):
            out["additionalProperties"] = structural(doc, extra, writing=writing)
        elif extra is True:
            out["additionalProperties"] = True
        if "items" in part:
            out["items"] = structural(doc, part["items"], writing=writing)
    if properties:
        out |= {"type": "object", "properties": properties}
    if required:
        out["required"] = sorted(required)
    return out


def _parts(doc: dict, schema: dict) -> list[dict]:
    """`schema` and, recursively, the schemas of its `allOf`, each without `allOf`."""
    own = {k: v for k, v in schema.items() if k != "allOf"}
    return [own] + [part for sub in schema.get("allOf", []) for part in _parts(doc, _deref(doc, sub))]


def _deref(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        node = doc
        for key in schema["$ref"].removeprefix("#/").split("/"):
            node = node[key]
        schema = node
    return schema


def checked(value, schema: dict, where: str) -> None:
    """Refusal 400 naming each field where `value` breaks `schema` (a `structural` one)."""
    errors = validate(value, schema, where)
    if errors:
        raise Refusal(400, "; ".join(f"{field}: {message}" for field, message in errors))


class FakeModelRegistry:
    """The fake registry at `url` (use as a context manager); `requests`, `faults`, `models`, `versions`,
    `artifacts` (entities by id)."""

    def __init__(self, spec_path: Path, *, max_page_size: int = 100):
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self.doc = yaml.load(Path(spec_path).read_text(encoding="utf-8"), Loader=loader)
        self.routes = Routes({path.removeprefix(PREFIX): item for path, item in self.doc["paths"].items()})
        self.max_page_size = max_page_size
        self.token = ""  # when set, requests need `Authorization: Bearer <token>`
        self.forbidden = False  # answer 403 as the RBAC proxy in front of the registry does
        self.immutable_versions = True  # a PATCH that changes more of a version than its state is a fault
        self.requests: list[Recorded] = []
        self.faults: list[str] = []
        self.models: dict[str, dict] = {}
        self.versions: dict[str, dict] = {}
        self.artifacts: dict[str, dict] = {}
        self.links: dict[str, list[str]] = {}  # version id -> its artifacts' ids
        self._contexts = self._artifact_ids = 0
        self._clock = 0
        self._schemas: dict[tuple[int, bool], dict] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                fake._handle(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeModelRegistry:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def calls(self) -> list[str]:
        """`METHOD operationId` of every request so far, in order."""
        return [f"{r.method} {r.operation}" for r in self.requests]

    def find(self, operation: str) -> list[Recorded]:
        return [r for r in self.requests if r.operation == operation]

    # -- request handling -----------------------------------------------------------------------

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        url = urlsplit(http.path)
        raw = http.rfile.read(int(http.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in http.headers.items()}
        record = Recorded(http.command, url.path, "", {}, headers)
        if self.forbidden:
            self._answer(http, record, 403, "RBAC: access denied", "text/plain")
            return
        op, dispatched = None, False
        try:
            if not url.path.startswith(PREFIX):
                raise Refusal(404, f"no API operation at path {url.path}")
            op, path_params, item = self.routes.operation(http.command, url.path.removeprefix(PREFIX))
            record.operation = op["operationId"]
            if self.token and headers.get("authorization") != f"Bearer {self.token}":
                raise Refusal(401, "Unauthorized: a valid bearer token is required")
            try:
                query, body = self._checked_request(op, item, path_params, url.query, raw, headers, record)
            except Refusal as exc:  # answered 400 as the server does, whether or not the operation declares it
                self.faults.append(f"{http.command} {url.path}: invalid request: {exc.message}")
                raise
            dispatched = True
            with self._lock:
                handler = getattr(self, "_op_" + record.operation, self._unknown)
                status, payload = handler(path=path_params, query=query, body=body)
        except Refusal as exc:
            status, payload = exc.status, {"code": str(exc.status), "message": exc.message}
            record.error = exc.message
        except Exception as exc:  # a bug in the fake: answer 500 and keep it for the test to see
            status, payload = 500, {"code": "500", "message": f"fake error: {exc!r}"}
            self.faults.append(f"{record.operation or url.path}: {exc!r}")
        if dispatched:
            problem = self._response_problem(op, status, payload)
            if problem:
                self.faults.append(f"{record.operation}: {problem}")
                status, payload = 500, {"code": "500", "message": f"the fake made an invalid response: {problem}"}
        self._answer(http, record, status, json.dumps(payload), "application/json")

    def _answer(self, http, record: Recorded, status: int, text: str, content_type: str) -> None:
        record.status = status
        self.requests.append(record)
        data = text.encode()
        http.send_response(status)
        http.send_header("Content-Type", content_type)
        http.send_header("Content-Length", str(len(data)))
        http.end_headers()
        http.wfile.write(data)

    def _checked_request(self, op, item, path_params, raw_query, raw, headers, record) -> tuple[dict, dict | None]:
        params = [_deref(self.doc, p) for p in [*item.get("parameters", []), *op.get("parameters", [])]]
        declared = {(p["in"], p["name"]): p for p in params}
        for name, value in path_params.items():
            checked(value, self._schema(declared[("path", name)]["schema"], writing=True), f"path.{name}")
        query = {}
        for name, values in parse_qs(raw_query, keep_blank_values=True).items():
            param = declared.get(("query", name))
            if param is None:
                raise Refusal(400, f"unknown query parameter {name!r}")
            if len(values) != 1:
                raise Refusal(400, f"query parameter {name!r} given {len(values)} times")
            checked(values[0], self._schema(param["schema"], writing=True), f"query.{name}")
            query[name] = values[0]
        _offset(query.get("nextPageToken", ""))
        record.query = query
        spec = op.get("requestBody")
        if spec is None:
            if raw:
                raise Refusal(400, "this operation takes no request body")
            return query, None
        if not headers.get("content-type", "").startswith("application/json"):
            raise Refusal(400, f"expected an application/json body, got {headers.get('content-type')!r}")
        try:
            body = json.loads(raw or b"null")
        except ValueError as exc:
            raise Refusal(400, f"the body is not JSON: {exc}") from exc
        record.body = body
        if body is None:
            raise Refusal(400, "a request body is required")
        checked(body, self._schema(spec["content"]["application/json"]["schema"], writing=True), "body")
        return query, body

    def _response_problem(self, op, status: int, payload) -> str:
        """Why the spec does not allow answering `op` with `status` and `payload` ('' when it does)."""
        answer = op["responses"].get(str(status))
        if answer is None:
            return f"answered {status}, which the spec does not declare"
        schema = _deref(self.doc, answer)["content"]["application/json"]["schema"]
        try:
            checked(payload, self._schema(schema, writing=False), "response")
        except Refusal as exc:
            return f"invalid response: {exc.message}"
        return ""

    def _schema(self, schema: dict, *, writing: bool) -> dict:
        key = (id(schema), writing)
        if key not in self._schemas:
            self._schemas[key] = structural(self.doc, schema, writing=writing)
        return self._schemas[key]

    def _unknown(self, **_):
        self.faults.append("a valid request of an operation the fake does not implement")
        raise Refusal(500, "valid, but not implemented by the fake")

    # -- registered models ----------------------------------------------------------------------

    def _op_createRegisteredModel(self, body, **_):
        if any(m["name"] == body["name"] for m in self.models.values()):
            raise Refusal(409, f"a registered model named {body['name']!r} already exists")
        model = self._new(body, self._next_context())
        model.setdefault("state", "LIVE")
        self.models[model["id"]] = model
        return 201, copy.deepcopy(model)

    def _op_findRegisteredModel(self, query, **_):
        found = self._found(self.models.values(), query)
        return 200, copy.deepcopy(found)

    def _op_getRegisteredModels(self, query, **_):
        return 200, self._page(list(self.models.values()), query)

    def _op_getRegisteredModel(self, path, **_):
        return 200, copy.deepcopy(self._get(self.models, path["registeredmodelId"], "registered model"))

    def _op_updateRegisteredModel(self, path, body, **_):
        model = self._get(self.models, path["registeredmodelId"], "registered model")
        self._replace(model, body, EDITABLE["registered_model"])
        return 200, copy.deepcopy(model)

    def _op_getRegisteredModelVersions(self, path, query, **_):
        model_id = self._get(self.models, path["registeredmodelId"], "registered model")["id"]
        versions = [v for v in self.versions.values() if v["registeredModelId"] == model_id]
        if "name" in query:
            versions = [v for v in versions if v["name"] == query["name"]]
        return 200, self._page(versions, query)

    # -- model versions -------------------------------------------------------------------------

    def _op_createModelVersion(self, body, **_):
        if body["registeredModelId"] not in self.models:
            raise Refusal(422, f"no registered model {body['registeredModelId']}")
        if any(
            v["registeredModelId"] == body["registeredModelId"] and v["name"] == body["name"]
            for v in self.versions.values()
        ):
            raise Refusal(409, f"model {body['registeredModelId']} already has a version named {body['name']!r}")
        version = self._new(body, self._next_context())
        version.setdefault("state", "LIVE")
        self.versions[version["id"]] = version
        self.links[version["id"]] = []
        return 201, copy.deepcopy(version)

    def _op_findModelVersion(self, query, **_):
        if "name" in query and "parentResourceId" not in query:
            self.faults.append("findModelVersion: a version's name is found only with parentResourceId")
            raise Refusal(400, "invalid parameters: give (name and parentResourceId) or externalId")
        versions = self.versions.values()
        if "parentResourceId" in query:
            versions = [v for v in versions if v["registeredModelId"] == query["parentResourceId"]]
        return 200, copy.deepcopy(self._found(versions, query))

    def _op_getModelVersions(self, query, **_):
        return 200, self._page(list(self.versions.values()), query)

    def _op_getModelVersion(self, path, **_):
        return 200, copy.deepcopy(self._get(self.versions, path["modelversionId"], "model version"))

    def _op_updateModelVersion(self, path, body, **_):
        version = self._get(self.versions, path["modelversionId"], "model version")
        if self.immutable_versions:
            changed = sorted(k for k in EDITABLE["model_version"] if k != "state" and body.get(k) != version.get(k))
            if changed:
                self.faults.append(f"updateModelVersion changed {changed} of version {version['id']}, not its state")
        self._replace(version, body, EDITABLE["model_version"])
        return 200, copy.deepcopy(version)

    def _op_upsertModelVersionArtifact(self, path, body, **_):
        version = self._get(self.versions, path["modelversionId"], "model version")
        linked = [self.artifacts[a] for a in self.links[version["id"]]]
        if "name" in body and any(a.get("name") == body["name"] for a in linked):
            raise Refusal(409, f"version {version['id']} already has an artifact named {body['name']!r}")
        self._artifact_ids += 1
        artifact = self._new(body, str(self._artifact_ids))
        self.artifacts[artifact["id"]] = artifact
        self.links[version["id"]].append(artifact["id"])
        return 201, copy.deepcopy(artifact)

    def _op_getModelVersionArtifacts(self, path, query, **_):
        version = self._get(self.versions, path["modelversionId"], "model version")
        artifacts = [self.artifacts[a] for a in self.links[version["id"]]]
        if "artifactType" in query:
            artifacts = [a for a in artifacts if a["artifactType"] == query["artifactType"]]
        return 200, self._page(artifacts, query)

    # -- helpers --------------------------------------------------------------------------------

    def _next_context(self) -> str:
        self._contexts += 1
        return str(self._contexts)

    def _now(self) -> str:
        """Milliseconds since the epoch, strictly increasing."""
        self._clock = max(self._clock + 1, int(time.time() * 1000))
        return str(self._clock)

    def _new(self, body: dict, entity_id: str) -> dict:
        now = self._now()
        return {**copy.deepcopy(body), "id": entity_id, "createTimeSinceEpoch": now, "lastUpdateTimeSinceEpoch": now}

    def _replace(self, entity: dict, body: dict, editable: tuple[str, ...]) -> None:
        for key in editable:
            entity.pop(key, None)
        entity.update(copy.deepcopy({k: v for k, v in body.items() if k in editable}))
        entity["lastUpdateTimeSinceEpoch"] = self._now()

    @staticmethod
    def _get(entities: dict, entity_id: str, what: str) -> dict:
        if entity_id not in entities:
            raise Refusal(404, f"no {what} with id {entity_id}")
        return entities[entity_id]

    @staticmethod
    def _found(entities, query: dict) -> dict:
        keys = [k for k in ("name", "externalId") if k in query]
        if not keys:
            raise Refusal(400, "invalid parameters: give a name or an externalId")
        for entity in entities:
            if all(entity.get(k) == query[k] for k in keys):
                return entity
        raise Refusal(404, f"nothing matches {', '.join(f'{k}={query[k]!r}' for k in keys)}")

    def _page(self, items: list[dict], query: dict) -> dict:
        items = _filtered(items, query.get("filterQuery", ""), self.faults)
        order = {"CREATE_TIME": "createTimeSinceEpoch", "LAST_UPDATE_TIME": "lastUpdateTimeSinceEpoch"}
        key = order.get(query.get("orderBy", "ID"), "id")
        items = sorted(items, key=lambda i: int(i[key]), reverse=query.get("sortOrder") == "DESC")
        size = min(int(query.get("pageSize", self.max_page_size)), self.max_page_size)
        start = _offset(query.get("nextPageToken", ""))
        page = items[start : start + size]
        more = start + size < len(items)
        token = base64.urlsafe_b64encode(f"offset:{start + size}".encode()).decode() if more else ""
        return {"items": copy.deepcopy(page), "nextPageToken": token, "pageSize": size, "size": len(page)}


def _offset(token: str) -> int:
    """Where the page of a `nextPageToken` the fake gave starts (0 for none); Refusal 400 for any other token."""
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except ValueError:
        text = ""
    if not re.fullmatch(r"offset:\d+", text):
        raise Refusal(400, f"invalid nextPageToken {token!r}: use one the server gave")
    return int(text.removeprefix("offset:"))


def _filtered(items: list[dict], text: str, faults: list[str]) -> list[dict]:
    """The items a `filterQuery` of `=` comparisons joined by AND keeps."""
    if not text.strip():
        return items
    comparisons = []
    for part in re.split(r"\s+AND\s+", text.strip(), flags=re.IGNORECASE):
        match = _COMPARISON.fullmatch(part)
        if match is None:
            faults.append(f"a filterQuery the fake cannot evaluate: {text!r}")
            raise Refusal(400, f"cannot parse filterQuery {text!r}")
        name, kind, literal = match.group(1).strip("`"), match.group(2), match.group(3)[1:-1]
        comparisons.append((name, kind, literal))
    return [item for item in items if all(_matches(item, *c) for c in comparisons)]


def _matches(item: dict, name: str, kind: str | None, literal: str) -> bool:
    if kind is None and name in _STANDARD:
        return str(item.get(name, "")) == literal
    value = (item.get("customProperties") or {}).get(name) or {}
    kinds = [kind] if kind else _VALUE_KEYS
    return any(k in value and str(value[k]).lower() == literal.lower() for k in kinds)
