"""Every status and target, defined once. `StrEnum` members are strings: they compare equal to the values
stored in SQLite and sent as JSON, so records keep plain strings."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CACHED = "cached"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


class RunTarget(StrEnum):
    LOCAL = "local"
    KFP = "kfp"


class DeploymentStatus(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    FAILED = "failed"
    STOPPED = "stopped"


class DeploymentTarget(StrEnum):
    LOCAL = "local"
    KSERVE = "kserve"


class ModelVersionState(StrEnum):
    LIVE = "live"
    ARCHIVED = "archived"


class ScheduleTrigger(StrEnum):
    CRON = "cron"
    INTERVAL = "interval"


class FireOutcome(StrEnum):
    """What became of one due time of a schedule."""

    CLAIMED = "claimed"  # taken by a scheduler, its run not started yet
    STARTED = "started"
    SKIPPED = "skipped"
    FAILED = "failed"  # starting the run raised


class SeenState(StrEnum):
    """What became of a content a data trigger handled (one per content hash)."""

    CLAIMED = "claimed"  # taken by a watcher, its run not started yet
    STARTED = "started"
    FAILED = "failed"  # starting the run raised, or its watcher stopped first


class WatchState(StrEnum):
    """Where a file a data trigger lists stands."""

    SETTLING = "settling"  # new or changed: waiting until its size and time (or ETag) hold for the settle time
    READY = "ready"  # settled and hashed: waiting for a run slot (max_concurrent) or for its batch
    EXISTING = "existing"  # there when the trigger started watching: left alone until it changes
    HANDLED = "handled"  # its content started a run (or failed to)
    DUPLICATE = "duplicate"  # its content was handled before (a copy, a rename, a re-upload)


class AlertStatus(StrEnum):
    OPEN = "open"
    RETRAINING = "retraining"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


#: Runs still going: a backend may still change them.
RUN_ACTIVE = frozenset({RunStatus.PENDING, RunStatus.RUNNING})
#: Runs that reached their end: they no longer change.
RUN_FINISHED = frozenset(RunStatus) - RUN_ACTIVE
STEP_FINISHED = frozenset(StepStatus) - {StepStatus.PENDING, StepStatus.RUNNING}
#: Deployments whose server should be up.
DEPLOYMENT_LIVE = frozenset({DeploymentStatus.STARTING, DeploymentStatus.RUNNING})
#: Alerts not closed yet.
ALERT_ACTIVE = (AlertStatus.OPEN, AlertStatus.RETRAINING)
