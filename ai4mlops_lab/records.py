"""The records the services return (and the REST API sends as JSON), typed. Times are UTC ISO-8601 strings,
durations seconds; statuses and targets are the values of the enums in `states.py`."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class StepRecord(TypedDict):
    """A step of a run; `log_path`, `metrics` and `outputs` only in a single run's record."""

    name: str
    status: str  # StepStatus
    started_at: str | None
    finished_at: str | None
    duration: float | None
    error: str | None
    log_path: NotRequired[str | None]
    metrics: NotRequired[dict[str, float]]
    outputs: NotRequired[dict[str, Any]]


class ArtifactRecord(TypedDict):
    step: str
    name: str
    uri: str
    type: str | None
    size: int | None
    metadata: dict


class RunRecord(TypedDict):
    """A run as `RunStore.runs()` lists it; `RunStore.run()` adds `artifacts` and the steps' details, and leaves out
    `step_counts`."""

    id: str
    experiment: str
    schedule: str | None  # the schedule whose due time started the run
    trigger: str | None  # the data trigger whose file started the run
    notebook_path: str
    notebook_hash: str
    pipeline: str
    pipeline_version: str | None
    target: str  # RunTarget
    parameters: dict[str, Any]
    status: str  # RunStatus
    error: str | None
    worker_pid: int | None
    backend_run_id: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    updated_at: str
    duration: float | None
    metrics: dict[str, float]
    steps: list[StepRecord]
    step_counts: NotRequired[dict[str, int]]
    artifacts: NotRequired[list[ArtifactRecord]]


class DeploymentRecord(TypedDict):
    """A deployment as the store keeps it; the services' views add `ready`, `endpoints`, `signature`, `stats` and,
    per target, `folder` and `log_tail` (local) or `conditions` and `refresh_error` (kserve)."""

    name: str
    run_id: str | None
    model_name: str
    model_uri: str
    target: str  # DeploymentTarget
    status: str  # DeploymentStatus
    url: str | None
    port: int | None
    pid: int | None
    config: dict[str, Any]
    error: str | None
    request_count: int
    error_count: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    created_at: str
    updated_at: str


class DeploymentView(DeploymentRecord):
    ready: bool
    endpoints: dict[str, str] | None
    signature: dict | None
    stats: dict | None
    folder: NotRequired[str]
    log_tail: NotRequired[str]
    conditions: NotRequired[list[dict]]
    refresh_error: NotRequired[str]
    usage: NotRequired[dict | None]
    runtime: NotRequired[dict]


class AlertRecord(TypedDict):
    id: int
    deployment: str
    kind: str  # data_drift, performance or concept_drift
    status: str  # AlertStatus
    message: str
    window_ids: list[int]
    evidence: dict[str, Any]
    retrain_run_id: str | None
    retrain_parameters: dict[str, Any] | None
    redeploy: bool
    redeployed_at: str | None
    error: str | None
    raised_at: str
    updated_at: str


class VersionStep(TypedDict):
    """A step of the run that made a model version, as it was when the version was registered."""

    name: str
    status: str  # StepStatus
    log_path: str | None


class ReferenceSummary(TypedDict):
    """The reference data saved with a model: where it came from, how many rows (of how many), its features."""

    source: str | None
    rows: int | None
    total_rows: int | None
    features: list[str]
    uri: str | None


class RegistryIds(TypedDict):
    """A version's ids in a Kubeflow Model Registry."""

    registered_model_id: str
    model_version_id: str
    model_artifact_id: str | None


class ModelVersionRecord(TypedDict):
    """A version of a registered model: immutable once written, except `state`. `artifact` is the run's artifact
    (`step/name`), `artifact_uri` where it lies (nothing is copied); the run's notebook, parameters, metrics and
    steps are a snapshot taken at registration; `aliases` are those pointing at it now; `registry_ids` only when
    the registry is a Kubeflow Model Registry."""

    model: str
    version: int
    state: str  # ModelVersionState
    artifact_uri: str
    artifact: str | None
    framework: str | None
    framework_version: str | None
    signature: dict | None
    run_id: str | None
    notebook_path: str | None
    notebook_hash: str | None
    parameters: dict[str, Any]
    metrics: dict[str, float | None]
    steps: list[VersionStep]
    reference: ReferenceSummary | None
    author: str
    created_at: str
    aliases: list[str]
    registry_ids: NotRequired[RegistryIds]


class RegisteredModelRecord(TypedDict):
    """A registered model: `aliases` maps each alias to its version; `latest_version` is the newest version."""

    name: str
    description: str
    created_at: str
    updated_at: str
    version_count: int
    aliases: dict[str, int]
    latest_version: ModelVersionRecord | None


class AliasMoveRecord(TypedDict):
    """One move of an alias: set (`from_version` None), moved, or removed (`to_version` None)."""

    model: str
    alias: str
    from_version: int | None
    to_version: int | None
    at: str
    by: str
    reason: str


class ScheduleRecord(TypedDict):
    """A schedule as the store keeps it. The trigger's times (`start_at`, `end_at`, `next_due`, `last_fired_due`)
    are epoch seconds (whole seconds, the unit of a fire time); `next_due` is None when disabled or past its end."""

    id: int
    name: str
    notebook_path: str
    pin: str | None  # the kept compiled pipeline each run runs (`runs/pinned.py`); None: compiled at each run
    parameters: dict[str, Any]
    target: str  # RunTarget
    experiment: str | None  # None: the notebook's setting, as for a run started by hand
    trigger: str  # ScheduleTrigger
    expression: str
    time_zone: str
    start_at: int | None
    end_at: int | None
    max_concurrent: int
    catch_up: bool
    enabled: bool
    next_due: int | None
    last_fired_due: int | None
    created_at: str
    updated_at: str
    kfp_pipeline_id: str | None  # target kfp: the pipeline, its version and the recurring run on the KFP server
    kfp_version_id: str | None
    kfp_recurring_run_id: str | None


class FireRecord(TypedDict):
    """One due time of a schedule and what became of it (`outcome`: FireOutcome)."""

    schedule_id: int
    due: int
    outcome: str
    reason: str | None
    run_id: str | None
    fired_at: str


class TriggerRecord(TypedDict):
    """A data trigger as the store keeps it: `source` is a folder relative to the root or an `s3://` prefix;
    `parameter` receives each file's location (its absolute path, or its `s3://` URI)."""

    id: int
    name: str
    notebook_path: str
    source: str
    pattern: str
    parameter: str
    parameters: dict[str, Any]
    experiment: str | None
    settle_seconds: int
    poll_seconds: int
    batch: bool  # one run per settled batch (locations newline-joined) instead of one per file
    include_existing: bool  # also run for the files there when the trigger starts watching
    max_concurrent: int
    enabled: bool
    baseline_at: float | None  # when the files already there were noted (None: not yet)
    last_error: str | None  # why the latest listing failed (None: it worked)
    created_at: str
    updated_at: str


class SeenFileRecord(TypedDict):
    """A content a trigger handled (`state`: SeenState), first seen at `path`, and the run it started."""

    content_hash: str
    path: str
    size: int
    state: str
    reason: str | None
    run_id: str | None
    seen_at: str


class BatchJobRecord(TypedDict):
    """A batch prediction job: a model over an input file or object, its progress and outcome. Paths are relative
    to the root; `rows_total` is the input's row count as first estimated (a CSV's lines), exact once the job ends."""

    id: str
    model: str  # as the user named it: a deployment, a run id, MODEL:VERSION or MODEL@ALIAS
    model_description: str | None  # which model that was, once the worker loaded it
    deployment: str | None  # whose request log the predictions go to when `log`
    input_path: str  # or an s3:// URI
    output_path: str  # or an s3:// URI
    rejects_path: str  # written only when rows were rejected
    options: dict[str, Any]  # artifact, chunk_size, task, overwrite
    log: bool
    status: str  # RunStatus
    rows_done: int
    rows_total: int | None
    rows_predicted: int
    rejected: int
    error: str | None
    worker_pid: int | None
    stage: str | None  # downloading, predicting, uploading (a local job's)
    target: str  # local (a worker process) or kfp (a one-step pipeline run)
    kfp_run_id: str | None
    kfp_url: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    updated_at: str
