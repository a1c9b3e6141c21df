"""A schedule's trigger: a cron expression in a time zone or a fixed interval, as fire times in epoch seconds.

An interval fires every N seconds counted from its anchor (the schedule's start, or when it was created), so its
times do not move with daylight-saving changes. Both kinds answer `next_after(t)`: the first fire time strictly
after `t`, or None.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import FieldError
from ..states import ScheduleTrigger
from . import cron

#: Missed due times scanned one by one before the scan jumps to the latest ones.
SCAN_LIMIT = 10_000
#: The longest interval, in seconds (10 years).
MAX_INTERVAL = 3650 * 86400
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Possessive quantifiers: no backtracking, so a long run of digits is refused in linear time.
_INTERVAL = re.compile(r"^\s*(?:@?every\s+)?((?:\d++\s*+[a-z]*+\s*+)++)$", re.IGNORECASE | re.ASCII)
_INTERVAL_PART = re.compile(r"(\d+)\s*([a-z]*)", re.IGNORECASE | re.ASCII)
#: Digits of one number of an interval beyond which it is surely too long (and `int` would be slow).
_MAX_DIGITS = 12
_UNIT_WORDS = {
    **dict.fromkeys(("", "s", "sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("d", "day", "days"), "d"),
}


@dataclass(frozen=True)
class CronTrigger:
    """Fire times of a cron expression in a time zone."""

    expression: cron.CronExpression
    zone: ZoneInfo

    def next_after(self, t: int) -> int | None:
        found = self.expression.next_after(datetime.fromtimestamp(t, UTC), self.zone)
        return int(found.timestamp()) if found else None


@dataclass(frozen=True)
class IntervalTrigger:
    """Fire times `anchor + k * seconds` (k >= 0)."""

    seconds: int
    anchor: int

    def next_after(self, t: int) -> int:
        if t < self.anchor:
            return self.anchor
        return self.anchor + ((t - self.anchor) // self.seconds + 1) * self.seconds


Trigger = CronTrigger | IntervalTrigger


def zone(name: str | None, *, field: str = "time_zone") -> ZoneInfo:
    """The IANA time zone `name` ("Europe/Madrid"); a FieldError names `field` when it is unknown."""
    hint = "Use an IANA time zone name such as 'UTC', 'Europe/Madrid' or 'America/New_York'."
    if not isinstance(name, str) or not name.strip():
        raise FieldError(field, "The time zone is empty.", hint)
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise FieldError(field, f"Unknown time zone {name!r}.", hint) from err


def interval_seconds(text: str | int, *, field: str = "expression") -> int:
    """Seconds of an interval: `90`, `90s`, `15m`, `2h`, `1d`, `1h30m`, `every 15 minutes` or `@every 1h`."""
    hint = "Write a duration such as '90s', '15m', '2h', '1h30m' or 'every 15 minutes' (at least 1 second)."
    if isinstance(text, int) and not isinstance(text, bool):
        seconds = text
    else:
        match = _INTERVAL.match(text) if isinstance(text, str) else None
        parts = _INTERVAL_PART.findall(match.group(1)) if match else []
        if not parts or any(unit.lower() not in _UNIT_WORDS for _, unit in parts):
            raise FieldError(field, f"The interval {text!r} is not a duration.", hint)
        if any(len(number) > _MAX_DIGITS for number, _ in parts):
            raise FieldError(field, f"The interval {text!r} is longer than {MAX_INTERVAL // 86400} days.", hint)
        seconds = sum(int(number) * _UNITS[_UNIT_WORDS[unit.lower()]] for number, unit in parts)
    if seconds < 1:
        raise FieldError(field, f"The interval {text!r} is shorter than 1 second.", hint)
    if seconds > MAX_INTERVAL:
        raise FieldError(field, f"The interval {text!r} is longer than {MAX_INTERVAL // 86400} days.", hint)
    return seconds


def make(kind: str, expression: str, time_zone: str = "UTC", *, anchor: int = 0) -> Trigger:
    """The trigger of a schedule (`kind` cron or interval); FieldErrors name `trigger`, `expression`, `time_zone`."""
    if kind == ScheduleTrigger.CRON:
        return CronTrigger(cron.parse(expression), zone(time_zone))
    if kind == ScheduleTrigger.INTERVAL:
        zone(time_zone)  # checked even though intervals do not use it, so a schedule never holds a bad zone
        return IntervalTrigger(interval_seconds(expression), anchor)
    raise FieldError("trigger", f"Unknown trigger {kind!r}.", f"Use one of {', '.join(ScheduleTrigger)}.")


def fire_times(trigger: Trigger, after: int, *, count: int, start: int | None = None, end: int | None = None):
    """Up to `count` fire times after `after` (epoch seconds), none before `start` or after `end`."""
    times: list[int] = []
    t = after if start is None else max(after, start - 1)
    while len(times) < count and (t := trigger.next_after(t)) is not None and (end is None or t <= end):
        times.append(t)
    return times


def next_times(
    kind: str,
    expression: str,
    time_zone: str = "UTC",
    *,
    after: datetime,
    count: int = 5,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[datetime]:
    """The next `count` fire times after the aware `after`, as aware times in `time_zone` (what the UI shows)."""
    anchor = int((start or after).timestamp())
    trigger = make(kind, expression, time_zone, anchor=anchor)
    seconds = fire_times(
        trigger,
        int(after.timestamp()),
        count=count,
        start=int(start.timestamp()) if start else None,
        end=int(end.timestamp()) if end else None,
    )
    tz = zone(time_zone)
    return [datetime.fromtimestamp(t, tz) for t in seconds]


def latest_due(trigger: Trigger, first: int, now: int, keep: int) -> list[int]:
    """The latest `keep` fire times from `first` to `now` (both included, `first` a fire time), oldest first.

    Usually few were missed and they are scanned one by one; past `SCAN_LIMIT` the scan restarts closer to `now`,
    doubling its look-back until it holds `keep` times, so a long outage of a dense schedule stays cheap.
    """
    recent, complete = _scan(trigger, first - 1, now, keep, limit=SCAN_LIMIT)
    look_back = 1
    while not complete:
        low = max(first - 1, now - look_back)
        recent, _ = _scan(trigger, low, now, keep, limit=None)
        complete = len(recent) == keep or low == first - 1
        look_back *= 2
    return list(recent)


def _scan(trigger: Trigger, low: int, now: int, keep: int, *, limit: int | None) -> tuple[deque[int], bool]:
    """The last `keep` fire times in (`low`, `now`]; False when more than `limit` were seen (the scan stops)."""
    recent: deque[int] = deque(maxlen=keep)
    seen, t = 0, low
    while (t := trigger.next_after(t)) is not None and t <= now:
        recent.append(t)
        seen += 1
        if limit is not None and seen > limit:
            return recent, False
    return recent, True
