"""A strict loopback fake of the Kubeflow Pipelines v2beta1 REST API, driven by the official swagger.

Every request is matched to a swagger operation (404 unknown path, 405 wrong method), its query
parameters and JSON body are validated against the spec made strict (unknown fields, wrong types
and enum values refused, `$ref` resolved), and the checks the real server makes on top of the
spec are applied (a run needs `display_name` and one of `pipeline_spec` or
`pipeline_version_reference`, parameter values must match the pipeline's inputs, names must be
unique, uploads must carry a valid KFP IR YAML). Refusals answer a JSON `{error_message, code,
message}` body. State lives in memory, every request is recorded, and tests can script a run's
state progression and require a bearer token or a cookie.

The fake also validates its own responses against the spec's response schemas: any mismatch is
kept in `fake.faults` (and answered with 500), so a test can assert the fake told no lies.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

# gRPC status codes used in error bodies, with the HTTP status grpc-gateway maps them to.
GRPC = {302: 16, 400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 6, 500: 13, 501: 12}

# The proto enum numbers of v2beta1.Predicate.Operation (protojson accepts numbers; kfp sends them).
PREDICATE_OPERATIONS = {
    0: "OPERATION_UNSPECIFIED",
    1: "EQUALS",
    2: "NOT_EQUALS",
    3: "GREATER_THAN",
    5: "GREATER_THAN_EQUALS",
    6: "LESS_THAN",
    7: "LESS_THAN_EQUALS",
    8: "IN",
    9: "IS_SUBSTRING",
}

# KFP IR parameter types and the JSON values that fit them.
PARAMETER_TYPES = {
    "STRING": (str,),
    "NUMBER_INTEGER": (int,),
    "NUMBER_DOUBLE": (int, float),
    "BOOLEAN": (bool,),
    "LIST": (list,),
    "STRUCT": (dict,),
    "TASK_FINAL_STATUS": (dict,),
}

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

#: The keys runs may be filtered on (KFP's run model maps `recurring_run_id` too).
RUN_FILTER_KEYS = ("display_name", "name", "recurring_run_id")
#: The ranges of the 6 fields of KFP's cron (robfig/cron with seconds): weekdays 0-6, no 7.
CRON_RANGES = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))

#: The longest a held reply waits, so that a failing test never hangs.
HOLD_LIMIT_S = 60.0


class Refusal(Exception):
    """An HTTP error answer: status and message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def now() -> str:
    """RFC 3339 UTC timestamp, as the API server writes them."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---------------------------------------------------------------------------------------------
# Swagger: operations and strict schema validation
# ---------------------------------------------------------------------------------------------


class Routes:
    """The operations of a swagger or OpenAPI `paths` object, found by method and concrete path."""

    def __init__(self, paths: dict):
        self.table = []  # (regex, template, path parameter names, path item)
        for template, item in paths.items():
            names = re.findall(r"{([^}]+)}", template)
            pattern = re.escape(template)
            for name in names:
                pattern = pattern.replace(re.escape("{" + name + "}"), "([^/:]+)")
            self.table.append((re.compile("^" + pattern + "$"), template, names, item))

    def operation(self, method: str, path: str) -> tuple[dict, dict, dict]:
        """(operation, path parameters, path item) of a request; Refusal 404/405 when there is none."""
        # Literal paths win over templates (".../pipelines/upload" is not ".../pipelines/{id}").
        matches = sorted(
            (
                (len(names), template, names, item, m)
                for regex, template, names, item in self.table
                if (m := regex.match(path))
            ),
            key=lambda found: found[0],
        )
        if not matches:
            raise Refusal(404, f"no API operation at path {path}")
        for _, _template, names, item, match in matches:
            op = item.get(method.lower())
            if op is not None:
                return op, dict(zip(names, match.groups())), item
        raise Refusal(405, f"method {method} not allowed on {matches[0][1]}")


class Spec:
    """The swagger document: operation lookup and strict validation of values against schemas."""

    def __init__(self, path: Path):
        self.doc = json.loads(Path(path).read_text(encoding="utf-8"))
        self.definitions = self.doc["definitions"]
        self.routes = Routes(self.doc["paths"])

    def operation(self, method: str, path: str) -> tuple[dict, dict]:
        """The operation and path parameters for a request; Refusal 404/405 when there is none."""
        op, params, _ = self.routes.operation(method, path)
        return op, params

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.definitions[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def check(self, schema: dict, value, where: str) -> None:
        """Validate `value` against `schema` made strict; raise Refusal(400) naming the field."""
        schema = self.resolve(schema)
        kind = schema.get("type")
        if "enum" in schema and value not in schema["enum"]:
            raise Refusal(400, f"{where}: {value!r} is not one of {schema['enum']}")
        if kind == "string":
            if not isinstance(value, str):
                raise Refusal(400, f"{where}: expected a string, got {type(value).__name__}")
            fmt = schema.get("format")
            if fmt in ("int64", "uint64") and not re.fullmatch(r"-?\d+", value):
                raise Refusal(400, f"{where}: {value!r} is not an {fmt} string")
            if fmt == "date-time" and not _DATE_TIME.match(value):
                raise Refusal(400, f"{where}: {value!r} is not an RFC 3339 date-time")
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise Refusal(400, f"{where}: expected an integer, got {type(value).__name__}")
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise Refusal(400, f"{where}: expected a number, got {type(value).__name__}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                raise Refusal(400, f"{where}: expected a boolean, got {type(value).__name__}")
        elif kind == "array":
            if not isinstance(value, list):
                raise Refusal(400, f"{where}: expected an array, got {type(value).__name__}")
            for i, item in enumerate(value):
                self.check(schema.get("items", {}), item, f"{where}[{i}]")
        elif kind == "object" or "properties" in schema:
            if not isinstance(value, dict):
                raise Refusal(400, f"{where}: expected an object, got {type(value).__name__}")
            self._check_object(schema, value, where)
        elif kind is None and schema == {}:
            return  # any JSON value (google.protobuf.Value)
        elif kind is None and value is None:
            raise Refusal(400, f"{where}: null is not allowed")

    def _check_object(self, schema: dict, value: dict, where: str) -> None:
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is None and extra is None:
            return  # a free-form google.protobuf.Struct (e.g. pipeline_spec)
        for key, item in value.items():
            if props is not None and key in props:
                self.check(props[key], item, f"{where}.{key}")
            elif isinstance(extra, dict):
                self.check(extra, item, f"{where}.{key}")
            else:
                raise Refusal(400, f"{where}: unknown field {key!r}")

    def check_query(self, op: dict, query: dict[str, list[str]]) -> dict:
        """Validate query parameters (known names, one value each, types, enums); typed values."""
        declared = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
        typed = {}
        for name, values in query.items():
            param = declared.get(name)
            if param is None:
                raise Refusal(400, f"unknown query parameter {name!r}")
            if len(values) != 1:
                raise Refusal(400, f"query parameter {name!r} given {len(values)} times")
            raw = values[0]
            kind = param.get("type")
            if kind == "integer":
                if not re.fullmatch(r"-?\d+", raw):
                    raise Refusal(400, f"query parameter {name!r}: {raw!r} is not an integer")
                value = int(raw)
            elif kind == "boolean":
                if raw not in ("true", "false"):
                    raise Refusal(400, f"query parameter {name!r}: {raw!r} is not a boolean")
                value = raw == "true"
            else:
                value = raw
            if "enum" in param and value not in param["enum"]:
                raise Refusal(400, f"query parameter {name!r}: {raw!r} is not one of {param['enum']}")
            typed[name] = value
        return typed

    def body_schema(self, op: dict) -> dict | None:
        for param in op.get("parameters", []):
            if param["in"] == "body":
                return param.get("schema", {})
        return None

    def response_schema(self, op: dict, status: int) -> dict | None:
        responses = op.get("responses", {})
        entry = responses.get(str(status)) or responses.get("default")
        return (entry or {}).get("schema")


def camel_to_snake(value):
    """protojson accepts lowerCamelCase names: normalise keys to the proto's snake_case."""
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): camel_to_snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_to_snake(v) for v in value]
    return value


def parse_ir(data: bytes, where: str) -> dict:
    """Parse and validate a KFP IR YAML package (PipelineSpec proto, unknown fields refused)."""
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2

    try:
        docs = [d for d in yaml.safe_load_all(data.decode("utf-8")) if d is not None]
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise Refusal(400, f"{where}: not a YAML file: {exc}") from exc
    if not docs or not isinstance(docs[0], dict):
        raise Refusal(400, f"{where}: no pipeline spec document")
    spec = docs[0]
    try:
        json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec())
        for doc in docs[1:]:
            json_format.ParseDict(doc, pipeline_spec_pb2.PlatformSpec())
    except json_format.ParseError as exc:
        raise Refusal(400, f"{where}: not a valid KFP pipeline spec: {exc}") from exc
    for key in ("pipelineInfo", "root", "schemaVersion", "deploymentSpec"):
        if key not in spec:
            raise Refusal(400, f"{where}: pipeline spec lacks {key!r}")
    if not spec["pipelineInfo"].get("name"):
        raise Refusal(400, f"{where}: pipeline spec lacks pipelineInfo.name")
    return spec


# ---------------------------------------------------------------------------------------------
# The fake server
# ---------------------------------------------------------------------------------------------


@dataclass
class Recorded:
    """One request as the fake saw it."""

    method: str
    path: str
    operation: str
    query: dict
    headers: dict
    body: object = None
    upload: dict | None = None
    status: int = 0
    error: str = ""


@dataclass
class _State:
    pipelines: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    experiments: dict = field(default_factory=dict)
    runs: dict = field(default_factory=dict)
    recurring_runs: dict = field(default_factory=dict)
    scripts: dict = field(default_factory=dict)  # run_id -> remaining progression steps


class FakeKfp:
    """A loopback KFP API server. Use as a context manager or call start()/stop()."""

    def __init__(self, spec_path: Path, *, multi_user: bool = False):
        self.spec = Spec(spec_path)
        self.multi_user = multi_user
        self.requests: list[Recorded] = []
        self.faults: list[str] = []
        self.bearer: str | None = None
        self.cookie: str | None = None
        self.refusal_status = 401  # what unauthenticated requests get: 401, 403 or a 302 to a login page
        self.stalls: dict[str, float] = {}  # operation id -> seconds to wait before answering
        self.holds: dict[str, threading.Event] = {}  # operation id -> set when its held replies may go
        self.held = threading.Event()  # set when a request is being held
        self.state = _State()
        self._next_script: list[dict] | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeKfp:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._handle(self)

            do_POST = do_DELETE = do_PATCH = do_PUT = do_GET

            def log_message(self, *args):  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-kfp", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> FakeKfp:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- test controls ----------------------------------------------------------------------

    def require_bearer(self, token: str | None) -> None:
        """Answer 401 unless `Authorization: Bearer <token>` is sent."""
        self.bearer = token

    def require_cookie(self, cookie: str | None) -> None:
        """Answer 401 unless the `Cookie` header contains `cookie` (e.g. 'authservice_session=x')."""
        self.cookie = cookie

    def stall(self, operation: str, seconds: float) -> None:
        """Wait `seconds` before answering `operation` (to exercise client timeouts)."""
        self.stalls[operation] = seconds

    @contextlib.contextmanager
    def hold(self, operation: str):
        """Hold every reply to `operation` until the block ends (at most `HOLD_LIMIT_S`); yields an Event set
        once a request is held."""
        release = threading.Event()
        self.held.clear()
        self.holds[operation] = release
        try:
            yield self.held
        finally:
            del self.holds[operation]
            release.set()

    def script_next_run(self, steps: list[dict]) -> None:
        """Script the next created run: each GET of it applies the next step (the last one sticks).

        A step is a partial v2beta1Run, e.g. {"state": "RUNNING", "run_details": {...}}.
        """
        self._next_script = copy.deepcopy(steps)

    def fire_recurring_run(self, recurring_run_id: str, state: str = "SUCCEEDED") -> dict:
        """Start a run of the recurring run, as KFP's scheduler does at a due time; the run."""
        with self._lock:
            recurring = self.state.recurring_runs[recurring_run_id]
            run = {
                "run_id": str(uuid.uuid4()),
                "display_name": f"{recurring['display_name']}-{uuid.uuid4().hex[:8]}",
                "experiment_id": recurring["experiment_id"],
                "recurring_run_id": recurring_run_id,
                "pipeline_version_reference": copy.deepcopy(recurring["pipeline_version_reference"]),
                "runtime_config": copy.deepcopy(recurring.get("runtime_config", {})),
                "storage_state": "AVAILABLE",
                "created_at": now(),
                "scheduled_at": now(),
                "state": state,
                "state_history": [{"update_time": now(), "state": state}],
            }
            self.state.runs[run["run_id"]] = run
        return copy.deepcopy(run)

    @staticmethod
    def task(name: str, state: str, *, error: str = "", started: bool = True, finished: bool = False) -> dict:
        """A v2beta1PipelineTaskDetail for scripted run details."""
        detail = {"task_id": uuid.uuid4().hex, "display_name": name, "create_time": now(), "state": state}
        if started:
            detail["start_time"] = now()
        if finished:
            detail["end_time"] = now()
        if error:
            detail["error"] = {"code": 2, "message": error}
        return detail

    def calls(self) -> list[str]:
        """Operation ids of every request so far, in order."""
        return [r.operation for r in self.requests]

    def find(self, operation: str) -> list[Recorded]:
        return [r for r in self.requests if r.operation == operation]

    # -- request handling -------------------------------------------------------------------

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        url = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        raw = http.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in http.headers.items()}
        record = Recorded(http.command, url.path, "", {}, headers)
        try:
            op, path_params = self.spec.operation(http.command, url.path)
            record.operation = op.get("operationId", "")
            self._check_auth(headers)
            if record.operation in self.stalls:
                time.sleep(self.stalls[record.operation])
            release = self.holds.get(record.operation)
            if release is not None:
                self.held.set()
                release.wait(timeout=HOLD_LIMIT_S)
            query = self.spec.check_query(op, parse_qs(url.query, keep_blank_values=True))
            record.query = query
            body = self._parse_body(op, headers, raw, record)
            with self._lock:
                status, payload = self._dispatch(record.operation, path_params, query, body, record)
            schema = self.spec.response_schema(op, status)
            if schema is not None:
                try:
                    self.spec.check(schema, payload, "response")
                except Refusal as exc:
                    self.faults.append(f"{record.operation}: {exc.message}")
                    raise Refusal(500, f"fake produced an invalid response: {exc.message}") from exc
        except Refusal as exc:
            status = exc.status
            payload = {"error_message": exc.message, "code": GRPC.get(status, 2), "message": exc.message}
            record.error = exc.message
        except Exception as exc:  # a bug in the fake: answer 500 and keep it for the test to see
            status = 500
            payload = {"error_message": f"fake error: {exc!r}", "code": 13, "message": repr(exc)}
            self.faults.append(f"{record.operation or url.path}: {exc!r}")
        record.status = status
        self.requests.append(record)
        data = json.dumps(payload).encode()
        http.send_response(status)
        http.send_header("Content-Type", "application/json")
        if 300 <= status < 400:
            http.send_header("Location", "/dex/auth?client_id=kubeflow-oidc-authservice")
        http.send_header("Content-Length", str(len(data)))
        http.end_headers()
        http.wfile.write(data)

    def _check_auth(self, headers: dict) -> None:
        if self.bearer is not None and headers.get("authorization") != f"Bearer {self.bearer}":
            raise Refusal(self.refusal_status, "request is not authenticated: a valid bearer token is required")
        if self.cookie is not None:
            sent = [c.strip() for c in headers.get("cookie", "").split(";")]
            if self.cookie not in sent:
                raise Refusal(self.refusal_status, "request is not authenticated: a session cookie is required")

    def _parse_body(self, op: dict, headers: dict, raw: bytes, record: Recorded):
        form_params = [p for p in op.get("parameters", []) if p["in"] == "formData"]
        if form_params:
            return self._parse_upload(form_params, headers, raw, record)
        schema = self.spec.body_schema(op)
        if schema is None:
            if raw.strip() not in (b"", b"{}"):
                raise Refusal(400, "this operation takes no request body")
            return None
        ctype = headers.get("content-type", "")
        if not ctype.startswith("application/json"):
            raise Refusal(400, f"expected an application/json body, got {ctype!r}")
        try:
            body = json.loads(raw or b"null")
        except ValueError as exc:
            raise Refusal(400, f"body is not JSON: {exc}") from exc
        record.body = body
        if body is None:
            raise Refusal(400, "a request body is required")
        self.spec.check(schema, body, "body")
        return body

    def _parse_upload(self, form_params: list, headers: dict, raw: bytes, record: Recorded) -> dict:
        from tornado.httputil import parse_body_arguments

        ctype = headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise Refusal(400, f"expected a multipart/form-data upload, got {ctype!r}")
        arguments, files = {}, {}
        parse_body_arguments(ctype, raw, arguments, files)
        known = {p["name"] for p in form_params}
        for name in list(arguments) + list(files):
            if name not in known:
                raise Refusal(400, f"unknown form field {name!r}")
        uploads = files.get("uploadfile") or []
        if len(uploads) != 1:
            raise Refusal(400, "the upload needs exactly one 'uploadfile' file part")
        upload = uploads[0]
        record.upload = {"filename": upload.filename, "content_type": upload.content_type, "size": len(upload.body)}
        spec = parse_ir(upload.body, "uploadfile")
        return {"spec": spec}

    # -- operations -------------------------------------------------------------------------

    def _dispatch(self, operation: str, path: dict, query: dict, body, record: Recorded):
        handler = getattr(self, "_op_" + operation, None)
        if handler is None:
            raise Refusal(501, f"{operation} is valid but not implemented by the fake")
        return handler(path=path, query=query, body=body)

    def _op_HealthzService_GetHealthz(self, **_):
        return 200, {"multi_user": self.multi_user, "pipeline_store": "database"}

    # pipelines

    def _op_UploadPipeline(self, query, body, **_):
        name = query.get("name") or query.get("display_name")
        if not name or not name.strip():
            raise Refusal(400, "pipeline upload needs a 'name' (or 'display_name') query parameter")
        namespace = query.get("namespace", "")
        if any(p["name"] == name and p.get("namespace", "") == namespace for p in self.state.pipelines.values()):
            raise Refusal(409, f"a pipeline named {name!r} already exists")
        pipeline = {
            "pipeline_id": str(uuid.uuid4()),
            "name": name,
            "display_name": query.get("display_name") or name,
            "created_at": now(),
        }
        for key in ("description", "namespace"):
            if query.get(key):
                pipeline[key] = query[key]
        self.state.pipelines[pipeline["pipeline_id"]] = pipeline
        self._add_version(pipeline["pipeline_id"], name, query, body["spec"])
        return 200, dict(pipeline)

    def _op_UploadPipelineVersion(self, query, body, **_):
        pipeline_id = query.get("pipelineid")
        if not pipeline_id:
            raise Refusal(400, "pipeline version upload needs the 'pipelineid' query parameter")
        if pipeline_id not in self.state.pipelines:
            raise Refusal(404, f"pipeline {pipeline_id} not found")
        name = query.get("name") or query.get("display_name")
        if not name or not name.strip():
            raise Refusal(400, "pipeline version upload needs a 'name' (or 'display_name') query parameter")
        return 200, self._public_version(self._add_version(pipeline_id, name, query, body["spec"]))

    def _add_version(self, pipeline_id: str, name: str, query: dict, spec: dict) -> dict:
        if any(v["pipeline_id"] == pipeline_id and v["name"] == name for v in self.state.versions.values()):
            raise Refusal(409, f"pipeline version {name!r} already exists in pipeline {pipeline_id}")
        version = {
            "pipeline_id": pipeline_id,
            "pipeline_version_id": str(uuid.uuid4()),
            "name": name,
            "display_name": query.get("display_name") or name,
            "created_at": now(),
            "pipeline_spec": spec,
        }
        if query.get("description"):
            version["description"] = query["description"]
        self.state.versions[version["pipeline_version_id"]] = version
        return version

    @staticmethod
    def _public_version(version: dict) -> dict:
        return copy.deepcopy(version)

    def _op_PipelineService_ListPipelines(self, query, **_):
        items = [p for p in self.state.pipelines.values() if p.get("namespace", "") == query.get("namespace", "")]
        items = self._filtered(items, query)
        return 200, self._page(items, query, "pipelines")

    def _op_PipelineService_GetPipeline(self, path, **_):
        pipeline = self.state.pipelines.get(path["pipeline_id"])
        if pipeline is None:
            raise Refusal(404, f"pipeline {path['pipeline_id']} not found")
        return 200, dict(pipeline)

    def _op_PipelineService_ListPipelineVersions(self, path, query, **_):
        if path["pipeline_id"] not in self.state.pipelines:
            raise Refusal(404, f"pipeline {path['pipeline_id']} not found")
        items = [
            self._public_version(v) for v in self.state.versions.values() if v["pipeline_id"] == path["pipeline_id"]
        ]
        items = self._filtered(items, query)
        return 200, self._page(items, query, "pipeline_versions")

    def _op_PipelineService_GetPipelineVersion(self, path, **_):
        version = self.state.versions.get(path["pipeline_version_id"])
        if version is None or version["pipeline_id"] != path["pipeline_id"]:
            raise Refusal(404, f"pipeline version {path['pipeline_version_id']} not found")
        return 200, self._public_version(version)

    # experiments

    def _op_ExperimentService_CreateExperiment(self, body, **_):
        name = body.get("display_name", "")
        if not name.strip():
            raise Refusal(400, "experiment.display_name is required")
        namespace = body.get("namespace", "")
        for key in ("experiment_id", "created_at", "storage_state", "last_run_created_at"):
            if key in body:
                raise Refusal(400, f"experiment.{key} is an output field")
        if any(
            e["display_name"] == name and e.get("namespace", "") == namespace for e in self.state.experiments.values()
        ):
            raise Refusal(409, f"an experiment named {name!r} already exists")
        experiment = {
            "experiment_id": str(uuid.uuid4()),
            "display_name": name,
            "created_at": now(),
            "storage_state": "AVAILABLE",
        }
        for key in ("description", "namespace"):
            if body.get(key):
                experiment[key] = body[key]
        self.state.experiments[experiment["experiment_id"]] = experiment
        return 200, dict(experiment)

    def _op_ExperimentService_ListExperiments(self, query, **_):
        items = [e for e in self.state.experiments.values() if e.get("namespace", "") == query.get("namespace", "")]
        return 200, self._page(self._filtered(items, query), query, "experiments")

    def _op_ExperimentService_GetExperiment(self, path, **_):
        experiment = self.state.experiments.get(path["experiment_id"])
        if experiment is None:
            raise Refusal(404, f"experiment {path['experiment_id']} not found")
        return 200, dict(experiment)

    # runs

    def _op_RunService_CreateRun(self, body, **_):
        if not body.get("display_name", "").strip():
            raise Refusal(400, "run.display_name is required")
        for key in (
            "run_id",
            "created_at",
            "scheduled_at",
            "finished_at",
            "state",
            "error",
            "run_details",
            "state_history",
            "storage_state",
        ):
            if key in body:
                raise Refusal(400, f"run.{key} is an output field")
        spec = self._version_spec(body.get("pipeline_version_reference"), body.get("pipeline_spec"), "run")
        parameters = (body.get("runtime_config") or {}).get("parameters", {})
        self._check_parameters(spec, parameters)
        experiment_id = body.get("experiment_id") or self._default_experiment()
        if experiment_id not in self.state.experiments:
            raise Refusal(404, f"experiment {experiment_id} not found")
        run = copy.deepcopy(body)
        run.update(
            {
                "run_id": str(uuid.uuid4()),
                "experiment_id": experiment_id,
                "storage_state": "AVAILABLE",
                "created_at": now(),
                "scheduled_at": now(),
                "state": "PENDING",
                "state_history": [{"update_time": now(), "state": "PENDING"}],
            }
        )
        self.state.runs[run["run_id"]] = run
        if self._next_script is not None:
            self.state.scripts[run["run_id"]] = self._next_script
            self._next_script = None
        return 200, copy.deepcopy(run)

    def _version_spec(self, ref: dict | None, inline: dict | None, what: str) -> dict:
        """The pipeline spec a run or recurring run names: by version reference (its version, else the latest) or
        inline."""
        if bool(ref) == bool(inline):
            raise Refusal(400, f"a {what} needs exactly one of pipeline_spec or pipeline_version_reference")
        if inline:
            return parse_ir(yaml.safe_dump(inline).encode(), f"{what}.pipeline_spec")
        if not ref.get("pipeline_id"):
            raise Refusal(400, "pipeline_version_reference.pipeline_id is required")
        if ref["pipeline_id"] not in self.state.pipelines:
            raise Refusal(404, f"pipeline {ref['pipeline_id']} not found")
        version_id = ref.get("pipeline_version_id")
        if version_id:
            version = self.state.versions.get(version_id)
            if version is None or version["pipeline_id"] != ref["pipeline_id"]:
                raise Refusal(404, f"pipeline version {version_id} not found in pipeline {ref['pipeline_id']}")
        else:
            version = max(
                (v for v in self.state.versions.values() if v["pipeline_id"] == ref["pipeline_id"]),
                key=lambda v: v["created_at"],
            )
        return version["pipeline_spec"]

    def _check_parameters(self, spec: dict, parameters: dict) -> None:
        declared = spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {})
        for name, value in parameters.items():
            if name not in declared:
                raise Refusal(
                    400, f"runtime parameter {name!r} is not an input of the pipeline (inputs: {sorted(declared)})"
                )
            kind = declared[name].get("parameterType", "STRING")
            fits = PARAMETER_TYPES.get(kind, (object,))
            if isinstance(value, bool) and kind != "BOOLEAN" or not isinstance(value, fits):
                raise Refusal(400, f"runtime parameter {name!r}: {value!r} is not a {kind}")
        for name, definition in declared.items():
            if name not in parameters and "defaultValue" not in definition and not definition.get("isOptional"):
                raise Refusal(400, f"runtime parameter {name!r} is required")

    def _default_experiment(self) -> str:
        for experiment in self.state.experiments.values():
            if experiment["display_name"] == "Default":
                return experiment["experiment_id"]
        return self._op_ExperimentService_CreateExperiment(body={"display_name": "Default"})[1]["experiment_id"]

    def _run(self, run_id: str) -> dict:
        run = self.state.runs.get(run_id)
        if run is None:
            raise Refusal(404, f"run {run_id} not found")
        return run

    def _op_RunService_GetRun(self, path, **_):
        run = self._run(path["run_id"])
        script = self.state.scripts.get(run["run_id"])
        if script:
            step = script.pop(0) if len(script) > 1 else script[0]
            self._apply(run, copy.deepcopy(step))
        elif run["state"] == "CANCELING":
            self._apply(run, {"state": "CANCELED"})
        return 200, copy.deepcopy(run)

    @staticmethod
    def _apply(run: dict, step: dict) -> None:
        if "state" in step and step["state"] != run.get("state"):
            run.setdefault("state_history", []).append({"update_time": now(), "state": step["state"]})
        run.update(step)
        if run.get("state") in ("SUCCEEDED", "FAILED", "CANCELED", "SKIPPED") and "finished_at" not in run:
            run["finished_at"] = now()

    def _op_RunService_TerminateRun(self, path, **_):
        run = self._run(path["run_id"])
        if run["state"] not in ("SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"):
            self._apply(run, {"state": "CANCELING"})
            self.state.scripts.pop(run["run_id"], None)
        return 200, {}

    def _op_RunService_ListRuns(self, query, **_):
        items = [
            copy.deepcopy(r)
            for r in self.state.runs.values()
            if not query.get("experiment_id") or r["experiment_id"] == query["experiment_id"]
        ]
        return 200, self._page(self._filtered(items, query, RUN_FILTER_KEYS), query, "runs")

    # recurring runs

    def _op_RecurringRunService_CreateRecurringRun(self, body, **_):
        if not body.get("display_name", "").strip():
            raise Refusal(400, "recurring_run.display_name is required")
        for key in ("recurring_run_id", "created_at", "updated_at", "status", "error", "namespace"):
            if key in body:
                raise Refusal(400, f"recurring_run.{key} is an output field")
        if body.get("mode") not in ("ENABLE", "DISABLE"):
            raise Refusal(400, "recurring_run.mode must be ENABLE or DISABLE")
        concurrency = body.get("max_concurrency", "1")
        if not 1 <= int(concurrency) <= 10:
            raise Refusal(400, f"max_concurrency {concurrency} is outside 1-10")
        self._check_trigger(body.get("trigger") or {})
        spec = self._version_spec(body.get("pipeline_version_reference"), body.get("pipeline_spec"), "recurring run")
        self._check_parameters(spec, (body.get("runtime_config") or {}).get("parameters", {}))
        experiment_id = body.get("experiment_id") or self._default_experiment()
        if experiment_id not in self.state.experiments:
            raise Refusal(404, f"experiment {experiment_id} not found")
        recurring = copy.deepcopy(body)
        recurring.update(
            {
                "recurring_run_id": str(uuid.uuid4()),
                "experiment_id": experiment_id,
                "created_at": now(),
                "updated_at": now(),
                "status": "ENABLED" if body["mode"] == "ENABLE" else "DISABLED",
            }
        )
        self.state.recurring_runs[recurring["recurring_run_id"]] = recurring
        return 200, copy.deepcopy(recurring)

    @staticmethod
    def _check_trigger(trigger: dict) -> None:
        """One of a cron schedule (KFP's 6 fields, seconds first, robfig/cron ranges) or a periodic schedule."""
        cron, periodic = trigger.get("cron_schedule"), trigger.get("periodic_schedule")
        if bool(cron) == bool(periodic):
            raise Refusal(
                400, "a recurring run needs exactly one of trigger.cron_schedule or trigger.periodic_schedule"
            )
        if cron:
            fields = cron.get("cron", "").split()
            if len(fields) != 6:
                raise Refusal(400, f"trigger.cron_schedule.cron {cron.get('cron')!r}: expected exactly 6 fields")
            for text, (low, high) in zip(fields, CRON_RANGES):
                for item in text.split(","):
                    base = item.split("/")[0]
                    numbers = [] if base in ("*", "?") else base.split("-")
                    if not all(n.isdigit() and low <= int(n) <= high for n in numbers):
                        raise Refusal(400, f"trigger.cron_schedule.cron: {text!r} is outside {low}-{high}")
        elif int(periodic.get("interval_second", "0")) <= 0:
            raise Refusal(400, "trigger.periodic_schedule.interval_second must be positive")

    def _recurring(self, recurring_run_id: str) -> dict:
        recurring = self.state.recurring_runs.get(recurring_run_id)
        if recurring is None:
            raise Refusal(404, f"recurring run {recurring_run_id} not found")
        return recurring

    def _op_RecurringRunService_GetRecurringRun(self, path, **_):
        return 200, copy.deepcopy(self._recurring(path["recurring_run_id"]))

    def _op_RecurringRunService_ListRecurringRuns(self, query, **_):
        items = [
            copy.deepcopy(r)
            for r in self.state.recurring_runs.values()
            if not query.get("experiment_id") or r["experiment_id"] == query["experiment_id"]
        ]
        return 200, self._page(self._filtered(items, query), query, "recurringRuns")  # the swagger's spelling

    def _op_RecurringRunService_EnableRecurringRun(self, path, **_):
        self._recurring(path["recurring_run_id"]).update(status="ENABLED", updated_at=now())
        return 200, {}

    def _op_RecurringRunService_DisableRecurringRun(self, path, **_):
        self._recurring(path["recurring_run_id"]).update(status="DISABLED", updated_at=now())
        return 200, {}

    def _op_RecurringRunService_DeleteRecurringRun(self, path, **_):
        self._recurring(path["recurring_run_id"])
        del self.state.recurring_runs[path["recurring_run_id"]]
        return 200, {}

    # -- list helpers -----------------------------------------------------------------------

    def _filtered(self, items: list[dict], query: dict, keys: tuple = ("display_name", "name")) -> list[dict]:
        raw = query.get("filter")
        if not raw:
            return items
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise Refusal(400, f"filter is not JSON: {exc}") from exc
        parsed = camel_to_snake(parsed)
        for predicate in parsed.get("predicates", []) if isinstance(parsed, dict) else []:
            if isinstance(predicate, dict) and isinstance(predicate.get("operation"), int):
                if predicate["operation"] not in PREDICATE_OPERATIONS:
                    raise Refusal(400, f"filter: unknown operation number {predicate['operation']}")
                predicate["operation"] = PREDICATE_OPERATIONS[predicate["operation"]]
        self.spec.check({"$ref": "#/definitions/v2beta1Filter"}, parsed, "filter")
        for predicate in parsed.get("predicates", []):
            if predicate.get("operation") != "EQUALS" or "string_value" not in predicate:
                raise Refusal(501, "the fake filters only with EQUALS on a string_value")
            key, wanted = predicate.get("key", ""), predicate["string_value"]
            if key not in keys:
                raise Refusal(400, f"filter: cannot filter on key {key!r}")
            items = [i for i in items if i.get(key) == wanted]
        return items

    def _page(self, items: list[dict], query: dict, key: str) -> dict:
        sort_by = query.get("sort_by", "")
        if sort_by:
            field_name, _, order = sort_by.partition(" ")
            if field_name not in ("created_at", "name", "display_name") or order not in ("", "desc"):
                raise Refusal(400, f"cannot sort by {sort_by!r}")
            items = sorted(items, key=lambda i: i.get(field_name, ""), reverse=order == "desc")
        size = query.get("page_size") or 50
        if size < 0:
            raise Refusal(400, "page_size must not be negative")
        token = query.get("page_token") or "0"
        if not token.isdigit():
            raise Refusal(400, f"invalid page_token {token!r}")
        start = int(token)
        page = items[start : start + size]
        answer = {"total_size": len(items)}
        if page:
            answer[key] = page
        if start + size < len(items):
            answer["next_page_token"] = str(start + size)
        return answer
