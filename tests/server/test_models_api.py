"""The model registry's REST routes on a real store and real run records, and a version of a really trained model
deployed (every reply checked against the OpenAPI document by the `jp_fetch` fixture)."""

import asyncio
import json

import pytest
from tornado.httpclient import HTTPClientError

from ..model_runs import model_run
from .test_deployments_api import trained_run


async def api(jp_fetch, *parts, method="GET", body=None, **params):
    # A deploy answers once its model server is ready: slow on a loaded 2-core machine.
    kwargs = {"method": method, "params": params, "request_timeout": 180}
    if body is not None:
        kwargs["body"] = json.dumps(body)
    return json.loads((await jp_fetch("ai4mlops-lab", "api", *parts, **kwargs)).body)


async def refused(jp_fetch, *parts, method="GET", body=None):
    with pytest.raises(HTTPClientError) as failure:
        await api(jp_fetch, *parts, method=method, body=body)
    return failure.value.code, json.loads(failure.value.response.body)


@pytest.fixture
def runs(jp_root_dir):
    workspace = jp_root_dir / ".ai4mlops"
    return [
        model_run(workspace, jp_root_dir / "artifacts" / f"model-{i}", metrics={"accuracy": 0.8 + i / 10})
        for i in range(2)
    ]


async def test_register_then_read_models_versions_and_aliases(jp_fetch, runs):
    first = await api(
        jp_fetch, "models", method="POST", body={"run_id": runs[0], "name": "iris", "aliases": ["champion"]}
    )
    assert (first["model"], first["version"], first["aliases"], first["run_id"]) == ("iris", 1, ["champion"], runs[0])
    second = await api(jp_fetch, "models", method="POST", body={"run_id": runs[1], "name": "iris", "artifact": "model"})
    assert second["version"] == 2 and second["artifact"] == "train/model"

    listed = await api(jp_fetch, "models")
    [model] = listed["models"]
    assert model["aliases"] == {"champion": 1} and model["latest_version"]["version"] == 2
    assert await api(jp_fetch, "models", "iris") == model
    versions = await api(jp_fetch, "models", "iris", "versions")
    assert [v["version"] for v in versions["versions"]] == [2, 1]
    assert await api(jp_fetch, "models", "iris", "versions", "champion") == first
    assert await api(jp_fetch, "models", "iris", "versions", "2") == second


async def test_alias_moves_archive_and_restore(jp_fetch, runs):
    for run_id in runs:
        await api(jp_fetch, "models", method="POST", body={"run_id": run_id, "name": "iris", "aliases": ["champion"]})
    moved = await api(
        jp_fetch, "models", "iris", "aliases", "stable", method="PUT", body={"version": 1, "reason": "ok"}
    )
    assert moved["version"] == 1 and moved["aliases"] == ["stable"]
    code, body = await refused(jp_fetch, "models", "iris", "versions", "1", "archive", method="POST", body={})
    assert code == 409 and "stable" in body["detail"]
    removed = await api(jp_fetch, "models", "iris", "aliases", "stable", method="DELETE", reason="not needed")
    assert (removed["from_version"], removed["to_version"], removed["reason"]) == (1, None, "not needed")
    archived = await api(jp_fetch, "models", "iris", "versions", "1", "archive", method="POST", body={})
    assert archived["state"] == "archived"
    restored = await api(jp_fetch, "models", "iris", "versions", "1", "restore", method="POST", body={})
    assert restored["state"] == "live"
    history = await api(jp_fetch, "models", "iris", "aliases", "history")
    assert [(m["alias"], m["from_version"], m["to_version"]) for m in history["moves"]] == [
        ("stable", 1, None),
        ("stable", None, 1),
        ("champion", 1, 2),
        ("champion", None, 1),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "run_id"),
        ({"run_id": 5}, "run_id"),
        ({"run_id": "RUN", "artifact": ""}, "artifact"),
        ({"run_id": "RUN", "name": "Iris"}, "name"),
        ({"run_id": "RUN", "aliases": "champion"}, "aliases"),
        ({"run_id": "RUN", "aliases": ["a b"]}, "aliases"),
        ({"run_id": "RUN", "description": ["x"]}, "description"),
    ],
)
async def test_a_bad_registration_is_422_naming_the_field(jp_fetch, runs, body, field):
    body = {k: runs[0] if v == "RUN" else v for k, v in body.items()}
    code, reply = await refused(jp_fetch, "models", method="POST", body=body)
    assert code == 422 and reply["field"] == field and f"'{field}'" in reply["detail"] and reply["hint"]
    assert (await api(jp_fetch, "models"))["models"] == []


async def test_misses_are_404_naming_what_exists_and_conflicts_409(jp_fetch, runs):
    await api(jp_fetch, "models", method="POST", body={"run_id": runs[0], "name": "iris", "aliases": ["champion"]})
    code, body = await refused(jp_fetch, "models", "irs")
    assert code == 404 and body["hint"] == "The registered models: iris."
    code, body = await refused(jp_fetch, "models", "iris", "versions", "prod")
    assert code == 404 and body["hint"] == "Its aliases: champion."
    code, body = await refused(jp_fetch, "models", "iris", "versions", "7")
    assert code == 404 and "no version 7" in body["detail"]
    code, body = await refused(jp_fetch, "models", method="POST", body={"run_id": "nosuch"})
    assert code == 404 and "nosuch" in body["detail"]
    code, body = await refused(jp_fetch, "models", method="POST", body={"run_id": runs[0], "name": "iris"})
    assert code == 409 and "already has" in body["detail"]
    code, body = await refused(jp_fetch, "models", "iris", "aliases", "champion", method="PUT", body={})
    assert code == 422 and body["field"] == "version"
    code, body = await refused(jp_fetch, "models", "Iris", "versions")
    assert code == 422 and body["field"] == "name"


async def test_the_model_list_answers_304_while_unchanged(jp_fetch, runs):
    first = await jp_fetch("ai4mlops-lab", "api", "models")
    again = await jp_fetch(
        "ai4mlops-lab", "api", "models", headers={"If-None-Match": first.headers["ETag"]}, raise_error=False
    )
    assert again.code == 304
    await api(jp_fetch, "models", method="POST", body={"run_id": runs[0]})
    changed = await jp_fetch(
        "ai4mlops-lab", "api", "models", headers={"If-None-Match": first.headers["ETag"]}, raise_error=False
    )
    assert changed.code == 200 and len(json.loads(changed.body)["models"]) == 1


class TestAutoRegister:
    @pytest.fixture
    def jp_server_config(self):
        return {
            "ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}},
            "Ai4MlopsApp": {"auto_register": True},
        }

    async def test_the_background_loop_registers_succeeded_runs_once(self, jp_fetch, jp_serverapp, runs):
        app = next(iter(jp_serverapp.extension_manager.extension_apps["ai4mlops_lab"]))
        assert app.workspace.settings.auto_register
        for _ in range(2):  # a second round finds nothing new
            await app._background_round()
            await asyncio.gather(*app._background_busy.values())
        [model] = (await api(jp_fetch, "models"))["models"]
        versions = (await api(jp_fetch, "models", model["name"], "versions"))["versions"]
        assert sorted(v["run_id"] for v in versions) == sorted(runs) and model["version_count"] == 2


async def test_a_version_deploys_by_number_and_by_alias(jp_fetch, jp_root_dir):
    run = await trained_run(jp_fetch, jp_root_dir)
    await api(jp_fetch, "models", method="POST", body={"run_id": run["id"], "name": "iris", "aliases": ["champion"]})
    deployed = []
    try:
        by_number = await api(jp_fetch, "models", "iris", "versions", "1", "deploy", method="POST", body={})
        deployed.append(by_number["name"])
        assert (by_number["name"], by_number["status"], by_number["run_id"]) == ("iris", "running", run["id"])
        assert by_number["config"]["version"] == {"model": "iris", "version": 1, "alias": None}
        by_alias = await api(
            jp_fetch, "models", "iris", "versions", "champion", "deploy", method="POST", body={"name": "iris-champ"}
        )
        deployed.append(by_alias["name"])
        assert by_alias["name"] == "iris-champ" and by_alias["status"] == "running"
        assert by_alias["config"]["version"] == {"model": "iris", "version": 1, "alias": "champion"}
        code, body = await refused(jp_fetch, "models", "iris", "versions", "1", "deploy", method="POST", body={})
        assert code == 409 and "iris" in body["detail"]  # its deployment is running
    finally:
        for name in deployed:
            await api(jp_fetch, "deployments", name, method="DELETE")


async def test_deploying_an_archived_or_unknown_version_is_refused(jp_fetch, runs):
    for run_id in runs:
        await api(jp_fetch, "models", method="POST", body={"run_id": run_id, "name": "iris"})
    await api(jp_fetch, "models", "iris", "aliases", "champion", method="PUT", body={"version": 2})
    await api(jp_fetch, "models", "iris", "versions", "1", "archive", method="POST", body={})
    code, body = await refused(jp_fetch, "models", "iris", "versions", "1", "deploy", method="POST", body={})
    assert code == 409 and "archived" in body["detail"] and "ai4mlops models restore iris 1" in body["hint"]
    code, body = await refused(jp_fetch, "models", "iris", "versions", "prod", "deploy", method="POST", body={})
    assert code == 404 and body["hint"] == "Its aliases: champion."
    code, body = await refused(jp_fetch, "models", "iris", "versions", "9", "deploy", method="POST", body={})
    assert code == 404 and body["hint"] == "Its versions are 1 to 2."
    code, body = await refused(jp_fetch, "models", "iris", "versions", "2", "deploy", method="POST", body=[])
    assert code == 400 and "JSON object" in body["detail"]
    assert (await api(jp_fetch, "deployments"))["deployments"] == []
