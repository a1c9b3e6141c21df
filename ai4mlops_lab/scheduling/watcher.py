"""The watcher: each `tick` lists the enabled data triggers' sources and starts runs for the new files.

A file is picked up once it has settled: listed with the same version (size and modification time, or ETag) for
the trigger's `settle_seconds`, by this watcher's clock; a file still being written keeps changing and waits. Files
last modified before the trigger was created (or its source or pattern changed), by more than `BASELINE_MARGIN_S`
(object stores give whole seconds; clocks differ a little), are left alone until they change; `include_existing`
runs them too.

Its content hash then decides: a content the trigger handled before (a copy, a rename, a re-upload, the same file
after a restart) starts nothing; new content is claimed in the store (`TriggerStore.claim`, unique per trigger and
hash) before its run starts, so several watchers (threads or processes) start one run. Changed bytes at the same
path are new content. One run per file, or with `batch` one run per batch: once no matching file is settling, the
new settled files start one run, their locations joined by newlines in the parameter. While `max_concurrent` runs
of the trigger are in flight, settled files wait (nothing is skipped).

A watcher that stops between claim and start leaves the content `claimed`; after `CLAIM_TIMEOUT_S` it is marked
failed. A run that fails to start (the notebook is gone, the parameter unknown) marks its files failed with the
reason; they are not retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..records import TriggerRecord
from ..states import SeenState, WatchState
from ..store import times
from ..store.triggers import TriggerStore
from .sources import Entry

log = logging.getLogger(__name__)

CLAIM_TIMEOUT_S = 600
#: A file modified less than this before its trigger was created counts as new: in doubt, it runs.
BASELINE_MARGIN_S = 2.0
STOPPED = "the watcher stopped before starting the run"

#: `start_run(notebook_path, parameters, experiment)` starts a run and returns its id.
StartRun = Callable[[str, dict, str | None], str]


@dataclass(frozen=True)
class Started:
    """A run a tick started (or failed to start) for new files."""

    trigger: str
    paths: tuple[str, ...]
    outcome: str  # SeenState: started or failed
    run_id: str | None = None
    reason: str | None = None


class Watcher:
    """Watches the data triggers of the store at `store_path`: `source_of(trigger)` gives its source (`list(pattern)`
    and `content_hash(entry)`, see `sources.py`), `start_run` starts a run, `clock` gives epoch seconds."""

    def __init__(
        self,
        store_path: str | Path,
        start_run: StartRun,
        source_of: Callable[[TriggerRecord], object],
        clock: Callable[[], float] = time.time,
    ):
        self.store = TriggerStore(store_path)
        self._start_run = start_run
        self._source_of = source_of
        self._clock = clock
        self._listed: dict[int, float] = {}  # trigger id -> when this watcher last listed its source
        # trigger id -> (its updated_at, its listing's fingerprint) after a listing that left nothing to do: the same
        # listing again needs no look at the store
        self._quiet: dict[int, tuple[str, int]] = {}

    def tick(self) -> list[Started]:
        """List each enabled trigger due for a listing (every `poll_seconds`) and start the runs of its new files;
        a source that cannot be listed is recorded as the trigger's `last_error`, never raised (the store failing
        is)."""
        now = self._clock()
        self.store.expire_claims(now - CLAIM_TIMEOUT_S, STOPPED)
        started: list[Started] = []
        for trigger in self.store.list(enabled_only=True):
            if now - self._listed.get(trigger["id"], float("-inf")) < trigger["poll_seconds"]:
                continue
            self._listed[trigger["id"]] = now
            try:
                started += self._watch(trigger, self._source_of(trigger), now)
            except UserError as err:
                self.store.set_error(trigger["id"], err.message)
            except Exception as err:  # a bug, or a source failing in a way no UserError says: the others go on
                log.exception("Watching trigger %s failed", trigger["name"])
                self.store.set_error(trigger["id"], f"{type(err).__name__}: {err}")
        return started

    def close(self) -> None:
        self.store.close()

    def _watch(self, trigger: TriggerRecord, source, now: float) -> list[Started]:
        tid = trigger["id"]
        listed = {entry.path: entry for entry in source.list(trigger["pattern"])}
        self.store.set_error(tid, None)
        fingerprint = (trigger["updated_at"], hash(frozenset((e.path, e.version) for e in listed.values())))
        if self._quiet.get(tid) == fingerprint:
            return []
        self._quiet.pop(tid, None)
        if trigger["baseline_at"] is None:
            since = (times.epoch_seconds(trigger["updated_at"]) or now) - BASELINE_MARGIN_S
            existing = [] if trigger["include_existing"] else [e for e in listed.values() if e.modified < since]
            if not self.store.baseline(tid, [(e.path, e.size, e.version) for e in existing], now):
                return []  # another watcher noted the files there first: the next listing goes on from it
        followed = self.store.files(tid)
        changed = [
            (e.path, e.size, e.version)
            for e in listed.values()
            if e.path not in followed or followed[e.path].version != e.version
        ]
        gone = [path for path in followed if path not in listed]
        if changed or gone:
            self.store.observe(tid, changed, gone, now)
            followed = self.store.files(tid)
        ready: dict[str, Entry] = {}  # content hash -> the first file (by path) that has it
        settling = False
        for path in sorted(followed):
            row, entry = followed[path], listed.get(path)
            if entry is None or row.version != entry.version:
                continue
            content = row.content_hash if row.state == WatchState.READY else None
            if row.state == WatchState.SETTLING:
                if now - row.since < trigger["settle_seconds"]:
                    settling = True
                    continue
                content = source.content_hash(entry)
                if content is None:  # changed while it was read: the next listing follows the new version
                    settling = True
                    continue
                self.store.mark(tid, path, entry.version, WatchState.READY, content)
            if content is None:
                continue
            if content in ready:
                self.store.mark(tid, path, entry.version, WatchState.DUPLICATE)
            else:
                ready[content] = entry
        for content in self.store.handled(tid, ready):
            entry = ready.pop(content)
            self.store.mark(tid, entry.path, entry.version, WatchState.DUPLICATE)
        if trigger["batch"]:
            batches = [] if settling or not ready else [ready]
        else:
            batches = [{content: entry} for content, entry in ready.items()]
        started, waiting = self._start_batches(trigger, batches, now)
        if not settling and not waiting and trigger["baseline_at"] is not None:
            self._quiet[tid] = fingerprint
        return started

    def _start_batches(
        self, trigger: TriggerRecord, batches: list[dict[str, Entry]], now: float
    ) -> tuple[list[Started], int]:
        """Start one run per batch (content hash -> file) while the trigger has room for more runs; what started,
        and how many batches wait for room."""
        started = []
        in_flight = self.store.in_flight(trigger["id"])
        for done, batch in enumerate(batches):
            if in_flight >= trigger["max_concurrent"]:
                return started, len(batches) - done
            taken = set(self.store.claim(trigger["id"], [(h, e.path, e.size) for h, e in batch.items()], now))
            for content, entry in batch.items():
                state = WatchState.HANDLED if content in taken else WatchState.DUPLICATE
                self.store.mark(trigger["id"], entry.path, entry.version, state)
            if taken:
                started.append(self._start(trigger, {h: e for h, e in batch.items() if h in taken}))
                in_flight += 1
        return started, 0

    def _start(self, trigger: TriggerRecord, batch: dict[str, Entry]) -> Started:
        entries = sorted(batch.values(), key=lambda e: e.path)
        paths = tuple(e.path for e in entries)
        parameters = {**trigger["parameters"], trigger["parameter"]: "\n".join(e.location for e in entries)}
        try:
            run_id = self._start_run(trigger["notebook_path"], parameters, trigger["experiment"])
        except Exception as err:
            reason = (err.message if isinstance(err, UserError) else str(err)) or type(err).__name__
            log.warning("Trigger %s could not start its run for %s: %s", trigger["name"], ", ".join(paths), reason)
            self.store.settle(trigger["id"], batch, SeenState.FAILED, reason=reason)
            return Started(trigger["name"], paths, SeenState.FAILED, None, reason)
        self.store.settle(trigger["id"], batch, SeenState.STARTED, run_id=run_id)
        return Started(trigger["name"], paths, SeenState.STARTED, run_id)
