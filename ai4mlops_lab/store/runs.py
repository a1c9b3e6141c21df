"""Experiments, pipeline runs, their steps and what the steps produced, kept in the store.

Times are UTC ISO-8601 strings (`times.py`); durations are seconds (float), None until
finished. A run that reaches a finished status (`RUN_FINISHED`) no longer changes,
except that step outputs may still be recorded: later status updates are ignored.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Iterable
from uuid import uuid4

from ..errors import NotFoundError
from ..records import RunRecord
from ..states import RUN_FINISHED, STEP_FINISHED, RunStatus, RunTarget, StepStatus
from . import pages, times
from .db import StoreFile, snapshot, transaction
from .errors import StoreValueError

RUN_STATUSES = tuple(RunStatus)
STEP_STATUSES = tuple(StepStatus)
TARGETS = tuple(RunTarget)

# A run's schedule: the one whose due time started it (`schedule_fires.run_id`), if any; its data trigger: the one
# whose file(s) started it (`trigger_seen.run_id`, one row per file of a batch), if any. Both are kept on the run
# (`runs.schedule_id`, `runs.trigger_id`, by the store's SQL triggers: see `schema.py`).
_RUN_FROM = (
    "FROM runs AS r JOIN experiments AS e ON e.id = r.experiment_id "
    "LEFT JOIN schedules AS s ON s.id = r.schedule_id LEFT JOIN triggers AS t ON t.id = r.trigger_id"
)
_RUN_SELECT = (
    f"SELECT r.*, r.rowid AS row_key, e.name AS experiment, s.name AS schedule, t.name AS trigger {_RUN_FROM} "
)
# The filters of `page()`: each is answered by an index of the runs in the list's order (`runs_by_experiment`,
# `runs_by_schedule`, `runs_by_trigger`), so a page reads its own runs and no others, wherever it is in the list.
_RUN_FILTERS = {
    "experiment": "r.experiment_id = (SELECT id FROM experiments WHERE name = :experiment)",
    "schedule": "r.schedule_id = (SELECT id FROM schedules WHERE name = :schedule)",
    "trigger": "r.trigger_id = (SELECT id FROM triggers WHERE name = :trigger)",
}
#: Columns of the runs table that the records leave out (ids the records name by their names).
_RUN_HIDDEN = ("experiment_id", "schedule_id", "trigger_id", "row_key")
#: The SQL condition of an unfinished run (pending or running), written as the index of unfinished runs
#: (`runs_unfinished`) is, so that a statement holding it can read that index: there are few such runs.
UNFINISHED = "status IN ('pending', 'running')"
#: What a cursor of the runs list names: the last run's creation time and row id (the list's sort key).
_RUN_KEY = (str, int)


class RunStore(StoreFile):
    """The run records in the SQLite store at `path`, shared by threads and processes."""

    # Experiments

    def experiment(self, name: str) -> dict:
        """The experiment called `name`, created if new: `{name, created_at, run_count, last_run_at}`."""
        name = _text(name, "experiment name")
        conn = self._conn()
        with transaction(conn):
            _experiment_id(conn, name, times.now())
        return _experiments(conn, name)[0]

    def experiments(self) -> list[dict]:
        """Every experiment by name, with its run count and the creation time of its last run."""
        return _experiments(self._conn(), None)

    # Writing runs

    def create_run(
        self,
        *,
        experiment: str,
        notebook_path: str,
        notebook_hash: str,
        pipeline: str,
        target: str,
        parameters: dict,
        steps: list[str],
        pipeline_version: str | None = None,
    ) -> dict:
        """Record a new `pending` run and its `pending` steps (in this order) at once; returns `run()`."""
        experiment = _text(experiment, "experiment name")
        _choice(target, TARGETS, "target")
        steps = [_text(step, "step name") for step in steps]
        if not steps or len(set(steps)) != len(steps):
            raise StoreValueError(f"A run needs one or more steps with distinct names, not {steps}.")
        if not isinstance(parameters, dict):
            raise StoreValueError(f"Run parameters must be a dict, not {type(parameters).__name__}.")
        run_id, now = uuid4().hex[:12], times.now()
        conn = self._conn()
        with transaction(conn):
            conn.execute(
                """INSERT INTO runs (id, experiment_id, notebook_path, notebook_hash, pipeline, pipeline_version,
                                     target, parameters, status, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)""",
                (
                    run_id,
                    _experiment_id(conn, experiment, now),
                    notebook_path,
                    notebook_hash,
                    pipeline,
                    pipeline_version,
                    target,
                    _json(parameters, "run parameters"),
                    now,
                    now,
                ),
            )
            conn.executemany(
                "INSERT INTO steps (run_id, name, position, status) VALUES (?, ?, ?, 'pending')",
                [(run_id, step, position) for position, step in enumerate(steps)],
            )
        return self.run(run_id)

    def set_run_status(
        self,
        run_id: str,
        status: str,
        *,
        error: str | None = None,
        worker_pid: int | None = None,
        backend_run_id: str | None = None,
    ) -> bool:
        """Move a run to `status`; False (and nothing changes) if the run had already finished.

        `running` sets started_at once; a finished status sets finished_at and closes the
        steps still open (see `_close_steps`), so record step statuses before the run's.
        Given values replace `error`, `worker_pid` and `backend_run_id`; None keeps them.
        """
        _choice(status, RUN_STATUSES, "run status")
        conn = self._conn()
        with transaction(conn):
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise _no_run(run_id)
            if row["status"] in RUN_FINISHED:
                return False
            _set_run_status(conn, run_id, status, times.now(), error, worker_pid, backend_run_id)
        return True

    def set_step_status(
        self, run_id: str, step: str, status: str, *, error: str | None = None, log_path: str | None = None
    ) -> bool:
        """Move a step to `status`; False (and nothing changes) if the step or its run had finished.

        `running` sets started_at once, a finished status sets finished_at; given `error`
        and `log_path` replace the stored ones.
        """
        _choice(status, STEP_STATUSES, "step status")
        conn = self._conn()
        now = times.now()
        with transaction(conn):
            row = _step_row(conn, run_id, step)
            if row["run_status"] in RUN_FINISHED or row["status"] in STEP_FINISHED:
                return False
            conn.execute(
                """UPDATE steps SET status = :status,
                       error = coalesce(:error, error),
                       log_path = coalesce(:log_path, log_path),
                       started_at = CASE WHEN :status = 'running' THEN coalesce(started_at, :now) ELSE started_at END,
                       finished_at = CASE WHEN :finished THEN :now ELSE finished_at END
                   WHERE run_id = :run_id AND name = :step""",
                {
                    "status": status,
                    "error": error,
                    "log_path": log_path,
                    "now": now,
                    "finished": status in STEP_FINISHED,
                    "run_id": run_id,
                    "step": step,
                },
            )
            _touch(conn, run_id, now)
        return True

    def record_step_outputs(
        self, run_id: str, step: str, *, parameters: dict, metrics: dict[str, float], artifacts: list[dict]
    ) -> None:
        """Store what a step produced, replacing whatever was recorded for it before.

        `artifacts` items: `{name, uri, type="artifact", size=None, metadata={}}`.
        Output parameter values are anything JSON can hold; a NaN metric is kept as None.
        """
        parameter_rows = [
            (run_id, step, _text(k, "output name"), _json(v, f"output {k!r}")) for k, v in parameters.items()
        ]
        metric_rows = [(run_id, step, _text(k, "metric name"), _metric(k, v)) for k, v in metrics.items()]
        artifact_rows = [_artifact_row(run_id, step, artifact) for artifact in artifacts]
        if len({row[2] for row in artifact_rows}) != len(artifact_rows):
            raise StoreValueError(f"Step {step!r} lists an artifact name twice.")
        conn = self._conn()
        with transaction(conn):
            _step_row(conn, run_id, step)
            for table in ("output_parameters", "metrics", "artifacts"):
                conn.execute(f"DELETE FROM {table} WHERE run_id = ? AND step = ?", (run_id, step))
            conn.executemany("INSERT INTO output_parameters VALUES (?, ?, ?, ?)", parameter_rows)
            conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?)", metric_rows)
            conn.executemany("INSERT INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?)", artifact_rows)
            _touch(conn, run_id, times.now())

    def mark_interrupted(self, is_alive: Callable[[int], bool], reason: str) -> int:
        """Mark `interrupted`, with `reason` as their error, the unfinished local runs whose worker is gone.

        A worker is gone when the run has no `worker_pid` or `is_alive(pid)` is false.
        Their open steps are closed too. Returns how many runs were marked.
        """
        conn = self._conn()
        now = times.now()
        with transaction(conn):
            rows = conn.execute(f"SELECT id, worker_pid FROM runs WHERE target = 'local' AND {UNFINISHED}").fetchall()
            gone = [row["id"] for row in rows if row["worker_pid"] is None or not is_alive(row["worker_pid"])]
            for run_id in gone:
                _set_run_status(conn, run_id, RunStatus.INTERRUPTED, now, reason, None, None)
        return len(gone)

    # Reading runs

    def run(self, run_id: str) -> RunRecord:
        """One run with its steps and outputs; NotFoundError if there is none.

        The run's columns (see `runs()`) plus `steps` (`[{name, status, started_at,
        finished_at, duration, error, log_path, metrics, outputs}]` in pipeline order, with
        each step's `{name: value}` metrics and output parameters), `metrics` (`{name: value}`
        over all steps, as in `runs()`) and `artifacts` (`[{step, name, uri, type, size, metadata}]`).
        """
        conn = self._conn()
        with snapshot(conn):
            row = conn.execute(_RUN_SELECT + "WHERE r.id = ?", (run_id,)).fetchone()
            if row is None:
                raise _no_run(run_id)
            steps = conn.execute(
                """SELECT name, status, started_at, finished_at, error, log_path
                   FROM steps WHERE run_id = ? ORDER BY position""",
                (run_id,),
            ).fetchall()
            metrics = _step_outputs(conn, "metrics", "m.value", run_id)
            outputs = _step_outputs(conn, "output_parameters", "m.value", run_id)
            artifacts = _step_outputs(conn, "artifacts", "m.uri, m.type, m.size, m.metadata", run_id)
        run = _run_dict(row)
        step_metrics = _by_step(metrics, lambda m: m["value"])
        step_outputs = _by_step(outputs, lambda o: json.loads(o["value"]))
        run["steps"] = [
            {
                **dict(step),
                "duration": times.seconds_between(step["started_at"], step["finished_at"]),
                "metrics": step_metrics.get(step["name"], {}),
                "outputs": step_outputs.get(step["name"], {}),
            }
            for step in steps
        ]
        run["metrics"] = {name: value for step in run["steps"] for name, value in step["metrics"].items()}
        run["artifacts"] = [{**dict(a), "metadata": json.loads(a["metadata"])} for a in artifacts]
        return run

    def runs(
        self,
        experiment: str | None = None,
        limit: int = pages.DEFAULT_LIMIT,
        *,
        schedule: str | None = None,
        trigger: str | None = None,
    ) -> list[RunRecord]:
        """The newest `limit` runs (see `page`)."""
        return self.page(experiment=experiment, schedule=schedule, trigger=trigger, limit=limit)["runs"]

    def page(
        self,
        *,
        experiment: str | None = None,
        schedule: str | None = None,
        trigger: str | None = None,
        limit: int = pages.DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> dict:
        """`{runs, next_cursor}`: up to `limit` runs after `cursor` (from the newest without one), of one experiment
        or all, of one schedule and one data trigger (by name) or all, newest first; `next_cursor` reads on (None
        at the end).

        Each run: `{id, experiment, schedule, trigger, notebook_path, notebook_hash, pipeline, pipeline_version,
        target, parameters, status, error, worker_pid, backend_run_id, created_at,
        started_at, finished_at, updated_at, duration, metrics, step_counts, steps}` where
        `metrics` is `{name: value}` (a name reported by several steps: the last step's
        value), `step_counts` is `{status: number of steps}` and `steps` is `[{name, status,
        started_at, finished_at, duration, error}]` in pipeline order.
        """
        if not isinstance(limit, int) or limit < 1:
            raise StoreValueError(f"The run limit must be a positive integer, not {limit!r}.")
        args = {"experiment": experiment, "schedule": schedule, "trigger": trigger, "limit": limit + 1}
        where = [_RUN_FILTERS[name] for name in _RUN_FILTERS if args[name] is not None]
        after = pages.position("runs", cursor, _RUN_KEY)
        if after is not None:
            where.append("(r.created_at, r.rowid) < (:after_at, :after_row)")
            args.update(after_at=after[0], after_row=after[1])
        condition = f"WHERE {' AND '.join(where)} " if where else ""
        conn = self._conn()
        with snapshot(conn):
            rows = conn.execute(
                f"{_RUN_SELECT}{condition}ORDER BY r.created_at DESC, r.rowid DESC LIMIT :limit", args
            ).fetchall()
            rows, next_cursor = pages.split(rows, limit, "runs", lambda row: (row["created_at"], row["row_key"]))
            ids = json.dumps([row["id"] for row in rows])
            metrics = conn.execute(
                """SELECT m.run_id, m.name, m.value FROM metrics AS m
                   JOIN steps AS s ON s.run_id = m.run_id AND s.name = m.step
                   WHERE m.run_id IN (SELECT value FROM json_each(?)) ORDER BY m.run_id, s.position""",
                (ids,),
            ).fetchall()
            steps = conn.execute(
                """SELECT run_id, name, status, started_at, finished_at, error FROM steps
                   WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, position""",
                (ids,),
            ).fetchall()
        runs = {row["id"]: {**_run_dict(row), "metrics": {}, "step_counts": {}, "steps": []} for row in rows}
        for m in metrics:
            runs[m["run_id"]]["metrics"][m["name"]] = m["value"]
        for step in steps:
            run = runs[step["run_id"]]
            run["step_counts"][step["status"]] = run["step_counts"].get(step["status"], 0) + 1
            run["steps"].append(
                {
                    "name": step["name"],
                    "status": step["status"],
                    "started_at": step["started_at"],
                    "finished_at": step["finished_at"],
                    "duration": times.seconds_between(step["started_at"], step["finished_at"]),
                    "error": step["error"],
                }
            )
        return {"runs": list(runs.values()), "next_cursor": next_cursor}

    def unfinished(self, target: str) -> list[str]:
        """The ids of the runs on `target` that have not finished (pending or running), oldest first."""
        rows = self._conn().execute(
            f"SELECT id FROM runs WHERE {UNFINISHED} AND target = ? ORDER BY created_at, rowid",
            (target,),
        )
        return [row["id"] for row in rows.fetchall()]

    def succeeded_models(self) -> list[tuple[str, str, str]]:
        """`(run_id, step, artifact)` of every Model artifact of a succeeded run, in the order the runs finished."""
        return succeeded_models(self._conn())


def succeeded_models(conn: sqlite3.Connection, also: str = "TRUE") -> list[tuple[str, str, str]]:
    """`(run_id, step, artifact)` of every Model artifact of a succeeded run for which the SQL condition `also` on
    `a` (the artifact) holds, in the order the runs finished."""
    rows = conn.execute(
        f"""SELECT a.run_id, a.step, a.name FROM artifacts AS a JOIN runs AS r ON r.id = a.run_id
            WHERE r.status = ? AND json_extract(a.metadata, '$.model') IS NOT NULL AND ({also})
            ORDER BY r.finished_at, r.rowid, a.step, a.name""",
        (RunStatus.SUCCEEDED,),
    )
    return [tuple(row) for row in rows.fetchall()]


def _experiment_id(conn: sqlite3.Connection, name: str, now: str) -> int:
    """The id of experiment `name`, inserted if new; call inside a transaction."""
    conn.execute("INSERT INTO experiments (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", (name, now))
    return conn.execute("SELECT id FROM experiments WHERE name = ?", (name,)).fetchone()[0]


def _experiments(conn: sqlite3.Connection, name: str | None) -> list[dict]:
    rows = conn.execute(
        """SELECT e.name, e.created_at, e.run_count,
                  (SELECT max(created_at) FROM runs WHERE experiment_id = e.id) AS last_run_at
           FROM experiments AS e WHERE :name IS NULL OR e.name = :name ORDER BY e.name""",
        {"name": name},
    )
    return [dict(row) for row in rows]


def _set_run_status(
    conn: sqlite3.Connection,
    run_id: str,
    status: str,
    now: str,
    error: str | None,
    worker_pid: int | None,
    backend_run_id: str | None,
) -> None:
    finished = status in RUN_FINISHED
    conn.execute(
        """UPDATE runs SET status = :status,
               error = coalesce(:error, error),
               worker_pid = coalesce(:worker_pid, worker_pid),
               backend_run_id = coalesce(:backend_run_id, backend_run_id),
               started_at = CASE WHEN :status = 'running' THEN coalesce(started_at, :now) ELSE started_at END,
               finished_at = CASE WHEN :finished THEN :now ELSE finished_at END,
               updated_at = :now
           WHERE id = :run_id""",
        {
            "status": status,
            "error": error,
            "worker_pid": worker_pid,
            "backend_run_id": backend_run_id,
            "now": now,
            "finished": finished,
            "run_id": run_id,
        },
    )
    if finished:
        _close_steps(conn, run_id, status, error, now)


def _close_steps(conn: sqlite3.Connection, run_id: str, status: str, error: str | None, now: str) -> None:
    """Close the open steps of a run that finished with `status`.

    A running step takes the run's status (and its error); a pending one becomes
    `skipped`, or `cancelled`/`interrupted` when that is how the run ended.
    """
    conn.execute(
        """UPDATE steps SET
               status = CASE WHEN status = 'running' OR :status IN ('cancelled', 'interrupted')
                             THEN :status ELSE 'skipped' END,
               error = CASE WHEN status = 'running' THEN coalesce(error, :error) ELSE error END,
               finished_at = CASE WHEN status = 'running' THEN :now ELSE finished_at END
           WHERE run_id = :run_id AND status IN ('pending', 'running')""",
        {"status": status, "error": error, "now": now, "run_id": run_id},
    )


def _step_row(conn: sqlite3.Connection, run_id: str, step: str) -> sqlite3.Row:
    """The step's status and its run's; NotFoundError when either is missing."""
    row = conn.execute(
        """SELECT r.status AS run_status, s.status FROM runs AS r
           LEFT JOIN steps AS s ON s.run_id = r.id AND s.name = ? WHERE r.id = ?""",
        (step, run_id),
    ).fetchone()
    if row is None:
        raise _no_run(run_id)
    if row["status"] is None:
        raise NotFoundError(f"Run {run_id} has no step {step!r}.", "Use a step name of the run's pipeline.")
    return row


def _touch(conn: sqlite3.Connection, run_id: str, now: str) -> None:
    conn.execute("UPDATE runs SET updated_at = ? WHERE id = ?", (now, run_id))


def _step_outputs(conn: sqlite3.Connection, table: str, columns: str, run_id: str) -> list[sqlite3.Row]:
    """One kind of step output of a run, in pipeline then name order."""
    return conn.execute(
        f"""SELECT m.step, m.name, {columns} FROM {table} AS m
            JOIN steps AS s ON s.run_id = m.run_id AND s.name = m.step
            WHERE m.run_id = ? ORDER BY s.position, m.name""",
        (run_id,),
    ).fetchall()


def _by_step(rows: Iterable[sqlite3.Row], value: Callable[[sqlite3.Row], object]) -> dict[str, dict]:
    grouped: dict[str, dict] = {}
    for row in rows:
        grouped.setdefault(row["step"], {})[row["name"]] = value(row)
    return grouped


def _run_dict(row: sqlite3.Row) -> dict:
    run = dict(row)
    for column in _RUN_HIDDEN:
        del run[column]
    run["parameters"] = json.loads(run["parameters"])
    run["duration"] = times.seconds_between(run["started_at"], run["finished_at"])
    return run


def _artifact_row(run_id: str, step: str, artifact: dict) -> tuple:
    if not isinstance(artifact, dict) or "name" not in artifact or "uri" not in artifact:
        raise StoreValueError(f"An artifact of step {step!r} needs at least a name and a uri: {artifact!r}.")
    size = artifact.get("size")
    if size is not None and (not isinstance(size, int) or size < 0):
        raise StoreValueError(f"Artifact {artifact['name']!r} has an invalid size {size!r}.")
    return (
        run_id,
        step,
        _text(artifact["name"], "artifact name"),
        _text(artifact["uri"], "artifact uri"),
        _text(artifact.get("type") or "artifact", "artifact type"),
        size,
        _json(artifact.get("metadata") or {}, f"metadata of artifact {artifact['name']!r}"),
    )


def _metric(name: str, value: object) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StoreValueError(f"Metric {name!r} is not a number: {value!r}.") from None
    return None if math.isnan(number) else number


def _json(value: object, what: str) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as err:
        raise StoreValueError(f"The {what} cannot be stored as JSON: {err}.") from None


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StoreValueError(f"The {what} must be a non-empty string, not {value!r}.")
    return value


def _choice(value: str, allowed: Iterable[str], what: str) -> None:
    if value not in allowed:
        raise StoreValueError(f"Unknown {what} {value!r}; expected one of {', '.join(allowed)}.")


def _no_run(run_id: str) -> NotFoundError:
    return NotFoundError(f"No run {run_id!r} in the store.", "List the runs to see their ids.")
