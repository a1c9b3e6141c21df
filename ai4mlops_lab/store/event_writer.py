"""Group commit of inference events: the events posted concurrently are written in one transaction.

The ingest handler awaits `EventWriter.add`. Events reaching it in the same turn of the event loop (the
requests of many concurrent senders that arrived together) are written together, in a transaction of the
writer's own thread, so the event loop never waits on SQLite (a store locked by another writer waits up to its
busy timeout); events arriving while a transaction commits make the next one. `add` returns only once the
event's transaction is committed, so a reply still means the event is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading

from .event_records import InferenceEvent
from .events import EventStore

#: Errors that one event's values cause (rather than the store): its batch is then written event by event.
_EVENT_ERRORS = (
    sqlite3.IntegrityError,
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
    sqlite3.DataError,
    ValueError,
    TypeError,
    OverflowError,
)


class EventWriter:
    """Writes the events of one event loop to `store` from one thread, one transaction per batch.

    The thread takes batches from a queue and hands each batch's outcomes back with `call_soon_threadsafe`: an
    executor's futures chained to the loop's cost a fifth of the ingest route's rate (`bench/README.md`)."""

    def __init__(self, store: EventStore):
        self.store = store
        self._pending: list[tuple[InferenceEvent, asyncio.Future]] = []
        self._writing = False
        self._batches: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def add(self, event: InferenceEvent) -> bool:
        """`EventStore.add` in the next batch: True when newly stored, False for a retry; raises its error."""
        return await self.submit(event)

    def submit(self, event: InferenceEvent) -> asyncio.Future:
        """`add` without a coroutine: the future of its outcome (called on the event loop)."""
        loop = asyncio.get_running_loop()
        stored = loop.create_future()
        self._pending.append((event, stored))
        if not self._writing:
            self._writing = True
            loop.call_soon(self._write_pending, loop)  # after the other requests of this turn
        return stored

    def _write_pending(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._pending = self._pending, []
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="event-writer", daemon=True)
            self._thread.start()
        self._batches.put((batch, loop))

    def _serve(self) -> None:
        """The writer thread: each batch in one transaction, its outcomes handed back to its event loop."""
        while True:
            batch, loop = self._batches.get()
            try:
                outcomes = self._write([event for event, _ in batch])
            except Exception as error:  # the store failed (busy, disk): every event of the batch fails
                outcomes = [error] * len(batch)
            with contextlib.suppress(RuntimeError):  # its event loop was closed meanwhile: nobody waits for them
                loop.call_soon_threadsafe(self._answer, batch, outcomes, loop)

    def _answer(self, batch, outcomes: list, loop: asyncio.AbstractEventLoop) -> None:
        for (_, stored), outcome in zip(batch, outcomes):
            if stored.done():  # the request went away
                continue
            if isinstance(outcome, Exception):
                stored.set_exception(outcome)
            else:
                stored.set_result(outcome)
        if self._pending:  # arrived while this batch committed
            self._write_pending(loop)
        else:
            self._writing = False

    def _write(self, events: list[InferenceEvent]) -> list[bool | Exception]:
        """One transaction; if an event's values break it, one transaction per event, so only that one fails."""
        try:
            return self.store.add_many(events)
        except _EVENT_ERRORS as error:
            if len(events) == 1:
                return [error]
        outcomes: list[bool | Exception] = []
        for event in events:
            try:
                outcomes.append(self.store.add(event))
            except _EVENT_ERRORS as error:
                outcomes.append(error)
        return outcomes
