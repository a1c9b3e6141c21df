"""Cutting a stream of (timestamp, row) into the windows that are tested for drift.

Two kinds: count windows (consecutive blocks of `size` rows, default 500) and
time windows (aligned buckets ``[origin + k * width, origin + (k + 1) * width)``,
e.g. hourly). The batch functions cut a stored history; the ``*Windower``
classes cut a live stream and hand out each window once it is complete.
Timestamps are epoch seconds (int/float), ``datetime`` (naive ones are taken
as UTC) or ``numpy.datetime64``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

DEFAULT_SIZE = 500
HOUR = 3600.0


@dataclass(frozen=True)
class Window:
    """One window: its bounds (row positions for count windows, epoch seconds for time
    windows; start inclusive, end exclusive) and the positions of its rows in the input."""

    kind: str  # "count" | "time"
    start: int | float
    end: int | float
    indices: np.ndarray = field(repr=False)

    def bounds(self) -> dict:
        """JSON-ready bounds, e.g. ``{"kind": "time", "start": 1700000000.0, "end": 1700003600.0}``."""
        return {"kind": self.kind, "start": self.start, "end": self.end, "n": len(self.indices)}


def to_seconds(t) -> float:
    """Epoch seconds of a number, a ``datetime`` (naive = UTC) or a ``numpy.datetime64``."""
    if isinstance(t, datetime):
        return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()
    if isinstance(t, np.datetime64):
        return float((t - np.datetime64(0, "s")) / np.timedelta64(1, "s"))
    return float(t)


def count_windows(n_rows: int, size: int = DEFAULT_SIZE, partial: bool = False) -> list[Window]:
    """Consecutive windows of `size` rows over `n_rows` rows; the last, shorter one only if `partial`."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [
        Window("count", start, min(start + size, n_rows), np.arange(start, min(start + size, n_rows)))
        for start in range(0, n_rows, size)
        if partial or start + size <= n_rows
    ]


def time_windows(timestamps, width: float = HOUR, origin: float = 0.0) -> list[Window]:
    """The non-empty time buckets of `width` seconds, in time order; rows need not be sorted."""
    if width <= 0:
        raise ValueError("width must be positive")
    t = np.array([to_seconds(v) for v in timestamps], dtype=np.float64)
    if np.isnan(t).any():
        raise ValueError("timestamps must not be missing")
    bucket = np.floor((t - origin) / width).astype(np.int64)
    order = np.argsort(bucket, kind="stable")
    keys, first = np.unique(bucket[order], return_index=True)
    groups = np.split(order, first[1:])
    return [
        Window("time", origin + k * width, origin + (k + 1) * width, idx) for k, idx in zip(keys.tolist(), groups)
    ]


class CountWindower:
    """Streaming count windows: ``add(rows)`` returns the windows completed by those rows."""

    def __init__(self, size: int = DEFAULT_SIZE):
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._rows: list = []
        self._seen = 0  # rows emitted in complete windows so far

    def add(self, rows) -> list[tuple[Window, list]]:
        """Append `rows`; return each completed ``(window, rows)``, positions counted from the stream start."""
        self._rows.extend(rows)
        out = []
        while len(self._rows) >= self.size:
            chunk, self._rows = self._rows[: self.size], self._rows[self.size :]
            start = self._seen
            self._seen += self.size
            out.append((Window("count", start, self._seen, np.arange(start, self._seen)), chunk))
        return out

    def flush(self) -> tuple[Window, list] | None:
        """The pending partial window (and reset it), or None if there is none."""
        if not self._rows:
            return None
        chunk, self._rows = self._rows, []
        start = self._seen
        self._seen += len(chunk)
        return Window("count", start, self._seen, np.arange(start, self._seen)), chunk


class TimeWindower:
    """Streaming time windows over rows arriving in time order.

    ``add(timestamp, row)`` returns the window that the row closes (the first
    row of a later bucket closes the current one), else None. A row older than
    the current bucket is late: it is dropped and counted in ``late``.
    """

    def __init__(self, width: float = HOUR, origin: float = 0.0):
        if width <= 0:
            raise ValueError("width must be positive")
        self.width, self.origin = width, origin
        self.late = 0
        self._bucket: int | None = None
        self._rows: list = []
        self._positions: list[int] = []
        self._count = 0

    def add(self, timestamp, row) -> tuple[Window, list] | None:
        bucket = math.floor((to_seconds(timestamp) - self.origin) / self.width)
        position, self._count = self._count, self._count + 1
        if self._bucket is not None and bucket < self._bucket:
            self.late += 1
            return None
        closed = self.flush() if self._bucket is not None and bucket > self._bucket else None
        self._bucket = bucket
        self._rows.append(row)
        self._positions.append(position)
        return closed

    def flush(self) -> tuple[Window, list] | None:
        """The current, possibly incomplete, bucket as a window (and reset it), or None if empty.

        Rows of the same bucket added afterwards form a new window with the same bounds.
        """
        if not self._rows:
            return None
        start = self.origin + self._bucket * self.width
        window = Window("time", start, start + self.width, np.asarray(self._positions))
        rows, self._rows, self._positions = self._rows, [], []
        return window, rows
