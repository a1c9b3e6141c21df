"""The drift REST routes, fed through POST /ingest as deployments feed them."""

import asyncio
import json
import uuid

import pytest
from tornado.httpclient import HTTPClientError

from ai4mlops_lab.monitoring.ingest_token import ingest_token

from ..requests import NAME, deploy_record, rows


@pytest.fixture
def workspace(jp_root_dir):
    workspace = jp_root_dir / ".ai4mlops"
    deploy_record(workspace)
    return workspace


async def api(jp_fetch, *path, method="GET", body=None, **kwargs):
    response = await jp_fetch(
        "ai4mlops-lab", "api", *path, method=method, body=None if body is None else json.dumps(body), **kwargs
    )
    return json.loads(response.body) if response.body else None


async def ingest(jp_fetch, workspace, data, batch=25):
    token = ingest_token(workspace)
    for start in range(0, len(data), batch):
        headers = {
            "Ce-Id": uuid.uuid4().hex,
            "Ce-Specversion": "1.0",
            "Ce-Source": "test",
            "Ce-Type": "org.kubeflow.serving.inference.request",
            "Ce-Inferenceservicename": NAME,
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
        }
        await jp_fetch(
            "ai4mlops-lab",
            "api",
            "ingest",
            method="POST",
            headers=headers,
            body=json.dumps({"instances": data[start : start + batch].tolist()}),
        )


async def catch_up(jp_serverapp):
    """Check the pending windows as the server's background loop does (GET .../drift checks none)."""
    monitor = jp_serverapp.web_app.settings["ai4mlops_lab_app"].workspace.drift_monitor
    await asyncio.to_thread(monitor.catch_up)


async def refused(jp_fetch, *path, method="GET", body=None, **kwargs):
    with pytest.raises(HTTPClientError) as caught:
        await api(jp_fetch, *path, method=method, body=body, **kwargs)
    return caught.value.code, json.loads(caught.value.response.body)


async def test_ingested_requests_become_windows_and_a_drift_alert(jp_fetch, jp_serverapp, workspace):
    policy = await api(
        jp_fetch, "deployments", NAME, "drift", "policy", method="PUT", body={"window_size": 100, "consecutive": 2}
    )
    assert policy["window_size"] == 100 and policy["method"] == "features"
    await ingest(jp_fetch, workspace, rows(200, seed=3))
    await ingest(jp_fetch, workspace, rows(250, shift=1.0, seed=4))
    await catch_up(jp_serverapp)
    report = await api(jp_fetch, "deployments", NAME, "drift", params={"feature": "f1"})
    assert [w["drift"] for w in report["windows"]] == [False, False, True, True]
    assert report["pending"] == {"rows": 50} and report["counts"]["requests"] == 18
    assert report["reference"]["available"] and report["feature"]["name"] == "f1"
    [alert] = (await api(jp_fetch, "alerts", params={"status": "open"}))["alerts"]
    assert alert["deployment"] == NAME and alert["window_ids"] == [w["id"] for w in report["windows"][2:]]
    dismissed = await api(jp_fetch, "alerts", str(alert["id"]), "dismiss", method="POST", body={})
    assert dismissed["status"] == "dismissed"


async def test_unchanged_drift_is_a_304(jp_fetch, workspace):
    first = await jp_fetch("ai4mlops-lab", "api", "deployments", NAME, "drift")
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            "ai4mlops-lab", "api", "deployments", NAME, "drift", headers={"If-None-Match": first.headers["ETag"]}
        )
    assert caught.value.code == 304


async def test_reference_and_check(jp_fetch, workspace):
    reference = await api(jp_fetch, "deployments", NAME, "drift", "reference")
    assert reference["n_rows"] == 2000 and [f["name"] for f in reference["features"]][:2] == ["f0", "f1"]
    assert len(reference["features"][0]["histogram"]["counts"]) == 20
    await ingest(jp_fetch, workspace, rows(60, shift=2.0))
    window = await api(jp_fetch, "deployments", NAME, "drift", "check", method="POST", body={})
    assert window["trigger"] == "check" and window["n"] == 60 and window["drift"] is True


async def test_bad_input_gets_a_clear_error(jp_fetch, workspace):
    code, body = await refused(jp_fetch, "deployments", NAME, "drift", "policy", method="PUT", body={"alpha": 7})
    assert code == 422 and body["field"] == "alpha" and "'alpha'" in body["detail"] and body["hint"]
    code, body = await refused(jp_fetch, "deployments", NAME, "drift", params={"from": "yesterday"})
    assert code == 400 and "'from'" in body["detail"]
    code, body = await refused(jp_fetch, "deployments", "nope", "drift")
    assert code == 404 and "nope" in body["detail"]
    code, body = await refused(jp_fetch, "alerts", "99", "retrain", method="POST", body={})
    assert code == 404
    code, body = await refused(jp_fetch, "alerts", params={"status": "loud"})
    assert code == 400 and "loud" in body["detail"]


async def test_retraining_a_deployment_without_its_run_says_so_and_keeps_the_alert_open(
    jp_fetch, jp_serverapp, workspace
):
    await api(
        jp_fetch, "deployments", NAME, "drift", "policy", method="PUT", body={"window_size": 50, "consecutive": 1}
    )
    await ingest(jp_fetch, workspace, rows(50, shift=2.0))
    await catch_up(jp_serverapp)
    [alert] = (await api(jp_fetch, "alerts"))["alerts"]
    code, body = await refused(jp_fetch, "alerts", str(alert["id"]), "retrain", method="POST", body={})
    assert code == 400 and "no longer recorded" in body["detail"]
    [again] = (await api(jp_fetch, "alerts"))["alerts"]
    assert again["status"] == "open" and "no longer recorded" in again["error"]
