"""Lists through the REST API page by page: `limit` and `cursor` in, `next_cursor` out; a bad one is a 400 naming
it."""

import json
import sqlite3

import pytest
from tornado.httpclient import HTTPClientError

from ai4mlops_lab.store.drift import DriftStore
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE


async def get(jp_fetch, route, **params):
    response = await jp_fetch("ai4mlops-lab", "api", route, params=params)
    return json.loads(response.body)


async def refused(jp_fetch, route, **params):
    with pytest.raises(HTTPClientError) as caught:
        await get(jp_fetch, route, **params)
    return caught.value.code, json.loads(caught.value.response.body)


async def every_page(jp_fetch, route, key, cursor=None, **params):
    """Every item from `cursor` (None: the first page) on, and how many pages it took."""
    items, pages = [], 0
    while True:
        page = await get(jp_fetch, route, **params, **({"cursor": cursor} if cursor else {}))
        items += page[key]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages


@pytest.fixture
def store(jp_root_dir):
    return jp_root_dir / ".ai4mlops" / STORE_FILE


def make_runs(store, count, experiment="e"):
    runs = RunStore(store)
    return [
        runs.create_run(
            experiment=experiment,
            notebook_path="n.ipynb",
            notebook_hash="h",
            pipeline="p",
            target="local",
            parameters={},
            steps=["a"],
        )["id"]
        for _ in range(count)
    ]


async def test_runs_come_page_by_page_newest_first_each_once(jp_fetch, store):
    made = make_runs(store, 7)
    everything = await get(jp_fetch, "runs")
    assert [r["id"] for r in everything["runs"]] == made[::-1] and everything["next_cursor"] is None
    first = await get(jp_fetch, "runs", limit="3")
    later = make_runs(store, 2)  # runs started between two pages come in a new first page, not in the next pages
    rest, pages = await every_page(jp_fetch, "runs", "runs", limit="3", cursor=first["next_cursor"])
    assert [r["id"] for r in first["runs"] + rest] == made[::-1] and pages == 2
    assert [r["id"] for r in (await get(jp_fetch, "runs", limit="2"))["runs"]] == later[::-1]
    other = make_runs(store, 2, experiment="other")
    in_other, _ = await every_page(jp_fetch, "runs", "runs", limit="1", experiment="other")
    assert [r["id"] for r in in_other] == other[::-1]


@pytest.mark.parametrize("limit", ["0", "1001", "ten", "-1", ""])
async def test_a_bad_limit_is_a_400_naming_it(jp_fetch, limit):
    for route in ("runs", "alerts"):
        code, body = await refused(jp_fetch, route, limit=limit)
        assert (code, body["error"], body["field"]) == (400, "bad_request", "limit")
        assert "1 to 1000" in body["detail"]


async def test_a_cursor_this_list_did_not_give_is_a_400_naming_it(jp_fetch, store):
    make_runs(store, 3)
    runs_cursor = (await get(jp_fetch, "runs", limit="1"))["next_cursor"]
    for route, cursor in (("runs", "garbage"), ("alerts", runs_cursor), ("runs", runs_cursor[:-4])):
        code, body = await refused(jp_fetch, route, cursor=cursor)
        assert (code, body["field"]) == (400, "cursor") and "next_cursor" in body["hint"]


async def test_alerts_come_page_by_page_of_the_kinds_asked_for(jp_fetch, store):
    DriftStore(store)
    kinds = ("data_drift", "performance", "concept_drift")
    conn = sqlite3.connect(store)
    with conn:
        conn.executemany(
            """INSERT INTO alerts (deployment, kind, status, message, window_ids, evidence, raised_at, updated_at)
               VALUES ('d', ?, 'dismissed', 'm', '[]', '{}', 't', 't')""",
            [(kinds[k % 3],) for k in range(10)],
        )
    conn.close()
    alerts, pages = await every_page(jp_fetch, "alerts", "alerts", limit="4")
    assert [a["id"] for a in alerts] == list(range(10, 0, -1)) and pages == 3
    outcome, _ = await every_page(jp_fetch, "alerts", "alerts", limit="2", deployment="d", kind="performance")
    assert [a["id"] for a in outcome] == [8, 5, 2]
    kinds = [("kind", "performance"), ("kind", "concept_drift"), ("limit", "100")]
    response = await jp_fetch("ai4mlops-lab", "api", "alerts", params=kinds)
    assert [a["id"] for a in json.loads(response.body)["alerts"]] == [9, 8, 6, 5, 3, 2]
    code, body = await refused(jp_fetch, "alerts", kind="loud")
    assert code == 400 and "Unknown alert kind 'loud'" in body["detail"]
