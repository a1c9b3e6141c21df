"""Monitoring that survives the notebook server: a deployment's job on the cluster (`monitoring/cluster_job.py`)
runs its passes while no Jupyter server runs; a server started afterwards imports what they found in its background
loop, and the existing REST routes show every window and alert, once, and the deployment's reply when the job last
passed and when the server imported its results, or why it cannot read them (a real `rclone serve s3`)."""

import asyncio
import json

from ai4mlops_lab.monitoring.cluster_job import run_pass
from ai4mlops_lab.objectstore import ObjectStore, S3Settings

from ..drift.test_bucket_reader import NAME, kserve_deployment, logged
from ..drift.test_cluster_job import cursor, seed
from ..kserve_logger import s3_put
from ..s3server import free_port
from .contract import check_response
from .test_drift_api import api


async def deployment(jp_fetch) -> dict:
    """`GET deployments/NAME`, checked against the OpenAPI document."""
    response = await jp_fetch("ai4mlops-lab", "api", "deployments", NAME)
    check_response("GET", f"/deployments/{NAME}", response.code, response.body)
    return json.loads(response.body)


async def test_a_server_started_after_the_job_passes_shows_their_windows_and_alerts(
    jp_fetch, jp_root_dir, s3_server, monkeypatch
):
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    workspace = jp_root_dir / ".ai4mlops"
    s3_server.bucket("culled-logs")
    objects = ObjectStore()
    kserve_deployment(workspace, "culled-logs")
    uri = seed(workspace, objects)  # scheduled while the server ran; then it was culled
    put = s3_put(objects.client(), "culled-logs")
    logged(put, 200, batch_size=40, seed=5)
    run_pass(uri, objects)
    logged(put, 400, batch_size=40, seed=6, shift=3.0)
    run_pass(uri, objects)

    for _ in range(120):  # the server starts with the first request; its loop imports the results
        report = await api(jp_fetch, "deployments", NAME, "drift")
        alerts = (await api(jp_fetch, "alerts", params={"deployment": NAME}))["alerts"]
        status = (await deployment(jp_fetch))["monitor_job_status"]
        if len(report["windows"]) == 6 and alerts and status["last_imported_at"]:
            break
        await asyncio.sleep(0.25)
    assert [w["n"] for w in report["windows"]] == [100] * 6
    [alert] = alerts
    assert alert["status"] == "open" and alert["window_ids"][-4:] == [w["id"] for w in report["windows"][2:]]
    await asyncio.sleep(4.5)  # two more rounds: nothing is imported twice
    assert len((await api(jp_fetch, "deployments", NAME, "drift"))["windows"]) == 6
    assert len((await api(jp_fetch, "alerts", params={"deployment": NAME}))["alerts"]) == 1

    committed = cursor(objects, uri)  # the job's last pass, and the server's import of its results
    assert (status["last_pass_at"], status["last_pass"]) == (committed["updated_at"], committed["pass"])
    assert status["last_pass"]["windows"] == 4 and status["last_imported_at"] > status["last_pass_at"]
    assert (status["windows_imported"], status["alerts_imported"], status["error"]) == (6, 1, None)
    listed = (await api(jp_fetch, "deployments"))["deployments"]
    assert [d["monitor_job_status"] for d in listed if d["name"] == NAME] == [status]


async def test_a_bucket_the_server_cannot_reach_is_said_in_the_deployment_reply(
    jp_fetch, jp_root_dir, s3_server, monkeypatch
):
    workspace = jp_root_dir / ".ai4mlops"
    s3_server.bucket("unreached-logs")
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    kserve_deployment(workspace, "unreached-logs")
    seed(workspace, ObjectStore(S3Settings(endpoint_url=s3_server.endpoint)))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # the server's endpoint: nothing there

    for _ in range(120):
        status = (await deployment(jp_fetch))["monitor_job_status"]
        if status["error"]:
            break
        await asyncio.sleep(0.25)
    assert status["error"].startswith("Cannot reach the S3 endpoint http://127.0.0.1:")
    assert "AWS_ENDPOINT_URL" in status["error_hint"] and status["last_pass_at"] is None
    assert s3_server.secret_key not in json.dumps(status)
