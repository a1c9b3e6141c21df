"""Local deployments: a model trained by a real run, served by kserve's ModelServer on 127.0.0.1."""

import asyncio
import json
import os
import signal
import time
import urllib.request
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from ai4mlops_lab.errors import UserError
from ai4mlops_lab.pipeline.runtime import load_artifact
from ai4mlops_lab.runs import processes

from .conftest import local_deployments


def model_artifact(run):
    [artifact] = [a for a in run["artifacts"] if a["name"] == "model"]
    return artifact


def expected_outputs(artifact, rows):
    """What the trained model gives for `rows`, loaded from its artifact as the notebook left it."""
    model = load_artifact(SimpleNamespace(path=artifact["uri"], metadata=artifact["metadata"]))
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(rows)).numpy()


def listening_sockets(port):
    """Local addresses listening on `port` (IPv4 and IPv6), from /proc/net."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as stream:
            for line in stream.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:
                    found.append(address)
    return found


def kserve_infer(base, name, protocol, data):
    """Predictions through kserve's own InferenceRESTClient."""
    from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig

    async def call():
        client = InferenceRESTClient(RESTConfig(protocol=protocol, timeout=10, retries=0))
        try:
            if protocol == "v1":
                return await client.infer(base, {"instances": data.tolist()}, model_name=name)
            tensor = InferInput("input-0", list(data.shape), "FP32", data=data.flatten().tolist())
            return await client.infer(base, InferRequest(name, [tensor]), model_name=name)
        finally:
            await client.close()

    return asyncio.run(call())


def post(url, body, content_type="application/json"):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_model_artifact_records_framework_signature_example_and_reference(trained):
    _, run = trained
    artifact = model_artifact(run)
    info = artifact["metadata"]["model"]
    assert artifact["type"] == "system.Model"
    assert info["framework"] == "torch" and info["framework_version"] == torch.__version__
    assert info["file"] == "model.pt" and info["loader"].startswith("torch.load")
    assert info["signature"]["inputs"] == [
        {"name": "input-0", "dtype": "float32", "shape": [-1, 10], "features": [f"f{i}" for i in range(10)]}
    ]
    assert info["signature"]["outputs"] == [{"name": "output-0", "dtype": "float32", "shape": [-1, 2]}]
    assert np.array(info["example"]).shape == (5, 10)
    reference = np.load(os.path.join(artifact["uri"], "reference.npy"))
    assert reference.shape == (640, 10) and reference.dtype == np.float32  # x_train: 80% of 800 rows
    assert info["reference"] == {
        "file": "reference.npy",
        "rows": 640,
        "total_rows": 640,
        "source": "input the model was called with in the step",
    }
    np.testing.assert_allclose(reference.mean(axis=0), 0, atol=1e-5)  # standardized training features


def test_deploy_and_predict_over_v1_and_v2_with_kserve_client(trained, served):
    _, run = trained
    artifact = model_artifact(run)
    deployments, deployed = served
    name, base = deployed["name"], deployed["url"]
    assert deployed["status"] == "running" and deployed["ready"] is True
    assert name == "torch-train-model" and base.startswith("http://127.0.0.1:")
    assert listening_sockets(deployed["port"]) == ["0100007F"]  # 127.0.0.1 only, nothing on 0.0.0.0 or ::

    rows = np.load(os.path.join(artifact["uri"], "reference.npy"))[:7]
    expected = expected_outputs(artifact, rows)
    v1 = kserve_infer(base, name, "v1", rows)
    np.testing.assert_allclose(np.array(v1["predictions"], dtype=np.float32), expected, rtol=1e-6)
    v2 = kserve_infer(base, name, "v2", rows)
    np.testing.assert_allclose(v2.outputs[0].as_numpy(), expected, rtol=1e-6)
    assert v2.id  # a V2 request without an id still gets one back

    status, answer = post(
        deployed["endpoints"]["v2"],
        json.dumps(
            {
                "id": "req-7",
                "inputs": [{"name": "input-0", "shape": [1, 10], "datatype": "FP32", "data": rows[0].tolist()}],
            }
        ).encode(),
    )
    assert status == 200 and answer["id"] == "req-7"
    with urllib.request.urlopen(deployed["endpoints"]["metadata"], timeout=5) as reply:
        assert json.loads(reply.read())["inputs"] == [{"name": "input-0", "datatype": "FP32", "shape": [-1, 10]}]
    # The same rows in a batch of 2 and of 7: BLAS kernels differ in the last bits across batch sizes and CPUs.
    np.testing.assert_allclose(
        deployments.predict(name, {"instances": rows[:2].tolist()})["predictions"],
        v1["predictions"][:2],
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "path, body, status, says",
    [
        ("v1", b"{not json", 400, "Unrecognized request format"),
        ("v2", b"{not json", 400, "JSON decode error"),
        ("v1", b'{"instances": [[1, 2, 3]]}', 400, "input has shape [1, 3]"),
        ("v1", b'{"instances": [["a", 1, 2, 3, 4, 5, 6, 7, 8, 9]]}', 400, "not numbers"),
        (
            "v2",
            b'{"inputs": [{"name": "x", "shape": [1, 10], "datatype": "FP64", "data": [0,0,0,0,0,0,0,0,0,0]}]}',
            400,
            "datatype FP64 does not match",
        ),
        (
            "v2",
            b'{"inputs": [{"name": "x", "shape": [2, 10], "datatype": "FP32", "data": [0, 1]}]}',
            400,
            "cannot reshape",
        ),
        ("unknown", b'{"instances": [[0,0,0,0,0,0,0,0,0,0]]}', 404, "does not exist"),
        # Issue 10, item 8: these were answered 200 (with null predictions for 1e308).
        ("v1", b'{"instances": [[true, 1, 2, 3, 4, 5, 6, 7, 8, 9]]}', 400, "holds booleans"),
        ("v1", b'{"instances": [[NaN, 1, 2, 3, 4, 5, 6, 7, 8, 9]]}', 400, "Unrecognized request format"),
        ("v1", b'{"instances": [[1e300, 1, 2, 3, 4, 5, 6, 7, 8, 9]]}', 400, "NaN, infinity or a number beyond"),
        (
            "v2",
            b'{"inputs": [{"name": "input-0", "shape": [1, 10], "datatype": "FP32", '
            b'"data": [1e308,0,0,0,0,0,0,0,0,0]}]}',
            400,
            "beyond the range of float32",
        ),
        (
            "v2",
            b'{"inputs": [{"name": "wrong", "shape": [1, 10], "datatype": "FP32", "data": [0,0,0,0,0,0,0,0,0,0]}]}',
            400,
            "input tensor 'wrong' is not the model's; expected 'input-0'",
        ),
    ],
)
def test_bad_requests_get_4xx_naming_the_signature_and_the_server_keeps_serving(served, path, body, status, says):
    deployed = served[1]
    url = {
        "v1": deployed["endpoints"]["v1"],
        "v2": deployed["endpoints"]["v2"],
        "unknown": deployed["url"] + "/v1/models/nope:predict",
    }[path]
    got, answer = post(url, body)
    assert got == status and says in answer["error"]
    assert "float32 (V2 FP32) of shape [-1, 10]" in answer["error"]
    ok, _ = post(deployed["endpoints"]["v1"], b'{"instances": [[0,0,0,0,0,0,0,0,0,0]]}')
    assert ok == 200


def test_the_server_log_keeps_failed_requests_only(served):
    """Each request is in the request log; the server log names the failed ones, not every success (three lines
    per request grew it by about 0.7 GB an hour at 500 requests/s)."""
    service, deployed = served
    marker = f"/v1/models/{deployed['name']}:predict?marker={time.monotonic_ns()}"
    assert post(deployed["url"] + marker, b'{"instances": [[0,0,0,0,0,0,0,0,0,0]]}')[0] == 200
    assert post(deployed["url"] + marker, b'{"instances": [[1, 2, 3]]}')[0] == 400
    log = service.logs(deployed["name"])
    lines = [line for line in log.splitlines() if marker in line]
    assert len(lines) == 1 and '" 400' in lines[0]
    assert "kserve.trace" not in log


def test_killed_server_is_failed_with_its_log_tail_and_restarts_then_reattaches(trained, deployments):
    deployed = deployments.deploy(trained[1]["id"], name="crashy")
    os.kill(deployed["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes.is_alive(deployed["pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert deployments.get("crashy")["status"] == "running"  # a read does not look: the refresh does
    deployments.refresh()
    failed = deployments.get("crashy")
    assert failed["status"] == "failed" and failed["pid"] is None
    assert "the model server exited (exit code -9)" in failed["error"], failed["error"]
    assert "Uvicorn running on http://127.0.0.1:" in failed["log_tail"]
    with pytest.raises(UserError) as refused:
        deployments.predict("crashy", {"instances": [[0.0] * 10]})
    assert refused.value.status == 409

    restarted = deployments.restart("crashy")
    assert restarted["status"] == "running" and restarted["port"] == deployed["port"]
    assert deployments.predict("crashy", {"instances": [[0.0] * 10]})["predictions"]

    fresh = local_deployments(trained[0])  # as after a Jupyter server restart
    [again] = [d for d in fresh.reattach() if d["name"] == "crashy"]
    assert again["status"] == "running" and again["pid"] == restarted["pid"] and again["ready"]
    assert "predictions" in fresh.predict("crashy", {"instances": [[0.0] * 10]})
    stopped = fresh.stop("crashy")
    assert stopped["status"] == "stopped" and not processes.is_alive(restarted["pid"])


def test_reattach_restarts_a_deployment_whose_server_is_gone(trained, deployments):
    deployed = deployments.deploy(trained[1]["id"], name="gone")
    processes.stop_group(deployed["pid"])
    fresh = local_deployments(trained[0])
    [again] = [d for d in fresh.reattach() if d["name"] == "gone"]
    assert again["status"] == "running" and again["pid"] != deployed["pid"]
    fresh.stop("gone")


def test_unknown_model_and_name_conflicts_are_user_errors(trained, deployments):
    with pytest.raises(UserError) as missing:
        deployments.deploy(trained[1]["id"], model="no_such_model")
    assert missing.value.status == 404
    deployments.deploy(trained[1]["id"], name="taken")
    with pytest.raises(UserError) as taken:
        deployments.deploy(trained[1]["id"], name="taken")
    assert taken.value.status == 409


def test_a_deployment_being_started_is_not_judged_dead_before_it_has_a_server(trained, deployments):
    """The UI polls while a deploy runs: a record with no server pid yet must stay `starting`."""
    deployments.store.create(
        name="not-yet",
        run_id=trained[1]["id"],
        model_name="train/model",
        model_uri="x",
        target="local",
        config={"metadata": {}},
    )
    deployments.refresh()
    assert deployments.get("not-yet")["status"] == "starting"
    deployments.store.delete("not-yet")


def test_a_server_gone_while_its_deployment_is_rerouted_is_not_judged_failed(trained, deployments):
    """A rollout hands the port from the first server to a router under the deployment's lock: the background
    refresh leaves the deployment to that call, and judges it again once the lock is free."""
    deployed = deployments.deploy(trained[1]["id"], name="rerouted")
    os.kill(deployed["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes.is_alive(deployed["pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    with deployments.lock("rerouted"):
        deployments.refresh()
        assert deployments.get("rerouted")["status"] == "running"
    deployments.refresh()
    assert deployments.get("rerouted")["status"] == "failed"
