"""Requests and answers of KServe's Triton runtime serving a torch model's ONNX export, in Triton's own shape (the
request body as Triton's Python client builds it; the answer as Triton's HTTP frontend writes it, which that client
reads back), decode in monitoring like our model server's: drift windows and logged predictions take the tensor
names from the model's signature, not from a constant."""

import json
import types
import uuid

import numpy as np
import onnxruntime
import pytest
import torch
import tritonclient.http as triton
from torch import nn
from tritonclient.http import _utils as triton_utils
from tritonclient.utils import np_to_triton_dtype

from ai4mlops_lab.monitoring.monitor import DriftMonitor
from ai4mlops_lab.monitoring.outcomes import OutcomeMonitor
from ai4mlops_lab.pipeline import runtime
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.event_records import InferenceEvent
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.store.outcomes import OutcomeStore
from ai4mlops_lab.workspace import STORE_FILE

NAME = "digits-net"
CLASSES = 3


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """`(model, metadata, session)`: a 10-16-3 MLP saved as a step saves it (reference: 400 standard-normal rows),
    and an onnxruntime session of its export, as Triton's onnxruntime backend runs it."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, CLASSES)).eval()
    features = np.random.default_rng(0).normal(size=(400, 10)).astype(np.float32)
    artifact = types.SimpleNamespace(path=str(tmp_path_factory.mktemp("export") / "model"), metadata={})
    runtime._save_model(model, artifact, {"x": features}, {}, "x", 10000)
    export = artifact.metadata["model"]["export"]
    assert "error" not in export, export
    session = onnxruntime.InferenceSession(f"{artifact.path}/{export['file']}", providers=["CPUExecutionProvider"])
    return model, artifact, session


def triton_request(request_id: str, tensors: dict[str, np.ndarray], outputs: list[str]) -> bytes:
    """A JSON inference request as tritonclient.http sends it (no binary data, which KServe's logger keeps whole)."""
    inputs = []
    for name, values in tensors.items():
        tensor = triton.InferInput(name, list(values.shape), np_to_triton_dtype(values.dtype))
        tensor.set_data_from_numpy(values, binary_data=False)
        inputs.append(tensor)
    requested = [triton.InferRequestedOutput(name, binary_data=False) for name in outputs]
    body, json_size = triton_utils._get_inference_request(
        inputs=inputs,
        request_id=request_id,
        outputs=requested,
        sequence_id=0,
        sequence_start=False,
        sequence_end=False,
        priority=0,
        timeout=None,
        custom_parameters=None,
    )
    assert json_size is None  # all JSON
    return body


def triton_answer(request_id: str, tensors: dict[str, np.ndarray]) -> bytes:
    """The JSON answer Triton's HTTP frontend writes (flat data, model name and version), checked by reading it
    back with tritonclient."""
    body = json.dumps(
        {
            "id": request_id,
            "model_name": "model",
            "model_version": "1",
            "outputs": [
                {
                    "name": name,
                    "datatype": np_to_triton_dtype(values.dtype),
                    "shape": list(values.shape),
                    "data": values.ravel().tolist(),
                }
                for name, values in tensors.items()
            ],
        }
    ).encode()
    read = triton.InferResult.from_response_body(body)
    for name, values in tensors.items():
        np.testing.assert_array_equal(read.as_numpy(name), values)
    return body


def renamed(signature: dict, input_name: str, output_name: str) -> dict:
    return {
        "inputs": [{**signature["inputs"][0], "name": input_name}],
        "outputs": [{**signature["outputs"][0], "name": output_name}],
    }


@pytest.mark.parametrize(
    ("input_name", "output_name"),
    [
        ("input-0", "output-0"),  # the export's own names, as our model server's
        ("INPUT__0", "OUTPUT__0"),  # Triton's TorchScript naming: still read from the signature
    ],
)
def test_triton_traffic_feeds_drift_windows_and_predictions_by_the_signature_names(
    exported, tmp_path, input_name, output_name
):
    model, artifact, session = exported
    metadata = artifact.metadata["model"]
    signature = metadata["signature"]
    workspace = tmp_path / ".ai4mlops"
    DeploymentStore(workspace / STORE_FILE).create(
        name=NAME,
        run_id=None,
        model_name="train/model",
        model_uri=artifact.path,
        target="kserve",
        config={"metadata": {"model": {**metadata, "signature": renamed(signature, input_name, output_name)}}},
    )
    events = EventStore(workspace / STORE_FILE)
    rows = np.random.default_rng(1).normal(size=(60, 10)).astype(np.float32)
    expected = []
    for start in range(0, len(rows), 6):
        batch = rows[start : start + 6]
        [scores] = session.run(["output-0"], {"input-0": batch})  # what Triton's onnxruntime backend computes
        expected += scores.argmax(axis=1).tolist()
        ce_id, request_id = uuid.uuid4().hex, f"req-{start}"
        # another tensor before the model's in both directions: only the signature's name picks the right one
        request = triton_request(request_id, {"mask": np.ones((6, 2), np.int32), input_name: batch}, [output_name])
        answer = triton_answer(request_id, {"embedding": np.zeros((6, 4), np.float32), output_name: scores})
        for kind, body in (("request", request), ("response", answer)):
            events.add(InferenceEvent(ce_id, kind, NAME, "ns", "predictor", "", "pod", "", "application/json", body))
    with torch.no_grad():
        assert expected == model(torch.from_numpy(rows)).argmax(dim=1).tolist()

    drift = DriftMonitor(workspace / STORE_FILE, workspace)
    drift.set_policy(NAME, {"window_size": 30})
    drift.catch_up()
    report = drift.report(NAME)
    assert report["counts"]["undecodable"] == 0 and [w["n"] for w in report["windows"]] == [30, 30]

    outcomes = OutcomeMonitor(workspace / STORE_FILE)
    outcomes.process(NAME)
    assert outcomes.monitor(NAME)["undecodable"] == 0
    predictions = OutcomeStore(workspace / STORE_FILE, check=False).served_predictions(NAME, after=0, limit=100)
    assert [p["value"] for p in predictions] == expected
    assert [p["key"] for p in predictions[:2]] == ["req-0/0", "req-0/1"]  # keyed by the request's id
