"""Contract tests of the KServe deployment path against the official InferenceService CRD.

Every object the builder makes is validated against the CRD's openAPIV3Schema twice: by the
structural validator the fake API server uses, and by jsonschema on the schema made strict.
The backend talks to a strict loopback fake of the Kubernetes API (`fake_k8s.py`) through the
real kubernetes client. The CRD lives in `<repo>/../shared/specs/`; without it these tests skip.
"""

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from ai4mlops_lab.errors import NotFoundError, UserError
from ai4mlops_lab.serving.inference_service import (
    MAX_NAME,
    build_inference_service,
    cluster_storage_uri,
    normalize_resources,
    service_name,
    validate_name,
)
from ai4mlops_lab.serving.kserve_backend import DeploymentFailed, KserveBackend, KserveError, summarize_status
from ai4mlops_lab.serving.kube_connection import KubeConnection, KubeSettingsError

from .conftest import CRD, need_crd
from .fake_k8s import OBJECT_META, load_crd_schema, validate_object

REPO = Path(__file__).resolve().parents[2]
NO_SA = "/nonexistent/serviceaccount"
NS = "team-a"
INGEST = "http://monitoring.kubeflow.svc.cluster.local:8080/v1/ingest"
IMAGE = "ghcr.io/ai4mlops/predictor:0.1.0"
TOKEN = "kube-token-0123456789abcdef"
ARTIFACT = "minio://mlpipeline/v2/artifacts/iris/run-1/train/model"
BUILTIN = ["sklearn", "xgboost", "lightgbm", "onnx", "tensorflow", "pytorch", "triton"]


@pytest.fixture(scope="module")
def schema():
    need_crd()
    return load_crd_schema(CRD)


@pytest.fixture(scope="module")
def strict_validator(schema):
    """jsonschema on the CRD schema made strict: additionalProperties false unless preserved."""
    import jsonschema

    doc = _strict(schema)
    doc["properties"]["metadata"] = _strict(OBJECT_META)
    jsonschema.Draft7Validator.check_schema(doc)
    return jsonschema.Draft7Validator(doc)


def _strict(node):
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-"):
            continue
        if key == "properties":
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = _strict(value)
        elif key in ("anyOf", "allOf", "oneOf"):
            out[key] = [_strict(sub) for sub in value]
        else:
            out[key] = value
    if (
        node.get("type") == "object"
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def assert_valid(obj, schema, strict_validator):
    assert validate_object(obj, schema) == []
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in strict_validator.iter_errors(obj)]
    assert problems == []


def write_kubeconfig(path: Path, server: str, token: str = "", namespace: str = NS) -> Path:
    user = {"token": token} if token else {}
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "fake",
                "clusters": [{"name": "fake", "cluster": {"server": server}}],
                "users": [{"name": "me", "user": user}],
                "contexts": [
                    {"name": "fake", "context": {"cluster": "fake", "user": "me", "namespace": namespace}},
                    {"name": "other", "context": {"cluster": "fake", "user": "me"}},
                ],
            }
        )
    )
    return path


def backend_for(url: str, tmp_path: Path, token: str = "", **kw) -> KserveBackend:
    config = write_kubeconfig(tmp_path / "kubeconfig", url, token)
    conn = KubeConnection.resolve(kubeconfig=str(config), env={}, home=str(tmp_path), service_account_dir=NO_SA)
    return KserveBackend(conn, timeout=(2.0, 5.0), **kw)


def isvc(name="iris-rf", model_format="sklearn", **kw):
    args = dict(storage_uri=ARTIFACT, resources={"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"}, logger_url=INGEST)
    args.update(kw)
    return build_inference_service(name, NS, model_format=model_format, **args)


READY = {
    "url": "http://iris-rf.team-a.example.com",
    "address": {"url": "http://iris-rf-predictor.team-a.svc.cluster.local"},
    "conditions": [
        {"type": "PredictorReady", "status": "True"},
        {"type": "IngressReady", "status": "True"},
        {"type": "Ready", "status": "True", "lastTransitionTime": "2026-08-21T10:00:00Z"},
    ],
}
PENDING = {
    "conditions": [
        {"type": "PredictorReady", "status": "Unknown", "reason": "RevisionMissing"},
        {
            "type": "Ready",
            "status": "False",
            "reason": "RevisionMissing",
            "message": 'Configuration "iris-rf-predictor" is waiting for a Revision to become ready.',
        },
    ]
}
IMAGE_FAILED = {
    "conditions": [
        {
            "type": "PredictorReady",
            "status": "False",
            "reason": "RevisionFailed",
            "message": 'Revision "net-predictor-00001" failed with message: Unable to fetch image '
            '"ghcr.io/ai4mlops/predictor:0.1.0": failed to resolve image to digest.',
        },
        {"type": "Ready", "status": "False", "reason": "RevisionFailed"},
    ]
}
LOAD_FAILED = {
    "conditions": [{"type": "Ready", "status": "False", "reason": "PredictorNotReady"}],
    "modelStatus": {
        "transitionStatus": "BlockedByFailedLoad",
        "states": {"activeModelState": "FailedToLoad", "targetModelState": "FailedToLoad"},
        "lastFailureInfo": {"reason": "ModelLoadFailed", "message": "unpickling error: invalid load key"},
    },
}


# ---------------------------------------------------------------------------------------------
# The builder against the CRD schema
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", BUILTIN)
def test_contract_kserve_builtin_formats_validate_against_crd(fmt, schema, strict_validator):
    obj = isvc(
        model_format=fmt,
        runtime_version="1.5.0",
        labels={"ai4mlops.io/run": "run-1"},
        annotations={"ai4mlops.io/source": "notebook.ipynb"},
        service_account_name="kserve-s3",
    )
    assert_valid(obj, schema, strict_validator)
    predictor = obj["spec"]["predictor"]
    assert predictor["model"]["modelFormat"] == {"name": fmt}
    assert predictor["model"]["storageUri"] == "s3://mlpipeline/v2/artifacts/iris/run-1/train/model"
    assert predictor["model"]["runtimeVersion"] == "1.5.0"
    assert predictor["model"]["resources"] == {
        "limits": {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"},
        "requests": {"cpu": "2", "memory": "4Gi"},
    }
    assert predictor["logger"] == {"mode": "all", "url": INGEST}
    assert predictor["serviceAccountName"] == "kserve-s3"
    assert "containers" not in predictor
    assert obj["metadata"] == {
        "name": "iris-rf",
        "namespace": NS,
        "labels": {"ai4mlops.io/run": "run-1"},
        "annotations": {"ai4mlops.io/source": "notebook.ipynb"},
    }


@pytest.mark.parametrize("fmt", ["torch", "custom", "sklearn"])
def test_contract_kserve_custom_predictor_validates_against_crd(fmt, schema, strict_validator):
    obj = isvc(
        "net",
        fmt,
        image=IMAGE,
        storage_uri="gs://models/net",
        resources={"limits": {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": 1}, "requests": {"cpu": "500m"}},
    )
    assert_valid(obj, schema, strict_validator)
    predictor = obj["spec"]["predictor"]
    assert "model" not in predictor
    [container] = predictor["containers"]
    assert container["name"] == "kserve-container" and container["image"] == IMAGE
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {
        "STORAGE_URI": "gs://models/net",
        "MODEL_NAME": "net",
        "MODEL_FORMAT": fmt,
        "MODEL_DIR": "/mnt/models",
    }
    assert container["resources"] == {
        "limits": {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": "1"},
        "requests": {"cpu": "500m"},
    }
    assert predictor["logger"] == {"mode": "all", "url": INGEST}


def test_contract_kserve_onnx_export_for_triton_validates_against_crd(schema, strict_validator):
    obj = isvc("net", "onnx", storage_uri="s3://mlpipeline/run-1/train/model/triton", protocol_version="v2")
    assert_valid(obj, schema, strict_validator)
    assert obj["spec"]["predictor"]["model"] == {
        "modelFormat": {"name": "onnx"},
        "protocolVersion": "v2",  # KServe picks its Triton runtime for onnx only with v2
        "storageUri": "s3://mlpipeline/run-1/train/model/triton",
        "resources": {
            "limits": {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"},
            "requests": {"cpu": "2", "memory": "4Gi"},
        },
    }
    with pytest.raises(UserError, match="Unknown protocol version 'v3'"):
        isvc("net", "onnx", protocol_version="v3")
    with pytest.raises(UserError, match="A predictor image speaks both V1 and V2"):
        isvc("net", "torch", image=IMAGE, protocol_version="v2")


def test_contract_kserve_validators_refuse_what_the_crd_refuses(schema, strict_validator):
    good = isvc()
    bad = []
    unknown = json.loads(json.dumps(good))
    unknown["spec"]["predictor"]["model"]["storageURI"] = "s3://x/y"
    bad.append(("unknown field", unknown))
    mode = json.loads(json.dumps(good))
    mode["spec"]["predictor"]["logger"]["mode"] = "everything"
    bad.append(("enum", mode))
    quantity = json.loads(json.dumps(good))
    quantity["spec"]["predictor"]["model"]["resources"]["limits"]["memory"] = "4 GB"
    bad.append(("quantity pattern", quantity))
    required = json.loads(json.dumps(good))
    del required["spec"]["predictor"]["model"]["modelFormat"]["name"]
    bad.append(("required", required))
    wrong_type = json.loads(json.dumps(good))
    wrong_type["spec"]["predictor"]["minReplicas"] = "1"
    bad.append(("type", wrong_type))
    meta = json.loads(json.dumps(good))
    meta["metadata"]["label"] = {"a": "b"}
    bad.append(("metadata", meta))
    for what, obj in bad:
        assert validate_object(obj, schema), what
        assert list(strict_validator.iter_errors(obj)), what
    # int-or-string quantities, and unknown fields under the preserved status, are fine
    ok = json.loads(json.dumps(good))
    ok["spec"]["predictor"]["model"]["resources"]["limits"]["cpu"] = 2
    ok["status"] = {"url": "http://x", "somethingNew": {"a": 1}}
    assert_valid(ok, schema, strict_validator)
    # snake_case keys (the SDK's to_dict()) are refused: serialising must give camelCase
    snake = json.loads(json.dumps(good).replace('"storageUri"', '"storage_uri"'))
    assert validate_object(snake, schema) and list(strict_validator.iter_errors(snake))


def test_contract_kserve_sdk_to_dict_is_refused_by_the_fake(kube):
    from kserve import V1beta1InferenceService

    obj = isvc()
    sdk = V1beta1InferenceService(api_version=obj["apiVersion"], kind=obj["kind"], metadata=obj["metadata"])
    body = {
        **sdk.to_dict(),
        "spec": {"predictor": {"model": {"model_format": {"name": "sklearn"}, "storage_uri": "s3://a/b"}}},
    }
    status, answer = post(kube, f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices", body)
    assert status == 422 and answer["kind"] == "Status" and answer["reason"] == "Invalid"
    fields = {c["field"] for c in answer["details"]["causes"]}
    assert "spec.predictor.model.model_format" in fields and "spec.predictor.model.storage_uri" in fields


def post(kube, path, body, method="POST", content_type="application/json"):
    req = urllib.request.Request(
        kube.url + path, data=json.dumps(body).encode(), method=method, headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_contract_kserve_fake_refuses_invalid_requests(kube):
    path = f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices"
    good = isvc()
    two = json.loads(json.dumps(good))
    two["spec"]["predictor"]["containers"] = [{"name": "kserve-container", "image": IMAGE}]
    status, body = post(kube, path, two)
    assert status == 422 and "exactly one predictor implementation" in body["message"]
    upper = {**good, "metadata": {"name": "Iris_RF", "namespace": NS}}
    assert post(kube, path, upper)[0] == 422
    dotted = {**good, "metadata": {"name": "iris.rf", "namespace": NS}}  # a subdomain, not a DNS-1035 label
    status, body = post(kube, path, dotted)
    assert status == 422 and "DNS-1035" in body["message"]
    other_ns = {**good, "metadata": {"name": "iris-rf", "namespace": "elsewhere"}}
    assert post(kube, path, other_ns)[0] == 400
    assert post(kube, path, good)[0] == 201
    assert post(kube, path, good)[0] == 409
    patch = {"spec": {"predictor": {"minReplicas": 1}}}
    assert post(kube, path + "/iris-rf", patch, "PATCH")[0] == 415  # strategic merge is not for CRs
    assert post(kube, path + "/iris-rf", patch, "PATCH", "application/merge-patch+json")[0] == 200
    bad_patch = {"spec": {"predictor": {"minReplicas": "one"}}}
    assert post(kube, path + "/iris-rf", bad_patch, "PATCH", "application/merge-patch+json")[0] == 422
    no_rv = {**good}
    status, body = post(kube, path + "/iris-rf", no_rv, "PUT")
    assert status == 422 and "resourceVersion" in body["message"]
    assert (
        post(kube, path + "/missing", {**good, "metadata": {"name": "missing", "resourceVersion": "1"}}, "PUT")[0]
        == 404
    )
    with pytest.raises(ValueError):
        kube.script_status(NS, "iris-rf", [{"conditions": [{"type": "Ready"}]}])  # status is required


# ---------------------------------------------------------------------------------------------
# Builder inputs: names, storage URIs, resources
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["iris-rf", "a", "m1", "a" * MAX_NAME])
def test_contract_kserve_valid_names(name):
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["Iris", "1iris", "-iris", "iris-", "iris_rf", "iris.rf", "", "a" * (MAX_NAME + 1)])
def test_contract_kserve_invalid_names(name):
    with pytest.raises(UserError) as err:
        isvc(name)
    assert "DNS-1035" in err.value.hint and err.value.status == 400
    assert validate_name(service_name(name or "x")) == service_name(name or "x")


def test_contract_kserve_service_name_makes_valid_names():
    assert service_name("Iris RF (v2)") == "iris-rf-v2"
    assert service_name("2024_model") == "m-2024-model"
    assert len(service_name("x" * 200)) == MAX_NAME


def test_contract_kserve_storage_uris():
    assert cluster_storage_uri("minio://mlpipeline/v2/a/model") == "s3://mlpipeline/v2/a/model"
    for uri in ("s3://b/k", "gs://b/k", "pvc://claim/models/iris", "https://host/model.joblib", "hf://org/model"):
        assert cluster_storage_uri(uri) == uri
    for local in ("/home/jovyan/runs/r1/model.joblib", "runs/r1/model", "file:///tmp/model.pkl"):
        with pytest.raises(UserError) as err:
            cluster_storage_uri(local)
        assert "cannot read" in err.value.message and "pvc://" in err.value.hint
    with pytest.raises(UserError) as err:
        cluster_storage_uri("ftp://host/model")
    assert "scheme" in err.value.message
    with pytest.raises(UserError):
        cluster_storage_uri("")


def test_contract_kserve_resources():
    assert normalize_resources({"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"}) == {
        "limits": {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"},
        "requests": {"cpu": "2", "memory": "4Gi"},
    }
    assert normalize_resources({"requests": {"cpu": 0.5}}) == {"requests": {"cpu": "0.5"}}
    assert normalize_resources(None) == {}
    for bad in ({"cpu": "two"}, {"memory": "4 GB"}, {"limits": {"cpu": True}}, {"bad key!": "1"}, ["cpu"]):
        with pytest.raises(UserError):
            normalize_resources(bad)


def test_contract_kserve_builder_refusals(schema, strict_validator):
    with pytest.raises(UserError) as err:
        isvc("net", "torch")
    assert "predictor image" in err.value.message
    with pytest.raises(UserError):
        isvc(model_format="caffe")
    with pytest.raises(UserError):
        isvc(logger_url="monitoring:8080")
    with pytest.raises(UserError):
        build_inference_service("iris", "Team_A", model_format="sklearn", storage_uri="s3://a/b", logger_url=INGEST)
    no_logger = isvc(logger_url=None, resources=None)
    assert "logger" not in no_logger["spec"]["predictor"] and "resources" not in no_logger["spec"]["predictor"]["model"]
    assert_valid(no_logger, schema, strict_validator)


# ---------------------------------------------------------------------------------------------
# The backend against the fake API server
# ---------------------------------------------------------------------------------------------


def test_contract_kserve_apply_creates_then_replaces(kube, tmp_path, schema, strict_validator):
    backend = backend_for(kube.url, tmp_path)
    created = backend.apply(isvc())
    assert created["metadata"]["generation"] == 1 and created["metadata"]["resourceVersion"]
    [post_call] = kube.calls("POST")
    assert post_call["query"]["fieldValidation"] == "Strict" and post_call["query"]["fieldManager"] == "ai4mlops-lab"
    first_rv = created["metadata"]["resourceVersion"]

    replaced = backend.apply(isvc(resources={"cpu": "4", "memory": "8Gi"}))
    assert len(kube.objects) == 1
    assert [c["method"] for c in kube.requests] == ["POST", "POST", "GET", "PUT"]
    put = kube.calls("PUT")[0]
    assert put["body"]["metadata"]["resourceVersion"] == first_rv
    assert put["query"]["fieldValidation"] == "Strict"
    assert replaced["metadata"]["generation"] == 2 and replaced["metadata"]["resourceVersion"] != first_rv
    assert replaced["metadata"]["finalizers"] == ["inferenceservice.finalizers"]  # the controller's, kept
    assert replaced["spec"]["predictor"]["model"]["resources"]["limits"] == {"cpu": "4", "memory": "8Gi"}
    for call in kube.calls("POST") + kube.calls("PUT"):  # an independent check of every body sent
        assert list(strict_validator.iter_errors(call["body"])) == []

    same = backend.apply(isvc(resources={"cpu": "4", "memory": "8Gi"}))
    assert same["metadata"]["generation"] == 2  # an unchanged spec is not a new generation


def test_contract_kserve_replace_retries_after_a_concurrent_change(kube, tmp_path):
    backend = backend_for(kube.url, tmp_path)
    backend.apply(isvc())
    real_get = backend.get

    def get_then_controller_writes(name, namespace=None):
        current = real_get(name, namespace)
        if len(kube.calls("PUT")) == 0:  # the controller updates the object between our GET and PUT
            kube.objects[(NS, name)]["metadata"]["resourceVersion"] = kube._next_rv()
        return current

    backend.get = get_then_controller_writes
    replaced = backend.apply(isvc(resources={"cpu": "3"}))
    assert [c["method"] for c in kube.requests][1:] == ["POST", "GET", "PUT", "GET", "PUT"]
    assert replaced["spec"]["predictor"]["model"]["resources"]["limits"]["cpu"] == "3"


def test_contract_kserve_status_to_ready_with_url(kube, tmp_path):
    backend = backend_for(kube.url, tmp_path)
    backend.apply(isvc())
    assert backend.status("iris-rf")["state"] == "pending"  # no status yet: not reconciled
    kube.script_status(NS, "iris-rf", [PENDING, PENDING, READY])
    first = backend.status("iris-rf", NS)
    assert first["state"] == "pending" and first["reason"] == "RevisionMissing"
    sleeps = []
    backend._sleep = sleeps.append
    info = backend.wait_ready("iris-rf", NS, timeout=30, poll=0.01)
    assert info["state"] == "ready" and info["url"] == "http://iris-rf.team-a.example.com"
    assert [c["type"] for c in info["conditions"]] == ["PredictorReady", "IngressReady", "Ready"]
    assert len(sleeps) == 1


def test_contract_kserve_address_url_when_no_url():
    obj = {
        "metadata": {"generation": 1},
        "status": {
            "observedGeneration": 1,
            "address": {"url": "http://x.ns.svc"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }
    assert summarize_status(obj)["url"] == "http://x.ns.svc" and summarize_status(obj)["state"] == "ready"
    stale = {"metadata": {"generation": 2}, "status": {**obj["status"]}}
    assert summarize_status(stale)["state"] == "pending"  # Ready belongs to the previous spec


@pytest.mark.parametrize(
    "status, reason, hint",
    [
        (IMAGE_FAILED, "RevisionFailed", "image could not be pulled"),
        (LOAD_FAILED, "ModelLoadFailed", "could not load the model"),
    ],
)
def test_contract_kserve_failed_status(kube, tmp_path, status, reason, hint):
    backend = backend_for(kube.url, tmp_path)
    backend.apply(isvc("net", "torch", image=IMAGE))
    kube.script_status(NS, "net", [PENDING, status])
    with pytest.raises(DeploymentFailed) as err:
        backend.wait_ready("net", NS, timeout=30, poll=0.01)
    assert err.value.info["state"] == "failed" and err.value.info["reason"] == reason
    assert reason in err.value.message and hint in err.value.hint
    assert err.value.info["message"] in err.value.message
    assert backend.status("net", NS)["state"] == "failed"


def test_contract_kserve_wait_times_out_with_clear_error(kube, tmp_path):
    backend = backend_for(kube.url, tmp_path)
    backend.apply(isvc())
    kube.script_status(NS, "iris-rf", [PENDING])
    with pytest.raises(DeploymentFailed) as err:
        backend.wait_ready("iris-rf", NS, timeout=0.3, poll=0.05)
    assert err.value.code == "kserve_timeout" and err.value.status == 504
    assert "not Ready after 0.3s" in err.value.message and "RevisionMissing" in err.value.message
    assert "kubectl get inferenceservice iris-rf -n team-a -w" in err.value.hint
    assert 2 <= len(kube.calls("GET")) <= 10


def test_contract_kserve_delete(kube, tmp_path):
    backend = backend_for(kube.url, tmp_path)
    backend.apply(isvc())
    assert backend.delete("iris-rf", NS) is True
    assert kube.objects == {}
    with pytest.raises(NotFoundError) as err:
        backend.status("iris-rf", NS)
    assert "does not exist" in err.value.message
    assert backend.delete("iris-rf", NS) is False
    with pytest.raises(NotFoundError):
        backend.delete("iris-rf", NS, missing_ok=False)


def test_contract_kserve_forbidden_names_rbac_and_namespace(kube, tmp_path):
    kube.forbidden = {("create", NS)}
    backend = backend_for(kube.url, tmp_path)
    with pytest.raises(KserveError) as err:
        backend.apply(isvc())
    assert err.value.status == 403 and err.value.code == "kube_forbidden"
    assert f"namespace {NS!r}" in err.value.message and "cannot create" in err.value.message
    assert (
        "RBAC" in err.value.hint
        and f"kubectl auth can-i create inferenceservices.serving.kserve.io -n {NS}" in err.value.hint
    )
    kube.forbidden = {("update", NS)}  # may create but not update: a re-apply is refused on the PUT
    backend.apply(isvc())
    with pytest.raises(KserveError) as err:
        backend.apply(isvc())
    assert err.value.status == 403 and "kubectl auth can-i update" in err.value.hint


def test_contract_kserve_not_installed(kube, tmp_path):
    kube.installed = False
    backend = backend_for(kube.url, tmp_path)
    assert backend.installed() is False
    for call in (lambda: backend.apply(isvc()), lambda: backend.status("iris-rf"), lambda: backend.delete("iris-rf")):
        with pytest.raises(KserveError) as err:
            call()
        assert err.value.code == "kserve_missing" and "KServe is not installed" in err.value.message
        assert "Install KServe" in err.value.hint
    kube.installed = True
    assert backend.installed() is True


def test_contract_kserve_missing_namespace(kube, tmp_path):
    kube.namespaces = {"default"}
    with pytest.raises(NotFoundError) as err:
        backend_for(kube.url, tmp_path).apply(isvc())
    assert f"namespace {NS!r} does not exist" in err.value.message


def test_contract_kserve_invalid_object_from_server_is_a_user_error(kube, tmp_path):
    obj = isvc()
    obj["spec"]["predictor"]["logger"]["mode"] = "everything"
    with pytest.raises(KserveError) as err:
        backend_for(kube.url, tmp_path).apply(obj)
    assert err.value.status == 422 and "spec.predictor.logger.mode" in err.value.message


def test_contract_kserve_bearer_token(kube, tmp_path):
    kube.token = TOKEN
    ok = backend_for(kube.url, tmp_path, token=TOKEN)
    ok.apply(isvc())
    assert ok.status("iris-rf")["state"] == "pending"
    with pytest.raises(KserveError) as err:
        backend_for(kube.url, tmp_path, token="wrong-token").status("iris-rf")
    assert err.value.status == 401 and err.value.code == "kube_unauthorized" and "credentials" in err.value.hint
    with pytest.raises(KserveError):
        backend_for(kube.url, tmp_path).status("iris-rf")  # no token at all


def test_contract_kserve_unreachable_cluster(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(KserveError) as err:
        backend_for(f"http://127.0.0.1:{port}", tmp_path).status("iris-rf")
    assert err.value.status == 503 and "kubectl cluster-info" in err.value.hint


# ---------------------------------------------------------------------------------------------
# Connection resolution
# ---------------------------------------------------------------------------------------------


def test_contract_kserve_no_kubeconfig_is_a_user_error(tmp_path):
    with pytest.raises(KubeSettingsError) as err:
        KubeConnection.resolve(env={}, home=str(tmp_path), service_account_dir=NO_SA)
    assert "No Kubernetes configuration" in err.value.message and "KUBECONFIG" in err.value.hint
    with pytest.raises(KubeSettingsError) as err:
        KubeConnection.resolve(
            env={"KUBECONFIG": str(tmp_path / "nope")}, home=str(tmp_path), service_account_dir=NO_SA
        )
    assert "KUBECONFIG" in err.value.message
    with pytest.raises(KubeSettingsError):
        KubeConnection.resolve(kubeconfig=str(tmp_path / "nope"), env={}, service_account_dir=NO_SA)


def test_contract_kserve_kubeconfig_resolution(tmp_path):
    config = write_kubeconfig(tmp_path / "kc", "https://api.example:6443")
    conn = KubeConnection.resolve(
        env={"KUBECONFIG": f"{tmp_path / 'missing'}:{config}"}, home=str(tmp_path), service_account_dir=NO_SA
    )
    assert (conn.source, conn.context, conn.namespace, conn.host) == (
        "kubeconfig",
        "fake",
        NS,
        "https://api.example:6443",
    )
    other = KubeConnection.resolve(env={"KUBECONFIG": str(config)}, context="other", service_account_dir=NO_SA)
    assert other.namespace == "default"
    assert KubeConnection.resolve(kubeconfig=str(config), namespace="ml", env={}).namespace == "ml"
    with pytest.raises(KubeSettingsError) as err:
        KubeConnection.resolve(kubeconfig=str(config), context="prod", env={})
    assert "fake" in err.value.hint and "other" in err.value.hint
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(config.read_text())
    assert KubeConnection.resolve(env={}, home=str(tmp_path), service_account_dir=NO_SA).context == "fake"


def test_contract_kserve_in_cluster_resolution(tmp_path):
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text(TOKEN)
    (sa / "namespace").write_text("kubeflow-user\n")
    (sa / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    env = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    conn = KubeConnection.resolve(env=env, home=str(tmp_path / "home"), service_account_dir=str(sa))
    assert (conn.source, conn.namespace, conn.host) == ("in-cluster", "kubeflow-user", "https://10.96.0.1:443")
    assert TOKEN not in repr(conn) and TOKEN not in json.dumps(conn.describe())
    cfg = conn.api_client().configuration  # from the resolved settings, not os.environ
    assert cfg.host == "https://10.96.0.1:443" and cfg.api_key["authorization"] == f"bearer {TOKEN}"


def test_contract_kserve_modules_import_neither_kserve_nor_kubernetes():
    code = (
        "import sys; import ai4mlops_lab.serving.inference_service, ai4mlops_lab.serving.kserve_backend, "
        "ai4mlops_lab.serving.kube_connection, ai4mlops_lab.serving.cluster; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kserve', 'kubernetes')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_contract_kserve_end_to_end(kube, tmp_path):
    """Build for a run's artifact, apply, follow to Ready, delete."""
    backend = backend_for(kube.url, tmp_path)
    name = service_name("Iris RF")
    argv = list(sys.argv)
    obj = build_inference_service(
        name,
        backend.connection.namespace,
        model_format="sklearn",
        storage_uri=ARTIFACT,
        resources={"limits": {"cpu": "1", "memory": "2Gi"}},
        logger_url=INGEST,
    )
    assert sys.argv == argv
    backend.apply(obj)
    kube.script_status(NS, name, [PENDING, READY])
    info = backend.wait_ready(name, timeout=10, poll=0.01)
    assert info["url"].startswith("http://")
    assert backend.delete(name) is True and kube.objects == {}
