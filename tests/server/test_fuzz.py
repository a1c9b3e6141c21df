"""Every route fuzzed from the OpenAPI document (schemathesis), valid and invalid requests alike: no 500, no
traceback, every reply (failures in the one error shape) as the document says. Bounded: a few examples per
operation and mode, against one real server in its own process."""

from urllib.parse import urlparse

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from ai4mlops_lab.store.events import EventStore

from ..requests import NAME, deploy_record, rows, send
from .contract import api_path, check_response, document
from .live import LiveServer

#: Operations that never get the seeded deployment's name: they would remove it or start a model server for it.
UNSEEDED = {"DELETE /deployments/{name}", "POST /deployments/{name}/restart"}
#: Examples per operation and generation mode (54 operation x mode pairs: well under a minute in all).
EXAMPLES = 25
SCHEMA = schemathesis.openapi.from_dict(document())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A Jupyter server whose store holds a deployment with reference data and logged requests."""
    root = tmp_path_factory.mktemp("fuzz") / "root"
    root.mkdir()
    deploy_record(root / ".ai4mlops")
    events = EventStore(root / ".ai4mlops" / "store.sqlite")
    send(events, rows(100))
    events.close()
    live = LiveServer(root)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def session(server):
    session = requests.Session()
    session.trust_env = False  # no proxy between the test and 127.0.0.1
    session.headers["Authorization"] = f"token {server.token}"
    yield session
    session.close()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_route_answers_as_documented(server, session, operation, mode):
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy(generation_mode=mode), seeded=st.booleans())
    def answers_as_documented(case, seeded):
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        if seeded and "name" in (case.path_parameters or {}) and operation.label not in UNSEEDED:
            case.path_parameters["name"] = NAME  # an existing deployment: past the lookup, into the handler
        # Control characters in a header are refused by Tornado's HTTP parser itself (a bare 400), before
        # any handler of ours sees the request.
        assume(all(_is_field_value(str(v)) for v in case.headers.values()))
        response = case.call(base_url=server.url, session=session, timeout=60)
        path = api_path(urlparse(response.request.url).path)
        assert response.status_code < 500, f"{case.method} {path}: {response.status_code} {response.text[:500]}"
        try:
            check_response(case.method, path, response.status_code, response.content)
        except AssertionError as err:
            raise AssertionError(f"{err}\nrequest: {response.request.headers} {response.request.body!r}") from None

    answers_as_documented()


def _is_field_value(value: str) -> bool:
    """Whether `value` is a header value HTTP/1.1 allows (no control characters but tab)."""
    return all(c == "\t" or 32 <= ord(c) != 127 for c in value)
