"""Contract tests of batch jobs on Kubeflow Pipelines against the strict fake KFP API (official swagger): the
generated one-step pipeline is a valid IR carrying the model and the input and output URIs as parameters, its run
is created and followed to the end, cancelled, and what the cluster cannot do is refused before anything is sent."""

import json

import pytest

from ai4mlops_lab.batch.jobs import BatchJobs
from ai4mlops_lab.batch.service import BatchPredictions
from ai4mlops_lab.cli.main import main
from ai4mlops_lab.errors import FieldError, UserError
from ai4mlops_lab.registry import EmbeddedRegistry
from ai4mlops_lab.runs.kfp_backend import KfpBackend
from ai4mlops_lab.runs.kfp_connection import KfpConnection
from ai4mlops_lab.store.batch_jobs import BatchJobStore
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.registry import RegistryStore
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

from ..model_runs import model_run
from .conftest import NO_SA
from .test_contract_cluster_deploy import MODEL_URI, make_run

PARAMETERS = {"model_uri", "model_metadata", "input_uri", "output_uri", "overwrite", "chunk_size", "task"} | {
    "s3_endpoint"
}


@pytest.fixture
def workspace(tmp_path):
    return tmp_path / ".ai4mlops"


@pytest.fixture
def jobs(fake, workspace, tmp_path):
    """Batch jobs whose KFP backend is the fake's, and a run of Kubeflow whose model is in MinIO."""
    store = workspace / STORE_FILE
    runs = RunStore(store)
    registry = EmbeddedRegistry(RegistryStore(store), runs)
    predictions = BatchPredictions(workspace, DeploymentStore(store), runs, lambda: registry, root=tmp_path)
    connection = KfpConnection.resolve(host=fake.url, env={}, service_account_token=NO_SA)
    backend = KfpBackend(connection)
    service = BatchJobs(workspace, BatchJobStore(store, check=False), predictions, kfp_backend=lambda: backend)
    service.kfp_run_id = make_run(runs, "iris", "sklearn")
    return service


def uploaded_spec(fake) -> dict:
    """The pipeline spec the fake holds (one version uploaded)."""
    [version] = fake.state.versions.values()
    return version["pipeline_spec"]


def test_contract_a_job_on_kfp_uploads_a_one_step_pipeline_with_its_uris_and_follows_the_run(fake, jobs, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://minio.kubeflow:9000")
    fake.script_next_run([{"state": "RUNNING"}, {"state": "SUCCEEDED"}])

    job = jobs.start(jobs.kfp_run_id, "s3://data/in/rows.parquet", target="kfp", chunk_size=500)

    assert (job["target"], job["status"], job["stage"]) == ("kfp", "running", None)
    assert (job["input_path"], job["output_path"], job["rejects_path"]) == (
        "s3://data/in/rows.parquet",
        "s3://data/in/rows.predictions.parquet",
        "s3://data/in/rows.rejects.csv",
    )
    [created] = fake.find("RunService_CreateRun")
    assert job["kfp_run_id"] in fake.state.runs
    assert job["kfp_url"].endswith(job["kfp_run_id"])
    parameters = created.body["runtime_config"]["parameters"]
    assert parameters["model_uri"] == "s3://" + MODEL_URI.split("://")[1]
    assert (parameters["input_uri"], parameters["output_uri"]) == (job["input_path"], job["output_path"])
    assert (parameters["chunk_size"], parameters["overwrite"], parameters["task"]) == (500, False, "auto")
    assert parameters["s3_endpoint"] == "http://minio.kubeflow:9000"
    assert json.loads(parameters["model_metadata"])["model"]["framework"] == "sklearn"

    spec = uploaded_spec(fake)
    declared = spec["root"]["inputDefinitions"]["parameters"]
    assert set(declared) == PARAMETERS
    assert declared["model_uri"]["defaultValue"] == parameters["model_uri"]
    assert list(spec["root"]["dag"]["tasks"]) == ["predict"]
    [executor] = spec["deploymentSpec"]["executors"].values()
    command = " ".join(executor["container"]["command"])
    assert "'ai4mlops-lab==" in command and "'scikit-learn==" in command and "'pyarrow==" in command
    assert "from ai4mlops_lab.batch.step import run" in command

    assert jobs.get(job["id"])["status"] == "running"
    done = jobs.get(job["id"])
    assert (done["status"], done["error"]) == ("succeeded", None) and done["finished_at"]
    assert [j["status"] for j in jobs.jobs()] == ["succeeded"]
    assert fake.calls().count("RunService_GetRun") == 2  # an ended job is not asked about again


def test_contract_a_failed_run_fails_the_job_and_a_cancel_terminates_the_run(fake, jobs):
    fake.script_next_run([{"state": "FAILED", "error": {"code": 2, "message": "the output s3://d/o.csv exists"}}])
    failed = jobs.start(jobs.kfp_run_id, "s3://data/rows.csv", "s3://data/o.csv", target="kfp")
    running = jobs.start(jobs.kfp_run_id, "s3://data/rows.csv", "s3://data/p.csv", target="kfp", s3_secret="minio")

    listed = {j["id"]: j for j in jobs.jobs()}
    cancelled = jobs.cancel(running["id"])

    assert (listed[failed["id"]]["status"], listed[failed["id"]]["error"]) == (
        "failed",
        "the output s3://d/o.csv exists",
    )
    assert listed[running["id"]]["status"] in ("pending", "running")
    assert cancelled["status"] == "cancelled"
    [terminated] = fake.find("RunService_TerminateRun")
    assert running["kfp_run_id"] in terminated.path
    assert (len(fake.state.pipelines), len(fake.state.versions)) == (1, 2)  # both jobs: versions of one pipeline
    assert jobs.mark_interrupted() == 0  # a job on Kubeflow has no worker here


def test_contract_what_the_cluster_cannot_do_is_refused_before_anything_is_sent(fake, jobs, workspace, tmp_path):
    local_run = model_run(workspace, tmp_path / "model")
    cases = [
        ((local_run, "s3://data/rows.csv"), {}, "model", "on this machine only"),
        ((jobs.kfp_run_id, "rows.csv"), {}, "input", "not an s3:// URI"),
        ((jobs.kfp_run_id, "s3://data/rows.csv", "out.csv"), {}, "output", "not an s3:// URI"),
        ((jobs.kfp_run_id, "s3://data/rows.csv"), {"log": True}, "log", "jobs run here"),
        ((jobs.kfp_run_id, "s3://data/rows.csv"), {"s3_secret": "Not_A_Name"}, "s3_secret", "not a Kubernetes"),
        ((jobs.kfp_run_id, "s3://data/rows.csv"), {"target": "cloud"}, "target", "Unknown target"),
        ((jobs.kfp_run_id, "s3://data/rows.txt"), {}, "input", "Cannot read rows.txt"),
    ]
    for args, extra, field, words in cases:
        with pytest.raises(FieldError) as refused:
            jobs.start(*args, **{"target": "kfp", **extra})
        assert (refused.value.field, words in refused.value.message) == (field, True), refused.value.message
    with pytest.raises(FieldError) as refused:
        jobs.start(jobs.kfp_run_id, "s3://data/rows.csv", s3_secret="minio")
    assert refused.value.field == "s3_secret"
    unconfigured = BatchJobs(workspace, jobs.store, jobs.predictions)
    with pytest.raises(UserError) as refused:
        unconfigured.start(jobs.kfp_run_id, "s3://data/rows.csv", target="kfp")
    assert "No Kubeflow Pipelines server" in refused.value.message
    assert fake.calls() == [] and jobs.jobs() == []


def test_contract_the_command_starts_a_job_on_kfp(fake, jobs, workspace, monkeypatch, capsys):
    monkeypatch.setenv("KF_PIPELINES_ENDPOINT", fake.url)
    argv = ["predict", jobs.kfp_run_id, "s3://data/rows.csv", "--target", "kfp", "--workspace", str(workspace)]

    code = main([*argv, "--json"])

    job = json.loads(capsys.readouterr().out)
    assert code == 0 and job["target"] == "kfp" and job["kfp_run_id"] and job["output_path"].endswith(".csv")
    assert fake.find("RunService_CreateRun")
    assert main([*argv[:3], "--s3-secret", "minio", "--workspace", str(workspace)]) == 2
    assert "--s3-secret is for jobs on Kubeflow" in capsys.readouterr().err
