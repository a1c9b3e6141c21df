"""Schedules: cron and interval triggers (`cron.py`, `triggers.py`), checking and managing schedules
(`validation.py`, `service.py`) and the scheduler that fires the due ones (`scheduler.py`). Module map: README
"Layout"."""

from .scheduler import Fired, Scheduler
from .service import ScheduleService
from .triggers import next_times

__all__ = ["Fired", "ScheduleService", "Scheduler", "next_times"]
