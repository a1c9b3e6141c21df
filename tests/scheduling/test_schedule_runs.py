"""Schedules fire real local runs through the workspace: the run is linked to its schedule, and schedulers built
again on the same store (a restart) across a due time fire it once."""

import pytest

from ai4mlops_lab.workspace import Workspace

from ..notebooks import TWO_STEPS, write_notebook
from ..runs.conftest import wait_for
from .conftest import Clock, epoch


@pytest.fixture
def root(tmp_path):
    write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    return tmp_path


def workspace(root, clock) -> Workspace:
    return Workspace(root / ".ai4mlops", root=root, clock=clock)


def test_a_restart_across_a_due_time_fires_one_real_run_linked_to_its_schedule(root):
    clock = Clock(epoch("2026-01-01T02:00:00+00:00"))
    before = workspace(root, clock)
    before.schedules.create(
        name="nightly", notebook_path="demo.ipynb", expression="0 3 * * *", parameters={"scale": "3"}, experiment="e"
    )
    assert before.scheduler.tick() == []
    before.scheduler.close()

    clock.set("2026-01-01T03:00:30+00:00")  # the server was down at 03:00
    after, again = workspace(root, clock), workspace(root, clock)
    [fired] = after.scheduler.tick()
    assert (fired.outcome, fired.due) == ("started", epoch("2026-01-01T03:00:00+00:00"))
    assert after.scheduler.tick() == [] and again.scheduler.tick() == []

    run = wait_for(after.run_service, fired.run_id)
    assert run["status"] == "succeeded", run["error"]
    assert (run["schedule"], run["experiment"], run["parameters"]) == ("nightly", "e", {"scale": 3})
    assert run["metrics"] == {"total": 30.0}
    assert [r["id"] for r in after.run_service.runs(schedule="nightly")["runs"]] == [run["id"]]
    assert after.run_service.runs(schedule="other") == {"runs": [], "next_cursor": None}
    assert [(f["outcome"], f["run_id"]) for f in after.schedules.fires("nightly")] == [("started", run["id"])]


def test_a_notebook_gone_or_leading_out_of_the_root_fails_its_fire_with_the_reason(root):
    clock = Clock(epoch("2026-01-01T02:59:00+00:00"))
    space = workspace(root, clock)
    for name in ("gone", "out"):
        space.schedules.create(name=name, notebook_path="demo.ipynb", expression="0 3 * * *")
    (root / "out.ipynb").symlink_to(root.parent / "x.ipynb")
    space.schedules.store.update("out", {"notebook_path": "out.ipynb"})  # the service refuses it: a link out
    (root / "demo.ipynb").unlink()
    clock.set("2026-01-01T03:00:00+00:00")
    fired = {f.schedule: f for f in space.scheduler.tick()}
    assert (fired["gone"].outcome, fired["gone"].reason) == ("failed", "There is no file 'demo.ipynb'.")
    assert fired["out"].outcome == "failed" and "outside" in fired["out"].reason
    assert space.run_service.runs()["runs"] == []
