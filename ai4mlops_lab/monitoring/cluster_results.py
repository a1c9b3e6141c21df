"""Import what deployments' monitoring jobs on the cluster found (`cluster_job.py`) into the workspace's store, each
window and alert once, so the drift charts and the alerts list show what happened while the Jupyter server was down.

Only results up to the job's committed cursor are imported (a pass killed after writing some windows rewrites them
at its next try), in id order, listing after the newest key imported; windows before alerts, each linked to the
alert whose streak it is or that it joined, whichever is imported last. A new alert may retrain (`on_alert`, as
for the server's own alerts). Alerts dealt with here (dismissed, resolved) are written to the job's `closed/`
folder, once each, so its next alert needs a new streak.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ..errors import UserError
from ..objectstore import ObjectStore, S3Uri, parse_uri
from ..states import DeploymentTarget
from ..store.deployments import DeploymentStore
from ..store.monitor_jobs import JobImportStore
from . import cluster_job as job
from .bucket_reader import left_in_bucket


class JobResults:
    """Imports the results of the monitoring jobs of the deployments in the store at `store_path`; `on_alert(alert
    id, deployment)` is called for each alert imported."""

    def __init__(self, objects: ObjectStore, store_path: Path, *, on_alert: Callable[[int, str], None] | None = None):
        self.objects = objects
        self.records = DeploymentStore(store_path, check=False)
        self.imports = JobImportStore(store_path, check=False)
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
        """Import the deployment's new committed results; `{windows, alerts, closed}` counts."""
        prefix = parse_uri(self.records.get(name)["config"]["monitor_job"]["uri"], field="monitor_uri")
        done = {"windows": 0, "alerts": 0, "closed": self._tell_closed(name, prefix)}
        cursor_uri = prefix.child(prefix.key + job.CURSOR)
        listed = [info for info in self.objects.list(cursor_uri) if info.key == cursor_uri.key]
        if not listed or self._seen.get(name) == listed[0].etag:  # no pass committed (since the last import)
            return done
        cursor = json.loads(self.objects.read(cursor_uri))
        for window in self._new(name, prefix, job.WINDOWS, "window", cursor["windows_through"]):
            done["windows"] += self.imports.import_window(name, window) is not None
        for alert in self._new(name, prefix, job.ALERTS, "alert", cursor["alerts_through"]):
            local = self.imports.import_alert(name, alert)
            if local is not None:
                done["alerts"] += 1
                if self.on_alert is not None:
                    self.on_alert(local, name)
        self._seen[name] = listed[0].etag
        return done

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
