"""Cron expressions: the fields, the day rule, 6 fields with seconds, and fire times across daylight-saving changes."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ai4mlops_lab.errors import FieldError
from ai4mlops_lab.scheduling import cron

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")


def fires(expression, after, zone=UTC, count=5):
    """The next `count` fire times as (wall-clock text in the zone, UTC offset hours)."""
    parsed, found, t = cron.parse(expression), [], after
    for _ in range(count):
        t = parsed.next_after(t, zone)
        found.append((t.strftime("%Y-%m-%d %H:%M:%S"), t.utcoffset().total_seconds() / 3600))
    return found


def walls(expression, after, zone=UTC, count=5):
    return [wall for wall, _ in fires(expression, after, zone, count)]


def test_fields_ranges_steps_lists_and_names():
    parsed = cron.parse("0-10/5,30 */6 1,15 jan-mar,DEC mon-fri")
    assert parsed.seconds == (0,)
    assert parsed.minutes == (0, 5, 10, 30)
    assert parsed.hours == (0, 6, 12, 18)
    assert parsed.days == (1, 15)
    assert parsed.months == (1, 2, 3, 12)
    assert parsed.weekdays == (1, 2, 3, 4, 5)


def test_a_start_with_a_step_runs_to_the_end_and_sunday_is_0_or_7():
    assert cron.parse("50/5 * * * *").minutes == (50, 55)
    assert cron.parse("* * * * 5-7").weekdays == (0, 5, 6)
    assert cron.parse("* * * * sun").weekdays == cron.parse("* * * * 7").weekdays == (0,)


def test_six_fields_put_the_seconds_first():
    after = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)
    assert walls("*/20 * * * * *", after, count=4) == [
        "2026-01-01 10:00:20",
        "2026-01-01 10:00:40",
        "2026-01-01 10:01:00",
        "2026-01-01 10:01:20",
    ]
    assert walls("0 30 2 * * ?", after, count=1) == ["2026-01-02 02:30:00"]


def test_macros():
    assert cron.parse("@daily").minutes == cron.parse("0 0 * * *").minutes
    assert walls("@weekly", datetime(2026, 1, 1, tzinfo=UTC), count=2) == ["2026-01-04 00:00:00", "2026-01-11 00:00:00"]


def test_days_of_month_and_week_match_either_when_both_are_restricted():
    # January 2026: Thursday the 1st; Fridays are 2, 9, 16, ...
    after = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert walls("0 0 13 * fri", after, count=4) == [
        "2026-01-02 00:00:00",
        "2026-01-09 00:00:00",
        "2026-01-13 00:00:00",
        "2026-01-16 00:00:00",
    ]
    # Only one restricted: both must match (an unrestricted field matches every day).
    assert walls("0 0 * * fri", after, count=2) == ["2026-01-02 00:00:00", "2026-01-09 00:00:00"]
    assert walls("0 0 13 * *", after, count=2) == ["2026-01-13 00:00:00", "2026-02-13 00:00:00"]
    # As in KFP's cron, a step counts as a restriction: odd days OR Mondays.
    assert walls("0 0 */2 * mon", datetime(2026, 1, 3, 12, tzinfo=UTC), count=3) == [
        "2026-01-05 00:00:00",
        "2026-01-07 00:00:00",
        "2026-01-09 00:00:00",
    ]


def test_29_february_fires_in_leap_years_only():
    assert walls("0 0 29 2 *", datetime(2026, 1, 1, tzinfo=UTC), count=2) == [
        "2028-02-29 00:00:00",
        "2032-02-29 00:00:00",
    ]


def test_end_of_month_year_and_strictly_after():
    after = datetime(2026, 12, 31, 23, 59, 0, tzinfo=UTC)
    assert walls("59 23 31 12 *", after, count=1) == ["2027-12-31 23:59:00"]
    assert walls("* * * * *", after.replace(microsecond=500), count=1) == ["2027-01-01 00:00:00"]


def test_times_are_wall_clock_in_the_zone():
    after = datetime(2026, 6, 1, tzinfo=UTC)
    assert fires("0 9 * * *", after, MADRID, count=1) == [("2026-06-01 09:00:00", 2.0)]
    assert fires("0 9 * * *", after, NEW_YORK, count=1) == [("2026-06-01 09:00:00", -4.0)]


@pytest.mark.parametrize(
    ("zone", "day", "skipped_hour"),
    [(MADRID, "2026-03-29", 2), (NEW_YORK, "2026-03-08", 2)],
)
def test_spring_forward_a_skipped_time_fires_once_at_the_end_of_the_gap(zone, day, skipped_hour):
    after = datetime.fromisoformat(f"{day}T00:00:00").replace(tzinfo=zone)
    # A daily job in the skipped hour runs at the first instant after the gap, then at its time again.
    daily = fires(f"30 {skipped_hour} * * *", after, zone, count=2)
    assert [wall for wall, _ in daily] == [f"{day} 03:00:00", daily[1][0]]
    assert daily[1][0].endswith(" 02:30:00")
    # Every 15 minutes: the four skipped times collapse into one fire at 03:00, which is also a time of its own.
    quarter = walls("*/15 * * * *", after.replace(hour=1, minute=40), zone, count=4)
    assert quarter == [f"{day} 01:45:00", f"{day} 03:00:00", f"{day} 03:15:00", f"{day} 03:30:00"]
    # An hourly job misses nothing: 01:00, then 03:00 (for the skipped 02:00 and 03:00 itself, once).
    hourly = walls("0 * * * *", after.replace(hour=0, minute=30), zone, count=3)
    assert hourly == [f"{day} 01:00:00", f"{day} 03:00:00", f"{day} 04:00:00"]


@pytest.mark.parametrize(
    ("zone", "day", "repeated_hour", "offsets"),
    [(MADRID, "2026-10-25", 2, (2.0, 1.0)), (NEW_YORK, "2026-11-01", 1, (-4.0, -5.0))],
)
def test_fall_back_a_repeated_time_fires_once_at_its_first_occurrence(zone, day, repeated_hour, offsets):
    after = datetime.fromisoformat(f"{day}T00:00:00").replace(tzinfo=zone)
    summer, winter = offsets
    daily = fires(f"30 {repeated_hour} * * *", after, zone, count=2)
    assert daily[0] == (f"{day} {repeated_hour:02d}:30:00", summer)
    assert daily[1][0] != f"{day} {repeated_hour:02d}:30:00"  # not again an hour later
    hourly = fires("0 * * * *", after.replace(hour=repeated_hour - 1, minute=30), zone, count=3)
    assert hourly == [
        (f"{day} {repeated_hour:02d}:00:00", summer),
        (f"{day} {repeated_hour + 1:02d}:00:00", winter),
        (f"{day} {repeated_hour + 2:02d}:00:00", winter),
    ]


def test_from_inside_the_repeated_hour_the_next_fire_is_after_it():
    # 01:10 EST is the second pass of 01:xx; 01:30 happened already (EDT), so the next is 02:00 EST.
    second_pass = datetime(2026, 11, 1, 1, 10, tzinfo=NEW_YORK, fold=1)
    assert fires("0,30 1,2 * * *", second_pass, NEW_YORK, count=2) == [
        ("2026-11-01 02:00:00", -5.0),
        ("2026-11-01 02:30:00", -5.0),
    ]


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        cron.parse("* * * * *").next_after(datetime(2026, 1, 1), UTC)


@pytest.mark.parametrize(
    ("expression", "message", "hint"),
    [
        ("", "The cron expression is empty.", "Write 5 fields"),
        ("* * *", "has 3 fields; it needs 5 or 6", "6 fields with the seconds first"),
        ("61 * * * *", "the 1st field (minute) '61' is wrong: 61 is outside 0-59", "a number 0-59"),
        ("0 61 * * * *", "the 2nd field (minute) '61' is wrong", "Write the minute"),
        ("70 * * * * *", "the 1st field (second) '70' is wrong", "Write the second"),
        ("* 24 * * *", "the 2nd field (hour) '24'", "a number 0-23"),
        ("* * 0 * *", "the 3rd field (day of month) '0'", "a number 1-31"),
        ("* * * 13 *", "the 4th field (month) '13'", "names (jan, feb"),
        ("* * * * funday", "the 5th field (day of week) 'funday' is wrong: 'funday' is not a number or a name", "sun"),
        ("5-1 * * * *", "the range '5-1' goes backwards", "a range like 0-2"),
        ("*/0 * * * *", "the step '0' is not a whole number of at least 1", "a step like */2"),
        ("\u00b9 * * * *", "'\u00b9' is not a number", "a number 0-59"),
        ("\u0661 * * * *", "'\u0661' is not a number", "a number 0-59"),
        ("9" * 5000 + " * * * *", "is outside 0-59", "a number 0-59"),
        ("? * * * *", "'?' is only for the day-of-month and day-of-week fields", "Write the minute"),
        ("0 0 30 2 *", "never fires: no chosen month has day 30", "smaller day of month"),
        ("@every 5m", "Unknown cron macro", "interval trigger"),
    ],
)
def test_errors_name_the_field_and_say_what_to_write(expression, message, hint):
    with pytest.raises(cron.CronError) as err:
        cron.parse(expression)
    assert isinstance(err.value, FieldError)
    assert err.value.field == "expression" and err.value.status == 422
    assert message in err.value.message
    assert hint in err.value.hint
    assert err.value.to_json()["field"] == "expression"


@pytest.mark.parametrize(
    ("expression", "kfp"),
    [
        ("0 3 * * *", "0 0 3 * * *"),
        ("15 10 * * 7", "0 15 10 * * 0"),  # KFP's weekdays are 0-6
        ("0 0 1 * 0-7", "0 0 0 1 * 0-6"),  # restricted though every day: the day rule stays OR
        ("*/30 9-17 ? * mon-fri", "0 0,30 9-17 * * 1-5"),
        ("@monthly", "0 0 0 1 * *"),
        ("0 0 12 1 feb,aug *", "0 0 12 1 2,8 *"),
        ("*/10 * * * * *", "0,10,20,30,40,50 * * * * *"),
    ],
)
def test_the_kfp_form_has_six_numeric_fields_and_fires_at_the_same_times(expression, kfp):
    assert cron.kfp_form(expression) == kfp
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert fires(kfp, start, count=40) == fires(expression, start, count=40)
