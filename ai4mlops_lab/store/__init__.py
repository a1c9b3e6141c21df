"""The embedded store: one SQLite file (`workspace.STORE_FILE`) holding experiments, runs, steps and their
outputs, deployments, logged inference events, drift windows and alerts. Module map: README "Layout"."""

from ..states import RUN_FINISHED, STEP_FINISHED
from .errors import StoreBusyError, StoreCorruptError, StoreError, StoreValueError, StoreVersionError
from .runs import RUN_STATUSES, STEP_STATUSES, TARGETS, RunStore

__all__ = [
    "RUN_FINISHED",
    "RUN_STATUSES",
    "STEP_FINISHED",
    "STEP_STATUSES",
    "TARGETS",
    "RunStore",
    "StoreBusyError",
    "StoreCorruptError",
    "StoreError",
    "StoreValueError",
    "StoreVersionError",
]
