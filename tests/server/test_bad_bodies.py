"""Bad request bodies get a clean 4xx naming the problem, never a 500 (issue 10, item 8)."""

import json

import pytest
from tornado.httpclient import HTTPClientError


@pytest.mark.parametrize(
    ("route", "raw", "status", "named"),
    [
        (("analyze",), "[" * 5000 + "]" * 5000, 400, "nested too deeply"),
        (("deployments", "iris", "predict"), '{"instances": [[NaN, 1.0]]}', 400, "NaN"),
        (("deployments", "iris", "predict"), '{"instances": [[1e309, 1.0]]}', 400, "1e309"),
        (("deployments", "iris", "drift", "policy"), '{"alpha": Infinity}', 400, "Infinity"),
        (("alerts", "99999999999999999999999", "dismiss"), "{}", 404, "99999999999999999999999"),
        (("alerts", "99999999999999999999999", "retrain"), "{}", 404, "99999999999999999999999"),
    ],
)
async def test_bad_bodies_are_4xx_naming_the_problem(jp_fetch, route, raw, status, named):
    method = "PUT" if route[-1] == "policy" else "POST"
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("ai4mlops-lab", "api", *route, method=method, body=raw)
    body = json.loads(caught.value.response.body)
    assert caught.value.code == status and named in body["detail"] and body["hint"]


async def test_a_bare_list_sent_to_predict_gets_the_model_servers_bodies_as_hint(jp_fetch):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("ai4mlops-lab", "api", "deployments", "iris", "predict", method="POST", body="[[1.0, 2.0]]")
    body = json.loads(caught.value.response.body)
    assert caught.value.code == 400 and "JSON object" in body["detail"]
    assert '{"instances"' in body["hint"] and '{"inputs"' in body["hint"] and "notebook.ipynb" not in body["hint"]


async def test_other_routes_keep_their_own_hint(jp_fetch):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("ai4mlops-lab", "api", "analyze", method="POST", body="[]")
    assert "notebook.ipynb" in json.loads(caught.value.response.body)["hint"]
