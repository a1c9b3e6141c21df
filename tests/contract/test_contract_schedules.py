"""Contract tests of schedules on Kubeflow Pipelines: each is a KFP recurring run (API v2beta1) of the pipeline
version uploaded from its pinned compile, created, switched, replaced and deleted through the schedule service, the
REST API and the CLI, against the strict fake KFP API (official swagger)."""

import json

import pytest

from ai4mlops_lab.cli.main import main
from ai4mlops_lab.errors import FieldError, NotFoundError, UserError
from ai4mlops_lab.runs.kfp_errors import KfpUnreachableError
from ai4mlops_lab.workspace import Settings, Workspace

from ..notebooks import write_notebook
from ..scheduling.conftest import Clock, epoch
from ..server.conftest import jp_fetch  # noqa: F401 (every REST reply checked against the OpenAPI document)
from ..server.test_runs_api import api, failure
from .test_contract_runs import NOTEBOOK

#: NOTEBOOK with another sum: what a re-pin compiles.
EDITED = (*NOTEBOOK[:3], ("y = x * scale + 1\ntotal = int(y.sum())", ["step:double_it"]), NOTEBOOK[4])
NIGHTLY = {"name": "nightly", "notebook_path": "demo.ipynb", "target": "kfp", "expression": "0 3 * * *"}


@pytest.fixture
def space(fake, tmp_path):
    write_notebook(tmp_path, "demo.ipynb", NOTEBOOK)
    clock = Clock(epoch("2026-01-01T00:00:00+00:00"))
    return Workspace(tmp_path / ".ai4mlops", root=tmp_path, settings=Settings(kfp_host=fake.url), clock=clock)


def recurring(fake) -> dict:
    """The one recurring run on the fake."""
    [only] = fake.state.recurring_runs.values()
    return only


def test_contract_a_kfp_schedule_is_a_recurring_run_of_the_uploaded_pinned_pipeline(fake, space):
    schedule = space.schedules.create(
        **NIGHTLY, parameters={"scale": "3"}, experiment="nightly", max_concurrent=2, end_at="2027-01-01T00:00Z"
    )
    [created] = fake.find("RecurringRunService_CreateRecurringRun")
    body = created.body
    assert body["trigger"] == {
        "cron_schedule": {
            "cron": "0 0 3 * * *",
            "start_time": "2026-01-01T00:00:00Z",
            "end_time": "2027-01-01T00:00:00Z",
        }
    }
    assert (body["max_concurrency"], body["no_catchup"], body["mode"]) == ("2", True, "ENABLE")
    assert body["runtime_config"]["parameters"] == {"scale": 3}  # typed as the pipeline declares it
    assert body["pipeline_version_reference"] == {
        "pipeline_id": schedule["kfp_pipeline_id"],
        "pipeline_version_id": schedule["kfp_version_id"],
    }
    assert fake.state.experiments[body["experiment_id"]]["display_name"] == "nightly"
    assert schedule["kfp_recurring_run_id"] == recurring(fake)["recurring_run_id"]
    assert len(schedule["pin"]) == 64 and fake.find("UploadPipeline")  # compiled once, kept and uploaded

    assert schedule["next_due"] is None  # the local scheduler never fires it
    assert space.schedules.detail("nightly")["next_times"][0] == "2026-01-01T03:00:00+00:00"
    space.clock.set("2026-01-02T00:00:00+00:00")
    assert space.scheduler.tick() == []


def test_contract_enable_disable_update_and_delete_map_to_the_recurring_run(fake, space):
    first = space.schedules.create(**NIGHTLY)
    space.schedules.enable("nightly", False)
    assert recurring(fake)["status"] == "DISABLED"
    space.schedules.enable("nightly")
    assert recurring(fake)["status"] == "ENABLED"
    assert [r.path.rsplit(":", 1)[-1] for r in fake.requests if ":" in r.path.rsplit("/", 1)[-1]] == [
        "disable",
        "enable",
    ]

    uploads = len(fake.find("UploadPipeline")) + len(fake.find("UploadPipelineVersion"))
    changed = space.schedules.update("nightly", trigger="interval", expression="15m", parameters={"scale": 5})
    assert changed["kfp_recurring_run_id"] != first["kfp_recurring_run_id"]  # a recurring run cannot change
    assert changed["kfp_version_id"] == first["kfp_version_id"]  # same pinned pipeline: not uploaded again
    assert len(fake.find("UploadPipeline")) + len(fake.find("UploadPipelineVersion")) == uploads
    now = recurring(fake)  # the old one was deleted
    assert now["trigger"] == {"periodic_schedule": {"interval_second": "900", "start_time": "2026-01-01T00:00:00Z"}}
    assert now["runtime_config"]["parameters"] == {"scale": 5}

    write_notebook(space.root, "demo.ipynb", EDITED)
    repinned = space.schedules.pin("nightly")
    assert repinned["pin"] != first["pin"] and repinned["kfp_version_id"] != first["kfp_version_id"]
    assert len(fake.find("UploadPipelineVersion")) == 1
    assert recurring(fake)["pipeline_version_reference"]["pipeline_version_id"] == repinned["kfp_version_id"]
    assert [p.name for p in (space.folder / "pinned").iterdir()] == [repinned["pin"]]

    space.schedules.delete("nightly")
    assert fake.state.recurring_runs == {} and space.schedules.list() == []
    assert list((space.folder / "pinned").iterdir()) == []


def test_contract_fires_are_the_runs_of_the_recurring_run(fake, space):
    schedule = space.schedules.create(**NIGHTLY)
    assert space.schedules.fires("nightly") == []
    fake.fire_recurring_run(schedule["kfp_recurring_run_id"], "SUCCEEDED")
    latest = fake.fire_recurring_run(schedule["kfp_recurring_run_id"], "RUNNING")
    fake.script_next_run([{"state": "RUNNING"}])
    space.run_service.start(space.root / "demo.ipynb", target="kfp")  # not the schedule's
    fires = space.schedules.fires("nightly")
    assert [(f["outcome"], f["kfp_run"]["status"]) for f in fires] == [("started", "running"), ("started", "succeeded")]
    assert fires[0]["kfp_run"]["run_id"] == latest["run_id"] and fires[0]["schedule_id"] == schedule["id"]
    listed = fake.find("RunService_ListRuns")[-1]
    assert json.loads(listed.query["filter"])["predicates"][0] == {
        "operation": "EQUALS",
        "key": "recurring_run_id",
        "stringValue": schedule["kfp_recurring_run_id"],
    }


@pytest.mark.parametrize(
    ("cron", "kfp"),
    [
        ("0 3 * * *", "0 0 3 * * *"),
        ("*/20 6-8 * * mon-fri", "0 0,20,40 6-8 * * 1-5"),
        ("@weekly", "0 0 0 * * 0"),
        ("0 0 1 jan,jul 7", "0 0 0 1 1,7 0"),
        ("30 15 4 * * *", "30 15 4 * * *"),
    ],
)
def test_contract_cron_is_sent_in_kfps_six_fields(fake, space, cron, kfp):
    space.schedules.create(**{**NIGHTLY, "expression": cron})
    assert recurring(fake)["trigger"]["cron_schedule"]["cron"] == kfp


def test_contract_refusals_name_the_field_and_leave_nothing_behind(fake, space):
    for fields, field in [
        ({"time_zone": "Europe/Madrid"}, "time_zone"),
        ({"max_concurrent": 11}, "max_concurrent"),
        ({"pin": False}, "pin"),
        ({"parameters": {"scale": "many"}}, "parameters"),
        ({"parameters": {"speed": 1}}, "parameters"),
    ]:
        with pytest.raises(FieldError) as err:
            space.schedules.create(**{**NIGHTLY, **fields})
        assert err.value.field == field and err.value.hint
    assert fake.find("RecurringRunService_CreateRecurringRun") == []
    assert space.schedules.list() == [] and not any((space.folder / "pinned").iterdir())

    space.schedules.create(**NIGHTLY)
    with pytest.raises(UserError) as err:
        space.schedules.create(**NIGHTLY)
    assert err.value.status == 409 and len(fake.state.recurring_runs) == 1  # the second one was deleted again
    with pytest.raises(FieldError) as err:
        space.schedules.update("nightly", target="local")
    assert err.value.field == "target"
    # deleted on the KFP server behind our back: switching says so; deleting the schedule still works
    fake.state.recurring_runs.clear()
    with pytest.raises(NotFoundError) as err:
        space.schedules.enable("nightly", False)
    assert "disable recurring run" in err.value.message and space.schedules.get("nightly")["enabled"]
    space.schedules.delete("nightly")
    assert space.schedules.list() == []


def test_contract_an_unreachable_kfp_server_is_a_clear_error(fake, tmp_path):
    write_notebook(tmp_path, "demo.ipynb", NOTEBOOK)
    space = Workspace(tmp_path / ".ai4mlops", root=tmp_path, settings=Settings(kfp_host=fake.url))
    fake.stop()
    with pytest.raises(KfpUnreachableError) as err:
        space.schedules.create(**NIGHTLY)
    assert "unreachable" in err.value.message and err.value.hint
    assert space.schedules.list() == [] and not any((space.folder / "pinned").iterdir())


def test_contract_a_change_the_kfp_server_cannot_take_changes_nothing(fake, space):
    before = space.schedules.create(**NIGHTLY)
    write_notebook(space.root, "demo.ipynb", EDITED)
    fake.stop()
    with pytest.raises(KfpUnreachableError):
        space.schedules.pin("nightly")
    assert space.schedules.get("nightly") == before
    assert [p.name for p in (space.folder / "pinned").iterdir()] == [before["pin"]]  # the new compile is dropped


class TestRestApi:
    @pytest.fixture
    def jp_server_config(self, fake):
        return {"ServerApp": {"jpserver_extensions": {"ai4mlops_lab": True}}, "Ai4MlopsApp": {"kfp_host": fake.url}}

    async def test_contract_kfp_schedules_through_the_rest_api(self, fake, jp_fetch, jp_root_dir):  # noqa: F811
        write_notebook(jp_root_dir, "demo.ipynb", NOTEBOOK)
        response, created = await api(
            jp_fetch, "schedules", method="POST", body={**NIGHTLY, "parameters": {"scale": 2}}
        )
        assert response.code == 201 and created["target"] == "kfp" and created["pin"]
        assert created["kfp_recurring_run_id"] == recurring(fake)["recurring_run_id"]
        assert created["next_due"] is None and len(created["next_times"]) == 5

        _, disabled = await api(jp_fetch, "schedules", "nightly", "disable", method="POST", body={})
        assert disabled["enabled"] is False and recurring(fake)["status"] == "DISABLED"
        _, changed = await api(jp_fetch, "schedules", "nightly", method="PATCH", body={"expression": "0 4 * * *"})
        assert recurring(fake)["trigger"]["cron_schedule"]["cron"] == "0 0 4 * * *"
        assert (
            recurring(fake)["mode"] == "DISABLE" and changed["kfp_recurring_run_id"] != created["kfp_recurring_run_id"]
        )

        fake.fire_recurring_run(changed["kfp_recurring_run_id"])
        _, fires = await api(jp_fetch, "schedules", "nightly", "fires")
        assert [f["kfp_run"]["status"] for f in fires["fires"]] == ["succeeded"]

        code, error = await failure(
            jp_fetch, "schedules", method="POST", body={**NIGHTLY, "name": "madrid", "time_zone": "Europe/Madrid"}
        )
        assert (code, error["field"]) == (422, "time_zone") and "UTC" in error["hint"]

        _, removed = await api(jp_fetch, "schedules", "nightly", method="DELETE")
        assert removed["removed"] and fake.state.recurring_runs == {}

        fake.stop()
        code, error = await failure(jp_fetch, "schedules", method="POST", body=NIGHTLY)
        assert (code, error["error"]) == (502, "kfp_unreachable")


def test_contract_kfp_schedules_through_the_cli(fake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KF_PIPELINES_ENDPOINT", fake.url)
    monkeypatch.chdir(tmp_path)
    write_notebook(tmp_path, "demo.ipynb", NOTEBOOK)
    workspace = ["--workspace", str(tmp_path / ".ai4mlops")]

    def cli(*args) -> str:
        assert main([*args, *workspace]) == 0, capsys.readouterr().err
        return capsys.readouterr().out

    created = json.loads(
        cli("schedule", "create", "nightly", "demo.ipynb", "--target", "kfp", "--cron", "0 3 * * *", "--json")
    )
    assert created["kfp_recurring_run_id"] == recurring(fake)["recurring_run_id"]
    assert recurring(fake)["trigger"]["cron_schedule"]["cron"] == "0 0 3 * * *"
    assert "cron '0 3 * * *' UTC  demo.ipynb  on       (on KFP)" in cli("schedule", "list")
    shown = cli("schedule", "show", "nightly")
    assert "target:         kfp (recurring run " in shown and f"pinned:         {created['pin'][:12]}" in shown
    cli("schedule", "disable", "nightly")
    assert recurring(fake)["status"] == "DISABLED"
    cli("schedule", "enable", "nightly")
    assert recurring(fake)["status"] == "ENABLED"
    fake.fire_recurring_run(created["kfp_recurring_run_id"])
    assert "started  succeeded" in cli("schedule", "show", "nightly")
    assert cli("schedule", "delete", "nightly") == "Schedule nightly deleted.\n"
    assert fake.state.recurring_runs == {}

    tokyo = ["schedule", "create", "x", "demo.ipynb", "--target", "kfp", "--cron", "0 3 * * *", "--tz", "Asia/Tokyo"]
    assert main([*tokyo, *workspace]) == 2
    err = capsys.readouterr().err
    assert "Kubeflow Pipelines has no time zone" in err and "hint: " in err
