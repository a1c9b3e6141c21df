"""Contract test of a deployment's monitoring job through the REST API (`PUT|DELETE deployments/{name}/monitor-job`):
the same recurring run as the CLI's, against the strict fake KFP API, the image defaulting to the server's
`predictor_image`, replies as the OpenAPI document says, and every refusal a 4xx naming its field, sent before
any request to KFP."""

import json
import socket

import pytest
from tornado.httpclient import HTTPClientError

from ai4mlops_lab.workspace import STORE_FILE

from ..drift.test_bucket_reader import NAME, kserve_deployment
from ..requests import deploy_record
from ..server.contract import check_response
from .test_contract_monitor_job import BUCKET, IMAGE, recurring


@pytest.fixture
def jp_server_config(fake):
    return {
        "ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}},
        "Ai4MlopsApp": {"predictor_image": IMAGE, "kfp_host": fake.url},
    }


@pytest.fixture
def workspace(jp_root_dir, s3_server, monkeypatch):
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    s3_server.bucket(BUCKET)
    kserve_deployment(jp_root_dir / ".ai4mlops", BUCKET)
    deploy_record(jp_root_dir / ".ai4mlops", name="local-model")
    return jp_root_dir / ".ai4mlops"


async def monitor_job(jp_fetch, name, method, body=None):
    options = {"body": json.dumps(body)} if method == "PUT" else {}
    path = f"/deployments/{name}/monitor-job"
    try:
        response = await jp_fetch("ai4mlops-lab", "api", "deployments", name, "monitor-job", method=method, **options)
    except HTTPClientError as failure:
        check_response(method, path, failure.code, failure.response.body)
        raise
    check_response(method, path, response.code, response.body)
    return response.code, json.loads(response.body)


async def refusal(jp_fetch, name, method, body=None):
    with pytest.raises(HTTPClientError) as err:
        await monitor_job(jp_fetch, name, method, body)
    return err.value.code, json.loads(err.value.response.body)


async def test_contract_schedule_and_stop_the_job_through_the_rest_api(fake, workspace, jp_fetch):
    code, record = await monitor_job(jp_fetch, NAME, "PUT", {"every": 600, "s3_secret": "s3-credentials"})
    job = record["config"]["monitor_job"]
    assert code == 200 and record["name"] == NAME
    assert job["kfp_recurring_run_id"] == recurring(fake)["recurring_run_id"]
    assert (job["every_s"], job["image"], job["s3_secret"]) == (600, IMAGE, "s3-credentials")  # the server's image
    [created] = fake.find("RecurringRunService_CreateRecurringRun")
    assert created.body["trigger"] == {"periodic_schedule": {"interval_second": "600"}}
    assert created.body["runtime_config"]["parameters"] == {"monitor_uri": job["uri"]}
    listed = json.loads((await jp_fetch("ai4mlops-lab", "api", "deployments")).body)["deployments"]
    assert [d["config"]["monitor_job"] for d in listed if d["name"] == NAME] == [job]

    code, again = await monitor_job(jp_fetch, NAME, "PUT", {"image": "registry.example.com/other:1"})
    assert again["config"]["monitor_job"]["image"] == "registry.example.com/other:1"
    assert again["config"]["monitor_job"]["every_s"] == 300 and "s3_secret" not in again["config"]["monitor_job"]
    assert recurring(fake)["recurring_run_id"] == again["config"]["monitor_job"]["kfp_recurring_run_id"]

    code, stopped = await monitor_job(jp_fetch, NAME, "DELETE")
    assert code == 200 and "monitor_job" not in stopped["config"] and fake.state.recurring_runs == {}
    assert len(fake.find("RecurringRunService_DeleteRecurringRun")) == 2

    code, error = await refusal(jp_fetch, NAME, "DELETE")
    assert (code, error["field"]) == (422, "name") and "has no monitoring job" in error["detail"]


async def test_contract_what_cannot_be_scheduled_is_refused_naming_its_field(fake, workspace, jp_fetch):
    refusals = [
        ("local-model", {}, "name"),
        (NAME, {"every": 5}, "every"),
        (NAME, {"every": "300"}, "every"),
        (NAME, {"image": 7}, "image"),
        (NAME, {"s3_secret": "Not_A_Secret"}, "s3_secret"),
        (NAME, {"cron": "* * * * *"}, "cron"),
    ]
    for name, body, field in refusals:
        code, error = await refusal(jp_fetch, name, "PUT", body)
        assert (code, error["field"]) == (422, field), (body, error)
        assert error["detail"] and error["hint"]
    code, error = await refusal(jp_fetch, "no-such-deployment", "PUT", {})
    assert code == 404
    assert [r for r in fake.requests if "RecurringRun" in r.operation] == []
    assert (workspace / STORE_FILE).exists()


def closed_port() -> int:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return closed.getsockname()[1]


class TestUnreachableKfp:
    @pytest.fixture
    def jp_server_config(self):
        return {
            "ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}},
            "Ai4MlopsApp": {"predictor_image": IMAGE, "kfp_host": f"http://127.0.0.1:{closed_port()}"},
        }

    async def test_contract_an_unreachable_kfp_is_a_clear_error(self, workspace, jp_fetch):
        code, error = await refusal(jp_fetch, NAME, "PUT", {})
        assert (code, error["error"]) == (502, "kfp_unreachable") and "KF_PIPELINES_ENDPOINT" in error["hint"]
        record = json.loads((await jp_fetch("ai4mlops-lab", "api", "deployments", NAME)).body)
        assert "monitor_job" not in record["config"]  # still monitored by the server
