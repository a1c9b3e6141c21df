"""Pinned schedules: the notebook is compiled once, when pinned, and each due time runs that kept pipeline with the
schedule's parameters; editing (or deleting) the notebook afterwards changes nothing until the schedule is re-pinned."""

import pytest

from ai4mlops_lab.errors import FieldError, UserError
from ai4mlops_lab.workspace import Workspace

from ..notebooks import TWO_STEPS, write_notebook
from ..runs.conftest import wait_for
from .conftest import Clock, epoch

#: TWO_STEPS with another sum: x * scale + 1 for each x, so total is 5 more.
EDITED = (*TWO_STEPS[:3], ("y = x * scale + 1\ntotal = int(y.sum())", ["step:double"]), TWO_STEPS[4])


@pytest.fixture
def space(tmp_path):
    write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    return Workspace(tmp_path / ".ai4mlops", root=tmp_path, clock=Clock(epoch("2026-01-01T02:59:00+00:00")))


def fire(space, at: str) -> dict:
    """Tick at `at`: the one run started, once it ended."""
    space.clock.set(at)
    [fired] = space.scheduler.tick()
    assert fired.outcome == "started", fired.reason
    run = wait_for(space.run_service, fired.run_id)
    assert run["status"] == "succeeded", run["error"]
    return run


def kept(space) -> list[str]:
    folder = space.folder / "pinned"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_pinned_schedule_runs_the_kept_pipeline_until_it_is_pinned_again(space, tmp_path):
    created = space.schedules.create(
        name="nightly", notebook_path="demo.ipynb", expression="0 * * * *", pin=True, parameters={"scale": "3"}
    )
    pin = created["pin"]
    assert len(pin) == 64 and kept(space) == [pin]
    assert space.schedules.detail("nightly")["pin"] == pin

    write_notebook(tmp_path, "demo.ipynb", EDITED)  # after pinning: not what runs
    run = fire(space, "2026-01-01T03:00:00+00:00")
    assert (run["metrics"], run["parameters"], run["schedule"]) == ({"total": 30.0}, {"scale": 3}, "nightly")

    repinned = space.schedules.pin("nightly")
    assert repinned["pin"] != pin and kept(space) == [repinned["pin"]]  # the old one, unused, is gone
    assert fire(space, "2026-01-01T04:00:00+00:00")["metrics"] == {"total": 35.0}

    (tmp_path / "demo.ipynb").unlink()  # the kept pipeline needs no notebook
    assert fire(space, "2026-01-01T05:00:00+00:00")["metrics"] == {"total": 35.0}

    space.schedules.delete("nightly")
    assert kept(space) == []


def test_an_unpinned_schedule_compiles_at_each_run_and_pin_false_unpins(space, tmp_path):
    space.schedules.create(name="nightly", notebook_path="demo.ipynb", expression="0 * * * *", pin=True)
    assert space.schedules.update("nightly", pin=False)["pin"] is None and kept(space) == []
    write_notebook(tmp_path, "demo.ipynb", EDITED)
    assert fire(space, "2026-01-01T03:00:00+00:00")["metrics"] == {"total": 25.0}


def test_the_same_compile_is_kept_once_and_kept_while_a_schedule_runs_it(space):
    first = space.schedules.create(name="a", notebook_path="demo.ipynb", expression="0 3 * * *", pin=True)["pin"]
    second = space.schedules.create(name="b", notebook_path="demo.ipynb", expression="0 4 * * *", pin=True)["pin"]
    assert first == second and kept(space) == [first]
    space.schedules.delete("a")
    assert kept(space) == [first]
    space.schedules.delete("b")
    assert kept(space) == []


def test_pinning_a_notebook_that_does_not_compile_keeps_nothing(space, tmp_path):
    write_notebook(tmp_path, "broken.ipynb", (("y = x + 1", ["step:broken"]),))
    with pytest.raises(UserError) as err:
        space.schedules.create(name="broken", notebook_path="broken.ipynb", expression="0 3 * * *", pin=True)
    assert "'x'" in err.value.message
    assert space.schedules.list() == [] and kept(space) == []
    assert list((space.folder / "runs").glob(".staging-*")) == []


def test_a_pin_that_names_no_kept_pipeline_fails_its_fire_and_never_leaves_the_workspace(space):
    space.schedules.create(name="nightly", notebook_path="demo.ipynb", expression="0 3 * * *", pin=True)
    space.schedules.store.update("nightly", {"pin": "../../demo.ipynb"})  # the service never writes such a pin
    space.clock.set("2026-01-01T03:00:00+00:00")
    [fired] = space.scheduler.tick()
    assert fired.outcome == "failed" and "is not in the workspace" in fired.reason
    with pytest.raises(FieldError) as err:
        space.schedules.update("nightly", pin="abc")
    assert err.value.field == "pin"
