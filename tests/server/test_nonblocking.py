"""The event loop never waits on a backend: while the KFP server holds its reply to the background loop's status
request, the Jupyter server still answers its health check, the run list and detail, and the notebook contents
API. A concurrency assertion: the answers come while the reply is held, whatever the time they take."""

import asyncio
import json
import os

import pytest

from ..contract.conftest import SPEC
from ..contract.fake_kfp import FakeKfp
from ..contract.test_contract_runs import NOTEBOOK
from ..notebooks import write_notebook


@pytest.fixture
def fake(monkeypatch, tmp_path):
    if not SPEC.is_file():
        pytest.skip(f"KFP swagger not found at {SPEC} (shared/specs is only in the development workspace)")
    import kfp.client.client as kfp_client

    for name in [n for n in os.environ if n.startswith("KF_PIPELINES")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(kfp_client.Client, "_LOCAL_KFP_CONTEXT", str(tmp_path / "kfp" / "context.json"))
    with FakeKfp(SPEC) as server:
        yield server
    assert server.faults == [], "the fake produced invalid responses or crashed"


@pytest.fixture
def jp_server_config(fake):
    return {"ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}}, "Ai4MlopsApp": {"kfp_host": fake.url}}


async def get(jp_fetch, *path):
    response = await jp_fetch(*path)
    assert response.code == 200
    return json.loads(response.body)


async def test_a_held_kfp_reply_blocks_no_request(fake, jp_fetch, jp_root_dir):
    fake.script_next_run([{"state": "RUNNING"}])
    write_notebook(jp_root_dir, "demo.ipynb", NOTEBOOK)
    with fake.hold("RunService_GetRun") as held:
        response = await jp_fetch(
            "ai4mlops-lab", "api", "runs", method="POST", body=json.dumps({"path": "demo.ipynb", "target": "kfp"})
        )
        run = json.loads(response.body)
        # the background loop asks KFP about the run, off the event loop, and waits for the reply
        assert await asyncio.to_thread(held.wait, 30), "the background loop never asked KFP about the run"
        assert (await get(jp_fetch, "ai4mlops-lab", "api", "health"))["versions"]
        assert [r["id"] for r in (await get(jp_fetch, "ai4mlops-lab", "api", "runs"))["runs"]] == [run["id"]]
        assert (await get(jp_fetch, "ai4mlops-lab", "api", "runs", run["id"]))["status"] == "running"
        assert (await get(jp_fetch, "api", "contents", "demo.ipynb"))["type"] == "notebook"
        assert fake.find("RunService_GetRun") == [], "the KFP reply was not held while the server answered"
    # released: the background loop records the reply
    for _ in range(300):
        if fake.find("RunService_GetRun"):
            break
        await asyncio.sleep(0.1)
    assert fake.find("RunService_GetRun")
