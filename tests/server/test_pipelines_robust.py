"""/analyze and /compile stay responsive on large notebooks, and an unexpected exception is a JSON bug report."""

import asyncio
import json
import logging
import threading

import pytest
from tornado.httpclient import HTTPClientError

from ai4mlops_lab.pipeline import compiler

from ..notebooks import TWO_STEPS, tagged_notebook


async def _post(jp_fetch, route, body):
    return await jp_fetch("ai4mlops-lab", "api", route, method="POST", body=json.dumps(body))


async def test_the_server_answers_while_a_notebook_is_analysed(jp_fetch, monkeypatch):
    started, released = threading.Event(), threading.Event()
    analyze = compiler.analyze_notebook

    def slow_analysis(*args, **kwargs):
        started.set()
        released.wait(timeout=60)
        return analyze(*args, **kwargs)

    monkeypatch.setattr(compiler, "analyze_notebook", slow_analysis)
    analysis = asyncio.ensure_future(_post(jp_fetch, "analyze", {"notebook": tagged_notebook(*TWO_STEPS)}))
    for _ in range(600):  # bounded: until the analysis has started
        if started.is_set():
            break
        await asyncio.sleep(0.05)
    health = await jp_fetch("ai4mlops-lab", "api", "health")
    answered_during_analysis = not analysis.done()
    released.set()
    assert health.code == 200 and answered_during_analysis
    assert json.loads((await analysis).body)["ok"]


async def test_a_bug_is_a_json_500_that_says_so_and_where_the_log_is(jp_fetch, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(compiler, "analyze_notebook", broken)
    with caplog.at_level(logging.ERROR), pytest.raises(HTTPClientError) as failure:
        await _post(jp_fetch, "analyze", {"notebook": tagged_notebook(*TWO_STEPS)})
    body = json.loads(failure.value.response.body)
    assert failure.value.code == 500 and body["error"] == "internal_error"
    assert "bug" in body["detail"] and "KeyError" in body["detail"] and "log" in body["hint"]
    incident = body["detail"].split("incident ")[1].rstrip(").")
    assert incident and any(incident in r.getMessage() and r.exc_info for r in caplog.records)
    assert "Traceback" not in json.dumps(body)


async def test_a_name_that_is_not_text_is_a_400_naming_the_field(jp_fetch):
    with pytest.raises(HTTPClientError) as failure:
        await _post(jp_fetch, "analyze", {"notebook": tagged_notebook(*TWO_STEPS), "name": 5})
    body = json.loads(failure.value.response.body)
    assert failure.value.code == 400 and "'name'" in body["detail"]
