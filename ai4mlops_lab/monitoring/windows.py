"""Cutting a stream of (timestamp, row) into the windows that are tested for drift.

Two kinds: count windows (consecutive blocks of `size` rows, default 500) and
time windows (aligned buckets ``[origin + k * width, origin + (k + 1) * width)``,
e.g. hourly). The drift monitor cuts each batch of new requests with them.
Timestamps are epoch seconds (int/float), ``datetime`` (naive ones are taken
as UTC) or ``numpy.datetime64``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

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
        return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()
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
    return [Window("time", origin + k * width, origin + (k + 1) * width, idx) for k, idx in zip(keys.tolist(), groups)]
