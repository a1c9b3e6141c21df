"""Contract tests of KServe loggers writing to a bucket (`log_storage_uri`) against the official InferenceService
CRD, and of the HTTP sink that stays for small services; deployments go through the strict fake Kubernetes API."""

import pytest

from ai4mlops_lab.errors import FieldError
from ai4mlops_lab.serving.cluster import ClusterDeployments
from ai4mlops_lab.serving.log_storage import LogStorage, stored_logger_prefix
from ai4mlops_lab.workspace import Settings, Workspace

from .test_contract_cluster_deploy import connect, make_run, stores  # noqa: F401 - a fixture
from .test_contract_kserve import IMAGE, INGEST, NS, TOKEN, assert_valid, isvc, schema, strict_validator  # noqa: F401

BUCKET = "s3://inference-logs/kserve/"


def test_contract_kserve_log_storage_logger_validates_against_crd(schema, strict_validator):  # noqa: F811
    storage = LogStorage(BUCKET, key="logs-minio", service_account="logger-sa", batch_size=500, batch_interval="5s")
    obj = isvc(log_storage=storage)
    assert_valid(obj, schema, strict_validator)
    assert obj["spec"]["predictor"]["logger"] == {
        "mode": "all",
        "url": "s3://inference-logs/kserve",
        "storage": {
            "key": "logs-minio",
            "serviceAccountName": "logger-sa",
            "parameters": {"type": "s3", "format": "json"},
        },
        "batchSize": 500,
        "batchInterval": "5s",
    }
    bare = isvc(log_storage=LogStorage("s3://inference-logs"), logger_url=None)
    assert_valid(bare, schema, strict_validator)
    assert bare["spec"]["predictor"]["logger"]["storage"] == {"parameters": {"type": "s3", "format": "json"}}
    assert bare["spec"]["predictor"]["logger"]["batchSize"] == 1000


def test_contract_kserve_http_sink_stays_without_storage(schema, strict_validator):  # noqa: F811
    obj = isvc()
    assert_valid(obj, schema, strict_validator)
    assert obj["spec"]["predictor"]["logger"] == {"mode": "all", "url": INGEST}
    assert stored_logger_prefix({"object": obj, "namespace": NS}) is None


def workspace(tmp_path, **settings):
    return Workspace(tmp_path / "ws", settings=Settings(public_url="https://jupyter.example.org/", **settings))


def test_contract_kserve_log_sink_setting_chooses_the_sink(tmp_path):
    assert workspace(tmp_path).cluster_log_storage() is None
    chosen = workspace(tmp_path, log_storage_uri=BUCKET, log_storage_key="k").cluster_log_storage()
    assert (chosen.uri, chosen.key, chosen.service_account) == (BUCKET, "k", "")
    assert workspace(tmp_path, log_storage_uri=BUCKET, log_sink="http").cluster_log_storage() is None
    with pytest.raises(FieldError) as err:
        workspace(tmp_path, log_sink="storage").cluster_log_storage()
    assert err.value.field == "log_storage_uri"
    with pytest.raises(FieldError) as err:
        workspace(tmp_path, log_storage_uri=BUCKET, log_sink="kafka").cluster_log_storage()
    assert err.value.field == "log_sink" and "storage or http" in err.value.hint
    with pytest.raises(FieldError) as err:
        workspace(tmp_path, log_storage_uri="https://inference-logs/x").cluster_log_storage()
    assert err.value.field == "log_storage_uri" and "s3://" in err.value.hint


def test_contract_kserve_deploy_with_log_storage_applies_a_bucket_logger(kube, stores, tmp_path):  # noqa: F811
    kube.token = TOKEN
    cluster = ClusterDeployments(
        *stores, connect(tmp_path, kube.url), logger_url=INGEST, log_storage=LogStorage(BUCKET), image=IMAGE
    )
    record = cluster.deploy(make_run(stores[1], "iris", "sklearn"))
    [post] = kube.calls("POST")  # the fake answered 201: valid against the CRD
    logger = post["body"]["spec"]["predictor"]["logger"]
    assert logger["url"] == "s3://inference-logs/kserve" and logger["batchInterval"] == "10s"
    prefix = stored_logger_prefix(stores[0].get(record["name"])["config"])
    assert str(prefix) == f"s3://inference-logs/kserve/{NS}/iris-model/"
