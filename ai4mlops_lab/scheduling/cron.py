"""Cron expressions: parsing (5 fields, or KFP's 6 with seconds first) and their fire times in a time zone.

Fields: `minute hour day-of-month month day-of-week`, or `second minute hour day-of-month month day-of-week`.
Each is `*` (or `?` in the day fields), a number, a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (from a to the
end), or a comma list of those; months and weekdays also take names (`jan`, `mon`; Sunday is 0 or 7). The macros
`@yearly`, `@monthly`, `@weekly`, `@daily` and `@hourly` stand for their usual expressions.

When both day-of-month and day-of-week are restricted, a day matches either (the classic OR rule); a field is
unrestricted when one of its items is a bare `*` or `?` (as in KFP's cron, `*/2` counts as a restriction).

Daylight-saving changes, evaluated in wall-clock time of the zone:
- a wall time skipped in spring fires once, at the first instant after the gap (the transition itself); several
  skipped times of one gap (every 15 minutes) collapse into that one fire;
- a wall time repeated in autumn fires once, at its first occurrence; the repeated hour's second pass fires
  nothing.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from ..errors import FieldError

#: How far ahead a fire time is searched for (29 February may be 8 years away).
SEARCH_YEARS = 9

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_ORDINALS = ("1st", "2nd", "3rd", "4th", "5th", "6th")


class CronError(FieldError):
    """A cron expression that cannot be used; `field` is the request field holding it."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] = field(default_factory=dict)

    def hint(self) -> str:
        words = f", or names ({', '.join(self.names)})" if self.names else ""
        return (
            f"Write the {self.name} as * (every), a number {self.low}-{self.high}, a range like {self.low}-"
            f"{self.low + 2}, a step like */2 or {self.low}-{self.high}/2, or a list like {self.low},{self.low + 2}"
            f"{words}."
        )


SECOND = _Field("second", 0, 59)
MINUTE = _Field("minute", 0, 59)
HOUR = _Field("hour", 0, 23)
DAY = _Field("day of month", 1, 31)
MONTH = _Field("month", 1, 12, _MONTHS)
WEEKDAY = _Field("day of week", 0, 7, _WEEKDAYS)


@dataclass(frozen=True)
class CronExpression:
    """A parsed cron expression: the sorted values of each field (weekday 0 = Sunday)."""

    text: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]
    days_restricted: bool
    weekdays_restricted: bool

    def matches_day(self, day: datetime) -> bool:
        """Whether the expression fires on `day`'s date (the day-of-month / day-of-week rule)."""
        in_days = day.day in self.days
        in_weekdays = (day.weekday() + 1) % 7 in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def next_after(self, after: datetime, zone: tzinfo) -> datetime | None:
        """The first fire time strictly after the aware `after`, as an aware time in `zone` (None if none within
        `SEARCH_YEARS`)."""
        if after.tzinfo is None:
            raise ValueError("after must be an aware datetime")
        start = after.astimezone(zone).replace(tzinfo=None, microsecond=0) + timedelta(seconds=1)
        while (wall := self._next_wall(start)) is not None:
            instant = _instant(wall, zone)
            if instant.timestamp() > after.timestamp():  # not `>`: within one zone it ignores `fold`
                return instant
            start = wall + timedelta(seconds=1)  # the second pass of a repeated hour, or a gap already fired
        return None

    def _next_wall(self, wall: datetime) -> datetime | None:
        """The first naive wall-clock time at or after `wall` (whole seconds) that matches."""
        last_year = wall.year + SEARCH_YEARS
        while wall.year <= last_year:
            day = datetime(wall.year, wall.month, wall.day)
            if wall.month not in self.months:
                month = _at_least(self.months, wall.month)
                wall = datetime(wall.year, month, 1) if month else datetime(wall.year + 1, self.months[0], 1)
            elif not self.matches_day(wall):
                wall = day + timedelta(days=1)
            elif wall.hour not in self.hours:
                hour = _at_least(self.hours, wall.hour)
                wall = day.replace(hour=hour) if hour is not None else day + timedelta(days=1)
            elif wall.minute not in self.minutes:
                minute = _at_least(self.minutes, wall.minute)
                hour_start = day.replace(hour=wall.hour)
                wall = hour_start.replace(minute=minute) if minute is not None else hour_start + timedelta(hours=1)
            elif wall.second not in self.seconds:
                second = _at_least(self.seconds, wall.second)
                minute_start = wall.replace(second=0)
                wall = (
                    minute_start.replace(second=second) if second is not None else minute_start + timedelta(minutes=1)
                )
            else:
                return wall
        return None


def parse(text: str, *, field: str = "expression") -> CronExpression:
    """Parse a cron expression; a `CronError` for the request field `field` names the cron field at fault."""
    if not isinstance(text, str) or not text.strip():
        problem = "is empty" if isinstance(text, str) or text is None else "must be text"
        raise CronError(field, f"The cron expression {problem}.", 'Write 5 fields, e.g. "0 3 * * *" (daily at 03:00).')
    source = text.strip()
    expanded = MACROS.get(source.lower(), source)
    if expanded.startswith("@"):
        raise CronError(
            field,
            f"Unknown cron macro {source!r}.",
            f"Use one of {', '.join(MACROS)}, or the interval trigger for '@every'.",
        )
    parts = expanded.split()
    if len(parts) not in (5, 6):
        raise CronError(
            field,
            f"The cron expression {source!r} has {len(parts)} fields; it needs 5 or 6.",
            "Write minute hour day-of-month month day-of-week (e.g. '30 2 * * mon-fri'), "
            "or 6 fields with the seconds first, as Kubeflow Pipelines does (e.g. '0 30 2 * * *').",
        )
    given = len(parts)
    if given == 5:
        parts = ["0", *parts]  # no seconds field: at second 0
    values = [
        _parse_field(part, spec, field=field, where=f"the {_ORDINALS[position - 6 + given]} field")
        for position, (spec, part) in enumerate(zip((SECOND, MINUTE, HOUR, DAY, MONTH, WEEKDAY), parts))
    ]
    weekdays = tuple(sorted({day % 7 for day in values[5]}))
    cron = CronExpression(
        source,
        *(tuple(sorted(v)) for v in values[:5]),
        weekdays,
        days_restricted=_restricted(parts[3]),
        weekdays_restricted=_restricted(parts[5]),
    )
    _check_reachable(cron, field)
    return cron


def _parse_field(text: str, spec: _Field, *, field: str, where: str) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        fail = _failure(field, where, spec, text)
        if slash:
            step = _number(step_text)
            if not step:
                raise fail(f"the step {step_text!r} is not a whole number of at least 1")
        else:
            step = 1
        if base in ("*", "?"):
            if base == "?" and spec not in (DAY, WEEKDAY):
                raise fail("'?' is only for the day-of-month and day-of-week fields")
            low, high = spec.low, (6 if spec is WEEKDAY else spec.high)
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _value(first, spec, fail), _value(last, spec, fail)
            if low > high:
                raise fail(f"the range {base!r} goes backwards")
        else:
            low = _value(base, spec, fail)
            high = spec.high if slash else low
        values.update(range(low, high + 1, step))
    return values


def _value(text: str, spec: _Field, fail) -> int:
    word = text.strip().lower()
    if word in spec.names:
        return spec.names[word]
    number = _number(word)
    if number is None:
        raise fail(f"{text!r} is not a number" + (" or a name" if spec.names else ""))
    if not spec.low <= number <= spec.high:
        raise fail(f"{number} is outside {spec.low}-{spec.high}")
    return number


def _number(text: str) -> int | None:
    """The value of ASCII digits (a long run of them: a value past every field's range), else None."""
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 6 else 10**6


def _failure(field: str, where: str, spec: _Field, text: str):
    def fail(problem: str) -> CronError:
        return CronError(
            field, f"In the cron expression, {where} ({spec.name}) {text!r} is wrong: {problem}.", spec.hint()
        )

    return fail


def _restricted(text: str) -> bool:
    return not any(item in ("*", "?", "*/1", "?/1") for item in text.split(","))


def _check_reachable(cron: CronExpression, field: str) -> None:
    """Refuse a day of month that no chosen month has (30 February), unless the weekdays may match instead."""
    if cron.weekdays_restricted and cron.days_restricted:
        return
    longest = max(calendar.monthrange(2024, month)[1] for month in cron.months)  # 2024: a leap year
    if cron.days[0] > longest:
        raise CronError(
            field,
            f"The cron expression {cron.text!r} never fires: no chosen month has day {cron.days[0]}.",
            "Choose a smaller day of month, or other months.",
        )


def _at_least(values: tuple[int, ...], value: int) -> int | None:
    """The first of the sorted `values` that is >= `value` (None past the last)."""
    index = bisect_left(values, value)
    return values[index] if index < len(values) else None


def _instant(wall: datetime, zone: tzinfo) -> datetime:
    """The naive `wall` time in `zone` as an aware time: the first occurrence of a repeated time, and for a time
    that a daylight-saving change skips, the first instant after the gap."""
    first = wall.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return first.astimezone(UTC).astimezone(zone)
    # In a gap, fold=0 reads `wall` with the offset before the change (a later instant) and fold=1 with the one
    # after (an earlier instant); the change lies between them, on a whole second.
    low, high = int(wall.replace(tzinfo=zone, fold=1).timestamp()), int(first.timestamp())
    after = datetime.fromtimestamp(high, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, zone)


def kfp_form(text: str, *, field: str = "expression") -> str:
    """The expression in the 6-field form of Kubeflow Pipelines' cron (seconds first; weekdays 0-6, Sunday 0),
    firing at the same times: each field as `*` or a list of numbers and ranges (macros, names, steps and weekday
    7 written out). The day-of-month / day-of-week rule carries over: KFP's cron also ORs two restricted fields."""
    cron = parse(text, field=field)
    fields = [
        _kfp_field(cron.seconds, SECOND),
        _kfp_field(cron.minutes, MINUTE),
        _kfp_field(cron.hours, HOUR),
        _kfp_field(cron.days, DAY, star=False) if cron.days_restricted else "*",
        _kfp_field(cron.months, MONTH),
        _kfp_field(cron.weekdays, WEEKDAY, star=False) if cron.weekdays_restricted else "*",
    ]
    return " ".join(fields)


def _kfp_field(values: tuple[int, ...], spec: _Field, *, star: bool = True) -> str:
    """`*` for the whole range (when `star`: a restricted day field stays a list, for the OR rule), else the sorted
    values with runs of 3 or more as ranges (`1-5,10`)."""
    if star and values == tuple(range(spec.low, spec.high + 1)):
        return "*"
    runs: list[list[int]] = []
    for value in values:
        if runs and value == runs[-1][-1] + 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    return ",".join(f"{run[0]}-{run[-1]}" if len(run) > 2 else ",".join(str(v) for v in run) for run in runs)
