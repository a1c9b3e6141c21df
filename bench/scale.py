"""Growth: the cost of the list, detail and report routes and of a drift check as the store grows.

Run: `python bench/scale.py [--max 1000000] [--sizes ...] [--keep FOLDER]` (not run in CI; --max 100000 for a quick
look). Fills one store, by bulk inserts, with N runs (two steps and a metric each), N logged request events, N drift
windows and N / 10 alerts, for N = 10^3, 10^4, 10^5 and 10^6 in turn (half the events, windows and alerts are the
watched deployment's, the rest spread over nine others; a schedule and a data trigger each started one run in a
hundred, so each has 10 runs at 10^3 and 10,000 at 10^6). At each size it times, through the services the REST
handlers call (and `json.dumps` of the reply, as they do), the median CPU milliseconds per call of: the runs list
(first page, a page from the middle, a page of one experiment, the newest page of the runs of a schedule and of a
trigger), the experiments, a run's detail, the deployments, the alerts (pages of 50), the drift report, a drift check
on request (`POST .../drift/check`), the monitor's incremental pass over one new window of 500 requests (what the
background loop does) and ingesting 100 events. Prints the table and, per operation, the ratio of its cost at the
largest size to its cost at the smallest: about 1 means flat.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ai4mlops_lab.store import db, pages, times  # noqa: E402
from ai4mlops_lab.store.deployments import DeploymentStore  # noqa: E402
from ai4mlops_lab.store.event_records import InferenceEvent  # noqa: E402
from ai4mlops_lab.workspace import Workspace  # noqa: E402

WATCHED, DEPLOYMENTS, EXPERIMENTS, FEATURES, WINDOW = "d0", 10, 10, 10, 500
START = 1_700_000_000.0  # the first row's time; each later row is one second newer
CHUNK = 50_000  # rows per transaction while filling
ALERTS_PAGE = 50  # alerts per page: a full page at every size (there are 100 alerts at 10^3)
EXPERIMENT_PAGE = 40  # runs per page of one experiment: a full page from the middle at every size (50 at 10^3)
ORIGIN_EVERY = 100  # one run in ORIGIN_EVERY was started by the schedule, and one by the data trigger
ORIGIN_PAGE = 10  # runs per page of a schedule's or a trigger's runs: a full page at every size (10 at 10^3)


def stamp(i: int) -> str:
    return times.from_epoch(START + i)


def model_config(folder: Path) -> dict:
    """A deployment's config whose model takes FEATURES numbers and whose reference is in `folder`."""
    folder.mkdir(parents=True)
    np.save(folder / "reference.npy", np.random.default_rng(0).normal(size=(2000, FEATURES)).astype(np.float32))
    features = [f"f{i}" for i in range(FEATURES)]
    signature = {"inputs": [{"name": "input-0", "dtype": "float32", "shape": [-1, FEATURES], "features": features}]}
    reference = {"file": "reference.npy", "rows": 2000, "total_rows": 2000, "source": "bench"}
    return {"metadata": {"model": {"signature": {**signature, "outputs": []}, "reference": reference}}}


class Filler:
    """Bulk inserts straight into the store's tables, in transactions of CHUNK rows."""

    def __init__(self, path: Path):
        self.conn = db.connect(path)
        self.conn.execute("PRAGMA cache_size = -262144")  # 256 MiB: the growing indexes' pages stay in memory
        rng = np.random.default_rng(1)
        self.bodies = [json.dumps({"instances": rng.normal(size=(1, FEATURES)).round(3).tolist()}) for _ in range(997)]
        self.size = 0

    def setup(self) -> None:
        with db.transaction(self.conn) as conn:
            conn.executemany(
                "INSERT INTO experiments (id, name, created_at) VALUES (?, ?, ?)",
                [(k + 1, f"exp-{k}", stamp(0)) for k in range(EXPERIMENTS)],
            )
            conn.execute(
                """INSERT INTO schedules (id, name, notebook_path, parameters, target, trigger, expression, time_zone,
                   created_at, updated_at) VALUES (1, 'nightly', 'a.ipynb', '{}', 'local', 'cron', '0 0 * * *', 'UTC',
                   ?, ?)""",
                (stamp(0), stamp(0)),
            )
            conn.execute(
                """INSERT INTO triggers (id, name, notebook_path, source, pattern, parameter, parameters,
                   settle_seconds, poll_seconds, created_at, updated_at)
                   VALUES (1, 'arrivals', 'a.ipynb', 'data', '*.csv', 'path', '{}', 5, 10, ?, ?)""",
                (stamp(0), stamp(0)),
            )

    def grow(self, size: int) -> None:
        """Add rows until the store holds `size` runs, events and windows and `size // 10` alerts."""
        for start in range(self.size, size, CHUNK):
            stop = min(start + CHUNK, size)
            rows = [(i, stamp(i)) for i in range(start, stop)]  # each row's number and time
            with db.transaction(self.conn) as conn:
                self._runs(conn, rows)
                self._events(conn, rows)
                self._windows(conn, rows)
                self._alerts(conn, rows[::10])
        self.size = size

    def _runs(self, conn, numbered: list[tuple[int, str]]) -> None:
        rows = [
            (f"{i:012x}", i % EXPERIMENTS + 1, "a.ipynb", "h", "pipe", "local", '{"epochs": 5}', at, at, at, at)
            for i, at in numbered
        ]
        conn.executemany(
            """INSERT INTO runs (id, experiment_id, notebook_path, notebook_hash, pipeline, target, parameters,
               status, created_at, started_at, finished_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, 'succeeded', ?, ?, ?, ?)""",
            rows,
        )
        conn.executemany(
            "INSERT INTO steps (run_id, name, position, status, started_at, finished_at) "
            "VALUES (?, ?, ?, 'succeeded', ?, ?)",
            [(row[0], step, k, row[7], row[7]) for row in rows for k, step in enumerate(("prepare", "train"))],
        )
        conn.executemany(
            "INSERT INTO metrics (run_id, step, name, value) VALUES (?, 'train', 'accuracy', ?)",
            [(f"{i:012x}", (i % 100) / 100) for i, _ in numbered],
        )
        origin = [(f"{i:012x}",) for i, _ in numbered if i % ORIGIN_EVERY == 0]
        conn.executemany(
            "INSERT INTO schedule_fires (schedule_id, due, outcome, run_id, fired_at) "
            "VALUES (1, abs(random()), 'started', ?, '')",
            origin,
        )
        conn.executemany(
            "INSERT INTO trigger_seen (trigger_id, content_hash, path, size, state, run_id, seen_at) "
            "VALUES (1, hex(randomblob(8)), 'x.csv', 1, 'started', ?, '')",
            origin,
        )

    def _events(self, conn, numbered: list[tuple[int, str]]) -> None:
        conn.executemany(
            """INSERT INTO inference_events (ce_id, kind, deployment, namespace, component, endpoint, source,
               event_time, event_ts, received_at, content_type, body)
               VALUES (?, 'request', ?, 'local', 'predictor', '', 'bench', ?, ?, ?, 'application/json', ?)""",
            [
                (f"e{i}", deployment(i), at, START + i, at, self.bodies[i % len(self.bodies)].encode())
                for i, at in numbered
            ],
        )
        counts = Counter(deployment(i) for i, _ in numbered)  # as `store_events` counts what it stores
        conn.executemany(
            """INSERT INTO event_counts (deployment, kind, count) VALUES (?, 'request', ?)
               ON CONFLICT (deployment, kind) DO UPDATE SET count = count + excluded.count""",
            counts.items(),
        )

    def _windows(self, conn, numbered: list[tuple[int, str]]) -> None:
        result = json.dumps(
            {"features": [{"name": "f0", "drift": False, "p_value": 0.5, "adjusted_p_value": 1.0}], "settings": {}}
        )
        conn.executemany(
            """INSERT INTO drift_windows (deployment, trigger, kind, start, end, first_at, last_at, n, status, drift,
               p_value, result, histograms, checked_at)
               VALUES (?, 'auto', 'count', ?, ?, ?, ?, 500, 'ok', 0, 0.5, ?, '{}', ?)""",
            [(deployment(i), i * WINDOW, (i + 1) * WINDOW, at, at, result, at) for i, at in numbered],
        )

    def _alerts(self, conn, every_tenth: list[tuple[int, str]]) -> None:
        """Alert k is raised with row 10 k."""
        conn.executemany(
            """INSERT INTO alerts (deployment, status, message, window_ids, evidence, raised_at, updated_at, kind)
               VALUES (?, 'dismissed', 'Drift in 3 consecutive windows (f0).', '[]', '{}', ?, ?, ?)""",
            [
                (deployment(k), at, at, "performance" if (k // 2) % 4 == 3 else "data_drift")
                for k, at in ((i // 10, at) for i, at in every_tenth)
            ],
        )

    def checked_up_to_now(self) -> None:
        """Every request of the watched deployment so far is windowed already (its history is in the windows)."""
        with db.transaction(self.conn) as conn:
            newest, count = conn.execute(
                "SELECT max(id), count(*) FROM inference_events WHERE deployment = ? AND kind = 'request'", (WATCHED,)
            ).fetchone()
            conn.execute(
                "UPDATE drift_monitors SET cursor_event = ?, cursor_row = 0, last_event = ?, rows_seen = ? "
                "WHERE deployment = ?",
                (newest + 1, newest, count, WATCHED),
            )


def deployment(i: int) -> str:
    """Half the rows are the watched deployment's; the others take turns."""
    return WATCHED if i % 2 == 0 else f"d{1 + (i // 2) % (DEPLOYMENTS - 1)}"


def new_events(count: int) -> list[InferenceEvent]:
    rows = np.random.default_rng().normal(size=(count, FEATURES)).round(3)
    return [
        InferenceEvent(
            uuid.uuid4().hex,
            "request",
            WATCHED,
            "local",
            "predictor",
            "",
            "bench",
            times.now(),
            "application/json",
            json.dumps({"instances": [row]}).encode(),
        )
        for row in rows.tolist()
    ]


def timed(call, budget_s: float = 0.5, at_most: int = 25) -> float:
    """Median CPU milliseconds of `call` (one warm-up call, then at least 3 calls and up to `budget_s`)."""
    call()
    samples: list[float] = []
    while len(samples) < 3 or (sum(samples) < budget_s * 1000 and len(samples) < at_most):
        samples.append(cpu_ms(call))
    return statistics.median(samples)


def timed_with_setup(prepare, call, repeat: int = 3) -> float:
    """Median CPU milliseconds of `call`, each after an untimed `prepare()`."""
    samples = []
    for _ in range(repeat):
        prepare()
        samples.append(cpu_ms(call))
    return statistics.median(samples)


def cpu_ms(call) -> float:
    """The CPU time `call` takes, in milliseconds: this machine's cores are shared, and the wall time of a call
    swings with the other jobs on it while its CPU time does not (the store is in the page cache: little waits)."""
    started = time.process_time()
    call()
    return (time.process_time() - started) * 1000


def operations(ws: Workspace, size: int) -> dict:
    """Each timed operation at this size: name -> milliseconds per call."""
    runs, monitor, events = ws.run_service, ws.drift_monitor, ws.event_store
    reply = json.dumps
    middle = size // 2  # the run, and the alert, in the middle of the list (row ids follow the insertion order)
    deep_runs = pages.cursor("runs", (stamp(middle), middle + 1))
    deep_alerts = pages.cursor("alerts", (size // 20,))
    found = {
        "runs list": timed(lambda: reply(runs.runs())),
        "runs, a page in the middle": timed(lambda: reply(runs.runs(cursor=deep_runs))),
        "runs of an experiment, in the middle": timed(
            lambda: reply(runs.runs("exp-3", limit=EXPERIMENT_PAGE, cursor=deep_runs))
        ),
        "runs of a schedule": timed(lambda: reply(runs.runs(schedule="nightly", limit=ORIGIN_PAGE))),
        "runs of a trigger": timed(lambda: reply(runs.runs(trigger="arrivals", limit=ORIGIN_PAGE))),
        "experiments": timed(lambda: reply({"experiments": runs.store.experiments()})),
        "run detail": timed(lambda: reply(runs.run(f"{middle:012x}"))),
        "deployments": timed(lambda: reply({"deployments": ws.deployments.list()})),
        "alerts": timed(lambda: reply(monitor.alerts(limit=ALERTS_PAGE))),
        "alerts, a page in the middle": timed(lambda: reply(monitor.alerts(limit=ALERTS_PAGE, cursor=deep_alerts))),
        "alerts of d0": timed(lambda: reply(monitor.alerts(WATCHED, limit=ALERTS_PAGE))),
        "drift report": timed(lambda: reply(monitor.report(WATCHED))),
        "drift check (POST)": timed(lambda: reply(monitor.check(WATCHED))),
    }
    found["drift pass, 500 new"] = timed_with_setup(
        lambda: events.add_many(new_events(WINDOW)), lambda: monitor.process(WATCHED)
    )
    found["ingest 100 events"] = timed_with_setup(lambda: None, lambda: events.add_many(new_events(100)), repeat=5)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, default=1_000_000, help="the largest size (default 10^6)")
    parser.add_argument("--sizes", type=int, nargs="*", help="the sizes (default: powers of ten from 10^3 to --max)")
    parser.add_argument("--keep", type=Path, help="fill this folder and keep it (default: a temporary one, removed)")
    args = parser.parse_args()
    sizes = args.sizes or [10**k for k in range(3, 7) if 10**k <= args.max]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="a4m-scale-"))
    try:
        table = grow(folder, sizes)
        print_table(table, Workspace(folder / ".ai4mlops", root=folder).store_path)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def grow(folder: Path, sizes: list[int]) -> dict:
    """Fill a workspace in `folder` to each size in turn and time every operation there: size -> operation -> ms."""
    ws = Workspace(folder / ".ai4mlops", root=folder)
    records = DeploymentStore(ws.store_path)
    for k in range(DEPLOYMENTS):
        name, model = f"d{k}", ws.folder / "deployments" / f"d{k}" / "model"
        config = model_config(model)
        records.create(name=name, run_id=None, model_name="m", model_uri=str(model), target="local")
        records.update(name, status="stopped", config=config)
    filler = Filler(ws.store_path)
    filler.setup()
    ws.drift_monitor.set_policy(WATCHED, {"window_size": WINDOW, "method": "features"})
    table = {}
    for size in sizes:
        started = time.perf_counter()
        filler.grow(size)
        filler.checked_up_to_now()
        fill_s = time.perf_counter() - started
        table[size] = operations(ws, size)
        print(f"filled to {size:,} in {fill_s:.1f} s, timed in {time.perf_counter() - started - fill_s:.1f} s")
    return table


def print_table(table: dict, path: Path) -> None:
    sizes = list(table)
    names = list(table[sizes[0]])
    print(f"\nstore: {path.stat().st_size / 2**20:,.0f} MiB at {sizes[-1]:,}; CPU ms per call (median)\n")
    header = ["operation", *(f"{s:,}" for s in sizes), f"{sizes[-1]:,} / {sizes[0]:,}"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for name in names:
        cells = [f"{table[s][name]:.2f}" for s in sizes]
        ratio = table[sizes[-1]][name] / table[sizes[0]][name]
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio:.1f}x |")


if __name__ == "__main__":
    main()
