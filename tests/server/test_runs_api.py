"""The runs REST API through the real server and real local runs."""

import asyncio
import json

import pytest
from tornado.httpclient import HTTPClientError

from ..notebooks import TWO_STEPS, write_notebook

FINAL = ("succeeded", "failed", "cancelled", "interrupted")


async def api(jp_fetch, *parts, method="GET", body=None, headers=None, params=None):
    response = await jp_fetch(
        "ai4mlops-lab",
        "api",
        *parts,
        method=method,
        params=params,
        body=json.dumps(body) if body is not None else None,
        headers=headers,
    )
    return response, (json.loads(response.body) if response.body else None)


async def failure(jp_fetch, *parts, method="GET", body=None, params=None):
    with pytest.raises(HTTPClientError) as caught:
        await api(jp_fetch, *parts, method=method, body=body, params=params)
    return caught.value.code, json.loads(caught.value.response.body)


async def wait(jp_fetch, run_id, timeout=120):
    for _ in range(int(timeout / 0.25)):
        _, run = await api(jp_fetch, "runs", run_id)
        if run["status"] in FINAL:
            return run
        await asyncio.sleep(0.25)
    raise AssertionError(f"run {run_id} did not finish")


async def test_start_follow_and_inspect_a_run(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir, "demo.ipynb", TWO_STEPS)
    response, run = await api(
        jp_fetch,
        "runs",
        method="POST",
        body={"path": "demo.ipynb", "target": "local", "parameters": {"scale": 4}, "experiment": "api-test"},
    )
    assert response.code == 202 and run["status"] in ("pending", "running")
    done = await wait(jp_fetch, run["id"])
    assert done["status"] == "succeeded"
    double = next(s for s in done["steps"] if s["name"] == "double")
    assert double["metrics"] == {"total": 40.0}

    _, listing = await api(jp_fetch, "runs")
    assert [r["id"] for r in listing["runs"]] == [run["id"]]
    _, filtered = await api(jp_fetch, "runs", params={"experiment": "nope"})
    assert filtered["runs"] == []
    _, experiments = await api(jp_fetch, "experiments")
    assert [e["name"] for e in experiments["experiments"]] == ["api-test"]

    _, log = await api(jp_fetch, "runs", run["id"], "logs", params={"step": "double"})
    assert "Executing task" in log["text"]
    code, body = await failure(jp_fetch, "runs", run["id"], "logs", params={"step": "nope"})
    assert code == 404 and "load, double" in body["hint"]

    code, body = await failure(jp_fetch, "runs", run["id"], "cancel", method="POST", body={})
    assert code == 409 and "already succeeded" in body["detail"]


async def test_polling_is_cheap_with_etags(jp_fetch, jp_root_dir):
    response, _ = await api(jp_fetch, "runs")
    etag = response.headers["ETag"]
    with pytest.raises(HTTPClientError) as unchanged:
        await api(jp_fetch, "runs", headers={"If-None-Match": etag})
    assert unchanged.value.code == 304
    write_notebook(jp_root_dir, "demo.ipynb", TWO_STEPS)
    _, run = await api(jp_fetch, "runs", method="POST", body={"path": "demo.ipynb"})
    response, listing = await api(jp_fetch, "runs", headers={"If-None-Match": etag})
    assert response.code == 200 and response.headers["ETag"] != etag
    await wait(jp_fetch, run["id"])


async def test_run_errors(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir, "demo.ipynb", TWO_STEPS)
    code, body = await failure(jp_fetch, "runs", "nosuchrun")
    assert code == 404
    code, body = await failure(jp_fetch, "runs", method="POST", body={"path": "demo.ipynb", "parameters": {"nope": 1}})
    assert code == 400 and "nope" in body["detail"] and "scale" in body["hint"]
    code, body = await failure(jp_fetch, "runs", method="POST", body={"path": "demo.ipynb", "target": "mars"})
    assert code == 400 and "local, kfp" in body["hint"]
    code, body = await failure(jp_fetch, "runs", method="POST", body={"path": "../x.ipynb"})
    assert code == 403
    code, body = await failure(jp_fetch, "runs", method="POST", body={"path": "demo.ipynb", "parameters": [1]})
    assert code == 400
