"""Train, deploy, predict and log through the real server: the loop of issue 5, end to end."""

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from ..requests import NAME, deploy_record

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "torch-train.ipynb"


async def api(jp_fetch, *parts, method="GET", body=None):
    response = await jp_fetch(
        "ai4mlops-lab",
        "api",
        *parts,
        method=method,
        body=json.dumps(body) if body is not None else None,
        request_timeout=180,
    )
    return json.loads(response.body)


async def failure(jp_fetch, *parts, method="GET", body=None):
    with pytest.raises(HTTPClientError) as caught:
        await api(jp_fetch, *parts, method=method, body=body)
    return caught.value.code, json.loads(caught.value.response.body)


async def trained_run(jp_fetch, jp_root_dir) -> dict:
    shutil.copy(EXAMPLE, jp_root_dir / "train.ipynb")
    run = await api(jp_fetch, "runs", method="POST", body={"path": "train.ipynb", "parameters": {"epochs": 5}})
    for _ in range(600):
        run = await api(jp_fetch, "runs", run["id"])
        if run["status"] not in ("pending", "running"):
            break
        await asyncio.sleep(0.3)
    assert run["status"] == "succeeded", run["error"]
    return run


async def test_deploy_predict_and_log_requests(jp_fetch, jp_root_dir, jp_serverapp):
    run = await trained_run(jp_fetch, jp_root_dir)
    code, body = await failure(
        jp_fetch, "deployments", method="POST", body={"run_id": run["id"], "name": "demo", "reference": "nope"}
    )
    assert code == 404 and "preprocess/x_train" in body["hint"]
    deployment = await api(
        jp_fetch, "deployments", method="POST", body={"run_id": run["id"], "name": "demo", "reference": "x_train"}
    )
    try:
        assert deployment["status"] == "running" and deployment["url"].startswith("http://127.0.0.1:")
        assert deployment["config"]["reference"]["name"] == "x_train"
        listed = await api(jp_fetch, "deployments")
        assert [d["name"] for d in listed["deployments"]] == ["demo"]

        example = deployment["signature"]["inputs"][0]
        rows = [[0.1] * example["shape"][-1]] * 2
        answer = await api(jp_fetch, "deployments", "demo", "predict", method="POST", body={"instances": rows})
        assert len(answer["predictions"]) == 2
        code, body = await failure(
            jp_fetch, "deployments", "demo", "predict", method="POST", body={"instances": [[1.0, 2.0]]}
        )
        assert code == 400 and "shape" in body["detail"] + body["hint"]

        app = next(iter(jp_serverapp.extension_manager.extension_apps["ai4mlops_lab"]))
        for _ in range(100):  # the request log posts in the background
            counts = app.workspace.event_store.counts("demo")
            if counts["requests"] and counts["responses"]:
                break
            await asyncio.sleep(0.1)
        assert counts["requests"] == 1 and counts["responses"] == 1

        logs = await api(jp_fetch, "deployments", "demo", "logs")
        assert logs["text"]
        stopped = await api(jp_fetch, "deployments", "demo", "stop", method="POST", body={})
        assert stopped["status"] == "stopped"
        code, _ = await failure(jp_fetch, "deployments", "demo", "predict", method="POST", body={"instances": rows})
        assert code == 409
        restarted = await api(jp_fetch, "deployments", "demo", "restart", method="POST", body={})
        assert restarted["status"] == "running" and restarted["ready"]
    finally:
        await api(jp_fetch, "deployments", "demo", method="DELETE")
    code, _ = await failure(jp_fetch, "deployments", "demo")
    assert code == 404


async def test_deploy_errors_are_clear(jp_fetch):
    code, body = await failure(jp_fetch, "deployments", method="POST", body={})
    assert code == 400 and "run" in body["detail"]
    code, body = await failure(jp_fetch, "deployments", method="POST", body={"run_id": "nosuchrun"})
    assert code == 404
    code, body = await failure(jp_fetch, "deployments", method="POST", body={"run_id": "x", "target": "kserve"})
    assert code in (400, 404)


async def test_unchanged_deployments_are_a_304(jp_fetch, jp_root_dir):
    """The monitor polls the list with If-None-Match: 304 while nothing changed, the new list after a change."""
    first = await jp_fetch("ai4mlops-lab", "api", "deployments")
    etag = first.headers["ETag"]
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("ai4mlops-lab", "api", "deployments", headers={"If-None-Match": etag})
    assert caught.value.code == 304
    deploy_record(jp_root_dir / ".ai4mlops")
    changed = await jp_fetch("ai4mlops-lab", "api", "deployments", headers={"If-None-Match": etag})
    assert changed.headers["ETag"] != etag
    assert [d["name"] for d in json.loads(changed.body)["deployments"]] == [NAME]
