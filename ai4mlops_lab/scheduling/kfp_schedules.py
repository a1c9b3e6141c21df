"""Schedules on Kubeflow Pipelines: each is a recurring run on the KFP server (API v2beta1) of the pipeline version
uploaded from the schedule's pinned compiled pipeline. The KFP server fires it; the local scheduler never does.

KFP's cron has 6 fields (seconds first) and no time zone: it fires in UTC (`validation` refuses other zones), and an
expression is sent in `cron.kfp_form`. An interval is a periodic schedule; start and end go with either trigger;
`max_concurrent` is KFP's max_concurrency and `catch_up` the opposite of its no_catchup. A recurring run cannot be
changed: a change of what it holds (`RECURRING_FIELDS`) creates a new one and deletes the old one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime

from ..errors import FieldError, NotFoundError, UserError
from ..records import ScheduleRecord
from ..runs.parameters import coerce_parameters
from ..states import FireOutcome, ScheduleTrigger
from . import cron, triggers

#: The columns a recurring run is made of: changing one replaces it.
RECURRING_FIELDS = (
    "notebook_path",
    "pin",
    "parameters",
    "experiment",
    "trigger",
    "expression",
    "time_zone",
    "start_at",
    "end_at",
    "max_concurrent",
    "catch_up",
)


def kfp_trigger(schedule: dict) -> dict:
    """The schedule's trigger as `KfpBackend.create_recurring_run` takes it."""
    if schedule["trigger"] == ScheduleTrigger.CRON:
        trigger: dict = {"cron": cron.kfp_form(schedule["expression"])}
    else:
        trigger = {"interval_second": triggers.interval_seconds(schedule["expression"])}
    for key, column in (("start_time", "start_at"), ("end_time", "end_at")):
        if schedule[column] is not None:
            trigger[key] = datetime.fromtimestamp(schedule[column], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return trigger


class KfpSchedules:
    """Recurring runs of schedules, on the KFP server of the run service that `run_service()` gives."""

    def __init__(self, run_service: Callable[[], object]):
        self._run_service = run_service

    def publish(self, schedule: dict, current: ScheduleRecord | None = None) -> dict:
        """Create the recurring run of `schedule` (checked columns, pinned), uploading its pinned pipeline as a new
        pipeline version unless `current` (the schedule before a change) uploaded that one already. Returns the
        `kfp_*` columns."""
        service = self._run_service()
        compiled = service.pinned.compiled(schedule["pin"])
        try:
            parameters = coerce_parameters(compiled["parameters"], schedule["parameters"])
        except UserError as err:
            raise FieldError("parameters", err.message, err.hint) from None
        backend = service.kfp_backend()
        if current is not None and current["pin"] == schedule["pin"] and current["kfp_version_id"]:
            pipeline_id, version_id = current["kfp_pipeline_id"], current["kfp_version_id"]
        else:
            pipeline_id, version_id = backend.upload(
                service.pinned.path(schedule["pin"]) / f"{compiled['pipeline']}.pipeline.yaml",
                pipeline_name=compiled["pipeline"],
                description=f"Compiled from {schedule['notebook_path']} for the schedule {schedule['name']}.",
            )
        recurring_run_id = backend.create_recurring_run(
            name=schedule["name"],
            pipeline_id=pipeline_id,
            version_id=version_id,
            experiment=schedule["experiment"] or compiled["experiment"] or compiled["pipeline"],
            parameters=parameters,
            trigger=kfp_trigger(schedule),
            max_concurrency=schedule["max_concurrent"],
            catch_up=schedule["catch_up"],
            enabled=schedule["enabled"],
            description=f"ai4mlops-lab schedule {schedule['name']} of {schedule['notebook_path']}",
        )
        return {"kfp_pipeline_id": pipeline_id, "kfp_version_id": version_id, "kfp_recurring_run_id": recurring_run_id}

    def switch(self, schedule: ScheduleRecord, enabled: bool) -> None:
        """Enable or disable the schedule's recurring run."""
        self._run_service().kfp_backend().switch_recurring_run(schedule["kfp_recurring_run_id"], enabled)

    def withdraw(self, schedule: dict) -> None:
        """Delete the schedule's recurring run; one deleted on the server already is gone as asked."""
        if not schedule.get("kfp_recurring_run_id"):
            return
        with contextlib.suppress(NotFoundError):
            self._run_service().kfp_backend().delete_recurring_run(schedule["kfp_recurring_run_id"])

    def fires(self, schedule: ScheduleRecord, limit: int = 100) -> list[dict]:
        """The runs the schedule's recurring run started, newest first, as fires: each started, due at its
        scheduled time, with the KFP run (`kfp_run`: id, name, our status, KFP state, times, error, URL)."""
        runs = self._run_service().kfp_backend().recurring_run_runs(schedule["kfp_recurring_run_id"], limit)
        return [
            {
                "schedule_id": schedule["id"],
                "due": _epoch(run["scheduled_at"] or run["created_at"]),
                "outcome": FireOutcome.STARTED.value,
                "reason": run["error"] or None,
                "run_id": None,
                "fired_at": run["created_at"] or "",
                "kfp_run": run,
            }
            for run in runs
        ]


def _epoch(text: str | None) -> int:
    if not text:
        return 0
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
