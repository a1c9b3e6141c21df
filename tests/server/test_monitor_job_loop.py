"""Monitoring that survives the notebook server: a deployment's job on the cluster (`monitoring/cluster_job.py`)
runs its passes while no Jupyter server runs; a server started afterwards imports what they found in its background
loop, and the existing REST routes show every window and alert, once (a real `rclone serve s3`)."""

import asyncio

from ai4mlops_lab.monitoring.cluster_job import run_pass
from ai4mlops_lab.objectstore import ObjectStore

from ..drift.test_bucket_reader import NAME, kserve_deployment, logged
from ..drift.test_cluster_job import seed
from ..kserve_logger import s3_put
from .test_drift_api import api


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
        if len(report["windows"]) == 6 and alerts:
            break
        await asyncio.sleep(0.25)
    assert [w["n"] for w in report["windows"]] == [100] * 6
    [alert] = alerts
    assert alert["status"] == "open" and alert["window_ids"][-4:] == [w["id"] for w in report["windows"][2:]]
    await asyncio.sleep(4.5)  # two more rounds: nothing is imported twice
    assert len((await api(jp_fetch, "deployments", NAME, "drift"))["windows"]) == 6
    assert len((await api(jp_fetch, "alerts", params={"deployment": NAME}))["alerts"]) == 1
