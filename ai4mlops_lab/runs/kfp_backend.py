"""Run compiled pipelines on a Kubeflow Pipelines API server through `kfp.Client`.

`submit` uploads the IR YAML (a new pipeline, or a new version when the name exists), gets or
creates the experiment and starts a run of that version with the user's parameter values;
`status` maps the run and its tasks to our states; `cancel` terminates the run. `kfp` is
imported only when a backend talks to a server.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import hashlib
import json
import logging
import re
import sys
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path

from ..errors import NotFoundError, UserError
from ..states import RunStatus
from .kfp_connection import KfpConnection
from .kfp_errors import KfpRequestError, translate

log = logging.getLogger(__name__)

# KFP RuntimeState -> our state. CANCELING is still running; PAUSED waits like PENDING.
STATES = {
    "RUNTIME_STATE_UNSPECIFIED": RunStatus.PENDING,
    "PENDING": RunStatus.PENDING,
    "PAUSED": RunStatus.PENDING,
    "RUNNING": RunStatus.RUNNING,
    "CANCELING": RunStatus.RUNNING,
    "SUCCEEDED": RunStatus.SUCCEEDED,
    "SKIPPED": RunStatus.SUCCEEDED,
    "FAILED": RunStatus.FAILED,
    "CANCELED": RunStatus.CANCELLED,
}
FINAL = {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}

# (connect, read) seconds for each request to the API server.
DEFAULT_TIMEOUT = (5.0, 60.0)


def map_state(kfp_state: str | None) -> str:
    """Our state for a KFP RuntimeState name (unknown or missing -> pending)."""
    return STATES.get(str(kfp_state or "").upper(), RunStatus.PENDING)


def version_name(pipeline_name: str, yaml_bytes: bytes, when: _dt.datetime | None = None) -> str:
    """A unique pipeline version name: name, UTC time to the microsecond, short hash of the YAML."""
    when = when or _dt.datetime.now(_dt.UTC)
    digest = hashlib.sha256(yaml_bytes).hexdigest()[:8]
    return f"{pipeline_name}-{when:%Y%m%d-%H%M%S-%f}-{digest}"


class KfpBackend:
    """Submit, follow and cancel runs on one KFP API server."""

    def __init__(self, connection: KfpConnection, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT):
        self.connection = connection
        self.timeout = timeout
        self._client = None
        self._lock = threading.Lock()

    # -- operations -------------------------------------------------------------------------

    def submit(
        self,
        pipeline_yaml: Path,
        *,
        pipeline_name: str,
        parameters: dict,
        experiment: str,
        run_name: str,
        description: str = "",
    ) -> dict:
        """Upload the pipeline (or a new version of it), ensure the experiment, start a run.

        Returns {run_id, pipeline_id, pipeline_version_id, experiment_id, url}.
        """
        path = Path(pipeline_yaml)
        if not path.is_file():
            raise NotFoundError(f"Pipeline file {path} does not exist.", "Compile the notebook first.")
        for label, value in (("pipeline name", pipeline_name), ("experiment", experiment), ("run name", run_name)):
            if not str(value or "").strip():
                raise UserError(f"The {label} is empty.", f"Give the run a non-empty {label}.")
        if not isinstance(parameters, dict):
            raise UserError("Run parameters must be a mapping of name to value.", "")
        log.info(
            "Submitting pipeline %r to KFP at %s (namespace %r, auth %s)",
            pipeline_name,
            self.connection.host,
            self.connection.namespace,
            self.connection.auth,
        )
        client = self._get_client()
        pipeline_id, version_id = self.upload(path, pipeline_name=pipeline_name, description=description)
        experiment_id = self.experiment_id(experiment)
        run = self._call(
            f"create run {run_name!r}",
            client.run_pipeline,
            experiment_id=experiment_id,
            job_name=run_name,
            pipeline_id=pipeline_id,
            version_id=version_id,
            params=dict(parameters),
        )
        log.info("KFP run %s started (pipeline %s, version %s)", run.run_id, pipeline_id, version_id)
        return {
            "run_id": run.run_id,
            "pipeline_id": pipeline_id,
            "pipeline_version_id": version_id,
            "experiment_id": experiment_id,
            "url": self.connection.run_url(run.run_id),
        }

    def upload(self, pipeline_yaml: Path, *, pipeline_name: str, description: str = "") -> tuple[str, str]:
        """Upload the compiled pipeline as a new pipeline, or a new version of the one of that name:
        (pipeline_id, pipeline_version_id)."""
        return self._call(
            "upload the pipeline",
            self._upload,
            self._get_client(),
            Path(pipeline_yaml),
            pipeline_name,
            description,
            self.connection.namespace or None,
        )

    def experiment_id(self, experiment: str) -> str:
        """The id of the experiment `experiment`, created when it does not exist."""
        client = self._get_client()
        found = self._call(
            f"get or create experiment {experiment!r}",
            client.create_experiment,
            name=experiment,
            namespace=self.connection.namespace or None,
        )
        return found.experiment_id

    # -- recurring runs ---------------------------------------------------------------------

    def create_recurring_run(
        self,
        *,
        name: str,
        pipeline_id: str,
        version_id: str,
        experiment: str,
        parameters: dict,
        trigger: dict,
        max_concurrency: int,
        catch_up: bool,
        enabled: bool,
        description: str = "",
    ) -> str:
        """Create a recurring run of the pipeline version; its id. `trigger` is `{"cron": six-field expression}`
        or `{"interval_second": n}`, with optional `start_time` and `end_time` (RFC 3339 texts)."""
        client = self._get_client()
        experiment_id = self.experiment_id(experiment)
        interval = trigger.get("interval_second")
        created = self._call(
            f"create recurring run {name!r}",
            client.create_recurring_run,
            experiment_id=experiment_id,
            job_name=name,
            description=description or None,
            start_time=trigger.get("start_time"),
            end_time=trigger.get("end_time"),
            interval_second=None if interval is None else str(interval),  # int64: a JSON string
            cron_expression=trigger.get("cron"),
            max_concurrency=str(max_concurrency),
            no_catchup=not catch_up,
            params=dict(parameters),
            pipeline_id=pipeline_id,
            version_id=version_id,
            enabled=enabled,
        )
        log.info("KFP recurring run %s created (pipeline version %s)", created.recurring_run_id, version_id)
        return created.recurring_run_id

    def switch_recurring_run(self, recurring_run_id: str, enabled: bool) -> None:
        """Enable or disable the recurring run."""
        client = self._get_client()
        if enabled:
            self._call(f"enable recurring run {recurring_run_id}", client.enable_recurring_run, recurring_run_id)
        else:
            self._call(f"disable recurring run {recurring_run_id}", client.disable_recurring_run, recurring_run_id)

    def delete_recurring_run(self, recurring_run_id: str) -> None:
        """Delete the recurring run (the runs it started stay)."""
        client = self._get_client()
        self._call(f"delete recurring run {recurring_run_id}", client.delete_recurring_run, recurring_run_id)

    def recurring_run_runs(self, recurring_run_id: str, limit: int = 100) -> list[dict]:
        """The latest `limit` runs the recurring run started, newest first: {run_id, name, status, kfp_state,
        created_at, scheduled_at, finished_at, error, url}."""
        predicate = {"operation": "EQUALS", "key": "recurring_run_id", "stringValue": recurring_run_id}
        client = self._get_client()
        found = self._call(
            f"list the runs of recurring run {recurring_run_id}",
            client.list_runs,
            page_size=limit,
            sort_by="created_at desc",
            namespace=self.connection.namespace or None,
            filter=json.dumps({"predicates": [predicate]}),
        )
        return [
            {
                "run_id": run.run_id,
                "name": run.display_name,
                "status": map_state(run.state),
                "kfp_state": run.state or "RUNTIME_STATE_UNSPECIFIED",
                "created_at": _iso(run.created_at),
                "scheduled_at": _iso(run.scheduled_at),
                "finished_at": _iso(run.finished_at),
                "error": _error_text(run.error),
                "url": self.connection.run_url(run.run_id),
            }
            for run in found.runs or []
        ]

    def status(self, run_id: str, step_names: Iterable[str] | None = None) -> dict:
        """The run's state and its steps' states, from `run_details.task_details`.

        Returns {state, kfp_state, error, created_at, finished_at, steps: [{name, state,
        kfp_state, started_at, finished_at, error}]}. With `step_names`, only those tasks are
        listed, in that order; otherwise every named task except the root DAG and drivers.
        """
        run = self._call(f"get run {run_id}", self._get_client().get_run, run_id)
        details = getattr(run.run_details, "task_details", None) or []
        return {
            "state": map_state(run.state),
            "kfp_state": run.state or "RUNTIME_STATE_UNSPECIFIED",
            "error": _error_text(run.error),
            "created_at": _iso(run.created_at),
            "finished_at": _iso(run.finished_at),
            "steps": _steps(details, step_names),
        }

    def cancel(self, run_id: str) -> None:
        """Ask the server to terminate the run."""
        log.info("Terminating KFP run %s", run_id)
        self._call(f"terminate run {run_id}", self._get_client().terminate_run, run_id)

    # -- internals --------------------------------------------------------------------------

    def _upload(self, client, path: Path, pipeline_name: str, description: str, namespace: str | None):
        """(pipeline_id, version_id): a new pipeline, or a new version when the name exists."""
        pipeline_id = self._find_pipeline(client, pipeline_name, namespace)
        if pipeline_id is None:
            pipeline = client.upload_pipeline(
                str(path), pipeline_name=pipeline_name, description=description or None, namespace=namespace
            )
            versions = client.list_pipeline_versions(pipeline.pipeline_id, page_size=1, sort_by="created_at")
            if not versions.pipeline_versions:
                raise KfpRequestError(
                    f"The KFP server created pipeline {pipeline_name!r} without a version.",
                    "Check the pipeline in the KFP UI.",
                )
            return pipeline.pipeline_id, versions.pipeline_versions[0].pipeline_version_id
        name = version_name(pipeline_name, path.read_bytes())
        version = client.upload_pipeline_version(
            str(path), pipeline_version_name=name, pipeline_id=pipeline_id, description=description or None
        )
        return pipeline_id, version.pipeline_version_id

    @staticmethod
    def _find_pipeline(client, name: str, namespace: str | None) -> str | None:
        predicate = {"operation": "EQUALS", "key": "display_name", "stringValue": name}
        found = client.list_pipelines(filter=json.dumps({"predicates": [predicate]}), page_size=2, namespace=namespace)
        pipelines = found.pipelines or []
        if len(pipelines) > 1:
            raise KfpRequestError(
                f"Several KFP pipelines are named {name!r}.",
                "Rename the pipeline in the notebook settings, or delete the duplicates.",
            )
        return pipelines[0].pipeline_id if pipelines else None

    def _call(self, doing: str, func, *args, **kwargs):
        """Call into kfp, turning transport and HTTP failures into UserErrors. kfp prints links to its UI: they go to
        stderr, so that stdout stays the caller's (`--json`)."""
        try:
            with contextlib.redirect_stdout(sys.stderr):
                return func(*args, **kwargs)
        except Exception as exc:
            mapped = translate(exc, self.connection, doing)
            if mapped is None:
                if isinstance(exc, ValueError):  # kfp's own checks (e.g. an invalid package)
                    raise KfpRequestError(f"Could not {doing}: {exc}", "") from None
                raise
            log.debug("KFP call failed while trying to %s: %s", doing, mapped.message)
            raise mapped from None

    def _get_client(self):
        with self._lock:
            if self._client is None:
                self._client = self._call(
                    f"connect to {self.connection.host}", _new_client, self.connection, self.timeout
                )
            return self._client


def _new_client(conn: KfpConnection, timeout: tuple[float, float]):
    """A kfp.Client for `conn` whose requests time out and whose first health check does not retry."""
    client_class = _client_class()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="This client only works with", category=FutureWarning)
        kwargs = {
            "host": conn.host,
            "existing_token": conn.token or None,
            "cookies": conn.cookies or None,
            "ssl_ca_cert": conn.ssl_ca_cert or None,
            "verify_ssl": conn.verify,
        }
        if conn.namespace:
            kwargs["namespace"] = conn.namespace
        client = client_class(_timeout=timeout, **kwargs)
    return client


@functools.lru_cache(maxsize=1)
def _client_class():
    """kfp.Client with bounded retries, request timeouts and a single-try health check."""
    import urllib3
    from kfp.client import Client

    class _Client(Client):
        def __init__(self, *, _timeout, **kwargs):
            self._ai4mlops_timeout = _timeout
            super().__init__(**kwargs)
            _apply_timeout(self._run_api.api_client.rest_client, _timeout)

        def _load_config(self, *args, **kwargs):
            config = super()._load_config(*args, **kwargs)
            # One retry for connection failures; redirects (login pages) come back as errors.
            config.retries = urllib3.util.Retry(
                total=1, connect=1, read=0, status=0, other=0, redirect=0, raise_on_redirect=False
            )
            return config

        def get_kfp_healthz(self, sleep_duration: int = 5):
            return self._healthz_api.healthz_service_get_healthz(_request_timeout=self._ai4mlops_timeout)

    return _Client


def _apply_timeout(rest_client, timeout) -> None:
    """Give every request of this REST client a default (connect, read) timeout."""
    original = rest_client.request

    def request(method, url, *args, _request_timeout=None, **kwargs):
        return original(method, url, *args, _request_timeout=_request_timeout or timeout, **kwargs)

    rest_client.request = request


def _steps(details: list, step_names: Iterable[str] | None) -> list[dict]:
    names = {d.display_name for d in details if d.display_name}
    if step_names is not None:
        wanted = list(step_names)
        by_name = {d.display_name: d for d in details if d.display_name}
        chosen = [by_name[n] for n in wanted if n in by_name]
    else:
        chosen = [
            d
            for d in details
            if d.display_name
            and d.display_name != "root"
            and not (d.display_name.endswith("-driver") and d.display_name[:-7] in names)
        ]
    return [
        {
            "name": d.display_name,
            "state": map_state(d.state),
            "kfp_state": d.state or "RUNTIME_STATE_UNSPECIFIED",
            "started_at": _iso(d.start_time),
            "finished_at": _iso(d.end_time),
            "error": _error_text(d.error),
        }
        for d in chosen
    ]


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _error_text(error) -> str:
    if error is None:
        return ""
    message = getattr(error, "message", None)
    return re.sub(r"\s+", " ", str(message or "")).strip()
