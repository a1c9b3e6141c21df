"""POST /ingest: KServe logger CloudEvents, idempotent on Ce-Id, with the ingest token or Jupyter auth."""

import asyncio
import json
import re
import uuid

import pytest
from tornado.httpclient import HTTPClientError

from ai4mlops_lab.monitoring.ingest_token import TOKEN_FILE, ingest_token
from ai4mlops_lab.workspace import STORE_FILE

from ..requests import stopped_deployment


def headers(kind="request", ce_id=None, **extra):
    base = {
        "Ce-Id": ce_id or uuid.uuid4().hex,
        "Ce-Specversion": "1.0",
        "Ce-Type": f"org.kubeflow.serving.inference.{kind}",
        "Ce-Source": "http://localhost:9081/",
        "Ce-Time": "2026-11-24T10:00:00Z",
        "Ce-Inferenceservicename": "iris",
        "Ce-Namespace": "default",
        "Ce-Component": "predictor",
        "Ce-Endpoint": "",
        "Content-Type": "application/json",
    }
    base.update(extra)
    return base


BODY = json.dumps({"instances": [[1.0, 2.0, 3.0]]})


async def post(jp_fetch, hdrs, body=BODY, **kwargs):
    return await jp_fetch("ai4mlops-lab", "api", "ingest", method="POST", body=body, headers=hdrs, **kwargs)


async def refused(jp_fetch, hdrs, body=BODY, **kwargs):
    with pytest.raises(HTTPClientError) as caught:
        await post(jp_fetch, hdrs, body, **kwargs)
    return caught.value.code, json.loads(caught.value.response.body)


@pytest.fixture(autouse=True)
def deployment(jp_root_dir):
    """The deployment 'iris' the events name (events of deployments that do not exist are refused)."""
    stopped_deployment(jp_root_dir / ".ai4mlops" / STORE_FILE, "iris")


@pytest.fixture
def token(jp_root_dir):
    return ingest_token(jp_root_dir / ".ai4mlops")


async def test_events_with_the_ingest_token_are_stored_once(jp_fetch, token):
    auth = {"Authorization": f"Bearer {token}"}
    request = headers("request", ce_id="abc")
    first = await post(jp_fetch, {**request, **auth})
    assert first.code == 202 and json.loads(first.body) == {"ce_id": "abc", "kind": "request", "stored": True}
    again = await post(jp_fetch, {**request, **auth})
    assert again.code == 200 and json.loads(again.body)["stored"] is False
    response = await post(jp_fetch, {**headers("response", ce_id="abc"), **auth}, body='{"predictions": [0]}')
    assert response.code == 202


async def test_the_token_may_come_in_the_url_as_kserves_logger_cannot_send_headers(jp_fetch, token):
    response = await post(jp_fetch, {**headers(), "Authorization": ""}, params={"ingest_token": token})
    assert response.code == 202


async def test_a_jupyter_user_may_post_too(jp_fetch):
    assert (await post(jp_fetch, headers())).code == 202


async def test_no_or_wrong_token_is_refused(jp_fetch, token):
    code, body = await refused(jp_fetch, {**headers(), "Authorization": ""})
    assert code == 401 and "ingest token" in body["detail"]
    code, _ = await refused(jp_fetch, {**headers(), "Authorization": "Bearer wrong"})
    assert code == 401


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Ce-Id": ""}, "Ce-Id"),
        ({"Ce-Type": "com.example.other"}, "Ce-Type"),
        ({"Ce-Specversion": "0.3"}, "Ce-Specversion"),
        ({"Ce-Inferenceservicename": ""}, "Ce-Inferenceservicename"),
    ],
)
async def test_malformed_events_are_400_naming_the_header_and_counted(jp_fetch, jp_serverapp, token, change, reason):
    code, body = await refused(jp_fetch, {**headers(**change), "Authorization": f"Bearer {token}"})
    assert code == 400 and body["error"] == "bad_event" and reason in body["detail"] and body["hint"]
    app = next(iter(jp_serverapp.extension_manager.extension_apps["ai4mlops_lab"]))
    counts = app.workspace.event_store.counts()
    assert sum(counts["rejected"].values()) == 1
    named = app.workspace.event_store.counts("iris")  # counted under the deployment the event names, if any
    assert sum(named["rejected" if reason != "Ce-Inferenceservicename" else "unattributed"].values()) == 1


async def test_concurrent_posts_with_retries_store_each_event_once(jp_fetch, jp_serverapp, token):
    auth = {"Authorization": f"Bearer {token}"}
    events = [(f"ev-{n}", kind) for n in range(30) for kind in ("request", "response")]
    posts = [{**headers(kind, ce_id=ce_id), **auth} for ce_id, kind in events]
    posts += posts[::7]  # retries
    answers = await asyncio.gather(*(post(jp_fetch, hdrs) for hdrs in posts))
    replies = [json.loads(answer.body) for answer in answers]
    assert sorted((r["ce_id"], r["kind"]) for r in replies if r["stored"]) == sorted(events)
    assert sum(answer.code == 200 for answer in answers) == len(posts) - len(events)
    app = next(iter(jp_serverapp.extension_manager.extension_apps["ai4mlops_lab"]))
    assert app.workspace.event_store.counts("iris") == {
        "requests": 30,
        "responses": 30,
        "rejected": {},
        "unattributed": {},
    }


async def test_a_deleted_or_replaced_ingest_token_is_refused_at_once(jp_fetch, jp_root_dir, token):
    assert (await post(jp_fetch, {**headers(), "Authorization": f"Bearer {token}"})).code == 202
    (jp_root_dir / ".ai4mlops" / TOKEN_FILE).unlink()
    code, _ = await refused(jp_fetch, {**headers(), "Authorization": f"Bearer {token}"})
    assert code == 401
    renewed = ingest_token(jp_root_dir / ".ai4mlops")
    code, _ = await refused(jp_fetch, {**headers(), "Authorization": f"Bearer {token}"})
    assert code == 401
    assert (await post(jp_fetch, {**headers(), "Authorization": f"Bearer {renewed}"})).code == 202


async def test_a_valid_ingest_token_in_either_place_is_enough(jp_fetch, token):
    """A proxy may add its own Authorization header to the logger's requests, which carry the token in the URL."""
    answer = await post(
        jp_fetch, {**headers(), "Authorization": "Bearer added-by-a-proxy"}, params={"ingest_token": token}
    )
    assert answer.code == 202
    answer = await post(jp_fetch, {**headers(), "Authorization": f"Bearer {token}"}, params={"ingest_token": "stale"})
    assert answer.code == 202
    code, _ = await refused(
        jp_fetch, {**headers(), "Authorization": "Bearer added-by-a-proxy"}, params={"ingest_token": "stale"}
    )
    assert code == 401


def app_of(jp_serverapp):
    return next(iter(jp_serverapp.extension_manager.extension_apps["ai4mlops_lab"]))


async def test_events_of_a_deployment_that_does_not_exist_are_404_and_counted_under_its_name(jp_fetch, jp_serverapp):
    code, body = await refused(jp_fetch, headers(**{"Ce-Inferenceservicename": "gone"}))
    assert code == 404 and body["error"] == "unknown_deployment" and "'gone'" in body["detail"] and body["hint"]
    counts = app_of(jp_serverapp).workspace.event_store.counts("gone")
    assert counts["requests"] == 0 and counts["rejected"] == {"unknown deployment": 1}


async def test_the_same_ce_id_is_idempotent_per_deployment_and_a_different_body_is_a_conflict(jp_fetch, jp_serverapp):
    stopped_deployment(app_of(jp_serverapp).workspace.store_path, "other")
    assert (await post(jp_fetch, headers(ce_id="same"))).code == 202
    assert (await post(jp_fetch, headers(ce_id="same", **{"Ce-Inferenceservicename": "other"}))).code == 202
    again = await post(jp_fetch, headers(ce_id="same"))
    assert again.code == 200 and json.loads(again.body)["stored"] is False
    code, body = await refused(jp_fetch, headers(ce_id="same"), body=json.dumps({"instances": [[9.0, 9.0, 9.0]]}))
    assert code == 409 and body["error"] == "conflicting_event" and "'same'" in body["detail"]
    store = app_of(jp_serverapp).workspace.event_store
    assert store.counts("iris")["requests"] == 1 and store.counts("other")["requests"] == 1
    assert store.counts("iris")["rejected"] == {"conflicting Ce-Id": 1}


async def test_the_ingest_token_path_keeps_jupyters_host_and_origin_checks(jp_fetch, token):
    """Requests with the ingest token skip Jupyter's user lookup, not its DNS-rebinding and cross-origin checks."""
    auth = {"Authorization": f"Bearer {token}"}
    code, _ = await refused(jp_fetch, {**headers(), **auth, "Host": "rebound.example.com"})
    assert code == 403
    code, _ = await refused(jp_fetch, {**headers(), **auth, "Origin": "https://elsewhere.example.com"})
    assert code == 404
    assert (await post(jp_fetch, {**headers(), **auth})).code == 202


async def test_accepted_events_are_not_logged_one_line_each_but_refusals_are(jp_fetch, jp_serverapp, token, caplog):
    auth = {"Authorization": f"Bearer {token}"}
    app = next(iter(jp_serverapp.extension_manager.extension_apps["ai4mlops_lab"]))
    with caplog.at_level("DEBUG", logger=app.log.name):
        assert (await post(jp_fetch, {**headers(), **auth})).code == 202
        await refused(jp_fetch, {**headers(), **auth, "Ce-Specversion": "0.3"})
    access = [m for m in (r.getMessage() for r in caplog.records) if re.match(r"\d{3} POST \S*/api/ingest", m)]
    assert len(access) == 1 and access[0].startswith("400 POST")


async def test_a_deployments_plain_post_is_stored_without_a_request_handler_and_others_go_to_the_handler(
    jp_fetch, token, monkeypatch
):
    """The fast path (`IngestRouter`) answers a post with the ingest token, no Origin and a loopback Host; a post
    with an Origin (even the server's own) or Jupyter's token reaches `IngestHandler`, here made to fail."""
    from prometheus_client import REGISTRY

    from ai4mlops_lab.server.ingest import IngestHandler

    def handler_used(self):
        raise AssertionError("IngestHandler should not have been used")

    auth = {"Authorization": f"Bearer {token}"}
    labels = {"method": "POST", "handler": "ai4mlops_lab.server.ingest.IngestHandler", "status_code": "202"}
    counted = REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) or 0
    monkeypatch.setattr(IngestHandler, "prepare", handler_used)
    fast = await post(jp_fetch, {**headers(ce_id="fast"), **auth})
    assert fast.code == 202 and json.loads(fast.body) == {"ce_id": "fast", "kind": "request", "stored": True}
    assert fast.headers["Content-Type"] == "application/json"
    assert REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) == counted + 1
    retry = await post(jp_fetch, {**headers(ce_id="fast"), "Authorization": ""}, params={"ingest_token": token})
    assert retry.code == 200 and json.loads(retry.body)["stored"] is False
    for other in ({**auth, "Origin": f"http://{fast.effective_url.split('/')[2]}"}, {}):
        code, _ = await refused(jp_fetch, {**headers(), **other})
        assert code == 500


def raw_post(base_url, token, ce_id):
    """One HTTP/1.1 post as KServe's logger writes it (the ingest token in the URL), as bytes."""
    lines = [f"POST {base_url}ai4mlops-lab/api/ingest?ingest_token={token} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers(ce_id=ce_id).items()]
    lines.append(f"Content-Length: {len(BODY)}")
    return ("\r\n".join(lines) + "\r\n\r\n" + BODY).encode()


async def test_the_fast_path_answers_pipelined_posts_in_order_and_outlives_senders_that_go_away(
    jp_fetch, jp_http_port, jp_base_url, jp_serverapp, token, caplog
):
    store = app_of(jp_serverapp).workspace.event_store
    reader, writer = await asyncio.open_connection("127.0.0.1", jp_http_port)
    writer.write(
        raw_post(jp_base_url, token, "p1") + raw_post(jp_base_url, token, "p2") + raw_post(jp_base_url, token, "p1")
    )
    answers = []
    for _ in range(3):
        status = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", status).group(1))
        answers.append((int(status.split()[1]), json.loads(await reader.readexactly(length))))
    assert [(code, answer["ce_id"], answer["stored"]) for code, answer in answers] == [
        (202, "p1", True),
        (202, "p2", True),
        (200, "p1", False),
    ]
    writer.close()
    # one sender goes away in the middle of its body, another before reading its answer
    _, cut = await asyncio.open_connection("127.0.0.1", jp_http_port)
    cut.write(raw_post(jp_base_url, token, "cut")[:-10])
    await cut.drain()
    cut.close()
    _, gone = await asyncio.open_connection("127.0.0.1", jp_http_port)
    gone.write(raw_post(jp_base_url, token, "gone"))
    await gone.drain()
    gone.close()
    auth = {"Authorization": f"Bearer {token}"}
    assert (await post(jp_fetch, {**headers(ce_id="after"), **auth})).code == 202
    for _ in range(50):  # the event whose sender went away is stored all the same, once its commit comes
        if store.counts("iris")["requests"] == 4:
            break
        await asyncio.sleep(0.05)
    assert store.counts("iris")["requests"] == 4  # p1, p2, gone, after: never the cut one
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
