"""A cluster for the browser tests, on loopback only: the strict fakes of the Kubernetes (KServe) and KFP v2beta1 APIs
of the contract tests (tests/contract/, validated against the specs in shared/specs) and a real S3 server
(`rclone serve s3`, tests/s3server.py), started by `jupyter_server_test_config.py`, which points the extension at
them. Never part of the product.

`start(c)` starts them and configures the server; it leaves the server as it was (and `available()` False) where
shared/specs or rclone is missing, so the specs that need a cluster skip themselves. Loaded as a server extension,
this module also serves test-only routes under `/ai4mlops-ui-test/cluster/` that play what no fake plays:

- `POST deployments/NAME` seeds a KServe deployment of NAME: its record as the server keeps one whose logger writes
  to the bucket (`kserve_deployment` of the drift tests) and its InferenceService in the fake cluster, Ready;
- `POST deployments/NAME/pass` runs one pass of its monitoring job (`cluster_job.run_pass`), as KFP's recurring
  run would on the cluster;
- `POST deployments/NAME/cursor` with `{"age_s": N}` makes the job's last pass N seconds old (a job that stopped
  passing), with `{"broken": true}` leaves a cursor the server cannot read.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPECS = REPO.parent / "shared" / "specs"
KFP_SPEC = SPECS / "kfp_api_v2beta1.swagger.json"
CRD = SPECS / "serving.kserve.io_inferenceservices.yaml"
BUCKET = "ui-logs"
IMAGE = "ghcr.io/ai4mlops/predictor:0.1.0"
ROUTES = "/ai4mlops-ui-test/cluster"


class _Cluster:
    kube = None
    kfp = None
    s3 = None


CLUSTER = _Cluster()


def available() -> bool:
    return CLUSTER.kube is not None


def start(c) -> bool:
    """Start the fakes and point the extension at them; False (nothing started) when shared/specs or rclone is
    missing."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.s3server import rclone

    try:
        rclone()
    except RuntimeError:
        return False
    if not (KFP_SPEC.is_file() and CRD.is_file()):
        return False

    from tests.contract.fake_k8s import FakeKube
    from tests.contract.fake_kfp import FakeKfp
    from tests.contract.test_contract_kserve import NS, write_kubeconfig
    from tests.s3server import running_s3_server

    stack = contextlib.ExitStack()
    atexit.register(stack.close)
    folder = Path(tempfile.mkdtemp(prefix="ai4mlops-ui-cluster-"))
    (folder / "s3").mkdir()
    # rclone first: it is forked before the fakes' threads start
    CLUSTER.s3 = stack.enter_context(running_s3_server(folder / "s3", die_with_parent=True))
    CLUSTER.kube = stack.enter_context(FakeKube(CRD))
    CLUSTER.kfp = stack.enter_context(FakeKfp(KFP_SPEC))
    CLUSTER.s3.bucket(BUCKET)
    os.environ["KUBECONFIG"] = str(write_kubeconfig(folder / "kubeconfig", CLUSTER.kube.url))
    os.environ["AWS_ACCESS_KEY_ID"] = CLUSTER.s3.access_key
    os.environ["AWS_SECRET_ACCESS_KEY"] = CLUSTER.s3.secret_key
    c.Ai4MlopsApp.kfp_host = CLUSTER.kfp.url
    c.Ai4MlopsApp.kube_namespace = NS
    c.Ai4MlopsApp.predictor_image = IMAGE
    c.Ai4MlopsApp.s3_endpoint_url = CLUSTER.s3.endpoint
    c.ServerApp.jpserver_extensions.update({"fake_cluster": True})
    return True


def _jupyter_server_extension_points():
    return [{"module": "fake_cluster"}]


def _load_jupyter_server_extension(serverapp):
    from jupyter_server.base.handlers import APIHandler
    from jupyter_server.utils import url_path_join
    from tornado import web

    app = serverapp.web_app

    class Handler(APIHandler):
        @web.authenticated
        def post(self, name: str, action: str | None):
            if not available():
                raise web.HTTPError(404, "no fake cluster")
            body = json.loads(self.request.body or b"{}")
            workspace = self.settings["ai4mlops_lab_app"].workspace
            if action is None:
                _seed(workspace, name)
            elif action == "pass":
                from ai4mlops_lab.monitoring.cluster_job import run_pass

                run_pass(_job_uri(workspace, name), workspace.object_store)
            else:
                _cursor(workspace, name, body)
            self.finish(json.dumps({"done": True}))

    pattern = url_path_join(app.settings["base_url"], ROUTES, r"deployments/([a-z0-9-]+)(?:/(pass|cursor))?")
    app.add_handlers(".*$", [(pattern, Handler)])


def _seed(workspace, name: str) -> None:
    """A deployment of a sklearn model to KServe whose logger writes to the bucket: its record (with a reference
    sample, as `deploy_record` of the Python tests writes it) and its InferenceService as the server builds one,
    applied to the fake cluster through its API, then Ready as KServe's controller would make it."""
    import urllib.request

    from ai4mlops_lab.serving.inference_service import build_inference_service
    from ai4mlops_lab.serving.log_storage import LogStorage
    from tests.contract.test_contract_kserve import NS
    from tests.requests import kserve_record

    workspace.folder.mkdir(parents=True, exist_ok=True)
    obj = build_inference_service(
        name,
        NS,
        model_format="sklearn",
        storage_uri=f"s3://{BUCKET}/models/{name}",
        logger_url=None,
        log_storage=LogStorage(f"s3://{BUCKET}/kserve/logs"),
    )
    request = urllib.request.Request(
        f"{CLUSTER.kube.url}/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices",
        data=json.dumps(obj).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()  # a refusal of the strict fake raises
    CLUSTER.kube.reconcile(NS, name)
    kserve_record(workspace.folder, name, obj, format="sklearn")


def _job_uri(workspace, name: str) -> str:
    from ai4mlops_lab.store.deployments import DeploymentStore
    from ai4mlops_lab.workspace import STORE_FILE

    return DeploymentStore(workspace.folder / STORE_FILE).get(name)["config"]["monitor_job"]["uri"]


def _cursor(workspace, name: str, body: dict) -> None:
    from ai4mlops_lab.monitoring import cluster_job as job
    from ai4mlops_lab.objectstore import parse_uri
    from ai4mlops_lab.store import times

    prefix = parse_uri(_job_uri(workspace, name))
    uri = prefix.child(prefix.key + job.CURSOR)
    objects = workspace.object_store
    if body.get("broken"):
        objects.write(b"not a cursor", uri)
        return
    cursor = json.loads(objects.read(uri))
    cursor["updated_at"] = times.from_epoch(time.time() - int(body["age_s"]))
    job.write_json(objects, uri, cursor)
