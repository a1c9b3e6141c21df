"""A strict loopback fake of the Kubernetes API for KServe InferenceServices, driven by the official CRD.

Serves `/apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices[/{name}]` (POST, GET,
PUT, PATCH with merge-patch, DELETE) and the discovery documents (`/apis`, `/apis/{group}`,
`/apis/{group}/{version}`, `/version`). Every body is validated against the CRD's
openAPIV3Schema with structural-schema rules (unknown fields refused as under
`fieldValidation=Strict` unless `x-kubernetes-preserve-unknown-fields`; types, required, enums,
patterns, int-or-string, int32/int64 ranges, list-map key uniqueness), `metadata` against
ObjectMeta, plus KServe's admission checks (DNS-1035 name, one predictor implementation; for
`spec.canary`: named, unique, one implementation each, shares summing to at most 100).
Refusals answer a `Status` object (422 invalid, 409 exists/conflict, 404 missing, 401/403).
Objects keep resourceVersion, generation and a controller finalizer; `status` (a subresource)
is ignored in writes and scripted by tests: each GET of an object advances its script, or
`reconcile` plays KServe's controller once (revisions, canary traffic, rolled-out revisions).
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

GROUP, VERSION, PLURAL, KIND = "serving.kserve.io", "v1beta1", "inferenceservices", "InferenceService"
FINALIZER = "inferenceservice.finalizers"
REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "AlreadyExists",
    415: "UnsupportedMediaType",
    422: "Invalid",
    500: "InternalError",
}
QUERY = {  # query parameters the real endpoints accept, by method
    "GET": {
        "pretty",
        "resourceVersion",
        "labelSelector",
        "fieldSelector",
        "limit",
        "continue",
        "watch",
        "timeoutSeconds",
        "allowWatchBookmarks",
        "resourceVersionMatch",
    },
    "POST": {"pretty", "dryRun", "fieldManager", "fieldValidation"},
    "PUT": {"pretty", "dryRun", "fieldManager", "fieldValidation"},
    "PATCH": {"pretty", "dryRun", "fieldManager", "fieldValidation", "force"},
    "DELETE": {"pretty", "dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy"},
}
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
#: ObjectMeta as the API server checks it (the CRD only says `type: object`).
OBJECT_META = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "generateName": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
        "resourceVersion": {"type": "string"},
        "uid": {"type": "string"},
        "generation": {"type": "integer", "format": "int64"},
        "creationTimestamp": {"type": "string", "format": "date-time"},
        "deletionTimestamp": {"type": "string", "format": "date-time"},
        "deletionGracePeriodSeconds": {"type": "integer", "format": "int64"},
        "finalizers": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
        "ownerReferences": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["apiVersion", "kind", "name", "uid"],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                    "uid": {"type": "string"},
                    "controller": {"type": "boolean"},
                    "blockOwnerDeletion": {"type": "boolean"},
                },
            },
        },
        "managedFields": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    },
}
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# Structural schema validation
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def load_crd_schema(path: Path, version: str = VERSION) -> dict:
    """The openAPIV3Schema of `version` in the CRD file (parsed once per process; do not mutate)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    crd = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)
    assert crd["spec"]["group"] == GROUP and crd["spec"]["names"]["plural"] == PLURAL
    for item in crd["spec"]["versions"]:
        if item["name"] == version:
            return item["schema"]["openAPIV3Schema"]
    raise KeyError(version)


def validate(value, schema: dict, path: str = "") -> list[tuple[str, str]]:
    """(field path, message) for every violation of the structural schema (which may also say `oneOf`: exactly one
    branch); [] when valid."""
    errors: list[tuple[str, str]] = []
    _check(value, schema, path, errors)
    return errors


def validate_object(body: dict, schema: dict) -> list[tuple[str, str]]:
    """Violations of a whole InferenceService: the CRD schema, with ObjectMeta for `metadata`."""
    root = {**schema, "properties": {**schema["properties"], "metadata": OBJECT_META}}
    return validate(body, root)


def _check(value, schema: dict, path: str, errors: list) -> None:
    if value is None:
        if not schema.get("nullable"):
            errors.append((path, "Invalid value: null: must not be null"))
        return
    if schema.get("x-kubernetes-int-or-string") and (isinstance(value, bool) or not isinstance(value, (int, str))):
        errors.append((path, f"Invalid value: {value!r}: must be an integer or a string"))
        return
    if "anyOf" in schema and not any(not validate(value, branch, path) for branch in schema["anyOf"]):
        errors.append((path, f"Invalid value: {value!r}: matches none of the allowed schemas"))
        return
    if "oneOf" in schema:  # the value is exactly one branch (and nothing else is checked); none: the closest's errors
        results = [validate(value, branch, path) for branch in schema["oneOf"]]
        if results.count([]) != 1:
            errors.extend(min(results, key=len) or [(path, "Invalid value: matches several of the allowed schemas")])
        return
    kind = schema.get("type")
    if kind and not _type_ok(value, kind):
        errors.append((path, f"Invalid value: {type(value).__name__}: must be of type {kind}"))
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append((path, f"Unsupported value: {value!r}: supported values: {schema['enum']}"))
    if isinstance(value, str):
        _check_string(value, schema, path, errors)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(value, schema, path, errors)
    elif isinstance(value, list):
        _check_array(value, schema, path, errors)
    elif isinstance(value, dict):
        _check_object(value, schema, path, errors)


def _type_ok(value, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def _check_string(value: str, schema: dict, path: str, errors: list) -> None:
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append((path, f"Invalid value: {value!r}: should match {schema['pattern']!r}"))
    if len(value) < schema.get("minLength", 0):
        errors.append((path, f"Invalid value: {value!r}: should be at least {schema['minLength']} chars long"))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append((path, f"Too long: may not be longer than {schema['maxLength']}"))
    if schema.get("format") == "date-time" and not _DATE_TIME.match(value):
        errors.append((path, f"Invalid value: {value!r}: must be an RFC 3339 date-time"))


def _check_number(value, schema: dict, path: str, errors: list) -> None:
    low, high = _INT_RANGE.get(schema.get("format", ""), (None, None))
    if low is not None and not low <= value <= high:
        errors.append((path, f"Invalid value: {value}: out of range for {schema['format']}"))
    if "minimum" in schema and value < schema["minimum"]:
        errors.append((path, f"Invalid value: {value}: should be greater than or equal to {schema['minimum']}"))
    if "maximum" in schema and value > schema["maximum"]:
        errors.append((path, f"Invalid value: {value}: should be less than or equal to {schema['maximum']}"))


def _check_array(value: list, schema: dict, path: str, errors: list) -> None:
    if len(value) < schema.get("minItems", 0):
        errors.append((path, f"Invalid value: should have at least {schema['minItems']} items"))
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append((path, f"Too many: must have at most {schema['maxItems']} items"))
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            _check(item, items, f"{path}[{i}]", errors)
    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "set":
        seen = [json.dumps(v, sort_keys=True) for v in value]
        if len(set(seen)) != len(seen):
            errors.append((path, "Duplicate value: list of type set has duplicates"))
    elif list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys") or []
        seen = [tuple(json.dumps(v.get(k)) for k in keys) for v in value if isinstance(v, dict)]
        if len(set(seen)) != len(seen):
            errors.append((path, f"Duplicate value: list of type map has duplicate keys {keys}"))


def _check_object(value: dict, schema: dict, path: str, errors: list) -> None:
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
    for name in schema.get("required") or []:
        if name not in value:
            errors.append((f"{path}.{name}", "Required value"))
    for name, item in value.items():
        child = f"{path}.{name}" if path else name
        if name in props:
            _check(item, props[name], child, errors)
        elif isinstance(extra, dict):
            _check(item, extra, child, errors)
        elif extra is True or preserve:
            continue
        else:
            errors.append((child, f'unknown field "{child}"'))


# ---------------------------------------------------------------------------------------------
# The API server
# ---------------------------------------------------------------------------------------------


class Refusal(Exception):
    """An error answer: HTTP status, message, Status details."""

    def __init__(self, status: int, message: str, details: dict | None = None, reason: str = ""):
        super().__init__(message)
        self.status, self.message, self.details = status, message, details or {}
        self.reason = reason or REASONS.get(status, "Unknown")


def status_object(status: int, message: str, details: dict | None = None, reason: str = "") -> dict:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason or REASONS.get(status, "Unknown"),
        "code": status,
    }
    if details:
        body["details"] = details
    return body


class FakeKube:
    """The fake API server. Use as a context manager; `url`, `objects`, `requests`, `faults`."""

    def __init__(self, crd_path: Path):
        self.schema = load_crd_schema(crd_path)
        self.status_schema = self.schema["properties"]["status"]
        self.objects: dict[tuple[str, str], dict] = {}
        self.scripts: dict[tuple[str, str], list[dict]] = {}
        self.revisions: dict[tuple[str, str], dict] = {}  # what `reconcile` keeps of each object's revisions
        self.requests: list[dict] = []
        self.faults: list[str] = []
        self.installed = True  # False: the serving.kserve.io group is not served (CRD missing)
        self.namespaces: set[str] | None = None  # None: every namespace exists
        self.token = ""  # when set, requests need `Authorization: Bearer <token>`
        self.forbidden: set[tuple[str, str]] = set()  # (verb, namespace) pairs RBAC refuses; "*" matches all
        self.user = "system:serviceaccount:kubeflow-user:default-editor"
        self._rv = 1000
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                fake._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- test controls --------------------------------------------------------------------------

    def script_status(self, namespace: str, name: str, statuses: list[dict]) -> None:
        """Statuses the object takes, one per GET of it (the last one stays); each is validated."""
        for item in statuses:
            errors = validate(item, self.status_schema, "status")
            if errors:
                raise ValueError(f"invalid scripted status: {errors}")
        self.scripts[(namespace, name)] = [copy.deepcopy(s) for s in statuses]

    def reconcile(self, namespace: str, name: str, *, ready: bool = True, mode: str = "Serverless") -> dict:
        """Play KServe's controller once on the object and set its status (validated against the CRD).

        Serverless: a change of the predictor (but for `canaryTrafficPercent`) creates revision
        `<name>-predictor-NNNNN`, ready when `ready`; traffic as KServe's ksvc reconciler sets it (with
        `canaryTrafficPercent` and a rolled-out revision: that share to the latest ready revision, the rest to
        the rolled-out one, tag `prev`; else all to the latest ready one), and the latest ready revision is
        rolled out once it has all the traffic. Standard: each `spec.canary` entry is reported in
        `canaryStatuses` (ready when `ready`)."""
        with self._lock:
            obj = self.objects[(namespace, name)]
            spec = obj["spec"]
            status = {
                "observedGeneration": obj["metadata"]["generation"],
                "deploymentMode": mode,
                "url": f"http://{name}.{namespace}.example.com",
                "conditions": [{"type": "PredictorReady", "status": "True"}, {"type": "Ready", "status": "True"}],
            }
            if mode == "Serverless":
                status["components"] = {"predictor": self._revisions(namespace, name, spec["predictor"], ready)}
            else:
                status["canaryStatuses"] = [
                    {"name": c["predictor"]["name"], "ready": ready, "trafficPercent": c["trafficPercent"]}
                    for c in spec.get("canary") or []
                ]
            errors = validate(status, self.status_schema, "status")
            if errors:
                raise ValueError(f"invalid reconciled status: {errors}")
            obj["status"] = status
            return copy.deepcopy(status)

    def _revisions(self, namespace: str, name: str, predictor: dict, ready: bool) -> dict:
        sim = self.revisions.setdefault(
            (namespace, name), {"created": [], "ready": [], "template": None, "rolled": "", "previous": ""}
        )
        template = {k: v for k, v in predictor.items() if k != "canaryTrafficPercent"}
        if template != sim["template"]:
            sim["template"] = copy.deepcopy(template)
            sim["created"].append(f"{name}-predictor-{len(sim['created']) + 1:05d}")
        if ready and sim["created"][-1] not in sim["ready"]:
            sim["ready"].append(sim["created"][-1])
        latest = sim["ready"][-1] if sim["ready"] else ""
        percent = predictor.get("canaryTrafficPercent")
        if percent is not None and sim["rolled"]:
            traffic = [{"revisionName": latest, "latestRevision": True, "percent": percent}]
            if percent < 100:
                traffic.append(
                    {"revisionName": sim["rolled"], "latestRevision": False, "percent": 100 - percent, "tag": "prev"}
                )
        else:
            traffic = [{"revisionName": latest, "latestRevision": True, "percent": 100}] if latest else []
        if (
            latest
            and latest != sim["rolled"]
            and any(t["revisionName"] == latest and t["percent"] == 100 for t in traffic)
        ):
            sim["previous"], sim["rolled"] = sim["rolled"], latest
        out = {"latestCreatedRevision": sim["created"][-1], "traffic": traffic}
        for key, value in (
            ("latestReadyRevision", latest),
            ("latestRolledoutRevision", sim["rolled"]),
            ("previousRolledoutRevision", sim["previous"]),
        ):
            if value:
                out[key] = value
        return out

    def calls(self, method: str | None = None) -> list[dict]:
        return [r for r in self.requests if method is None or r["method"] == method]

    # -- request handling -----------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        record = {
            "method": h.command,
            "path": parts.path,
            "query": query,
            "content_type": h.headers.get("Content-Type", ""),
            "body": None,
        }
        self.requests.append(record)
        try:
            self._authorize(h)
            if raw:
                try:
                    record["body"] = json.loads(raw)
                except ValueError as exc:
                    raise Refusal(400, f"the body of the request was in an unknown format: {exc}") from exc
            with self._lock:
                status, body = self._route(h.command, parts.path, query, record)
        except Refusal as exc:
            status, body = exc.status, status_object(exc.status, exc.message, exc.details, exc.reason)
        except Exception as exc:  # a bug in the fake: keep it so the test fails
            self.faults.append(f"{h.command} {h.path}: {type(exc).__name__}: {exc}")
            status, body = 500, status_object(500, f"fake crashed: {exc}")
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _authorize(self, h) -> None:
        if not self.token:
            return
        auth = h.headers.get("Authorization", "")
        if auth.split(" ", 1)[0].lower() != "bearer" or auth.split(" ", 1)[-1].strip() != self.token:
            raise Refusal(401, "Unauthorized")

    def _route(self, method: str, path: str, query: dict, record: dict):
        if method == "GET" and path == "/version":
            return 200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-fake", "platform": "linux/amd64"}
        if method == "GET" and path == "/apis":
            groups = [self._group()] if self.installed else []
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        if self.installed and method == "GET" and path == f"/apis/{GROUP}":
            return 200, self._group() | {"kind": "APIGroup", "apiVersion": "v1"}
        if self.installed and method == "GET" and path == f"/apis/{GROUP}/{VERSION}":
            return 200, {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": f"{GROUP}/{VERSION}",
                "resources": [
                    {
                        "name": PLURAL,
                        "singularName": "inferenceservice",
                        "namespaced": True,
                        "kind": KIND,
                        "shortNames": ["isvc"],
                        "categories": ["all"],
                        "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
                    },
                    {
                        "name": f"{PLURAL}/status",
                        "singularName": "",
                        "namespaced": True,
                        "kind": KIND,
                        "verbs": ["get", "patch", "update"],
                    },
                ],
            }
        m = re.match(rf"^/apis/{re.escape(GROUP)}/{VERSION}/namespaces/([^/]+)/{PLURAL}(?:/([^/]+))?$", path)
        if not m or not self.installed:
            raise Refusal(404, "the server could not find the requested resource")
        namespace, name = m.group(1), m.group(2)
        unknown = set(query) - QUERY.get(method, set())
        if unknown:
            raise Refusal(400, f"unknown query parameters {sorted(unknown)}")
        if query.get("fieldValidation", "Strict") not in ("Ignore", "Warn", "Strict"):
            raise Refusal(400, f"invalid fieldValidation {query['fieldValidation']!r}")
        verb = {
            "GET": "get" if name else "list",
            "POST": "create",
            "PUT": "update",
            "PATCH": "patch",
            "DELETE": "delete",
        }.get(method)
        if verb is None or (method == "POST" and name) or (method in ("PUT", "PATCH", "DELETE") and not name):
            raise Refusal(405, "the server does not allow this method on the requested resource")
        if (verb, namespace) in self.forbidden or ("*", namespace) in self.forbidden or ("*", "*") in self.forbidden:
            named = f' "{name}"' if name else ""
            raise Refusal(
                403,
                f'{PLURAL}.{GROUP}{named} is forbidden: User "{self.user}" cannot {verb} resource '
                f'"{PLURAL}" in API group "{GROUP}" in the namespace "{namespace}"',
                {"name": name or "", "group": GROUP, "kind": PLURAL},
            )
        if self.namespaces is not None and namespace not in self.namespaces:
            raise Refusal(404, f'namespaces "{namespace}" not found', {"name": namespace, "kind": "namespaces"})
        if method in ("POST", "PUT", "PATCH") and record["body"] is None:
            raise Refusal(400, "the body of the request was empty")
        dry = query.get("dryRun") == "All"
        handler = {
            "list": self._list,
            "get": self._get,
            "create": self._create,
            "update": self._update,
            "patch": self._patch,
            "delete": self._delete,
        }[verb]
        return handler(namespace, name, record, dry)

    def _group(self) -> dict:
        version = {"groupVersion": f"{GROUP}/{VERSION}", "version": VERSION}
        return {"name": GROUP, "versions": [version], "preferredVersion": version}

    # -- verbs ----------------------------------------------------------------------------------

    def _missing(self, name: str) -> Refusal:
        return Refusal(404, f'{PLURAL}.{GROUP} "{name}" not found', {"name": name, "group": GROUP, "kind": PLURAL})

    def _list(self, namespace, name, record, dry):
        items = [copy.deepcopy(o) for (ns, _), o in sorted(self.objects.items()) if ns == namespace]
        return 200, {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "InferenceServiceList",
            "metadata": {"resourceVersion": str(self._rv)},
            "items": items,
        }

    def _get(self, namespace, name, record, dry):
        obj = self.objects.get((namespace, name))
        if obj is None:
            raise self._missing(name)
        script = self.scripts.get((namespace, name))
        if script:
            status = copy.deepcopy(script.pop(0) if len(script) > 1 else script[0])
            status.setdefault("observedGeneration", obj["metadata"]["generation"])  # the controller saw it
            obj["status"] = status
        return 200, copy.deepcopy(obj)

    def _create(self, namespace, name, record, dry):
        self._require_json(record, "application/json")
        body = record["body"]
        self._check_object(body, namespace, None)
        meta = body["metadata"]
        name = meta.get("name") or (meta.get("generateName", "") + uuid.uuid4().hex[:5])
        if (namespace, name) in self.objects:
            raise Refusal(
                409, f'{PLURAL}.{GROUP} "{name}" already exists', {"name": name, "group": GROUP, "kind": PLURAL}
            )
        obj = copy.deepcopy(body)
        obj.pop("status", None)  # the status subresource is written only by the controller
        obj["metadata"].update(
            name=name,
            namespace=namespace,
            uid=str(uuid.uuid4()),
            generation=1,
            creationTimestamp=now(),
            resourceVersion=self._next_rv(),
        )
        obj["metadata"].setdefault("finalizers", [FINALIZER])  # what KServe's controller adds
        if not dry:
            self.objects[(namespace, name)] = obj
        return 201, copy.deepcopy(obj)

    def _update(self, namespace, name, record, dry):
        self._require_json(record, "application/json")
        current = self.objects.get((namespace, name))
        if current is None:
            raise self._missing(name)
        body = record["body"]
        self._check_object(body, namespace, name)
        rv = (body.get("metadata") or {}).get("resourceVersion")
        if not rv:
            raise Refusal(
                422,
                f'{KIND}.{GROUP} "{name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: '
                "must be specified for an update",
                self._details(name, [("metadata.resourceVersion", "must be specified for an update")]),
            )
        return self._store(namespace, name, current, body, rv, dry)

    def _patch(self, namespace, name, record, dry):
        self._require_json(record, "application/merge-patch+json")
        current = self.objects.get((namespace, name))
        if current is None:
            raise self._missing(name)
        patched = _merge_patch({k: v for k, v in current.items() if k != "status"}, record["body"])
        self._check_object(patched, namespace, name)
        rv = (record["body"].get("metadata") or {}).get("resourceVersion") or current["metadata"]["resourceVersion"]
        return self._store(namespace, name, current, patched, rv, dry)

    def _store(self, namespace, name, current, new, rv, dry):
        if rv != current["metadata"]["resourceVersion"]:
            raise Refusal(
                409,
                f'Operation cannot be fulfilled on {PLURAL}.{GROUP} "{name}": the object has been '
                "modified; please apply your changes to the latest version and try again",
                {"name": name, "group": GROUP, "kind": PLURAL},
                reason="Conflict",
            )
        obj = copy.deepcopy(new)
        obj["status"] = copy.deepcopy(current.get("status"))  # writes to the main resource keep the status
        if obj["status"] is None:
            obj.pop("status")
        meta, old = obj["metadata"], current["metadata"]
        for key in ("uid", "creationTimestamp"):
            meta[key] = old[key]
        meta["generation"] = old["generation"] + (new.get("spec") != current.get("spec"))
        meta["resourceVersion"] = self._next_rv()
        if not dry:
            self.objects[(namespace, name)] = obj
        return 200, copy.deepcopy(obj)

    def _delete(self, namespace, name, record, dry):
        obj = self.objects.get((namespace, name))
        if obj is None:
            raise self._missing(name)
        if not dry:  # the controller removes its finalizer at once, so the object goes
            del self.objects[(namespace, name)]
            self.scripts.pop((namespace, name), None)
            self.revisions.pop((namespace, name), None)
        return 200, {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {"name": name, "group": GROUP, "kind": PLURAL, "uid": obj["metadata"]["uid"]},
        }

    # -- checks ---------------------------------------------------------------------------------

    def _require_json(self, record, content_type):
        got = record["content_type"].split(";")[0].strip()
        if got != content_type:
            raise Refusal(
                415, f"the body of the request was in an unknown format - accepted media types include: {content_type}"
            )

    def _check_object(self, body, namespace, name) -> None:
        """Schema, ObjectMeta and KServe admission checks; 422 with the causes when invalid."""
        if not isinstance(body, dict):
            raise Refusal(400, "the body of the request must be a JSON object")
        errors = validate_object(body, self.schema)
        meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        if body.get("apiVersion") != f"{GROUP}/{VERSION}" or body.get("kind") != KIND:
            errors.append(("apiVersion/kind", f"must be {GROUP}/{VERSION} {KIND}"))
        obj_name = meta.get("name", "")
        if not obj_name and not meta.get("generateName"):
            errors.append(("metadata.name", "Required value: name or generateName is required"))
        if obj_name and (len(obj_name) > 253 or not _DNS1123_SUBDOMAIN.match(obj_name)):
            errors.append(("metadata.name", f"Invalid value: {obj_name!r}: a lowercase RFC 1123 subdomain"))
        if name is not None and obj_name != name:
            raise Refusal(400, f"the name of the object ({obj_name}) does not match the name on the URL ({name})")
        if meta.get("namespace", namespace) != namespace:
            raise Refusal(400, "the namespace of the provided object does not match the namespace sent on the request")
        for key, value in (meta.get("labels") or {}).items():
            if isinstance(value, str) and (len(value) > 63 or not _LABEL_VALUE.match(value)):
                errors.append((f"metadata.labels.{key}", f"Invalid value: {value!r}: a valid label value"))
        if errors:
            raise Refusal(
                422,
                f'{KIND}.{GROUP} "{obj_name}" is invalid: ' + ", ".join(f"{f}: {m}" for f, m in errors),
                self._details(obj_name, errors),
            )
        self._admit(body, obj_name)

    def _admit(self, body, name) -> None:
        """KServe's validating webhook, the checks that matter here."""
        problems = []
        if name and (len(name) > 63 or not _DNS1035.match(name)):
            problems.append(
                f'The InferenceService "{name}" is invalid: a DNS-1035 label must consist of lower '
                "case alphanumeric characters or '-', start with an alphabetic character, and end "
                "with an alphanumeric character"
            )
        spec = body.get("spec") or {}
        problems += _predictor_problems(spec.get("predictor") or {}, "spec.predictor")
        canaries = spec.get("canary") or []
        names = [(c.get("predictor") or {}).get("name") for c in canaries]
        for i, canary in enumerate(canaries):
            where = f"spec.canary[{i}].predictor"
            if not names[i] or not _DNS1035.match(names[i]):
                problems.append(f"{where}.name is required: a DNS-1035 label")
            problems += _predictor_problems(canary.get("predictor") or {}, where)
        if len(set(names)) != len(names):
            problems.append("spec.canary names must be unique")
        if sum(c.get("trafficPercent", 0) for c in canaries) > 100:
            problems.append("the trafficPercent of spec.canary must sum to at most 100")
        if problems:
            raise Refusal(
                422,
                'admission webhook "inferenceservice.kserve-webhook-server.validator" denied the '
                "request: " + "; ".join(problems),
                self._details(name, []),
            )

    def _details(self, name, errors) -> dict:
        return {
            "name": name,
            "group": GROUP,
            "kind": KIND,
            "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in errors],
        }

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)


def _predictor_problems(predictor: dict, where: str) -> list[str]:
    impls = [
        k
        for k in (
            "model",
            "sklearn",
            "xgboost",
            "lightgbm",
            "onnx",
            "tensorflow",
            "pytorch",
            "triton",
            "pmml",
            "paddle",
            "huggingface",
        )
        if k in predictor
    ]
    if predictor.get("containers"):
        impls.append("containers")
    problems = []
    if len(impls) != 1:
        problems.append(f"exactly one predictor implementation is required, got {impls or 'none'}")
    if "model" in predictor and "modelFormat" not in predictor["model"]:
        problems.append(f"{where}.model.modelFormat is required")
    return problems


def _merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out
