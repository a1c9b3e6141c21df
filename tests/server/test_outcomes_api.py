"""The outcome REST routes: labels (JSON and CSV), the performance report, its policy and an on-demand round."""

import json

import pytest
from tornado.httpclient import HTTPClientError

from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.workspace import STORE_FILE

from ..outcomes.exchanges import CLASSES, answers, log_predictions
from ..requests import NAME, deploy_record


@pytest.fixture
def workspace(jp_root_dir):
    workspace = jp_root_dir / ".ai4mlops"
    deploy_record(workspace, outputs=CLASSES)
    return workspace


async def call(jp_fetch, *path, method="GET", body=None, content_type="application/json", **kwargs):
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    response = await jp_fetch(
        "ai4mlops-lab", "api", *path, method=method, body=body, headers={"Content-Type": content_type}, **kwargs
    )
    return response


async def refused(jp_fetch, *path, **kwargs):
    with pytest.raises(HTTPClientError) as caught:
        await call(jp_fetch, *path, **kwargs)
    return caught.value.code, json.loads(caught.value.response.body)


async def test_labels_then_the_report_shows_realized_performance(jp_fetch, workspace):
    logits, predicted = answers(120, seed=1)
    log_predictions(EventStore(workspace / STORE_FILE), NAME, logits)
    policy = await call(
        jp_fetch,
        "deployments",
        NAME,
        "performance",
        "policy",
        method="PUT",
        body={"window_size": 50, "estimate": False},
    )
    assert json.loads(policy.body)["window_size"] == 50
    sent = json.loads(
        (
            await call(
                jp_fetch,
                "deployments",
                NAME,
                "labels",
                method="POST",
                body={"labels": [{"id": f"r{i}", "label": int(predicted[i])} for i in range(60)]},
            )
        ).body
    )
    assert (sent["stored"], sent["joined"], sent["refused_count"]) == (60, 0, 0)  # no round has read the answers yet
    csv = "id,label\n" + "".join(f"r{i},{int(predicted[i])}\n" for i in range(60, 100)) + "r100,dog\n"
    sent = json.loads(
        (await call(jp_fetch, "deployments", NAME, "labels", method="POST", body=csv, content_type="text/csv")).body
    )
    assert (sent["stored"], sent["refused_count"]) == (40, 1)
    assert sent["refused"] == [
        {
            "row": "line 42",
            "field": "label",
            "message": "label 'dog' is not a number (set the policy's classes to send names)",
        }
    ]
    report = json.loads(
        (await call(jp_fetch, "deployments", NAME, "performance", "check", method="POST", body=b"")).body
    )
    assert [w["labelled"] for w in report["windows"]] == [50, 50]
    assert report["windows"][0]["realized"]["accuracy"] == 1.0 and report["status"] == "ok"
    assert report["coverage"]["labelled"] == 100 and report["open_window"] == {"predictions": 20, "size": 50}
    first = await call(jp_fetch, "deployments", NAME, "performance")
    with pytest.raises(HTTPClientError) as unchanged:
        await jp_fetch(
            "ai4mlops-lab", "api", "deployments", NAME, "performance", headers={"If-None-Match": first.headers["ETag"]}
        )
    assert unchanged.value.code == 304


async def test_mistakes_are_named(jp_fetch, workspace):
    code, error = await refused(jp_fetch, "deployments", NAME, "labels", method="POST", body="{")
    assert (code, error["field"]) == (422, "body")
    code, error = await refused(
        jp_fetch, "deployments", NAME, "labels", method="POST", body="x,y\n1,2\n", content_type="text/csv"
    )
    assert code == 422 and "no id or label column" in error["detail"]
    code, error = await refused(
        jp_fetch, "deployments", NAME, "performance", "policy", method="PUT", body={"detector": "magic"}
    )
    assert (code, error["field"], error["error"]) == (422, "detector", "bad_policy")
    code, _ = await refused(jp_fetch, "deployments", "nope", "performance")
    assert code == 404
    code, _ = await refused(jp_fetch, "deployments", "nope", "labels", method="POST", body={"labels": []})
    assert code == 404
