"""Request logging: KServe logger CloudEvents reach a loopback sink; a slow or down sink never slows serving."""

import json
import threading
import time
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ai4mlops_lab.serving.requestlog import RequestLog
from ai4mlops_lab.store.event_records import TEST_SOURCE_SUFFIX

from .conftest import local_deployments

ROW = "[" + ", ".join(["0.5"] * 10) + "]"


class Sink:
    """A loopback HTTP server keeping every POST as (headers, body); `delay` seconds before answering.

    With `keep_alive_s`, it speaks HTTP/1.1, keeps connections open but closes those idle that long, and
    notes the client port (the connection) of every POST in `ports`.
    """

    def __init__(self, port=0, keep_alive_s=None):
        self.events, self.ports, self.delay = [], [], 0.0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            if keep_alive_s:
                protocol_version, timeout = "HTTP/1.1", keep_alive_s

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(sink.delay)
                sink.events.append((dict(self.headers), body))
                sink.ports.append(self.client_address[1])
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/ai4mlops-lab/api/ingest"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def ids(self):
        return {headers["Ce-Id"] for headers, _ in self.events}


def wait_until(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def record(log, request_id):
    """One successful inference, as the middleware records it."""
    log.record(
        status=200,
        seconds=0.001,
        request_id=request_id,
        request=b'{"instances": [[1]]}',
        request_type="application/json",
        response=b'{"predictions": [[2]]}',
        response_type="application/json",
    )


def predict(url, body, request_id, timeout=2.0):
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", "X-Request-Id": request_id}
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return answer.read()


@pytest.fixture
def sink():
    server = Sink()
    yield server
    server.close()


def test_inferences_reach_the_sink_as_kserve_logger_cloudevents(trained, sink):
    service = local_deployments(
        trained[0], request_log={"url": sink.url, "auth": "Bearer s3cret", "namespace": "team-a", "retry_s": 0.5}
    )
    deployed = service.deploy(trained[1]["id"], name="logged")
    try:
        sent = b'{"instances": [' + ROW.encode() + b"]}"
        reply = predict(deployed["endpoints"]["v1"], sent, "req-1")
        v2_sent = json.dumps(
            {"inputs": [{"name": "input-0", "shape": [1, 10], "datatype": "FP32", "data": [0.5] * 10}]}
        ).encode()
        v2_reply = predict(deployed["endpoints"]["v2"], v2_sent, "req-2")
        wait_until(lambda: len(sink.events) == 4)
        events = {(h["Ce-Id"], h["Ce-Type"].rsplit(".", 1)[1]): (h, body) for h, body in sink.events}
        assert {key: body for key, (_, body) in events.items()} == {
            ("req-1", "request"): sent,
            ("req-1", "response"): reply,
            ("req-2", "request"): v2_sent,
            ("req-2", "response"): v2_reply,
        }
        for (_, kind), (headers, _) in events.items():
            assert headers["Ce-Specversion"] == "1.0"
            assert headers["Ce-Type"] == f"org.kubeflow.serving.inference.{kind}"
            assert headers["Ce-Source"] == deployed["url"] + "/"
            assert datetime.fromisoformat(headers["Ce-Time"])
            assert headers["Ce-Inferenceservicename"] == "logged"
            assert headers["Ce-Namespace"] == "team-a"
            assert headers["Ce-Component"] == "predictor"
            assert headers["Ce-Endpoint"] == "default"
            assert headers["Content-Type"] == "application/json"
            assert headers["Authorization"] == "Bearer s3cret"

        # A slow sink (5 s per event) does not slow predictions; its events are spooled, then re-sent.
        sink.delay = 5.0
        for number in range(5):
            predict(deployed["endpoints"]["v1"], sent, f"slow-{number}", timeout=2.0)
        wait_until(lambda: (service.get("logged")["stats"] or {}).get("spooled", 0) > 0, timeout=15)
        sink.delay = 0.0
        wait_until(lambda: {f"slow-{n}" for n in range(5)} <= sink.ids(), timeout=30)

        # A sink that is down: spooled, re-sent when it is back on its port.
        port = sink.port
        sink.close()
        for number in range(3):
            predict(deployed["endpoints"]["v1"], sent, f"down-{number}", timeout=2.0)
        wait_until(lambda: service.get("logged")["stats"]["in_spool"] >= 6, timeout=15)
        back = Sink(port)
        try:
            wait_until(lambda: {f"down-{n}" for n in range(3)} <= back.ids(), timeout=30)
            stats = service.get("logged")["stats"]
            assert stats["resent"] >= 6 and stats["dropped"] == 0 and stats["requests"] == 10
            service.refresh()  # copies the server's statistics into the store
            assert service.get("logged")["request_count"] == 10
        finally:
            back.close()
    finally:
        service.stop("logged")


def test_test_predictions_are_logged_marked_as_tests(trained, sink):
    """Issue 10, item 4: the predict route's requests reach the sink with a Ce-Source the monitor leaves out."""
    service = local_deployments(trained[0], request_log={"url": sink.url, "namespace": "local"})
    deployed = service.deploy(trained[1]["id"], name="tested")
    try:
        predict(deployed["endpoints"]["v1"], b'{"instances": [' + ROW.encode() + b"]}", "real-1")
        service.predict("tested", {"instances": [[0.5] * 10]}, test=True)
        wait_until(lambda: len(sink.events) == 4)
        sources = {
            h["Ce-Type"].rsplit(".", 1)[1] + ("-test" if h["Ce-Id"] != "real-1" else ""): h["Ce-Source"]
            for h, _ in sink.events
        }
        url = deployed["url"] + "/"
        assert sources == {
            "request": url,
            "response": url,
            "request-test": url + TEST_SOURCE_SUFFIX,
            "response-test": url + TEST_SOURCE_SUFFIX,
        }
    finally:
        service.stop("tested")


def test_a_full_spool_drops_events_and_counts_them(tmp_path):
    log = RequestLog(
        tmp_path,
        name="m",
        source="http://127.0.0.1:1/",
        sink="http://127.0.0.1:1/ingest",
        queue_size=2,
        spool_bytes=3000,
        retry_s=60,
    )
    log.start()
    try:
        for number in range(20):
            record(log, f"r{number}")
        wait_until(lambda: log.stats()["queued"] == 0, timeout=10)
    finally:
        log.stop()
    stats = log.stats()
    assert stats["requests"] == 20 and stats["sent"] == 0
    assert stats["spooled"] + stats["dropped"] == 40 and stats["dropped"] > 0
    assert (tmp_path / "requestlog-spool.jsonl").stat().st_size <= 3000
    assert len((tmp_path / "requestlog-spool.jsonl").read_text().splitlines()) == stats["in_spool"] == stats["spooled"]


def test_events_share_kept_alive_connections_and_one_the_sink_closed_is_replaced(tmp_path):
    sink = Sink(keep_alive_s=0.2)
    log = RequestLog(tmp_path, name="m", source="http://127.0.0.1:1/", sink=sink.url, senders=2)
    log.start()
    try:
        for number in range(50):
            record(log, f"r{number}")
        wait_until(lambda: log.stats()["sent"] == 100)
        assert len(set(sink.ports)) <= 2  # one connection per sender thread
        time.sleep(1.0)  # idle for longer than the sink keeps connections: it closes them
        for number in range(50, 60):
            record(log, f"r{number}")
        wait_until(lambda: log.stats()["sent"] == 120)
    finally:
        log.stop()
        sink.close()
    assert log.stats()["spooled"] == 0 and len(sink.events) == 120


def test_a_stopped_log_sends_what_is_queued_and_spools_what_it_cannot(tmp_path):
    sink = Sink(keep_alive_s=5)
    (tmp_path / "up").mkdir()
    log = RequestLog(tmp_path / "up", name="m", source="http://127.0.0.1:1/", sink=sink.url)
    log.start()
    for number in range(50):
        record(log, f"r{number}")
    log.stop()
    sink.close()
    assert sink.ids() == {f"r{number}" for number in range(50)} and len(sink.events) == 100
    assert log.stats()["sent"] == 100
    # a sink that is down: every queued event is in the spool, for the next start to send
    (tmp_path / "down").mkdir()
    log = RequestLog(tmp_path / "down", name="m", source="http://127.0.0.1:1/", sink=sink.url, retry_s=60)
    log.start()
    for number in range(50):
        record(log, f"r{number}")
    log.stop()
    stats = json.loads((tmp_path / "down" / "stats.json").read_text())
    assert stats["in_spool"] == stats["spooled"] == 100 and stats["sent"] == stats["dropped"] == 0
    assert len((tmp_path / "down" / "requestlog-spool.jsonl").read_text().splitlines()) == 100


def test_no_event_is_lost_when_the_server_is_stopped(trained, sink):
    service = local_deployments(trained[0], request_log={"url": sink.url})
    deployed = service.deploy(trained[1]["id"], name="stopped")
    sent = b'{"instances": [' + ROW.encode() + b"]}"
    try:
        for number in range(30):
            predict(deployed["endpoints"]["v1"], sent, f"s-{number}")
    finally:
        service.stop("stopped")  # right after the last answer: its events are still queued or in flight
    assert sink.ids() == {f"s-{number}" for number in range(30)} and len(sink.events) == 60
