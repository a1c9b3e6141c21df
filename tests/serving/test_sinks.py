"""The store sink: a model server deployed with no ingest endpoint writes its events straight into the store,
as the ingest endpoint would (same records, idempotent, refusals counted), and never loses one it cannot write."""

from ai4mlops_lab.serving.requestlog import REQUEST_TYPE, RequestLog
from ai4mlops_lab.serving.sinks import StoreSink
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.workspace import STORE_FILE

from ..requests import stopped_deployment
from .test_requestlog import record, wait_until


def headers(ce_id, name="iris"):
    return {
        "Ce-Specversion": "1.0",
        "Ce-Type": REQUEST_TYPE,
        "Ce-Id": ce_id,
        "Ce-Source": "http://127.0.0.1:1/",
        "Ce-Inferenceservicename": name,
        "Content-Type": "application/json",
    }


def test_events_are_stored_once_and_refusals_counted(tmp_path):
    path = tmp_path / STORE_FILE
    stopped_deployment(path, "iris")
    sink = StoreSink(path)
    assert sink.post(headers("a"), b'{"instances": [[1]]}') and sink.post(headers("a"), b'{"instances": [[1]]}')
    assert sink.post(headers("a"), b'{"instances": [[2]]}')  # a conflicting Ce-Id: refused, never retried
    assert sink.post(headers("b", name="gone"), b"{}")  # no such deployment: refused, never retried
    counts = EventStore(path).counts()
    assert counts["requests"] == 1
    assert counts["rejected"] == {"conflicting Ce-Id": 1, "unknown deployment": 1}


def test_a_store_it_cannot_open_is_retried_later(tmp_path):
    (tmp_path / STORE_FILE).mkdir()  # not a file
    assert StoreSink(tmp_path / STORE_FILE).post(headers("a"), b"{}") is False


def test_the_request_log_writes_into_the_store(tmp_path):
    path = tmp_path / STORE_FILE
    stopped_deployment(path, "m")
    log = RequestLog(tmp_path, name="m", source="http://127.0.0.1:1/", sink=StoreSink(path))
    log.start()
    try:
        for number in range(10):
            record(log, f"r{number}")
        wait_until(lambda: log.stats()["sent"] == 20)
    finally:
        log.stop()
    assert EventStore(path).counts("m")["requests"] == 10 and log.stats()["spooled"] == 0
