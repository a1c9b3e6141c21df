"""GET /health reports versions and backends; unknown routes answer with the JSON error shape."""

import json
from importlib import metadata

import pytest
from tornado.httpclient import HTTPClientError

import ai4mlops_lab


async def test_health_reports_versions(jp_fetch):
    response = await jp_fetch("ai4mlops-lab", "api", "health")
    assert response.code == 200
    body = json.loads(response.body)
    assert body["ai4mlops_lab"] == ai4mlops_lab.__version__
    assert body["versions"]["kfp"] == metadata.version("kfp")
    assert body["versions"]["kserve"] == metadata.version("kserve")
    assert body["versions"]["torch"] == metadata.version("torch")
    assert body["kfp_host_configured"] is False


async def test_health_sees_kfp_host_from_environment(jp_fetch, monkeypatch):
    monkeypatch.setenv("KF_PIPELINES_ENDPOINT", "http://127.0.0.1:9")
    body = json.loads((await jp_fetch("ai4mlops-lab", "api", "health")).body)
    assert body["kfp_host_configured"] is True


async def test_unknown_route_is_a_json_404(jp_fetch):
    with pytest.raises(HTTPClientError) as failure:
        await jp_fetch("ai4mlops-lab", "api", "no-such-route")
    assert failure.value.code == 404
    body = json.loads(failure.value.response.body)
    assert body["error"] == "not_found"
    assert "no-such-route" in body["detail"]
    assert body["hint"]
