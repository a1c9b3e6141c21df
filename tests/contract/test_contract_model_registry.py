"""Contract tests of the model registry kept in a Kubeflow Model Registry, on the strict fake of its REST API v1alpha3
(`fake_model_registry.py`, which validates every request and response against the official OpenAPI document and
pages at 2 items): registering runs' models, versions and their lineage, aliases and their local history, archive
and restore, the errors a person gets, automatic registration, and deployments that carry the registry's ids."""

import json
import socket
import urllib.error
import urllib.request

import pytest

from ai4mlops_lab.errors import FieldError, NotFoundError, UserError
from ai4mlops_lab.registry import EmbeddedRegistry
from ai4mlops_lab.registry.deploy import deploy_version
from ai4mlops_lab.registry.kubeflow import KubeflowRegistry
from ai4mlops_lab.registry.kubeflow_api import ModelRegistryApi, RegistryConnection
from ai4mlops_lab.store.alias_moves import AliasMoveStore
from ai4mlops_lab.store.registry import RegistryStore
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE, Settings, Workspace

from ..model_runs import SIGNATURE, model_run
from ..server.contract import check_response
from .test_contract_cluster_deploy import make_run
from .test_contract_kserve import NS, TOKEN, write_kubeconfig

NO_SA = "/nonexistent/serviceaccount/token"
REFERENCE = {"file": "reference.npy", "rows": 200, "total_rows": 1000, "source": "variable x_train"}
METADATA = {
    "model": {"framework": "torch", "framework_version": "2.3.0", "signature": SIGNATURE, "reference": REFERENCE}
}
LABELS = ("modelregistry.kubeflow.org/registered-model-id", "modelregistry.kubeflow.org/model-version-id")


@pytest.fixture
def folder(tmp_path):
    return tmp_path / ".ai4mlops"


def kubeflow(folder, url, env=None) -> KubeflowRegistry:
    """The registry at `url` over the workspace `folder`'s runs and alias history (`env`: its token settings)."""
    connection = lambda: RegistryConnection.resolve(url, env or {}, service_account_token=NO_SA)  # noqa: E731
    path = folder / STORE_FILE
    return KubeflowRegistry(ModelRegistryApi(connection), RunStore(path), AliasMoveStore(path, check=False))


@pytest.fixture
def registry(folder, model_registry):
    return kubeflow(folder, model_registry.url)


def trained(folder, tmp_path, n=1, **kwargs):
    return [model_run(folder, tmp_path / f"model-{i}-{len(kwargs)}", **kwargs) for i in range(n)]


def props(entity: dict) -> dict:
    """An entity's customProperties as {key: value}."""
    return {k: next(v[key] for key in v if key != "metadataType") for k, v in entity["customProperties"].items()}


def without(record: dict, *keys) -> dict:
    return {k: v for k, v in record.items() if k not in keys}


# ---------------------------------------------------------------------------------------------
# The fake refuses what the specification refuses
# ---------------------------------------------------------------------------------------------


def send(fake, method, path, body=None, content_type="application/json"):
    """(status, JSON answer) of a raw request to the fake."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(f"{fake.url}/api/model_registry/v1alpha3{path}", data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as failure:
        return failure.code, json.loads(failure.read())


@pytest.mark.parametrize(
    ("method", "path", "body", "says"),
    [
        ("POST", "/registered_models", {"description": "no name"}, "body.name: Required value"),
        ("POST", "/registered_models", {"name": "m", "color": "red"}, 'unknown field "body.color"'),
        ("POST", "/registered_models", {"name": "m", "createTimeSinceEpoch": "1"}, "createTimeSinceEpoch"),
        ("POST", "/registered_models", {"name": "m", "state": "GONE"}, "Unsupported value: 'GONE'"),
        (
            "POST",
            "/registered_models",
            {"name": "m", "customProperties": {"a": {"metadataType": "MetadataStringValue", "int_value": "1"}}},
            "body.customProperties.a",
        ),
        ("POST", "/model_versions", {"name": "1"}, "body.registeredModelId: Required value"),
        ("POST", "/model_versions", {"name": "1", "registeredModelId": "x"}, "should match"),
        ("POST", "/model_versions/1/artifacts", {"uri": "s3://b/m"}, "body.artifactType"),
        (
            "POST",
            "/model_versions/1/artifacts",
            {"artifactType": "model-artifact", "size": 3},
            'unknown field "body.size"',
        ),
        ("PATCH", "/model_versions/1", {"name": "2"}, 'unknown field "body.name"'),
        ("GET", "/registered_models?limit=5", None, "unknown query parameter 'limit'"),
        ("GET", "/registered_models?pageSize=0", None, "query.pageSize"),
        ("GET", "/registered_models?sortOrder=UP", None, "Unsupported value: 'UP'"),
        ("GET", "/registered_models/abc", None, "path.registeredmodelId"),
        ("GET", "/registered_models?nextPageToken=made-up", None, "invalid nextPageToken"),
        ("GET", "/model_version?name=1", None, "parentResourceId"),
        ("POST", "/registered_models", b"{not json", "not JSON"),
    ],
)
def test_contract_model_registry_fake_refuses_invalid_requests(model_registry, method, path, body, says):
    status, answer = send(model_registry, method, path, body)
    assert status == 400 and says in answer["message"] and set(answer) == {"code", "message"}
    assert model_registry.faults, "an invalid request is a fault"
    model_registry.faults.clear()


def test_contract_model_registry_fake_answers_as_the_server_does(model_registry):
    status, model = send(model_registry, "POST", "/registered_models", {"name": "m", "description": "d"})
    assert status == 201 and model["state"] == "LIVE" and model["createTimeSinceEpoch"].isdigit()
    assert send(model_registry, "POST", "/registered_models", {"name": "m"})[0] == 409
    assert send(model_registry, "GET", "/registered_model?name=n")[0] == 404
    status, patched = send(model_registry, "PATCH", f"/registered_models/{model['id']}", {"owner": "ana"})
    assert status == 200 and "description" not in patched and patched["owner"] == "ana"  # PATCH replaces
    assert model_registry.faults == []
    assert send(model_registry, "GET", "/serving_environments")[0] == 500
    assert model_registry.faults == ["a valid request of an operation the fake does not implement"]
    model_registry.faults.clear()


# ---------------------------------------------------------------------------------------------
# Registering and reading
# ---------------------------------------------------------------------------------------------


def test_contract_model_registry_records_what_the_embedded_registry_records(folder, tmp_path, registry, model_registry):
    [run_id] = trained(folder, tmp_path, parameters={"epochs": 5}, metrics={"accuracy": 0.93}, metadata=METADATA)
    version = registry.register(run_id, aliases=["champion"], description="iris", by="ana")
    embedded = EmbeddedRegistry(RegistryStore(folder / STORE_FILE), RunStore(folder / STORE_FILE))
    expected = embedded.register(run_id, aliases=["champion"], description="iris", by="ana")
    assert without(version, "created_at", "registry_ids") == without(expected, "created_at")
    assert version["reference"]["uri"].endswith("/reference.npy") and version["metrics"] == {"accuracy": 0.93}
    model = registry.model("demo-model")
    assert without(model, "created_at", "updated_at", "latest_version") == {
        "name": "demo-model",
        "description": "iris",
        "version_count": 1,
        "aliases": {"champion": 1},
    }
    assert model["latest_version"] == version
    assert registry.version("demo-model", "champion") == registry.version("demo-model", "1") == version
    assert registry.versions_of_run(run_id) == [version]
    assert version["created_at"].endswith("Z") and model["updated_at"] >= model["created_at"]

    # what the registry holds, as Kubeflow's own tools read it
    [stored_model] = model_registry.models.values()
    [stored_version] = model_registry.versions.values()
    [stored_artifact] = model_registry.artifacts.values()
    assert version["registry_ids"] == {
        "registered_model_id": stored_model["id"],
        "model_version_id": stored_version["id"],
        "model_artifact_id": stored_artifact["id"],
    }
    assert (stored_model["name"], stored_model["description"], props(stored_model)) == (
        "demo-model",
        "iris",
        {"alias.champion": "1"},
    )
    assert (stored_version["name"], stored_version["author"], stored_version["state"]) == ("1", "ana", "LIVE")
    lineage = props(stored_version)
    assert {k: lineage[k] for k in ("run_id", "notebook_path", "notebook_hash", "artifact")} == {
        "run_id": run_id,
        "notebook_path": "demo.ipynb",
        "notebook_hash": "0" * 64,
        "artifact": "train/model",
    }
    assert json.loads(lineage["parameters"]) == {"epochs": 5} and json.loads(lineage["metrics"]) == {"accuracy": 0.93}
    assert json.loads(lineage["signature"]) == SIGNATURE and json.loads(lineage["steps"])[0]["name"] == "train"
    assert {k: stored_artifact.get(k) for k in ("artifactType", "uri", "modelFormatName", "modelFormatVersion")} == {
        "artifactType": "model-artifact",
        "uri": version["artifact_uri"],
        "modelFormatName": "torch",
        "modelFormatVersion": "2.3.0",
    }
    assert (stored_artifact["modelSourceKind"], stored_artifact["modelSourceId"]) == ("ai4mlops-lab", run_id)


def test_contract_model_registry_numbers_versions_per_model_and_follows_pages(
    folder, tmp_path, registry, model_registry
):
    runs = trained(folder, tmp_path, n=3)
    numbers = [registry.register(run_id, name="iris")["version"] for run_id in runs]
    registry.register(runs[0], name="other")
    assert numbers == [1, 2, 3]
    assert [(v["version"], v["run_id"]) for v in registry.versions("iris")] == [
        (3, runs[2]),
        (2, runs[1]),
        (1, runs[0]),
    ]
    assert [(m["name"], m["version_count"]) for m in registry.models()] == [("iris", 3), ("other", 1)]
    assert [v["model"] for v in registry.versions_of_run(runs[0])] == ["iris", "other"]
    listed = model_registry.find("getRegisteredModelVersions")
    assert any("nextPageToken" in r.query for r in listed), "the 3 versions come in pages of 2"
    assert all(r.query.get("pageSize") for r in listed)
    [by_run] = [r for r in model_registry.find("getModelVersions") if "filterQuery" in r.query][-1:]
    assert by_run.query["filterQuery"] == f'run_id.string_value = "{runs[0]}"'


def test_contract_model_registry_leaves_out_versions_not_named_by_a_number(folder, tmp_path, registry, model_registry):
    [run_id] = trained(folder, tmp_path)
    registry.register(run_id, name="iris")
    [made] = model_registry.versions.values()
    model_registry.versions["99"] = {**made, "id": "99", "name": "v2.0-from-the-ui"}  # as the registry's UI names one
    model_registry.links["99"] = []
    assert [v["version"] for v in registry.versions("iris")] == [1]
    [other] = trained(folder, tmp_path / "b")
    assert registry.register(other, name="iris")["version"] == 2


def test_contract_model_registry_refuses_the_same_run_model_twice_under_one_model(folder, tmp_path, registry):
    [run_id] = trained(folder, tmp_path)
    registry.register(run_id, name="iris")
    with pytest.raises(UserError, match="already has train/model of run .* as version 1") as refused:
        registry.register(run_id, name="iris")
    assert refused.value.status == 409
    assert registry.register(run_id, name="iris-copy")["version"] == 1


def test_contract_model_registry_takes_the_next_number_when_one_is_taken_meanwhile(
    folder, tmp_path, registry, model_registry, monkeypatch
):
    runs = trained(folder, tmp_path, n=2)
    registry.register(runs[0], name="iris")
    monkeypatch.setattr(registry, "_numbered", lambda model: [])  # as if version 1 came just after the listing
    assert registry.register(runs[1], name="iris")["version"] == 2
    conflicts = [r for r in model_registry.find("createModelVersion") if r.status == 409]
    assert [r.body["name"] for r in conflicts] == ["1"]


def test_contract_model_registry_uses_a_model_created_meanwhile(
    folder, tmp_path, registry, model_registry, monkeypatch
):
    runs = trained(folder, tmp_path, n=2)
    registry.register(runs[0], name="iris")
    real_find, asked = registry._find, []

    def find(name):  # the first look misses it: someone creates it just after
        asked.append(name)
        return None if len(asked) == 1 else real_find(name)

    monkeypatch.setattr(registry, "_find", find)
    assert registry.register(runs[1], name="iris")["version"] == 2
    assert [r.status for r in model_registry.find("createRegisteredModel")] == [201, 409]


# ---------------------------------------------------------------------------------------------
# Aliases, archive and restore
# ---------------------------------------------------------------------------------------------


def test_contract_model_registry_records_every_alias_move_locally(folder, tmp_path, registry, model_registry):
    runs = trained(folder, tmp_path, n=2)
    registry.register(runs[0], name="iris", aliases=["champion"], description="the iris model", by="ana")
    registry.register(runs[1], name="iris", aliases=["challenger"], by="ana")
    assert registry.set_alias("iris", "champion", 2, reason="better accuracy", by="bo")["aliases"] == [
        "challenger",
        "champion",
    ]
    registry.set_alias("iris", "champion", "challenger", reason="no move", by="bo")  # already there: not recorded
    move = registry.remove_alias("iris", "challenger", reason="promoted", by="cy")
    assert (move["model"], move["alias"], move["from_version"], move["to_version"]) == ("iris", "challenger", 2, None)
    moves = [
        (m["alias"], m["from_version"], m["to_version"], m["by"], m["reason"]) for m in registry.alias_history("iris")
    ]
    assert moves == [
        ("challenger", 2, None, "cy", "promoted"),
        ("champion", 1, 2, "bo", "better accuracy"),
        ("challenger", None, 2, "ana", "set at registration"),
        ("champion", None, 1, "ana", "set at registration"),
    ]
    assert registry.model("iris")["aliases"] == {"champion": 2}
    assert registry.version("iris", 1)["aliases"] == []
    [stored] = model_registry.models.values()
    assert props(stored) == {"alias.champion": "2"} and stored["description"] == "the iris model"
    # the history is the workspace's: another process on the same store reads it
    assert kubeflow(folder, model_registry.url).alias_history("iris") == registry.alias_history("iris")


def test_contract_model_registry_archives_by_state_only(folder, tmp_path, registry, model_registry):
    runs = trained(folder, tmp_path, n=2, metrics={"accuracy": 0.9})
    first = registry.register(runs[0], name="iris")
    registry.register(runs[1], name="iris", aliases=["champion"])
    with pytest.raises(UserError, match="Alias champion points at version 2") as refused:
        registry.archive("iris", "champion")
    assert refused.value.status == 409
    archived = registry.archive("iris", 1)
    assert archived["state"] == "archived" and without(archived, "state") == without(first, "state")
    assert model_registry.versions[first["registry_ids"]["model_version_id"]]["state"] == "ARCHIVED"
    with pytest.raises(UserError, match="archived") as refused:
        registry.set_alias("iris", "champion", 1)
    assert refused.value.status == 409 and "ai4mlops models restore iris 1" in refused.value.hint
    assert registry.restore("iris", 1) == first
    patches = model_registry.find("updateModelVersion")
    assert [p.body["state"] for p in patches] == ["ARCHIVED", "LIVE"]  # the fake checks nothing else changed


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_contract_model_registry_lookups_that_miss_name_what_exists(folder, tmp_path, registry):
    [run_id] = trained(folder, tmp_path)
    with pytest.raises(NotFoundError, match="No registered model 'iris'") as missing:
        registry.model("iris")
    assert "Nothing is registered yet" in missing.value.hint
    registry.register(run_id, name="iris", aliases=["champion"])
    with pytest.raises(NotFoundError) as missing:
        registry.versions("irs")
    assert missing.value.hint == "The registered models: iris."
    with pytest.raises(NotFoundError, match="no version 4") as missing:
        registry.version("iris", 4)
    assert missing.value.hint == "Its versions are 1 to 1."
    with pytest.raises(NotFoundError, match="no alias 'prod'") as missing:
        registry.version("iris", "prod")
    assert missing.value.hint == "Its aliases: champion."
    with pytest.raises(NotFoundError, match="no alias 'prod'"):
        registry.remove_alias("iris", "prod")
    with pytest.raises(FieldError) as refused:
        registry.set_alias("iris", "Champion", 1)
    assert refused.value.field == "alias"


def test_contract_model_registry_401_says_which_token_to_set(folder, tmp_path, model_registry):
    model_registry.token = TOKEN
    with pytest.raises(UserError, match=f"401 from the model registry at {model_registry.url}") as refused:
        kubeflow(folder, model_registry.url).models()
    assert refused.value.code == "model_registry_unauthorized" and refused.value.status == 400
    assert "AI4MLOPS_MODEL_REGISTRY_TOKEN" in refused.value.hint
    with pytest.raises(UserError, match="401") as refused:
        kubeflow(folder, model_registry.url, {"AI4MLOPS_MODEL_REGISTRY_TOKEN": "stale"}).models()
    assert refused.value.hint == "The token in AI4MLOPS_MODEL_REGISTRY_TOKEN was refused: set a valid one."
    assert "stale" not in refused.value.message + refused.value.hint
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert kubeflow(folder, model_registry.url, {"AI4MLOPS_MODEL_REGISTRY_TOKEN_FILE": str(token_file)}).models() == []
    assert model_registry.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"


def test_contract_model_registry_403_asks_for_access(folder, model_registry):
    model_registry.forbidden = True
    with pytest.raises(UserError, match="403 from the model registry") as refused:
        kubeflow(folder, model_registry.url).model("iris")
    assert "access" in refused.value.hint and refused.value.code == "model_registry_unauthorized"


def test_contract_model_registry_unreachable_or_misconfigured_says_what_to_do(folder):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(UserError, match=f"The model registry at {closed} cannot be reached") as refused:
        kubeflow(folder, closed).models()
    assert refused.value.status == 502 and "port-forward" in refused.value.hint
    with pytest.raises(UserError, match="is not an http") as refused:
        kubeflow(folder, "model-registry:8080").models()
    assert "AI4MLOPS_MODEL_REGISTRY_URL" in refused.value.hint
    with pytest.raises(UserError, match="cannot be read"):
        kubeflow(folder, closed, {"AI4MLOPS_MODEL_REGISTRY_TOKEN_FILE": "/nonexistent/token"}).models()


# ---------------------------------------------------------------------------------------------
# The workspace, automatic registration, deployments, the REST API
# ---------------------------------------------------------------------------------------------


def test_contract_model_registry_is_the_workspaces_registry_when_its_url_is_set(folder, model_registry):
    workspace = Workspace.from_environment(folder, environ={"AI4MLOPS_MODEL_REGISTRY_URL": model_registry.url})
    assert workspace.settings.model_registry_url == model_registry.url
    assert isinstance(workspace.registry, KubeflowRegistry)
    assert isinstance(Workspace.from_environment(folder, environ={}).registry, EmbeddedRegistry)


def test_contract_model_registry_auto_registers_each_model_once(folder, tmp_path, model_registry, monkeypatch):
    for name in ("AI4MLOPS_MODEL_REGISTRY_TOKEN", "AI4MLOPS_MODEL_REGISTRY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    workspace = Workspace(folder, settings=Settings(auto_register=True, model_registry_url=model_registry.url))
    runs = trained(folder, tmp_path, n=2)
    kubeflow(folder, model_registry.url).register(runs[0], name="by-hand")  # by another process
    assert [(v["model"], v["version"], v["run_id"]) for v in workspace.auto_register()] == [("demo-model", 1, runs[1])]
    asked = len(model_registry.requests)
    assert workspace.auto_register() == []
    assert len(model_registry.requests) == asked, "nothing new: the registry is not asked"
    [later] = trained(folder, tmp_path / "later")
    assert [v["run_id"] for v in workspace.auto_register()] == [later]
    assert [v["version"] for v in workspace.registry.versions("demo-model")] == [2, 1]


def test_contract_model_registry_kserve_deployment_carries_the_registry_ids(
    folder, tmp_path, model_registry, kube, monkeypatch
):
    kube.token = TOKEN
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", kube.url, TOKEN)))
    workspace = Workspace(folder, settings=Settings(model_registry_url=model_registry.url))
    run_id = make_run(RunStore(folder / STORE_FILE), "iris", "sklearn", backend_run_id="kfp-run-7")
    version = workspace.registry.register(run_id, name="iris", aliases=["champion"])
    [artifact] = model_registry.artifacts.values()
    assert (artifact["modelSourceKind"], artifact["modelSourceClass"], artifact["modelSourceId"]) == (
        "kfp",
        "pipelinerun",
        "kfp-run-7",
    )
    assert artifact["modelFormatName"] == "sklearn"

    record = deploy_version(workspace.registry, workspace.deployments, "iris", "champion", target="kserve")
    ids = version["registry_ids"]
    assert record["config"]["version"] == {"model": "iris", "version": 1, "alias": "champion", "registry_ids": ids}
    labels = kube.objects[(NS, "iris")]["metadata"]["labels"]  # the fake validated it against the CRD
    assert (labels[LABELS[0]], labels[LABELS[1]]) == (ids["registered_model_id"], ids["model_version_id"])
    assert labels["ai4mlops-lab/run-id"] == run_id


class TestRegistryApi:
    @pytest.fixture
    def jp_server_config(self, model_registry):
        return {
            "ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}},
            "Ai4MlopsApp": {"model_registry_url": model_registry.url},
        }

    async def test_contract_model_registry_through_the_rest_api(self, jp_fetch, jp_root_dir, model_registry):
        run_id = model_run(jp_root_dir / ".ai4mlops", jp_root_dir / "model", metrics={"accuracy": 0.9})

        async def api(*parts, method="GET", body=None):
            kwargs = {"method": method} | ({"body": json.dumps(body)} if body is not None else {})
            response = await jp_fetch("ai4mlops-lab", "api", *parts, **kwargs)
            check_response(method, "/" + "/".join(parts), response.code, response.body)
            return json.loads(response.body)

        version = await api("models", method="POST", body={"run_id": run_id, "name": "iris", "aliases": ["champion"]})
        assert (version["version"], version["aliases"], version["metrics"]) == (1, ["champion"], {"accuracy": 0.9})
        assert version["registry_ids"]["model_version_id"] in model_registry.versions
        [model] = (await api("models"))["models"]
        assert model["aliases"] == {"champion": 1} and model["latest_version"] == version
        moved = await api("models", "iris", "aliases", "stable", method="PUT", body={"version": 1, "reason": "ok"})
        assert moved["aliases"] == ["champion", "stable"]
        history = await api("models", "iris", "aliases", "history")
        assert [(m["alias"], m["to_version"], m["reason"]) for m in history["moves"]] == [
            ("stable", 1, "ok"),
            ("champion", 1, "set at registration"),
        ]
