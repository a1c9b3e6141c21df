"""Creating and changing schedules: defaults, and a FieldError naming the field for each mistake."""

import pytest

from ai4mlops_lab.errors import FieldError, NotFoundError

from .conftest import epoch


def test_defaults_of_a_new_schedule(create, clock):
    record = create(expression="0 3 * * *")
    assert {k: record[k] for k in ("pin", "parameters", "target", "experiment", "trigger", "time_zone")} == {
        "pin": None,
        "parameters": {},
        "target": "local",
        "experiment": None,
        "trigger": "cron",
        "time_zone": "UTC",
    }
    assert (record["max_concurrent"], record["catch_up"], record["enabled"]) == (1, False, True)
    assert (record["start_at"], record["end_at"]) == (clock.now, None)


def test_a_time_without_offset_is_read_in_the_schedules_zone(create):
    record = create(expression="0 3 * * *", time_zone="America/New_York", start_at="2026-02-01T00:00")
    assert record["start_at"] == epoch("2026-02-01T00:00:00-05:00")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": None}, "name", "A schedule needs a name."),
        ({"name": "no spaces please"}, "name", "Invalid schedule name"),
        ({"notebook_path": "/etc/x.ipynb"}, "notebook_path", "Invalid notebook path"),
        ({"notebook_path": "../x.ipynb"}, "notebook_path", "Invalid notebook path"),
        ({"notebook_path": "script.py"}, "notebook_path", "Invalid notebook path"),
        ({"expression": ""}, "expression", "A schedule needs an expression (cron or interval)."),
        ({"expression": "0 25 * * *"}, "expression", "the 2nd field (hour) '25' is wrong"),
        ({"trigger": "interval", "expression": "soon"}, "expression", "The interval 'soon' is not a duration."),
        ({"trigger": "weekly"}, "trigger", "Unknown trigger 'weekly'."),
        ({"target": "cloud"}, "target", "Unknown target 'cloud'."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone 'Mars/Olympus'."),
        ({"start_at": "tomorrow"}, "start_at", "The start_at 'tomorrow' is not a time."),
        ({"start_at": "2026-02-02T00:00Z", "end_at": "2026-02-01T00:00Z"}, "end_at", "ends before it starts"),
        ({"max_concurrent": 0}, "max_concurrent", "from 1 to 100"),
        ({"max_concurrent": "2"}, "max_concurrent", "from 1 to 100"),
        ({"catch_up": "yes"}, "catch_up", "catch_up must be true or false"),
        ({"parameters": [1, 2]}, "parameters", "an object of names to values"),
        ({"pin": ""}, "pin", "pin must be true or false, not ''."),
        ({"pin": "v1"}, "pin", "pin must be true or false, not 'v1'."),
        ({"target": "kfp", "pin": False}, "pin", "cannot compile its notebook at each run"),
        ({"target": "kfp", "time_zone": "Europe/Madrid"}, "time_zone", "fires them in UTC, not Europe/Madrid"),
        ({"target": "kfp", "max_concurrent": 11}, "max_concurrent", "at most 10 runs of a schedule at once"),
        ({"name": "preview"}, "name", "is reserved"),
        ({"start_at": 1e300}, "start_at", "not between 1970 and 9000"),
        ({"end_at": "0001-01-01T00:00"}, "end_at", "not between 1970 and 9000"),
        ({"color": "red"}, "color", "A schedule has no field 'color'."),
    ],
)
def test_mistakes_name_their_field(create, fields, field, message):
    with pytest.raises(FieldError) as err:
        create(**{"expression": "0 3 * * *", **fields})
    assert err.value.field == field
    assert message in err.value.message
    assert err.value.status == 422


def test_an_update_is_checked_with_the_current_fields(scheduler, create):
    create(trigger="interval", expression=300)
    assert scheduler.schedules.get("nightly")["expression"] == "300s"
    with pytest.raises(FieldError) as err:
        scheduler.schedules.update("nightly", trigger="cron")  # "300s" is no cron expression
    assert err.value.field == "expression"
    for field, value in (("name", "other"), ("target", "kfp")):
        with pytest.raises(FieldError) as err:
            scheduler.schedules.update("nightly", **{field: value})
        assert err.value.field == field
    with pytest.raises(NotFoundError):
        scheduler.schedules.update("missing", enabled=False)


def test_delete(scheduler, create):
    create(expression="0 3 * * *")
    scheduler.schedules.delete("nightly")
    assert scheduler.schedules.list() == []
