"""The schedules REST API through the real server (every reply checked against the OpenAPI document): create, read,
change, enable, disable, delete, preview, fires; a 422 names the field; and the background loop fires a real run."""

import asyncio
import json
import time

from ..notebooks import TWO_STEPS, write_notebook
from .test_runs_api import api, failure, wait

NIGHTLY = {"name": "nightly", "notebook_path": "demo.ipynb", "expression": "0 3 * * *", "time_zone": "Europe/Madrid"}


async def test_create_read_change_switch_and_delete_a_schedule(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir, "demo.ipynb", TWO_STEPS)
    response, created = await api(jp_fetch, "schedules", method="POST", body={**NIGHTLY, "parameters": {"scale": 3}})
    assert response.code == 201
    assert (created["trigger"], created["enabled"], created["parameters"]) == ("cron", True, {"scale": 3})
    assert len(created["next_times"]) == 5 and created["next_times"][0].endswith("T03:00:00+01:00")

    _, listing = await api(jp_fetch, "schedules")
    assert [(s["name"], s["last_fire"]) for s in listing["schedules"]] == [("nightly", None)]
    _, changed = await api(
        jp_fetch, "schedules", "nightly", method="PATCH", body={"trigger": "interval", "expression": "15m"}
    )
    assert (changed["trigger"], changed["expression"], changed["time_zone"]) == ("interval", "15m", "Europe/Madrid")

    _, disabled = await api(jp_fetch, "schedules", "nightly", "disable", method="POST", body={})
    assert (disabled["enabled"], disabled["next_due"], disabled["next_times"]) == (False, None, [])
    _, enabled = await api(jp_fetch, "schedules", "nightly", "enable", method="POST", body={})
    assert enabled["enabled"] and len(enabled["next_times"]) == 5
    _, fires = await api(jp_fetch, "schedules", "nightly", "fires")
    assert fires == {"schedule": "nightly", "fires": []}
    _, runs = await api(jp_fetch, "runs", params={"schedule": "nightly"})
    assert runs["runs"] == []

    _, removed = await api(jp_fetch, "schedules", "nightly", method="DELETE")
    assert removed == {"name": "nightly", "removed": True}
    assert (await failure(jp_fetch, "schedules", "nightly"))[0] == 404


async def test_mistakes_answer_422_naming_the_field(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir, "demo.ipynb", TWO_STEPS)
    for body, field in [
        ({**NIGHTLY, "expression": "0 25 * * *"}, "expression"),
        ({**NIGHTLY, "time_zone": "Mars/Olympus"}, "time_zone"),
        ({**NIGHTLY, "notebook_path": "missing.ipynb"}, "notebook_path"),
        ({**NIGHTLY, "notebook_path": ".ai4mlops/store.ipynb"}, "notebook_path"),
        ({**NIGHTLY, "pin": "v1"}, "pin"),
        ({**NIGHTLY, "color": "red"}, "color"),
    ]:
        code, error = await failure(jp_fetch, "schedules", method="POST", body=body)
        assert (code, error["error"], error["field"]) == (422, "invalid_value", field), error
    await api(jp_fetch, "schedules", method="POST", body=NIGHTLY)
    code, error = await failure(jp_fetch, "schedules", "nightly", method="PATCH", body={"notebook_path": "x.ipynb"})
    assert (code, error["field"]) == (422, "notebook_path")
    code, error = await failure(jp_fetch, "schedules", method="POST", body=NIGHTLY)
    assert (code, error["error"]) == (409, "conflict")
    for parts, method in [
        (("nope",), "GET"),
        (("nope",), "DELETE"),
        (("nope", "enable"), "POST"),
        (("nope", "fires"), "GET"),
    ]:
        code, error = await failure(jp_fetch, "schedules", *parts, method=method, body={} if method == "POST" else None)
        assert (code, error["detail"]) == (404, "No schedule called 'nope'.")


async def test_preview_gives_the_next_fire_times_for_the_cron_helper(jp_fetch):
    _, preview = await api(
        jp_fetch, "schedules", "preview", params={"expression": "30 2 * * mon-fri", "time_zone": "America/New_York"}
    )
    assert len(preview["times"]) == 5 and all(t[11:19] == "02:30:00" for t in preview["times"])
    _, three = await api(
        jp_fetch, "schedules", "preview", params={"expression": "1h", "trigger": "interval", "count": "3"}
    )
    assert len(three["times"]) == 3
    code, error = await failure(jp_fetch, "schedules", "preview", params={"expression": "* * *"})
    assert (code, error["field"]) == (422, "expression")
    code, error = await failure(jp_fetch, "schedules", "preview", params={"expression": "@daily", "count": "99"})
    assert (code, error["field"]) == (422, "count")


async def test_an_unauthenticated_request_changes_nothing(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir, "demo.ipynb", TWO_STEPS)
    response = await jp_fetch(
        "ai4mlops-lab",
        "api",
        "schedules",
        method="POST",
        body=json.dumps(NIGHTLY),
        headers={"Authorization": ""},
        raise_error=False,
    )
    assert response.code in (401, 403)
    _, listing = await api(jp_fetch, "schedules")
    assert listing["schedules"] == []


async def test_the_background_loop_fires_a_due_schedule_as_a_real_run(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir, "demo.ipynb", TWO_STEPS)
    soon = int(time.time()) + 1
    body = {"name": "soon", "notebook_path": "demo.ipynb", "trigger": "interval", "expression": "1h", "start_at": soon}
    await api(jp_fetch, "schedules", method="POST", body={**body, "parameters": {"scale": 2}})
    deadline = time.monotonic() + 90  # the loop's tick, then a compile: slow on a loaded 2-core machine
    while time.monotonic() < deadline:
        _, fires = await api(jp_fetch, "schedules", "soon", "fires")
        if fires["fires"] and fires["fires"][0]["outcome"] != "claimed":
            break
        await asyncio.sleep(0.25)
    [fire] = fires["fires"]
    assert (fire["outcome"], fire["due"]) == ("started", soon), fire
    run = await wait(jp_fetch, fire["run_id"])
    assert (run["status"], run["schedule"], run["metrics"]) == ("succeeded", "soon", {"total": 20.0})
    _, runs = await api(jp_fetch, "runs", params={"schedule": "soon"})
    assert [r["id"] for r in runs["runs"]] == [run["id"]]
    # The list and the detail show the latest fire, for the UI's "last run".
    _, listing = await api(jp_fetch, "schedules")
    _, detail = await api(jp_fetch, "schedules", "soon")
    assert listing["schedules"][0]["last_fire"] == detail["last_fire"] == fire
