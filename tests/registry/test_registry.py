"""The embedded registry over a real store and real run records: registering a run's model, aliases and their
history, archiving, the errors a person gets, and automatic registration."""

import pytest

from ai4mlops_lab.errors import FieldError, NotFoundError, UserError
from ai4mlops_lab.store.runs import RunStore
from ai4mlops_lab.workspace import STORE_FILE, Settings, Workspace

from ..model_runs import SIGNATURE, bare_run, model_run

REFERENCE = {"file": "reference.npy", "rows": 200, "total_rows": 1000, "source": "variable x_train"}


@pytest.fixture
def folder(tmp_path):
    return tmp_path / ".ai4mlops"


@pytest.fixture
def registry(folder):
    return Workspace(folder).registry


def trained(folder, tmp_path, n=1, **kwargs):
    return [model_run(folder, tmp_path / f"model-{i}-{len(kwargs)}", **kwargs) for i in range(n)]


def test_registering_a_run_records_where_its_model_lies_and_a_snapshot_of_the_run(folder, tmp_path, registry):
    metadata = {
        "model": {
            "framework": "torch",
            "framework_version": "2.3.0",
            "signature": SIGNATURE,
            "reference": REFERENCE,
        }
    }
    [run_id] = trained(folder, tmp_path, parameters={"epochs": 5}, metrics={"accuracy": 0.93}, metadata=metadata)
    version = registry.register(run_id, aliases=["champion"], description="iris", by="ana")
    run = RunStore(folder / STORE_FILE).run(run_id)
    model_uri = run["artifacts"][0]["uri"]
    assert version == {
        "model": "demo-model",
        "version": 1,
        "state": "live",
        "artifact_uri": model_uri,
        "artifact": "train/model",
        "framework": "torch",
        "framework_version": "2.3.0",
        "signature": SIGNATURE,
        "run_id": run_id,
        "notebook_path": "demo.ipynb",
        "notebook_hash": "0" * 64,
        "parameters": {"epochs": 5},
        "metrics": {"accuracy": 0.93},
        "steps": [{"name": "train", "status": "succeeded", "log_path": None}],
        "reference": {
            "source": "variable x_train",
            "rows": 200,
            "total_rows": 1000,
            "features": ["f0", "f1", "f2", "f3"],
            "uri": f"{model_uri}/reference.npy",
        },
        "author": "ana",
        "created_at": version["created_at"],
        "aliases": ["champion"],
    }
    model = registry.model("demo-model")
    assert model["description"] == "iris" and model["aliases"] == {"champion": 1}
    assert model["latest_version"] == version and model["version_count"] == 1
    assert registry.version("demo-model", "champion") == registry.version("demo-model", "1") == version
    assert registry.versions_of_run(run_id) == [version]


def test_versions_number_per_model_and_list_newest_first(folder, tmp_path, registry):
    runs = trained(folder, tmp_path, n=3)
    for run_id in runs:
        registry.register(run_id, name="iris")
    registry.register(runs[0], name="other")
    assert [v["version"] for v in registry.versions("iris")] == [3, 2, 1]
    assert [v["run_id"] for v in registry.versions("iris")] == runs[::-1]
    assert [(m["name"], m["version_count"]) for m in registry.models()] == [("iris", 3), ("other", 1)]


def test_every_alias_move_is_recorded_with_who_and_why(folder, tmp_path, registry):
    runs = trained(folder, tmp_path, n=2)
    registry.register(runs[0], name="iris", aliases=["champion"], by="ana")
    registry.register(runs[1], name="iris", aliases=["challenger"], by="ana")
    registry.set_alias("iris", "champion", 2, reason="better accuracy", by="bo")
    registry.set_alias("iris", "champion", "2", reason="no move", by="bo")  # already there: nothing recorded
    registry.remove_alias("iris", "challenger", reason="promoted", by="cy")
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


def test_an_alias_can_be_given_by_another_alias(folder, tmp_path, registry):
    [run_id] = trained(folder, tmp_path)
    registry.register(run_id, name="iris", aliases=["champion"])
    assert registry.set_alias("iris", "stable", "champion")["aliases"] == ["champion", "stable"]


def test_archiving_keeps_the_version_and_refuses_one_an_alias_points_at(folder, tmp_path, registry):
    runs = trained(folder, tmp_path, n=2)
    registry.register(runs[0], name="iris")
    registry.register(runs[1], name="iris", aliases=["champion"])
    with pytest.raises(UserError, match="Alias champion points at version 2") as refused:
        registry.archive("iris", 2)
    assert refused.value.status == 409
    assert registry.archive("iris", 1)["state"] == "archived"
    with pytest.raises(UserError, match="archived") as refused:
        registry.set_alias("iris", "champion", 1)
    assert refused.value.status == 409 and "restore" in refused.value.hint
    assert registry.restore("iris", 1)["state"] == "live"
    assert [v["version"] for v in registry.versions("iris")] == [2, 1]


def test_a_run_that_did_not_succeed_is_refused_naming_its_state(folder, tmp_path, registry):
    runs = RunStore(folder / STORE_FILE)
    run_id = bare_run(runs, "train")
    runs.set_step_status(run_id, "train", "failed", error="boom")
    runs.set_run_status(run_id, "failed")
    with pytest.raises(UserError, match=rf"Run {run_id} is failed \(step 'train' failed\)") as refused:
        registry.register(run_id)
    assert refused.value.status == 409
    assert registry.models() == []


def test_a_run_without_a_model_is_refused_naming_what_it_has(folder, tmp_path, registry):
    runs = RunStore(folder / STORE_FILE)
    run_id = bare_run(runs, "prep")
    runs.record_step_outputs(
        run_id, "prep", parameters={}, metrics={}, artifacts=[{"name": "data", "uri": "/d", "metadata": {}}]
    )
    runs.set_step_status(run_id, "prep", "succeeded")
    runs.set_run_status(run_id, "succeeded")
    with pytest.raises(NotFoundError, match="no model artifact; its artifacts: prep/data"):
        registry.register(run_id)
    with pytest.raises(NotFoundError, match="No run 'nosuch'"):
        registry.register("nosuch")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda r, run: r.register(run, name="Iris Model"), "name"),
        (lambda r, run: r.register(run, aliases=["Champion"]), "aliases"),
        (lambda r, run: r.register(run, aliases="champion"), "aliases"),
        (lambda r, run: r.register(run, aliases=["history"]), "aliases"),
        (lambda r, run: r.register(run, description=5), "description"),
        (lambda r, run: r.set_alias("demo-model", "9lives", 1), "alias"),
        (lambda r, run: r.set_alias("demo-model", "champion", 0), "version"),
        (lambda r, run: r.set_alias("demo-model", "champion", "v 1"), "version"),
        (lambda r, run: r.set_alias("demo-model", "champion", 1, reason=3), "reason"),
        (lambda r, run: r.version("demo-model", True), "version"),
    ],
)
def test_bad_values_are_422_naming_the_field(folder, tmp_path, registry, call, field):
    [run_id] = trained(folder, tmp_path)
    registry.register(run_id)
    before = registry.models(), registry.alias_history("demo-model")
    with pytest.raises(FieldError) as refused:
        call(registry, run_id)
    assert refused.value.status == 422 and refused.value.field == field and refused.value.hint
    assert f"'{field}'" in refused.value.message
    assert (registry.models(), registry.alias_history("demo-model")) == before


def test_lookups_that_miss_name_what_exists(folder, tmp_path, registry):
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


def test_the_same_run_model_twice_under_one_model_is_a_conflict(folder, tmp_path, registry):
    [run_id] = trained(folder, tmp_path)
    registry.register(run_id, name="iris")
    with pytest.raises(UserError, match="already has train/model of run .* as version 1") as refused:
        registry.register(run_id, name="iris")
    assert refused.value.status == 409
    assert registry.register(run_id, name="iris-copy")["version"] == 1


def test_auto_register_registers_each_succeeded_runs_model_once(folder, tmp_path):
    workspace = Workspace(folder, settings=Settings(auto_register=True))
    runs = trained(folder, tmp_path, n=2)
    workspace.registry.register(runs[0], name="by-hand")
    registered = workspace.auto_register()
    assert [(v["model"], v["version"], v["run_id"]) for v in registered] == [("demo-model", 1, runs[1])]
    assert workspace.auto_register() == []
    [later] = trained(folder, tmp_path / "later")
    assert [v["run_id"] for v in workspace.auto_register()] == [later]
    assert [v["version"] for v in workspace.registry.versions("demo-model")] == [2, 1]


def test_auto_register_does_nothing_while_the_setting_is_off(folder, tmp_path):
    workspace = Workspace(folder)
    trained(folder, tmp_path)
    assert workspace.auto_register() == []
    assert workspace.registry.models() == []


def test_the_setting_comes_from_the_environment(tmp_path):
    for value, expected in (("1", True), ("TRUE", True), ("yes", True), ("0", False), ("", False)):
        workspace = Workspace.from_environment(tmp_path, environ={"AI4MLOPS_AUTO_REGISTER": value})
        assert workspace.settings.auto_register is expected
