"""Contract tests of runs on a Kubeflow Pipelines server: the run service and the REST API
against the strict fake KFP API (official swagger), with a notebook compiled for the cluster."""

import asyncio
import json

import pytest

from ai4mlops_lab.runs.kfp_connection import KfpConnection
from ai4mlops_lab.runs.service import RunService
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

from ..notebooks import write_notebook
from .conftest import NO_SA

#: Step names with underscores: KFP names their tasks load-data and double-it.
NOTEBOOK = (
    ("import numpy as np", ["imports"]),
    ("scale = 2", ["pipeline-parameters"]),
    ("x = np.arange(5)", ["step:load_data"]),
    ("y = x * scale\ntotal = int(y.sum())", ["step:double_it"]),
    ("print(total)", ["pipeline-metrics"]),
)


def progression(fake):
    """KFP reports: pending, then the first task running, then everything succeeded."""
    task = fake.task
    return [
        {"state": "PENDING"},
        {
            "state": "RUNNING",
            "run_details": {
                "task_details": [
                    task("root", "RUNNING"),
                    task("load-data", "RUNNING"),
                    task("double-it", "PENDING", started=False),
                ]
            },
        },
        {
            "state": "SUCCEEDED",
            "run_details": {
                "task_details": [
                    task("load-data", "SUCCEEDED", finished=True),
                    task("double-it", "SUCCEEDED", finished=True),
                ]
            },
        },
    ]


@pytest.fixture
def kfp_service(fake, tmp_path):
    workspace = tmp_path / ".ai4mlops"

    def connection(host="", namespace=""):
        return KfpConnection.resolve(host=host or fake.url, namespace=namespace, env={}, service_account_token=NO_SA)

    return RunService(workspace, RunStore(workspace / STORE_FILE), kfp_connection=connection, root=tmp_path)


def test_contract_a_notebook_runs_on_kfp_with_the_users_parameters(fake, kfp_service, tmp_path):
    fake.script_next_run(progression(fake))
    notebook = write_notebook(tmp_path, "demo.ipynb", NOTEBOOK)
    run = kfp_service.start(notebook, target="kfp", parameters={"scale": 3}, experiment="contract")
    assert run["status"] == "running" and run["backend_run_id"]

    [created] = fake.find("RunService_CreateRun")
    body = created.body
    assert body["runtime_config"]["parameters"] == {"scale": 3}
    assert body["pipeline_version_reference"]["pipeline_version_id"]
    assert "pipeline_spec" not in body

    assert kfp_service.run(run["id"])["status"] == "running"  # a read: KFP is not asked
    kfp_service.refresh(run["id"])  # PENDING
    kfp_service.refresh()
    running = kfp_service.run(run["id"])
    assert [(s["name"], s["status"]) for s in running["steps"]] == [("load_data", "running"), ("double_it", "pending")]
    kfp_service.refresh(run["id"])
    done = kfp_service.run(run["id"])
    assert done["status"] == "succeeded"
    assert [s["status"] for s in done["steps"]] == ["succeeded", "succeeded"]
    assert len(fake.find("HealthzService_GetHealthz")) == 1  # one kfp.Client for the submit and every refresh


def test_contract_cancel_terminates_the_kfp_run(fake, kfp_service, tmp_path):
    fake.script_next_run([{"state": "RUNNING"}])
    notebook = write_notebook(tmp_path, "demo.ipynb", NOTEBOOK)
    run = kfp_service.start(notebook, target="kfp")
    cancelled = kfp_service.cancel(run["id"])
    assert cancelled["status"] == "cancelled"
    assert any(r.path.endswith(":terminate") for r in fake.requests)


class TestRestApi:
    @pytest.fixture
    def jp_server_config(self, fake):
        return {"ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}}, "Ai4MlopsApp": {"kfp_host": fake.url}}

    async def test_contract_run_through_the_rest_api(self, fake, jp_fetch, jp_serverapp, jp_root_dir):
        fake.script_next_run(progression(fake))
        write_notebook(jp_root_dir, "demo.ipynb", NOTEBOOK)
        response = await jp_fetch(
            "ai4mlops-lab",
            "api",
            "runs",
            method="POST",
            body=json.dumps({"path": "demo.ipynb", "target": "kfp", "parameters": {"scale": 5}}),
        )
        assert response.code == 202
        run = json.loads(response.body)
        service = jp_serverapp.web_app.settings["ai4mlops_lab_app"].workspace.run_service
        for _ in range(10):
            await asyncio.to_thread(service.refresh, run["id"])  # as the server's background loop does
            run = json.loads((await jp_fetch("ai4mlops-lab", "api", "runs", run["id"])).body)
            if run["status"] == "succeeded":
                break
            await asyncio.sleep(0.05)
        assert run["status"] == "succeeded" and run["target"] == "kfp"
