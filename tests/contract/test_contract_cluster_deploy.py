"""Contract tests of cluster deployments: run records → InferenceServices on the strict fake Kubernetes API.

The deployments talk to `fake_k8s.FakeKube` (which validates every InferenceService against the official CRD)
through the real kubernetes client, with a bearer token; predictions go to a loopback model server of the test
that the scripted status URL points at.
"""

import functools
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ai4mlops_lab.errors import NotFoundError, UserError
from ai4mlops_lab.serving import kserve_backend
from ai4mlops_lab.serving.cluster import ClusterDeployments
from ai4mlops_lab.serving.kube_connection import KubeConnection
from ai4mlops_lab.serving.runtimes import describe
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

from .test_contract_kserve import (
    IMAGE,
    IMAGE_FAILED,
    INGEST,
    LOAD_FAILED,
    NO_SA,
    NS,
    PENDING,
    READY,
    TOKEN,
    write_kubeconfig,
)

MODEL_URI = "minio://mlpipeline/v2/artifacts/iris/run-1/train/model"
SIGNATURE = {
    "inputs": [{"name": "input-0", "dtype": "float64", "shape": [-1, 4], "features": ["f0", "f1", "f2", "f3"]}],
    "outputs": [{"name": "output-0", "dtype": "int64", "shape": [-1]}],
}


#: What the step records of a torch model exported for KServe's Triton runtime (pipeline/export.py).
EXPORTED = {
    "format": "onnx",
    "runtime": "triton",
    "repository": "triton",
    "model_name": "model",
    "file": "triton/model/1/model.onnx",
    "rows_checked": 261,
    "max_abs_diff": 4.8e-07,
    "seconds": 0.6,
}
#: ... and of one whose export failed.
NOT_EXPORTED = {"format": "onnx", "error": "ImportError: onnx is not installed where the step ran"}


def model_metadata(framework, export=None):
    return {
        "model": {
            "framework": framework,
            "framework_version": "1.0",
            "file": "model.joblib",
            "loader": "joblib.load",
            "signature": SIGNATURE,
            "example": [[5.1, 3.5, 1.4, 0.2]],
            "reference": None,
            **({"export": export} if export else {}),
        }
    }


def make_run(runs, pipeline, framework, uri=MODEL_URI, backend_run_id=None, export=None):
    """A succeeded run whose step `train` output a Model artifact of `framework` at `uri` (`backend_run_id`: its
    run on the KFP server; `export`: what the step recorded of a torch model's exported form)."""
    run_id = runs.create_run(
        experiment=pipeline,
        notebook_path=f"{pipeline}.ipynb",
        notebook_hash="0" * 64,
        pipeline=pipeline,
        target="kfp",
        parameters={},
        steps=["train"],
    )["id"]
    runs.record_step_outputs(
        run_id,
        "train",
        parameters={},
        metrics={},
        artifacts=[
            {"name": "data", "uri": uri.rsplit("/", 1)[0] + "/data", "metadata": {"format": "npy"}},
            {"name": "model", "uri": uri, "type": "system.Model", "metadata": model_metadata(framework, export)},
        ],
    )
    runs.set_step_status(run_id, "train", "succeeded")
    runs.set_run_status(run_id, "succeeded", backend_run_id=backend_run_id)
    return run_id


def connect(tmp_path, url, token=TOKEN):
    """What the server passes as `connection`: the kubeconfig settings, resolved on each call."""
    config = write_kubeconfig(tmp_path / f"kubeconfig-{token or 'none'}", url, token)
    return functools.partial(
        KubeConnection.resolve, kubeconfig=str(config), env={}, home=str(tmp_path), service_account_dir=NO_SA
    )


@pytest.fixture
def stores(tmp_path):
    path = tmp_path / STORE_FILE
    return DeploymentStore(path), RunStore(path, check=False)


@pytest.fixture
def cluster(kube, stores, tmp_path):
    kube.token = TOKEN
    return ClusterDeployments(*stores, connect(tmp_path, kube.url), logger_url=INGEST, image=IMAGE)


@pytest.fixture
def model_server():
    """A loopback model server answering V1 and V2 requests (500 for a row of zeros); `.url`, `.requests`."""
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append((self.path, body))
            rows = body.get("instances") or body.get("inputs", [{}])[0].get("data")
            if rows == [[0, 0, 0, 0]]:
                self._answer(500, {"error": "model crashed"})
            elif "instances" in body:
                self._answer(200, {"predictions": [1] * len(rows)})
            else:
                self._answer(
                    200,
                    {
                        "model_name": "iris-model",
                        "outputs": [{"name": "output-0", "datatype": "INT64", "shape": [1], "data": [2]}],
                    },
                )

        def _answer(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.url, server.requests = f"http://127.0.0.1:{server.server_address[1]}", requests
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Deploying
# ---------------------------------------------------------------------------------------------


def test_contract_cluster_deploy_sklearn_applies_a_valid_builtin_inference_service(cluster, kube, stores):
    run_id = make_run(stores[1], "iris", "sklearn")
    record = cluster.deploy(run_id)
    assert (record["name"], record["target"], record["status"], record["run_id"]) == (
        "iris-model",
        "kserve",
        "starting",
        run_id,
    )
    assert record["model_name"] == "train/model" and record["model_uri"] == MODEL_URI
    assert record["ready"] is False and record["endpoints"] is None and record["signature"] == SIGNATURE
    s3 = "s3://mlpipeline/v2/artifacts/iris/run-1/train/model"
    assert {k: record["config"][k] for k in ("namespace", "storage_uri", "format", "image")} == {
        "namespace": NS,
        "storage_uri": s3,
        "format": "sklearn",
        "image": None,
    }
    [post] = kube.calls("POST")  # the fake answered 201: the object is valid against the CRD
    assert post["path"] == f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices"
    predictor = post["body"]["spec"]["predictor"]
    assert predictor["model"]["modelFormat"] == {"name": "sklearn"} and predictor["model"]["storageUri"] == s3
    assert predictor["logger"] == {"mode": "all", "url": INGEST} and "containers" not in predictor
    assert post["body"]["metadata"]["labels"]["ai4mlops-lab/run-id"] == run_id
    assert record["config"]["object"] == post["body"]
    assert kube.objects[(NS, "iris-model")]["spec"] == post["body"]["spec"]
    assert stores[0].get("iris-model")["status"] == "starting"


def test_contract_cluster_deploy_torch_uses_the_predictor_image(cluster, kube, stores):
    run_id = make_run(stores[1], "digits", "torch")
    record = cluster.deploy(
        run_id,
        "train/model",
        name="digits-net",
        storage_uri="pvc://models/digits/net",
        namespace="team-b",
        resources={"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"},
    )
    assert record["name"] == "digits-net" and record["config"]["namespace"] == "team-b"
    assert record["config"]["format"] == "torch" and record["config"]["image"] == IMAGE
    [post] = kube.calls("POST")
    assert post["path"].endswith("/namespaces/team-b/inferenceservices")
    predictor = post["body"]["spec"]["predictor"]
    [container] = predictor["containers"]
    assert container["image"] == IMAGE and "model" not in predictor
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["STORAGE_URI"] == "pvc://models/digits/net" and env["MODEL_NAME"] == "digits-net"
    assert container["resources"] == {
        "limits": {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"},
        "requests": {"cpu": "2", "memory": "4Gi"},
    }
    assert predictor["logger"] == {"mode": "all", "url": INGEST}


def test_contract_cluster_deploy_torch_serves_its_onnx_export_with_kserve_triton(cluster, kube, stores):
    run_id = make_run(stores[1], "digits", "torch", export=EXPORTED)
    record = cluster.deploy(run_id, name="digits-net")  # an image is configured: KServe's own runtime wins
    triton = "s3://mlpipeline/v2/artifacts/iris/run-1/train/model/triton"
    assert {k: record["config"][k] for k in ("format", "storage_uri", "image", "protocol", "served_model")} == {
        "format": "onnx",
        "storage_uri": triton,
        "image": None,
        "protocol": "v2",
        "served_model": "model",
    }
    assert record["config"]["fallback"] is None
    assert describe(record["target"], record["config"]) == {
        "name": "triton",
        "label": "KServe Triton runtime (ONNX)",
        "protocols": ["v2"],
        "fallback": None,
    }
    [post] = kube.calls("POST")  # the fake answered 201: valid against the CRD
    predictor = post["body"]["spec"]["predictor"]
    assert predictor["model"] == {"modelFormat": {"name": "onnx"}, "protocolVersion": "v2", "storageUri": triton}
    assert "containers" not in predictor and predictor["logger"] == {"mode": "all", "url": INGEST}


def test_contract_cluster_torch_without_an_export_falls_back_to_the_image_and_says_why(cluster, kube, stores):
    record = cluster.deploy(make_run(stores[1], "digits", "torch", export=NOT_EXPORTED), name="digits-net")
    assert record["config"]["format"] == "torch" and record["config"]["image"] == IMAGE
    assert record["config"]["storage_uri"] == "s3://mlpipeline/v2/artifacts/iris/run-1/train/model"
    why = "No ONNX export of the torch model: ImportError: onnx is not installed where the step ran"
    assert record["config"]["fallback"] == why
    assert describe(record["target"], record["config"]) == {
        "name": "predictor-image",
        "label": "ai4mlops predictor image",
        "protocols": ["v1", "v2"],
        "fallback": why,
    }
    [container] = kube.calls("POST")[0]["body"]["spec"]["predictor"]["containers"]
    assert container["image"] == IMAGE


def test_contract_cluster_records_from_before_the_runtime_fields_say_their_runtime(cluster, kube, stores):
    """Records written before `format`/`image` were kept: the runtime is read from their InferenceService."""
    sklearn = cluster.deploy(make_run(stores[1], "iris", "sklearn"), name="old-iris")["config"]
    torch = cluster.deploy(make_run(stores[1], "digits", "torch", export=NOT_EXPORTED), name="old-net")["config"]
    old = {name: {"namespace": c["namespace"], "object": c["object"]} for name, c in (("s", sklearn), ("t", torch))}
    assert describe("kserve", old["s"])["label"] == "KServe sklearn runtime"
    assert describe("kserve", old["t"])["label"] == "ai4mlops predictor image"
    assert describe("kserve", {})["label"] == "KServe"


def test_contract_cluster_default_names_do_not_collide_and_running_names_are_refused(cluster, kube, stores):
    run_id = make_run(stores[1], "iris", "sklearn")
    assert cluster.deploy(run_id)["name"] == "iris-model"
    assert cluster.deploy(run_id)["name"] == "iris-model-2"
    with pytest.raises(UserError) as taken:
        cluster.deploy(run_id, name="iris-model")
    assert taken.value.status == 409
    with pytest.raises(UserError) as invalid:
        cluster.deploy(run_id, name="Iris_Model")
    assert "'iris-model'" in invalid.value.hint
    cluster.stop("iris-model")
    assert cluster.deploy(run_id, name="iris-model")["status"] == "starting"  # a stopped one is replaced
    assert len(kube.calls("POST")) == 3 and len(stores[0].list()) == 2


def test_contract_cluster_torch_without_image_is_a_clear_error(kube, stores, tmp_path):
    cluster = ClusterDeployments(*stores, connect(tmp_path, kube.url, token=""), logger_url=INGEST)
    run_id = make_run(stores[1], "digits", "torch", export=NOT_EXPORTED)
    with pytest.raises(UserError) as err:
        cluster.deploy(run_id)
    assert err.value.code == "predictor_image_missing"
    assert err.value.message == (
        f"The model 'model' of run {run_id} is a torch model with no ONNX export for KServe's own runtimes "
        "(ImportError: onnx is not installed where the step ran), and no predictor image is configured to serve it "
        "instead."
    )
    assert "ai4mlops-lab[torch]" in err.value.hint and "'predictorImage'" in err.value.hint
    with pytest.raises(UserError, match=r"runtimes \(the run saved none \(it ran before ai4mlops-lab exported"):
        cluster.deploy(make_run(stores[1], "digits", "torch"))  # saved before exports existed
    assert kube.requests == [] and stores[0].list() == []


def test_contract_cluster_local_model_file_is_a_clear_error(cluster, kube, stores, tmp_path):
    run_id = make_run(stores[1], "iris", "sklearn", uri=str(tmp_path / "runs" / "r1" / "model"))
    with pytest.raises(UserError) as err:
        cluster.deploy(run_id)
    assert "local file" in err.value.message
    assert "pvc://" in err.value.hint and "s3://" in err.value.hint and "Kubeflow Pipelines" in err.value.hint
    assert kube.requests == [] and stores[0].list() == []
    assert cluster.deploy(run_id, storage_uri="s3://models/iris")["config"]["storage_uri"] == "s3://models/iris"


def test_contract_cluster_unknown_model_and_framework_are_clear_errors(cluster, stores):
    run_id = make_run(stores[1], "iris", "sklearn")
    with pytest.raises(NotFoundError):
        cluster.deploy(run_id, "nope")
    lgbm = make_run(stores[1], "boost", "lightgbm")
    with pytest.raises(UserError) as err:
        cluster.deploy(lgbm)
    assert "'lightgbm'" in err.value.message and "sklearn" in err.value.hint


def test_contract_cluster_forbidden_and_unauthorized_are_user_errors(cluster, kube, stores, tmp_path):
    kube.forbidden = {("create", NS)}
    run_id = make_run(stores[1], "iris", "sklearn")
    with pytest.raises(UserError) as err:
        cluster.deploy(run_id)
    assert err.value.status == 403 and "RBAC" in err.value.hint and f"-n {NS}" in err.value.hint
    assert stores[0].list() == []  # nothing recorded for a refused deployment
    kube.forbidden = set()
    cluster.deploy(run_id)
    wrong = ClusterDeployments(*stores, connect(tmp_path, kube.url, token="wrong"), logger_url=INGEST)
    wrong.refresh()
    assert "credentials" in wrong.get("iris-model")["refresh_error"]
    with pytest.raises(UserError) as err:
        wrong.logs("iris-model")  # asks the cluster now
    assert err.value.status == 401 and "credentials" in err.value.hint


# ---------------------------------------------------------------------------------------------
# Following, stopping, restarting
# ---------------------------------------------------------------------------------------------


def refreshed(cluster: ClusterDeployments, name: str) -> dict:
    """A deployment after a refresh (reads alone never ask the cluster)."""
    cluster.refresh()
    return cluster.get(name)


def test_contract_cluster_get_follows_the_status_to_running(cluster, kube, stores):
    cluster.deploy(make_run(stores[1], "iris", "sklearn"))
    kube.script_status(NS, "iris-model", [PENDING, READY])
    starting = refreshed(cluster, "iris-model")
    assert starting["status"] == "starting" and starting["endpoints"] is None
    assert [c["type"] for c in starting["conditions"]] == ["PredictorReady", "Ready"]
    running = refreshed(cluster, "iris-model")
    assert running["status"] == "running" and running["ready"] is True and running["url"] == READY["url"]
    assert running["endpoints"]["v1"] == f"{READY['url']}/v1/models/iris-model:predict"
    assert running["endpoints"]["v2"] == f"{READY['url']}/v2/models/iris-model/infer"
    assert cluster.get("iris-model")["conditions"] == running["conditions"]  # a read: the cluster is not asked
    assert stores[0].get("iris-model")["status"] == "running" and len(kube.calls("GET")) == 2


@pytest.mark.parametrize(
    "status, reason, hint",
    [
        (LOAD_FAILED, "ModelLoadFailed", "could not load the model"),
        (IMAGE_FAILED, "RevisionFailed", "image could not be pulled"),
    ],
)
def test_contract_cluster_failed_status_gives_reason_and_hint(cluster, kube, stores, status, reason, hint):
    cluster.deploy(make_run(stores[1], "iris", "sklearn"))
    kube.script_status(NS, "iris-model", [status])
    failed = refreshed(cluster, "iris-model")
    assert failed["status"] == "failed" and failed["endpoints"] is None
    assert reason in failed["error"] and hint in failed["error"]
    logs = cluster.logs("iris-model")
    assert reason in logs and f"kubectl logs -n {NS} -l serving.kserve.io/inferenceservice=iris-model" in logs
    assert cluster.logs("iris-model", tail=1).startswith("The model server's log is in the cluster")
    kube.script_status(NS, "iris-model", [READY])  # fixed in the cluster: it recovers
    assert refreshed(cluster, "iris-model")["status"] == "running" and stores[0].get("iris-model")["error"] is None


def test_contract_cluster_stop_deletes_and_restart_recreates(cluster, kube, stores):
    cluster.deploy(make_run(stores[1], "iris", "sklearn"))
    kube.script_status(NS, "iris-model", [READY])
    assert refreshed(cluster, "iris-model")["status"] == "running"
    stopped = cluster.stop("iris-model")
    assert stopped["status"] == "stopped" and stopped["url"] is None and kube.objects == {}
    [delete] = kube.calls("DELETE")
    assert delete["path"].endswith(f"/namespaces/{NS}/inferenceservices/iris-model")
    gets = len(kube.calls("GET"))
    assert refreshed(cluster, "iris-model")["status"] == "stopped" and len(kube.calls("GET")) == gets  # not asked
    assert cluster.stop("iris-model")["status"] == "stopped"  # already gone is fine
    assert "is stopped" in cluster.logs("iris-model")
    restarted = cluster.restart("iris-model")
    assert restarted["status"] == "starting"
    assert kube.objects[(NS, "iris-model")]["spec"] == stores[0].get("iris-model")["config"]["object"]["spec"]
    assert cluster.restart("iris-model")["status"] == "starting" and len(kube.objects) == 1  # replaced in place


def test_contract_cluster_deleted_outside_is_failed_with_hint(cluster, kube, stores):
    cluster.deploy(make_run(stores[1], "iris", "sklearn"))
    kube.objects.clear()
    gone = refreshed(cluster, "iris-model")
    assert gone["status"] == "failed" and "does not exist" in gone["error"] and "redeploy" in gone["error"]


def test_contract_cluster_list_asks_once_per_live_deployment(cluster, kube, stores, tmp_path, monkeypatch):
    run_id = make_run(stores[1], "iris", "sklearn")
    for name in ("a-model", "b-model", "c-model"):
        cluster.deploy(run_id, name=name)
    kube.script_status(NS, "c-model", [READY])
    cluster.stop("a-model")  # the oldest: listed last, after the refreshes fail below
    asked = []
    real_status = kserve_backend.KserveBackend.status
    monkeypatch.setattr(
        kserve_backend.KserveBackend,
        "status",
        lambda self, name, ns=None: asked.append(name) or real_status(self, name, ns),
    )
    cluster.refresh()
    listed = {view["name"]: view["status"] for view in cluster.list()}
    assert listed == {"a-model": "stopped", "b-model": "starting", "c-model": "running"}
    assert sorted(asked) == ["b-model", "c-model"]

    asked.clear()
    down = ClusterDeployments(*stores, connect(tmp_path, f"http://127.0.0.1:{free_port()}"), logger_url=INGEST)
    down.refresh()
    views = down.list()
    assert len(asked) == 1  # the cluster is unreachable: the other deployment is not asked
    errors = {v["name"]: v.get("refresh_error", "") for v in views}
    assert errors.pop("a-model") == "" and all("kubectl cluster-info" in e for e in errors.values())
    assert {v["name"]: v["status"] for v in views} == listed  # the stored states


# ---------------------------------------------------------------------------------------------
# Predictions
# ---------------------------------------------------------------------------------------------


def test_contract_cluster_predict_through_the_status_url(cluster, kube, stores, model_server):
    cluster.deploy(make_run(stores[1], "iris", "sklearn"))
    with pytest.raises(UserError) as err:
        cluster.predict("iris-model", {"instances": [[5.1, 3.5, 1.4, 0.2]]})
    assert err.value.status == 409  # still starting
    kube.script_status(NS, "iris-model", [{"conditions": READY["conditions"]}])  # Ready, but no URL
    with pytest.raises(UserError) as err:
        cluster.predict("iris-model", {"instances": [[5.1, 3.5, 1.4, 0.2]]})
    assert err.value.status == 409 and "no URL" in err.value.message
    kube.script_status(NS, "iris-model", [{**READY, "url": model_server.url}])
    assert cluster.predict("iris-model", {"instances": [[5.1, 3.5, 1.4, 0.2]] * 2}) == {"predictions": [1, 1]}
    v2 = {"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [[5.1, 3.5, 1.4, 0.2]]}]}
    assert cluster.predict("iris-model", v2)["outputs"][0]["data"] == [2]
    assert [path for path, _ in model_server.requests] == [
        "/v1/models/iris-model:predict",
        "/v2/models/iris-model/infer",
    ]
    with pytest.raises(UserError) as err:
        cluster.predict("iris-model", {"rows": []})
    assert "instances" in err.value.message and "input-0" in err.value.hint
    with pytest.raises(UserError) as err:
        cluster.predict("iris-model", {"instances": [[0, 0, 0, 0]]})
    assert err.value.status == 502 and "model crashed" in err.value.message


def test_contract_cluster_predict_through_triton_speaks_v2_by_the_model_name(cluster, kube, stores, model_server):
    cluster.deploy(make_run(stores[1], "digits", "torch", export=EXPORTED), name="digits-net")
    kube.script_status(NS, "digits-net", [{**READY, "url": model_server.url}])
    cluster.refresh()
    view = cluster.get("digits-net")
    assert view["endpoints"] == {  # no V1 URL: Triton speaks V2 only; its URLs name the repository's model
        "v2": f"{model_server.url}/v2/models/model/infer",
        "metadata": f"{model_server.url}/v2/models/model",
        "ready": f"{model_server.url}/v2/models/model/ready",
    }
    assert cluster.predict("digits-net", {"instances": [[5.1, 3.5, 1.4, 0.2]]}) == {"predictions": [2]}
    v2 = {"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [5.1, 3.5, 1.4, 0.2]}]}
    assert model_server.requests == [("/v2/models/model/infer", v2)]  # the V1 rows went out as V2
    assert cluster.predict("digits-net", v2)["outputs"][0]["data"] == [2]
    with pytest.raises(UserError) as err:
        cluster.predict("digits-net", {"instances": [[5.1, 3.5]]})
    assert err.value.status == 400 and "input has shape [1, 2]; expected float64" in err.value.message
    assert len(model_server.requests) == 2  # refused before it was sent


def test_contract_cluster_predict_unreachable_url_is_a_user_error(cluster, kube, stores):
    cluster.deploy(make_run(stores[1], "iris", "sklearn"))
    kube.script_status(NS, "iris-model", [{**READY, "url": f"http://127.0.0.1:{free_port()}"}])
    with pytest.raises(UserError) as err:
        cluster.predict("iris-model", {"instances": [[5.1, 3.5, 1.4, 0.2]]})
    assert err.value.status == 502 and "Could not reach" in err.value.message
    assert f"kubectl port-forward -n {NS} svc/iris-model-predictor" in err.value.hint
