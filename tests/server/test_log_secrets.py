"""No token reaches the server's log: the ingest token and the Jupyter token, in URLs or headers, on accepted,
refused and failing requests (issue 10, item 5)."""

import json
import uuid

from ai4mlops_lab.monitoring.ingest_token import ingest_token
from ai4mlops_lab.server.log_scrub import scrub

from .live import LiveServer


def event(**extra) -> dict:
    return {
        "Ce-Id": uuid.uuid4().hex,
        "Ce-Specversion": "1.0",
        "Ce-Source": "test",
        "Ce-Inferenceservicename": "nope",
        "Ce-Type": "org.kubeflow.serving.inference.request",
        **extra,
    }


def test_tokens_are_scrubbed_from_every_log_line(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    token = ingest_token(root / ".ai4mlops")
    server = LiveServer(root, "--log-level=DEBUG")
    try:
        body = json.dumps({"instances": [[1.0]]}).encode()
        requests = [
            ("POST", f"ingest?ingest_token={token}", event(Authorization="Bearer added-by-a-proxy")),
            ("POST", f"ingest?ingest_token={token}", event(**{"Ce-Specversion": "0.3"})),  # a 400
            ("POST", f"ingest?ingest_token={token}x", event()),  # a 401: a wrong token is a secret too
            ("GET", f"deployments?ingest_token={token}", {}),  # a 403: not a Jupyter user
            ("GET", f"deployments?token={server.token}", {}),
            ("GET", "deployments", {"Authorization": f"Bearer {token}"}),
        ]
        statuses = [
            server.request(method, route, body if method == "POST" else None, extra, auth=False)[0]
            for method, route, extra in requests
        ]
    finally:
        server.stop()
    log = server.log()
    assert statuses[3] == 403 and 401 in statuses
    assert "[secret]" in log and "ingest_token=" in log  # the lines are there, without the values
    assert token not in log and server.token not in log


def test_scrub_replaces_query_tokens_and_authorization_credentials():
    line = (
        "401 POST /ai4mlops-lab/api/ingest?ingest_token=abc123&x=1 (127.0.0.1) "
        "Authorization: Bearer s3cr3t-value; /lab?token=0123456789abcdef"
    )
    assert scrub(line) == (
        "401 POST /ai4mlops-lab/api/ingest?ingest_token=[secret]&x=1 (127.0.0.1) "
        "Authorization: Bearer [secret]; /lab?token=[secret]"
    )
