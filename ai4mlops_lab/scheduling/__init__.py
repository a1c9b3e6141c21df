"""Schedules: cron and interval triggers (`cron.py`, `triggers.py`), checking and managing schedules
(`validation.py`, `service.py`) and the scheduler that fires the due ones (`scheduler.py`). Data triggers: what they
watch (`sources.py`, a folder or an S3 prefix), checking and managing them (`trigger_validation.py`,
`trigger_service.py`) and the watcher that starts runs for new files (`watcher.py`). Module map: README "Layout"."""

from .scheduler import Fired, Scheduler
from .service import ScheduleService
from .trigger_service import TriggerService
from .triggers import next_times
from .watcher import Started, Watcher

__all__ = ["Fired", "ScheduleService", "Scheduler", "Started", "TriggerService", "Watcher", "next_times"]
