"""The sinks of the request log. The store sink: a model server deployed with no ingest endpoint writes its events
straight into the store, as the ingest endpoint would (same records, idempotent, refusals counted), and never
loses one it cannot write. The HTTP sink: batches pipelined on kept-alive connections, answers of every framing
read, and only the events before a refusal counted as taken."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ai4mlops_lab.monitoring.ingest_token import ingest_token
from ai4mlops_lab.serving.requestlog import REQUEST_TYPE, RequestLog
from ai4mlops_lab.serving.sinks import HttpSink, StoreSink
from ai4mlops_lab.store.events import EventStore
from ai4mlops_lab.workspace import STORE_FILE

from ..requests import stopped_deployment
from ..server.live import LiveServer
from .test_requestlog import Sink, record, wait_until


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
    assert sink.post([(headers("a"), b'{"instances": [[1]]}')]) == 1
    # in one batch: a retry, a conflicting Ce-Id, no such deployment, not an event (no Ce-Id), a new one;
    # every one is taken (refusals are counted, never retried)
    batch = [
        (headers("a"), b'{"instances": [[1]]}'),
        (headers("a"), b'{"instances": [[2]]}'),
        (headers("b", name="gone"), b"{}"),
        ({**headers(""), "Ce-Id": ""}, b"{}"),
        (headers("c"), b'{"instances": [[3]]}'),
    ]
    assert sink.post(batch) == 5
    counts = EventStore(path).counts()
    assert counts["requests"] == 2
    assert counts["rejected"] == {"conflicting Ce-Id": 1, "unknown deployment": 1, "missing Ce-Id": 1}


def test_a_store_it_cannot_open_is_retried_later(tmp_path):
    (tmp_path / STORE_FILE).mkdir()  # not a file
    assert StoreSink(tmp_path / STORE_FILE).post([(headers("a"), b"{}"), (headers("b"), b"{}")]) == 0


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


class Answers:
    """A loopback HTTP/1.1 sink that answers each POST as its Ce-Id says: `refuse` 500, `chunked` a chunked 200,
    `empty` 204, `close` 200 then closes the connection, anything else 202; it notes each Ce-Id and connection."""

    def __init__(self):
        self.ids, self.ports = [], []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                ce_id = self.headers["Ce-Id"]
                sink.ids.append(ce_id)
                sink.ports.append(self.client_address[1])
                status = {"refuse": 500, "empty": 204}.get(ce_id, 202)
                self.send_response(status)
                if ce_id == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.write(b"5\r\nstore\r\n2\r\nd!\r\n0\r\n\r\n")
                    return
                if ce_id == "close":
                    self.send_header("Connection", "close")
                if status != 204:
                    self.send_header("Content-Length", "2")
                self.end_headers()
                if status != 204:
                    self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ingest"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def events(*ids):
    return [(headers(ce_id), b"{}") for ce_id in ids]


def test_http_sink_pipelines_batches_on_a_kept_alive_connection():
    sink = Answers()
    post = HttpSink(sink.url)
    try:
        assert post.post(events(*(f"e{n}" for n in range(20)), "chunked", "empty", "last")) == 23
        assert sink.ids == [f"e{n}" for n in range(20)] + ["chunked", "empty", "last"]
        assert len(set(sink.ports)) == 1
        # a sink that ends the connection after an answer: the rest go on a new one
        assert post.post(events("a", "close", "b", "c")) == 4
        assert sink.ids[-4:] == ["a", "close", "b", "c"] and len(set(sink.ports[-4:])) == 2
        # a refusal: the events before it were taken, it and those after it must be sent again
        assert post.post(events("d", "refuse", "f")) == 1
        assert post.post([({**headers("g"), "Content-Type": "text/plain\r\nX-Injected: 1"}, b"{}")]) == 0
        assert "g" not in sink.ids
    finally:
        post.close()
        sink.close()


def test_http_sink_sends_one_event_per_connection_to_a_sink_that_closes_each():
    sink = Sink()  # HTTP/1.0: closes the connection after each answer
    post = HttpSink(sink.url)
    try:
        assert post.post(events("a", "b", "c")) == 3
        assert sink.ids() == {"a", "b", "c"} and len(set(sink.ports)) == 3
    finally:
        sink.close()
    assert post.post(events("d")) == 0  # nothing listens any more


def test_http_sink_pipelines_into_the_jupyter_servers_ingest_endpoint(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    store = root / ".ai4mlops" / STORE_FILE
    stopped_deployment(store, "iris")
    server = LiveServer(root)
    sink = HttpSink(f"{server.url}/ingest", f"Bearer {ingest_token(root / '.ai4mlops')}")
    try:
        batch = events(*(f"e{n}" for n in range(40)))
        assert sink.post(batch) == 40
        assert sink.post(batch[:5] + [(headers("x", name="gone"), b"{}")] + batch[5:]) == 5  # 404 at the 6th
    finally:
        sink.close()
        server.stop()
    assert EventStore(store).counts("iris")["requests"] == 40
