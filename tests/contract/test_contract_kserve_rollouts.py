"""Contract tests of rollouts on KServe deployments: canaries, promotion and rollback on the strict fake Kubernetes API.

Every InferenceService written goes through `fake_k8s.FakeKube`, which validates it against the official CRD (and
KServe's admission checks); the tests validate the bodies again with the strict jsonschema validator.
`FakeKube.reconcile` plays KServe's controller: revisions, canary traffic and rolled-out revisions (Serverless), or
`canaryStatuses` (Standard), so the statuses the deployments read are the ones KServe would report.
"""

import functools

import pytest

from ai4mlops_lab.errors import NotFoundError, UserError
from ai4mlops_lab.serving.cluster import ClusterDeployments
from ai4mlops_lab.serving.kserve_backend import KserveError
from ai4mlops_lab.states import DeploymentTarget
from ai4mlops_lab.store import times
from ai4mlops_lab.store.deployments import DeploymentStore
from ai4mlops_lab.store.event_records import InferenceEvent
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE

from .conftest import CRD
from .fake_k8s import OBJECT_META, load_crd_schema
from .test_contract_cluster_deploy import EXPORTED, MODEL_URI, connect, make_run
from .test_contract_kserve import IMAGE, INGEST, NS, TOKEN, _strict, assert_valid

NAME = "iris-model"
STABLE_S3 = "s3://mlpipeline/v2/artifacts/iris/run-1/train/model"
CANDIDATE_URI = "minio://mlpipeline/v2/artifacts/iris/run-2/train/model"
CANDIDATE_S3 = "s3://mlpipeline/v2/artifacts/iris/run-2/train/model"


@functools.cache
def strict_validator():
    """jsonschema on the CRD made strict (as in test_contract_kserve)."""
    import jsonschema

    doc = _strict(load_crd_schema(CRD))
    doc["properties"]["metadata"] = _strict(OBJECT_META)
    return jsonschema.Draft7Validator(doc)


def assert_crd_valid(body):
    assert_valid(body, load_crd_schema(CRD), strict_validator())


@pytest.fixture
def stores(tmp_path):
    path = tmp_path / STORE_FILE
    return DeploymentStore(path), RunStore(path, check=False)


@pytest.fixture
def cluster(kube, stores, tmp_path):
    kube.token = TOKEN
    return ClusterDeployments(*stores, connect(tmp_path, kube.url), logger_url=INGEST, image=IMAGE)


@pytest.fixture
def runs(stores):
    """(stable run, candidate run) of the same pipeline."""
    return make_run(stores[1], "iris", "sklearn"), make_run(stores[1], "iris", "sklearn", uri=CANDIDATE_URI)


def running(cluster, kube, run_id, mode="Serverless"):
    """A deployment of `run_id` that KServe reconciled and the refresh saw running."""
    cluster.deploy(run_id)
    kube.reconcile(NS, NAME, mode=mode)
    cluster.refresh()
    assert cluster.get(NAME)["status"] == "running"
    return kube.objects[(NS, NAME)]["spec"]


def last_write(kube):
    [*_, put] = kube.calls("PUT")
    return put["body"]


def traffic(kube):
    """Percent of the traffic by revision number, as the reconciled status reports it."""
    split = {}
    for target in kube.objects[(NS, NAME)]["status"]["components"]["predictor"]["traffic"]:
        number = target["revisionName"][-5:]
        split[number] = split.get(number, 0) + target["percent"]
    return split


def log_requests(store_path, source, n, endpoint="default", when=None):
    events = EventStore(store_path, check=False)
    for i in range(n):
        events.add(
            InferenceEvent(
                ce_id=f"{source}-{i}-{when}",
                kind="request",
                deployment=NAME,
                namespace=NS,
                component="predictor",
                endpoint=endpoint,
                source=source,
                time=when or times.now(),
                content_type="application/json",
                body=b'{"instances": [[5.1, 3.5, 1.4, 0.2]]}',
            )
        )


# ---------------------------------------------------------------------------------------------
# Serverless: canaryTrafficPercent
# ---------------------------------------------------------------------------------------------


def test_contract_kserve_rollout_canary_sets_the_candidate_and_its_share(cluster, kube, stores, runs):
    stable_run, candidate_run = runs
    stable_spec = running(cluster, kube, stable_run)
    view = cluster.start_rollout(NAME, candidate_run, model=None, version="v2", mode="canary", percent=20)

    body = last_write(kube)  # the fake answered 200: valid against the CRD
    assert_crd_valid(body)
    predictor = body["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 20 and predictor["model"]["storageUri"] == CANDIDATE_S3
    assert predictor["logger"] == {"mode": "all", "url": INGEST}  # the candidate's requests are logged too
    assert body["metadata"]["labels"]["ai4mlops-lab/run-id"] == stable_run  # relabelling would restart pods
    assert kube.calls("POST")[-1]["path"].endswith("/inferenceservices")  # the deploy only: rollouts never create
    assert len(kube.calls("POST")) == 1

    rollout = view["config"]["rollout"]
    assert {k: rollout[k] for k in ("mode", "percent", "candidate")} == {
        "mode": "canary",
        "percent": 20.0,
        "candidate": {"version": "v2", "run_id": candidate_run, "model": "train/model"},
    }
    assert rollout["previous"]["spec"] == stable_spec and times.epoch_seconds(rollout["started_at"])
    assert rollout["kserve"]["mechanism"] == "canaryTrafficPercent"
    assert rollout["kserve"]["stable_source"] == f"{NAME}-predictor-00001-"
    assert (
        view["config"]["object"]["spec"] == body["spec"] and view["run_id"] == stable_run
    )  # the stable run serves until promoted

    kube.reconcile(NS, NAME, ready=False)  # the candidate's revision is not ready: all traffic stays stable
    assert traffic(kube) == {"00001": 100}
    kube.reconcile(NS, NAME)
    assert traffic(kube) == {"00002": 20, "00001": 80}
    cluster.refresh()
    live = cluster.rollout_live(NAME)
    assert live["stable"]["traffic_percent"] == 80 and live["candidate"]["traffic_percent"] == 20

    changed = cluster.change(NAME, 50)
    body = last_write(kube)
    assert_crd_valid(body)
    assert body["spec"]["predictor"]["canaryTrafficPercent"] == 50 and changed["config"]["rollout"]["percent"] == 50
    assert body["spec"]["predictor"]["model"]["storageUri"] == CANDIDATE_S3
    with pytest.raises(UserError, match="whole percents"):
        cluster.change(NAME, 12.5)


def test_contract_kserve_rollout_live_counts_request_events_by_role(cluster, kube, stores, runs):
    stable_run, candidate_run = runs
    running(cluster, kube, stable_run)
    path = stores[0].path
    log_requests(path, f"{NAME}-predictor-00001-deployment-5bd9-x1", 4, when="2020-01-01T00:00:00.000Z")  # before
    before = cluster.rollout_live(NAME)
    assert before["candidate"] is None and before["stable"]["requests"] == 0  # older than the deployment
    cluster.start_rollout(NAME, candidate_run, model="train/model", version="v2", mode="canary", percent=20)
    log_requests(path, f"{NAME}-predictor-00001-deployment-5bd9-x1", 3)
    log_requests(path, f"{NAME}-predictor-00001-deployment-5bd9-x2", 2)
    log_requests(path, f"{NAME}-predictor-00002-deployment-77aa-y1", 1)
    log_requests(path, "anywhere", 1, endpoint="canary")
    live = cluster.rollout_live(NAME)
    assert live["stable"] == {
        "version": f"run-{stable_run[:12]}",
        "requests": 5,
        "errors": None,
        "p50_ms": None,
        "p99_ms": None,
        "traffic_percent": 100,  # as the last refresh, before the rollout, saw it
    }
    assert live["candidate"]["version"] == "v2" and live["candidate"]["requests"] == 2
    assert live["candidate"]["errors"] is None and live["candidate"]["p99_ms"] is None


def test_contract_kserve_rollout_live_without_a_known_stable_revision(cluster, kube, stores, runs):
    stable_run, candidate_run = runs
    cluster.deploy(stable_run)
    kube.script_status(NS, NAME, [{"conditions": [{"type": "Ready", "status": "True"}], "url": "http://x"}])
    cluster.refresh()  # an older KServe: no components in the status
    cluster.start_rollout(NAME, candidate_run, model=None, version="v2", mode="canary", percent=10)
    log_requests(stores[0].path, "some-pod", 2)
    live = cluster.rollout_live(NAME)
    assert live["stable"]["requests"] is None and live["candidate"]["requests"] is None  # cannot be told apart


def test_contract_kserve_promote_keeps_the_candidate_and_drops_the_share(cluster, kube, stores, runs):
    stable_run, candidate_run = runs
    running(cluster, kube, stable_run)
    cluster.start_rollout(NAME, candidate_run, model=None, version="v2", mode="canary", percent=20)
    kube.reconcile(NS, NAME)
    canary = last_write(kube)
    promoted = cluster.promote(NAME)

    body = last_write(kube)
    assert_crd_valid(body)
    assert "canaryTrafficPercent" not in body["spec"]["predictor"]
    assert body["spec"]["predictor"]["model"] == canary["spec"]["predictor"]["model"]  # the candidate stays
    assert promoted["run_id"] == candidate_run and promoted["model_uri"] == CANDIDATE_URI
    assert "rollout" not in promoted["config"] and promoted["config"]["storage_uri"] == CANDIDATE_S3
    assert promoted["config"]["object"]["spec"] == body["spec"] and promoted["config"]["format"] == "sklearn"
    kube.reconcile(NS, NAME)
    assert traffic(kube) == {"00002": 100}
    assert kube.objects[(NS, NAME)]["status"]["components"]["predictor"]["latestRolledoutRevision"].endswith("00002")
    assert cluster.rollout_live(NAME)["candidate"] is None


def test_contract_kserve_triton_canary_and_promote_keep_the_runtime(cluster, kube, stores):
    stable_run = make_run(stores[1], "iris", "torch", export=EXPORTED)
    candidate_run = make_run(stores[1], "iris", "torch", uri=CANDIDATE_URI, export=EXPORTED)
    running(cluster, kube, stable_run)
    cluster.start_rollout(NAME, candidate_run, model=None, version="v2", mode="canary", percent=20)
    body = last_write(kube)
    assert_crd_valid(body)
    assert body["spec"]["predictor"]["model"] == {
        "modelFormat": {"name": "onnx"},
        "protocolVersion": "v2",
        "storageUri": f"{CANDIDATE_S3}/triton",
    }
    assert body["spec"]["predictor"]["canaryTrafficPercent"] == 20
    kube.reconcile(NS, NAME)
    promoted = cluster.promote(NAME)
    assert_crd_valid(last_write(kube))
    served = {k: promoted["config"][k] for k in ("format", "storage_uri", "image", "protocol", "served_model")}
    assert served == {
        "format": "onnx",
        "storage_uri": f"{CANDIDATE_S3}/triton",
        "image": None,
        "protocol": "v2",
        "served_model": "model",
    }


def test_contract_kserve_rollout_refuses_a_candidate_served_under_other_urls(cluster, kube, stores, runs):
    stable_run, _ = runs  # sklearn: V1 and V2 under the deployment's name
    running(cluster, kube, stable_run)
    candidate_run = make_run(stores[1], "iris", "torch", uri=CANDIDATE_URI, export=EXPORTED)
    writes = len(kube.calls("PUT"))
    with pytest.raises(UserError) as err:
        cluster.start_rollout(NAME, candidate_run, model=None, version="v2", mode="canary", percent=20)
    assert err.value.code == "runtime_mismatch"
    assert err.value.message == (
        "The candidate would be served by the KServe Triton runtime (ONNX) and the stable version by the KServe "
        "sklearn runtime: their request URLs differ, so one InferenceService cannot split traffic between them."
    )
    assert len(kube.calls("PUT")) == writes and "rollout" not in cluster.get(NAME)["config"]


def test_contract_kserve_rollback_pins_then_restores_the_previous_spec(cluster, kube, stores, runs):
    stable_run, candidate_run = runs
    stable_spec = running(cluster, kube, stable_run)
    cluster.start_rollout(NAME, candidate_run, model=None, version="v2", mode="canary", percent=20)
    kube.reconcile(NS, NAME)
    back = cluster.rollback(NAME)

    pinned = last_write(kube)
    assert_crd_valid(pinned)
    assert pinned["spec"]["predictor"] == {**stable_spec["predictor"], "canaryTrafficPercent": 0}
    assert "rollout" not in back["config"] and back["run_id"] == stable_run
    kube.reconcile(NS, NAME, ready=False)  # the restored predictor's revision starts: the stable one keeps it all
    assert traffic(kube) == {"00002": 0, "00001": 100}
    puts = len(kube.calls("PUT"))
    cluster.refresh()
    assert len(kube.calls("PUT")) == puts  # not ready yet: still pinned
    kube.reconcile(NS, NAME)
    assert traffic(kube) == {"00003": 0, "00001": 100}
    cluster.refresh()  # its revision is ready: the pin goes

    restored = last_write(kube)
    assert_crd_valid(restored)
    assert restored["spec"] == stable_spec and kube.objects[(NS, NAME)]["spec"] == stable_spec
    assert cluster.get(NAME)["config"]["object"]["spec"] == stable_spec and "pinned" not in cluster.get(NAME)["config"]
    kube.reconcile(NS, NAME)
    assert traffic(kube) == {"00003": 100}
    cluster.refresh()
    assert len(kube.calls("PUT")) == puts + 1


def test_contract_kserve_stop_ends_a_rollout_and_restart_serves_the_stable_version(
    cluster,
    kube,
    stores,
    runs,
):
    stable_run, candidate_run = runs
    stable_spec = running(cluster, kube, stable_run)
    cluster.start_rollout(NAME, candidate_run, model=None, version="v2", mode="canary", percent=20)
    stopped = cluster.stop(NAME)
    assert "rollout" not in stopped["config"] and stopped["config"]["object"]["spec"] == stable_spec
    cluster.restart(NAME)
    assert kube.objects[(NS, NAME)]["spec"] == stable_spec


# ---------------------------------------------------------------------------------------------
# Standard (RawDeployment): spec.canary
# ---------------------------------------------------------------------------------------------


def test_contract_kserve_standard_mode_canary_promote(cluster, kube, stores, runs):
    stable_run, candidate_run = runs
    stable_spec = running(cluster, kube, stable_run, mode="Standard")
    view = cluster.start_rollout(NAME, candidate_run, model=None, version="V2.0", mode="canary", percent=25.0)

    body = last_write(kube)
    assert_crd_valid(body)
    assert body["spec"]["predictor"] == stable_spec["predictor"]  # the stable predictor is untouched
    [canary] = body["spec"]["canary"]
    assert canary["trafficPercent"] == 25 and canary["predictor"]["name"] == "v2-0"  # a DNS-1035 label
    cluster.change(NAME, 25)
    assert_crd_valid(last_write(kube))
    assert last_write(kube)["spec"]["canary"][0]["trafficPercent"] == 25
    assert canary["predictor"]["model"]["storageUri"] == CANDIDATE_S3
    kserve = view["config"]["rollout"]["kserve"]
    assert kserve["mechanism"] == "spec.canary" and kserve["stable_source"] == f"{NAME}-predictor-"
    kube.reconcile(NS, NAME, mode="Standard", ready=False)
    cluster.refresh()
    assert cluster.rollout_live(NAME)["candidate"]["traffic_percent"] == 0  # not ready: no share yet
    kube.reconcile(NS, NAME, mode="Standard")
    cluster.refresh()
    log_requests(stores[0].path, f"{NAME}-{canary['predictor']['name']}-predictor-6c9f-z1", 2)
    log_requests(stores[0].path, f"{NAME}-predictor-6c9f-z1", 6)
    live = cluster.rollout_live(NAME)
    assert (live["stable"]["traffic_percent"], live["candidate"]["traffic_percent"]) == (75, 25)
    assert (live["stable"]["requests"], live["candidate"]["requests"]) == (6, 2)

    promoted = cluster.promote(NAME)
    body = last_write(kube)
    assert_crd_valid(body)
    assert "canary" not in body["spec"] and body["spec"]["predictor"] == canary["predictor"]  # retargeted, named
    assert promoted["run_id"] == candidate_run
    # the next rollout's stable pods are the promoted canary's
    kube.reconcile(NS, NAME, mode="Standard")
    cluster.refresh()
    third = make_run(stores[1], "iris", "sklearn", uri=MODEL_URI.replace("run-1", "run-3"))
    again = cluster.start_rollout(NAME, third, model=None, version="v3", mode="canary", percent=5)
    label = canary["predictor"]["name"]
    assert again["config"]["rollout"]["kserve"]["stable_source"] == f"{NAME}-{label}-predictor-"


def test_contract_kserve_standard_mode_rollback_restores_the_spec(cluster, kube, stores, runs):
    stable_run, candidate_run = runs
    stable_spec = running(cluster, kube, stable_run, mode="Standard")
    cluster.start_rollout(NAME, candidate_run, model=None, version="v2", mode="canary", percent=50)
    cluster.rollback(NAME)
    assert last_write(kube)["spec"] == stable_spec and kube.objects[(NS, NAME)]["spec"] == stable_spec
    assert "pinned" not in cluster.get(NAME)["config"]


def test_contract_kserve_fake_refuses_invalid_canaries(kube, cluster, stores, runs):
    stable_run, _ = runs
    spec = running(cluster, kube, stable_run, mode="Standard")
    backend = cluster._backend()
    obj = kube.objects[(NS, NAME)]
    predictor = {**spec["predictor"], "model": {"name": "kserve-container", **spec["predictor"]["model"]}}
    for canary, problem in (
        ([{"trafficPercent": 10, "predictor": predictor}], "name is required"),
        ([{"trafficPercent": 60, "predictor": {**predictor, "name": "a"}},
          {"trafficPercent": 50, "predictor": {**predictor, "name": "a"}}], "names must be unique"),
        ([{"trafficPercent": 60, "predictor": {**predictor, "name": "a"}},
          {"trafficPercent": 50, "predictor": {**predictor, "name": "b"}}], "sum to at most 100"),
        ([{"trafficPercent": 10, "predictor": {"name": "a"}}], "exactly one predictor implementation"),
    ):  # fmt: skip
        with pytest.raises(KserveError) as err:
            backend.replace({**obj, "spec": {**spec, "canary": canary}})
        assert err.value.status == 422 and problem in err.value.message


# ---------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------


def test_contract_kserve_rollout_refusals_are_clear(cluster, kube, stores, runs):
    stable_run, candidate_run = runs
    start = {"model": None, "version": "v2", "mode": "canary", "percent": 20}
    with pytest.raises(NotFoundError):
        cluster.start_rollout("nope", candidate_run, **start)
    stores[0].create(
        name="laptop", run_id=stable_run, model_name="train/model", model_uri="/x", target=DeploymentTarget.LOCAL
    )
    with pytest.raises(UserError) as err:
        cluster.start_rollout("laptop", candidate_run, **start)
    assert "local deployment, not a KServe one" in err.value.message

    cluster.deploy(stable_run)
    with pytest.raises(UserError) as err:
        cluster.start_rollout(NAME, candidate_run, **start)
    assert err.value.status == 409 and "starting" in err.value.message  # not running yet
    kube.reconcile(NS, NAME)
    cluster.refresh()

    writes = len(kube.calls("PUT"))
    for given, words in (
        ({"percent": 150}, "not a number from 0 to 100"),
        ({"percent": -1}, "not a number from 0 to 100"),
        ({"percent": "20"}, "not a number from 0 to 100"),
        ({"percent": 20.5}, "whole percents"),
        ({"mode": "blue-green"}, "Unknown rollout mode"),
        ({"version": "v 2"}, "version label"),
        ({"version": f"run-{stable_run[:12]}"}, "both"),
    ):
        with pytest.raises(UserError) as err:
            cluster.start_rollout(NAME, candidate_run, **{**start, **given})
        assert words in err.value.message
    with pytest.raises(UserError) as err:
        cluster.start_rollout(NAME, candidate_run, **{**start, "mode": "shadow"})
    assert err.value.code == "shadow_unsupported" and "cannot mirror" in err.value.message
    assert "canary" in err.value.hint and "local deployment" in err.value.hint
    for step in (cluster.promote, cluster.rollback):
        with pytest.raises(UserError) as err:
            step(NAME)
        assert err.value.status == 409 and "no rollout" in err.value.message
    assert len(kube.calls("PUT")) == writes and "rollout" not in cluster.get(NAME)["config"]

    cluster.start_rollout(NAME, candidate_run, **start)
    with pytest.raises(UserError) as err:
        cluster.start_rollout(NAME, candidate_run, **{**start, "version": "v3"})
    assert err.value.status == 409 and "running already" in err.value.message


def test_contract_kserve_rollout_refused_in_modelmesh_mode(cluster, kube, stores, runs):
    stable_run, candidate_run = runs
    running(cluster, kube, stable_run, mode="ModelMesh")
    with pytest.raises(UserError) as err:
        cluster.start_rollout(NAME, candidate_run, model=None, version="v2", mode="canary", percent=20)
    assert "ModelMesh deployment mode" in err.value.message and kube.calls("PUT") == []
