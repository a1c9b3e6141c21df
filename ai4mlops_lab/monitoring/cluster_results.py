"""Import what deployments' monitoring jobs on the cluster found (`cluster_job.py`) into the workspace's store, each
window and alert once, so the drift charts and the alerts list show what happened while the Jupyter server was down.

Only results up to the job's committed cursor are imported (a pass killed after writing some windows rewrites them
at its next try), in id order, listing after the newest key imported; windows before alerts, each linked to the
alert whose streak it is or that it joined, whichever is imported last. A new alert may retrain (`on_alert`, as
for the server's own alerts). Alerts dealt with here (dismissed, resolved) are written to the job's `closed/`
folder, once each, so its next alert needs a new streak.

Each check is recorded (`JobStatusStore`): when the results were read and imported, when the job's last pass
committed and what it did, or why the bucket could not be read; `job_warnings` says from that what is wrong with a
job and what to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ..errors import FieldError, UserError
from ..objectstore import ObjectStore, S3Uri, parse_uri
from ..states import DeploymentTarget
from ..store import times
from ..store.deployments import DeploymentStore
from ..store.monitor_jobs import JobImportStore, JobStatusStore
from . import cluster_job as job
from .bucket_reader import left_in_bucket


class JobResults:
    """Imports the results of the monitoring jobs of the deployments in the store at `store_path`; `on_alert(alert
    id, deployment)` is called for each alert imported."""

    def __init__(self, objects: ObjectStore, store_path: Path, *, on_alert: Callable[[int, str], None] | None = None):
        self.objects = objects
        self.records = DeploymentStore(store_path, check=False)
        self.imports = JobImportStore(store_path, check=False)
        self.status = JobStatusStore(store_path, check=False)
        self.on_alert = on_alert
        self._seen: dict[str, str] = {}  # deployment -> the ETag of the cursor imported up to (one listing a round)

    def import_all(self) -> dict[str, dict]:
        """Import the new results of every deployment with a monitoring job (the background loop's job); one whose
        bucket cannot be read holds up none of the others: the UserError raised after them names it."""
        done, failures = {}, []
        for record in self.records.list(DeploymentTarget.KSERVE):
            if record["config"].get("monitor_job"):
                try:
                    done[record["name"]] = self.import_results(record["name"])
                except UserError as err:
                    failures.append(f"{record['name']!r}: {err.message}")
        if failures:
            raise left_in_bucket("The results of monitoring jobs were left in the bucket for the next round", failures)
        return done

    def import_results(self, name: str) -> dict:
        """Import the deployment's new committed results; `{windows, alerts, closed}` counts. The check is recorded,
        or why it failed (the UserError raised)."""
        prefix = job_prefix(self.records.get(name), name)
        try:
            done, cursor_pass = self._import(name, prefix)
        except UserError as err:
            self.status.record(name, error=err)
            raise
        self.status.record(name, cursor_pass=cursor_pass, imported=done["windows"] + done["alerts"])
        return done

    def _import(self, name: str, prefix: S3Uri) -> tuple[dict, tuple | None]:
        """The counts imported and the (time, counts) of the pass whose cursor was read (None: none was new)."""
        done = {"windows": 0, "alerts": 0, "closed": self._tell_closed(name, prefix)}
        cursor_uri = prefix.child(prefix.key + job.CURSOR)
        listed = [info for info in self.objects.list(cursor_uri) if info.key == cursor_uri.key]
        if not listed or self._seen.get(name) == listed[0].etag:  # no pass committed (since the last import)
            return done, None
        cursor = read_cursor(self.objects, cursor_uri)
        for window in self._new(name, prefix, job.WINDOWS, "window", cursor["windows_through"]):
            done["windows"] += self.imports.import_window(name, window) is not None
        for alert in self._new(name, prefix, job.ALERTS, "alert", cursor["alerts_through"]):
            local = self.imports.import_alert(name, alert)
            if local is not None:
                done["alerts"] += 1
                if self.on_alert is not None:
                    self.on_alert(local, name)
        self._seen[name] = listed[0].etag
        return done, job.last_pass(cursor)

    def _new(self, name: str, prefix: S3Uri, folder: str, kind: str, through: int):
        """The job's results of `kind` in `folder` after the newest imported, up to id `through`, in id order."""
        last = self.imports.last_imported(name, kind)
        start = job.object_key(prefix, folder, last).key if last else ""
        for info in self.objects.list(prefix.child(prefix.key + folder), start_after=start):
            if job.item_id(info.key) > through:
                break
            yield json.loads(self.objects.read(prefix.child(info.key)))

    def _tell_closed(self, name: str, prefix: S3Uri) -> int:
        closed = self.imports.closed_alerts(name)
        for job_id in closed:
            job.write_json(self.objects, job.object_key(prefix, job.CLOSED, job_id), {"alert_id": job_id})
            self.imports.mark_closed(name, job_id)
        return len(closed)


def job_prefix(record: dict, name: str) -> S3Uri:
    """The monitor prefix of the deployment `record`'s job; a FieldError naming `name` when it has none."""
    monitor_job = record["config"].get("monitor_job")
    if not monitor_job:
        raise FieldError(
            "name",
            f"{name!r} has no monitoring job.",
            "Schedule one with `ai4mlops monitor-job schedule NAME` (or `seed` it for a scheduler of your own).",
        )
    return parse_uri(monitor_job["uri"], field="monitor_uri")


def read_cursor(objects: ObjectStore, uri: S3Uri) -> dict:
    """The job's cursor at `uri`; a UserError when it is not one (nothing is imported past it)."""
    try:
        cursor = json.loads(objects.read(uri))
        if isinstance(cursor["windows_through"], int) and isinstance(cursor["alerts_through"], int):
            return cursor
    except (ValueError, TypeError, KeyError):
        pass
    raise UserError(
        f"The job's cursor {uri} is not one: it names no window and alert ids.",
        "The job's next pass rewrites it; check that nothing else writes under the monitor prefix.",
    )


#: A job whose last pass is older than this many of its intervals has stopped passing.
STALE_INTERVALS = 3


def job_warnings(name: str, monitor_job: dict, status: dict, now: str | None = None) -> list[str]:
    """What is wrong with the deployment `name`'s monitoring job (`monitor_job`: its `config.monitor_job`) as its
    `status` (`JobStatusStore.status`) says, each with what to do; [] when nothing is. A job has stopped passing when
    its last pass (or its scheduling, before any) is older than `STALE_INTERVALS` of its intervals (a job of a
    scheduler of one's own has none)."""
    now = now or times.now()
    warnings = []
    if status["error"]:
        hint = status["error_hint"] or "Check the S3 endpoint (AWS_ENDPOINT_URL) and the credentials of this server."
        warnings.append(f"The last check of the job's results failed: {status['error']} {hint}")
    every = monitor_job.get("every_s")
    since = times.seconds_between(status["last_pass_at"] or monitor_job.get("scheduled_at"), now)
    if every and since is not None and since > STALE_INTERVALS * every:
        run = monitor_job.get("kfp_recurring_run_id")
        what = (
            f"The job's last pass was {duration(since)} ago"
            if status["last_pass_at"]
            else f"No pass of the job was seen in the {duration(since)} since it was scheduled"
        )
        warnings.append(
            f"{what}, more than {STALE_INTERVALS} intervals of {duration(every)}: check its recurring run"
            + (f" {run}" if run else "")
            + " in Kubeflow Pipelines (its failed runs' logs say why); "
            f"`ai4mlops monitor-job import {name}` reads the bucket again."
        )
    return warnings


def duration(seconds: float) -> str:
    """A duration in its largest unit, rounded down: "45 s", "3 min", "2 h", "4 d"."""
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
