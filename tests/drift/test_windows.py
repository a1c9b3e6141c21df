from datetime import UTC, datetime

import numpy as np
import pytest

from ai4mlops_lab.monitoring.windows import count_windows, time_windows, to_seconds


def test_count_windows():
    wins = count_windows(1234, size=500)
    assert [(w.start, w.end) for w in wins] == [(0, 500), (500, 1000)]
    wins = count_windows(1234, size=500, partial=True)
    assert [(w.start, w.end, len(w.indices)) for w in wins][-1] == (1000, 1234, 234)
    assert wins[1].bounds() == {"kind": "count", "start": 500, "end": 1000, "n": 500}
    assert count_windows(0) == []
    with pytest.raises(ValueError):
        count_windows(10, size=0)


def test_time_windows_group_unsorted_rows_into_aligned_buckets():
    ts = [7200.5, 10.0, 3599.9, 3600.0, 7300.0, 20.0]
    wins = time_windows(ts, width=3600)
    assert [(w.start, w.end, w.indices.tolist()) for w in wins] == [
        (0.0, 3600.0, [1, 2, 5]),
        (3600.0, 7200.0, [3]),
        (7200.0, 10800.0, [0, 4]),
    ]


def test_timestamps_as_datetimes():
    t0 = datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
    assert to_seconds(t0) == t0.timestamp() == to_seconds(t0.replace(tzinfo=None))
    assert to_seconds(np.datetime64("2026-01-01T10:30:00")) == t0.timestamp()
    (w,) = time_windows([t0, t0.replace(minute=59)])
    assert w.start == datetime(2026, 1, 1, 10, tzinfo=UTC).timestamp() and w.end - w.start == 3600
