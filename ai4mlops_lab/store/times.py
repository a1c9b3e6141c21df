"""The store's time format: UTC ISO-8601 strings with millisecond precision and a `Z`.

They sort as text in time order, read well in JSON and parse with `datetime.fromisoformat`.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> str:
    """The current UTC time, e.g. `2025-01-31T12:00:00.123Z`."""
    return from_epoch(datetime.now(UTC).timestamp())


def epoch_seconds(text: str | None) -> float | None:
    """Epoch seconds of an ISO-8601 / RFC 3339 time (naive = UTC), or None when missing or unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def from_epoch(seconds: float) -> str:
    """The store's text form of epoch `seconds`."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds from `start` to `end`, or None when either is missing."""
    if not start or not end:
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 3)
