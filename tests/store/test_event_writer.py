"""Group commit of inference events: concurrent adds share a transaction, each still gets its own answer."""

import asyncio
import sqlite3

import pytest

from ai4mlops_lab.store.errors import StoreBusyError
from ai4mlops_lab.store.event_records import InferenceEvent
from ai4mlops_lab.store.event_writer import EventWriter
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.workspace import STORE_FILE

from ..requests import stopped_deployment


def event(ce_id, kind="request", body=b'{"instances": [[1.0, 2.0]]}'):
    return InferenceEvent(
        ce_id=ce_id,
        kind=kind,
        deployment="iris",
        namespace="local",
        component="predictor",
        endpoint="default",
        source="http://127.0.0.1:8080/",
        time="2026-11-24T10:00:00Z",
        content_type="application/json",
        body=body,
    )


class CountingStore(EventStore):
    """An event store that records the size of every batch it is asked to write."""

    def __init__(self, path):
        super().__init__(path)
        self.batches = []

    def add_many(self, events):
        self.batches.append(len(events))
        return super().add_many(events)


@pytest.fixture
def store(tmp_path):
    stopped_deployment(tmp_path / STORE_FILE, "iris")
    store = CountingStore(tmp_path / STORE_FILE)
    yield store
    store.close()


def add_together(writer, events):
    """Add the events from concurrent tasks, as concurrent requests do; each one's result or error."""

    async def main():
        return await asyncio.gather(*(writer.add(e) for e in events), return_exceptions=True)

    return asyncio.run(main())


def test_concurrent_events_are_written_in_one_transaction_and_all_stored(store):
    results = add_together(
        EventWriter(store), [event(f"id-{n}", kind) for n in range(20) for kind in ("request", "response")]
    )
    assert results == [True] * 40 and store.batches == [40]
    assert store.counts() == {"requests": 20, "responses": 20, "rejected": {}, "unattributed": {}}


def test_a_retry_in_the_same_batch_is_stored_once(store):
    assert add_together(EventWriter(store), [event("a"), event("b"), event("a")]) == [True, True, False]
    assert store.batches == [3] and store.counts()["requests"] == 2
    assert add_together(EventWriter(store), [event("a")]) == [False]  # and in a later batch


@pytest.mark.parametrize("earlier", [[], [event("a")]])
def test_a_batch_of_one_new_event_and_one_retry_answers_the_retry_as_such(store, earlier):
    """The counting trigger's own changes must not make a batch with a retry look like a batch of new events."""
    add_together(EventWriter(store), earlier)
    batch = [event("a"), event("a")] if not earlier else [event("b"), event("a")]
    assert add_together(EventWriter(store), batch) == [True, False]
    assert store.counts()["requests"] == 2 if earlier else 1


def test_an_event_that_cannot_be_stored_fails_alone(store):
    bad = event("bad", body=object())  # a body SQLite cannot bind
    results = add_together(EventWriter(store), [event("a"), bad, event("b")])
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], sqlite3.Error)
    assert store.batches[0] == 3 and store.counts()["requests"] == 2


def test_a_store_failure_fails_every_event_of_the_batch(tmp_path):
    class BusyStore(EventStore):
        def add_many(self, events):
            raise StoreBusyError("The store was busy for more than 10 s.", "Try again.")

    busy = BusyStore(tmp_path / STORE_FILE)
    results = add_together(EventWriter(busy), [event("a"), event("b")])
    assert all(isinstance(r, StoreBusyError) for r in results)
    busy.close()


def test_events_added_in_turn_are_written_in_turn(store):
    writer = EventWriter(store)

    async def one_by_one():
        return [await writer.add(event(f"id-{n}")) for n in range(3)]

    assert asyncio.run(one_by_one()) == [True, True, True] and store.batches == [1, 1, 1]


def test_the_event_loop_keeps_running_while_the_store_is_locked_by_another_writer(store):
    other = sqlite3.connect(store.path)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock: the writer's transaction waits for it

    async def main():
        writing = asyncio.create_task(EventWriter(store).add(event("a")))
        ticks = 0
        while ticks < 20:  # the loop turns while the event waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert not writing.done()
        other.rollback()
        return await writing

    assert asyncio.run(main()) is True and store.counts()["requests"] == 1
    other.close()
