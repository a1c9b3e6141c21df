"""Contract tests of a deployment's monitoring job on Kubeflow Pipelines: a recurring run (API v2beta1), one at a
time, of an uploaded one-step pipeline running `ai4mlops monitor-job run MONITOR_URI` in the predictor image,
created, replaced and deleted with the deployment, against the strict fake KFP API (official swagger); the job's
seed is written to a real S3 server."""

import json

import pytest
import yaml

from ai4mlops_lab.cli.main import main
from ai4mlops_lab.errors import FieldError
from ai4mlops_lab.monitoring.cluster_schedule import compile_job_pipeline
from ai4mlops_lab.workspace import STORE_FILE, Settings, Workspace

from ..drift.test_bucket_reader import NAME, kserve_deployment
from ..requests import deploy_record

IMAGE = "registry.example.com/ai4mlops-lab-predictor:0.1.0"
BUCKET = "monitor-job-logs"


@pytest.fixture
def space(fake, tmp_path, s3_server, monkeypatch):
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    s3_server.bucket(BUCKET)
    kserve_deployment(tmp_path / ".ai4mlops", BUCKET)
    return Workspace(tmp_path / ".ai4mlops", root=tmp_path, settings=Settings(kfp_host=fake.url))


def recurring(fake) -> dict:
    [only] = fake.state.recurring_runs.values()
    return only


def test_contract_the_job_is_a_recurring_run_of_a_one_step_pipeline_in_the_predictor_image(
    fake, space, s3_server, tmp_path
):
    job = space.monitor_jobs.schedule(NAME, image=IMAGE, every_s=600, s3_secret="s3-credentials")
    [created] = fake.find("RecurringRunService_CreateRecurringRun")
    body = created.body
    assert body["trigger"] == {"periodic_schedule": {"interval_second": "600"}}
    assert (body["max_concurrency"], body["no_catchup"], body["mode"]) == ("1", True, "ENABLE")
    assert body["runtime_config"]["parameters"] == {"monitor_uri": job["uri"]}
    assert body["pipeline_version_reference"] == {
        "pipeline_id": job["kfp_pipeline_id"],
        "pipeline_version_id": job["kfp_version_id"],
    }
    assert fake.state.experiments[body["experiment_id"]]["display_name"] == "monitoring"
    assert job["kfp_recurring_run_id"] == recurring(fake)["recurring_run_id"]
    spec = fake.state.versions[job["kfp_version_id"]]["pipeline_spec"]  # the fake checked its platform spec too
    [executor] = spec["deploymentSpec"]["executors"].values()
    container = executor["container"]
    assert container["image"] == IMAGE
    assert container["command"] == ["python3", "-m", "ai4mlops_lab.cli", "monitor-job", "run"]
    assert container["env"] == [{"name": "AWS_ENDPOINT_URL", "value": s3_server.endpoint}]
    compiled = compile_job_pipeline(tmp_path / "job.yaml", IMAGE, s3_server.endpoint, "s3-credentials")
    _, platform = yaml.safe_load_all(compiled.read_text())
    [secrets] = [e["secretAsEnv"] for e in platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"].values()]
    assert [(s["secretName"], [k["envVar"] for k in s["keyToEnv"]]) for s in secrets] == [
        ("s3-credentials", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
    ]
    sent = json.dumps([r.body for r in fake.requests]) + json.dumps(spec) + compiled.read_text()
    assert s3_server.secret_key not in sent and s3_server.access_key not in sent  # credentials stay in the secret
    record = space.deployments.store.get(NAME)
    assert record["config"]["monitor_job"] == job

    again = space.monitor_jobs.schedule(NAME, image=IMAGE)  # a change replaces the recurring run
    assert recurring(fake)["recurring_run_id"] == again["kfp_recurring_run_id"] != job["kfp_recurring_run_id"]
    assert fake.find("RecurringRunService_CreateRecurringRun")[-1].body["trigger"] == {
        "periodic_schedule": {"interval_second": "300"}
    }
    kept = space.monitor_jobs.schedule(NAME, image="", every_s=900)  # no image given: the job's own is kept
    assert kept["image"] == IMAGE and kept["every_s"] == 900


def test_contract_removing_the_deployment_deletes_its_recurring_run(fake, space, monkeypatch):
    space.monitor_jobs.schedule(NAME, image=IMAGE)
    monkeypatch.setattr(space.deployments, "stop", lambda name: None)  # no cluster here: its InferenceService
    space.deployments.remove(NAME)
    assert fake.state.recurring_runs == {} and len(fake.find("RecurringRunService_DeleteRecurringRun")) == 1


def test_contract_the_job_through_the_cli(fake, space, monkeypatch, capsys):
    monkeypatch.setenv("KF_PIPELINES_ENDPOINT", fake.url)
    workspace = ["--workspace", str(space.folder)]
    assert main(["monitor-job", "schedule", NAME, "--image", IMAGE, "--json", *workspace]) == 0
    job = json.loads(capsys.readouterr().out)
    assert job["kfp_recurring_run_id"] == recurring(fake)["recurring_run_id"]
    assert main(["monitor-job", "unschedule", NAME, *workspace]) == 0
    assert "recurring run deleted" in capsys.readouterr().out and fake.state.recurring_runs == {}
    assert "monitor_job" not in space.deployments.store.get(NAME)["config"]
    assert main(["monitor-job", "unschedule", NAME, *workspace]) == 2
    assert "has no monitoring job" in capsys.readouterr().err
    assert main(["monitor-job", "seed", NAME, *workspace]) == 0  # for a scheduler of one's own
    assert f"monitor-job run {job['uri']}`" in capsys.readouterr().out and fake.state.recurring_runs == {}
    assert space.deployments.store.get(NAME)["config"]["monitor_job"] == {"uri": job["uri"]}


def test_contract_what_cannot_be_scheduled_is_refused_before_any_request(fake, space, tmp_path):
    deploy_record(space.folder, name="local-model")
    refusals = {
        "name": lambda: space.monitor_jobs.schedule("local-model", image=IMAGE),
        "image": lambda: space.monitor_jobs.schedule(NAME, image=" "),
        "every": lambda: space.monitor_jobs.schedule(NAME, image=IMAGE, every_s=5),
        "s3_secret": lambda: space.monitor_jobs.schedule(NAME, image=IMAGE, s3_secret="Not_A_Secret"),
    }
    for field, attempt in refusals.items():
        with pytest.raises(FieldError) as err:
            attempt()
        assert err.value.field == field
    assert fake.requests == [] and (space.folder / STORE_FILE).exists()
