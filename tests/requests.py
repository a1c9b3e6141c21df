"""Logged inference requests for drift tests: a deployment record with a reference sample, and request events."""

import json
import uuid
from datetime import UTC, datetime

import numpy as np

from ai4mlops_lab.monitoring.replay import requests
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.event_records import InferenceEvent
from ai4mlops_lab.workspace import STORE_FILE

D = 10
NAME = "iris-model"


def deploy_record(workspace, name=NAME, reference=True, seed=0, shape=(D,), outputs=None, run_id=None):
    """A deployment record whose model folder holds a reference sample of standard-normal inputs of `shape`
    per row (named features f0.. along the first axis, as models are saved); `outputs` values per row (a
    classifier's classes) makes its signature record an output tensor."""
    folder = workspace / "deployments" / name / "model"
    folder.mkdir(parents=True)
    model = {
        "signature": {
            "inputs": [
                {
                    "name": "input-0",
                    "dtype": "float32",
                    "shape": [-1, *shape],
                    "features": [f"f{i}" for i in range(shape[0])],
                }
            ],
            "outputs": [{"name": "output-0", "dtype": "float32", "shape": [-1, outputs]}] if outputs else [],
        }
    }
    if reference:
        sample = np.random.default_rng(seed).normal(size=(2000, *shape)).astype(np.float32)
        np.save(folder / "reference.npy", sample)
        model["reference"] = {"file": "reference.npy", "rows": 2000, "total_rows": 2000, "source": "test"}
    DeploymentStore(workspace / STORE_FILE).create(
        name=name,
        run_id=run_id,
        model_name="train/model",
        model_uri=str(folder),
        target="local",
        config={"metadata": {"model": model}},
    )


def kserve_record(workspace, name, obj, **config):
    """A KServe deployment record of `deploy_record`'s model and reference sample, for the InferenceService `obj`
    (its namespace taken from it); `config` adds to the record's config."""
    deploy_record(workspace, name=name)
    store = DeploymentStore(workspace / STORE_FILE)
    record = store.get(name)
    store.create(
        name=name,
        run_id=None,
        model_name=record["model_name"],
        model_uri=record["model_uri"],
        target="kserve",
        config={**record["config"], "namespace": obj["metadata"]["namespace"], "object": obj, **config},
        replace=True,
    )


def stopped_deployment(store_path, name):
    """A stopped deployment record named `name` (no model: only for events to be accepted)."""
    records = DeploymentStore(store_path)
    records.create(name=name, run_id=None, model_name="m", model_uri="/m", target="local")
    records.update(name, status="stopped")
    records.close()


def send(events, rows, batch=25, protocol="v1", name=NAME, at=None, source="test"):
    """Log `rows` as request events of `batch` rows each; `at` (epoch seconds) sets Ce-Time."""
    stamp = "" if at is None else datetime.fromtimestamp(at, UTC).isoformat()
    for body in requests(rows, batch, protocol):
        events.add(
            InferenceEvent(
                uuid.uuid4().hex,
                "request",
                name,
                "local",
                "predictor",
                "",
                source,
                stamp,
                "application/json",
                json.dumps(body).encode(),
            )
        )


def rows(n, shift=0.0, seed=1):
    data = np.random.default_rng(seed).normal(size=(n, D))
    data[:, :3] += shift
    return data
