"""Rollouts (issue 14): a router on 127.0.0.1 splits (canary) or mirrors (shadow) inferences between two versions
of a model trained by real runs, each served by its own local model server; every logged event names its version."""

import http.client
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from ai4mlops_lab.errors import UserError
from ai4mlops_lab.runs import processes
from ai4mlops_lab.serving.rollouts import LocalRouter, routes
from ai4mlops_lab.serving.server_process import free_port as _free_port
from ai4mlops_lab.store.event_records import TEST_SOURCE_SUFFIX

from ..model_runs import model_run
from .conftest import local_deployments, train
from .test_local import listening_sockets
from .test_requestlog import Sink, wait_until

NAME = "rollout"


class Client:
    """V1 inferences on one kept-alive connection: `(status, answering version, JSON answer)`."""

    def __init__(self, port, model=NAME):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        self.model = model

    def predict(self, row, request_id=None):
        headers = {"Content-Type": "application/json", **({"X-Request-Id": request_id} if request_id else {})}
        self.connection.request("POST", f"/v1/models/{self.model}:predict", json.dumps({"instances": [row]}), headers)
        answer = self.connection.getresponse()
        return answer.status, answer.getheader("X-Ai4mlops-Version"), json.loads(answer.read())

    def close(self):
        self.connection.close()


class Upstream:
    """A loopback stand-in for a candidate model server that answers `status` after `delay` seconds."""

    def __init__(self, status=500, delay=0.0):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def sink():
    server = Sink()
    yield server
    server.close()


@pytest.fixture(scope="module")
def versions(trained, tmp_path_factory, sink):
    """`{label: deployment}`: v1 the session's model (20 epochs), v2 one trained for 2 epochs, both serving model
    `rollout` (from two workspaces) and logging to `sink`; and the rows to send."""
    workspace, run = train(tmp_path_factory.mktemp("candidate"), epochs=2)
    services = {
        "v1": local_deployments(trained[0], request_log={"url": sink.url}),
        "v2": local_deployments(workspace, request_log={"url": sink.url}),
    }
    deployed = {"v1": services["v1"].deploy(trained[1]["id"], name=NAME)}
    try:
        deployed["v2"] = services["v2"].deploy(run["id"], name=NAME)
        artifact = next(a for a in trained[1]["artifacts"] if a["name"] == "model")
        rows = np.load(os.path.join(artifact["uri"], "reference.npy"))[:50].tolist()
        yield deployed, rows
    finally:
        for label in deployed:
            services[label].stop(NAME)


@pytest.fixture
def router(tmp_path):
    router = LocalRouter(tmp_path / "router")
    yield router
    router.stop()


def start(router, stable, candidate=None, **options):
    """Start `router` on a free port with `stable` and, per `options`, a candidate; its port."""
    port = _free_port()
    router.start(name=NAME, port=port, routes=rollout(stable, candidate, **options), seed=14)
    return port


def rollout(stable, candidate=None, mode="canary", percent=0):
    """Routes from stable and candidate deployments (or a bare URL for a stand-in candidate)."""
    if candidate is None:
        return routes(stable["url"], "v1")
    url = candidate if isinstance(candidate, str) else candidate["url"]
    return routes(stable["url"], "v1", candidate_url=url, candidate_version="v2", mode=mode, percent=percent)


def settled(router, check):
    """The router's stats once `check(stats)` holds (it writes them at most every half second)."""
    wait_until(lambda: check(router.stats()), 15)
    return router.stats()


def events_of(sink, ids):
    """`{Ce-Id: {kind: (headers, body)}}` of the sink's events with these ids, once all of them arrived."""
    wanted = set(ids)
    wait_until(lambda: len([1 for h, _ in list(sink.events) if h["Ce-Id"] in wanted]) >= 2 * len(wanted), 60)
    found: dict = {}
    for headers, body in list(sink.events):
        if headers["Ce-Id"] in wanted:
            found.setdefault(headers["Ce-Id"], {})[headers["Ce-Type"].rsplit(".", 1)[1]] = (headers, body)
    return found


def test_a_20_percent_canary_gets_20_percent_and_every_event_names_the_version_that_answered(versions, sink, router):
    deployed, rows = versions
    port = start(router, deployed["v1"], deployed["v2"], percent=20)
    assert listening_sockets(port) == ["0100007F"]  # 127.0.0.1 only, nothing on 0.0.0.0 or ::
    client = Client(port)
    answered = {}
    try:
        for number in range(2000):
            status, version, answer = client.predict(rows[number % len(rows)], f"canary-{number}")
            assert status == 200, answer
            answered[f"canary-{number}"] = (version, answer["predictions"])
    finally:
        client.close()
    share = sum(version == "v2" for version, _ in answered.values()) / len(answered)
    assert 0.17 <= share <= 0.23, share
    stats = settled(router, lambda s: sum(v["requests"] for v in s["versions"].values()) == 2000)
    assert {label: counts["requests"] for label, counts in stats["versions"].items()} == {
        "v1": round(2000 * (1 - share)),
        "v2": round(2000 * share),
    }
    assert stats["versions"]["v2"]["errors"] == 0 and stats["retried_on_stable"] == 0

    # Each version answers with its own model: the same row gets the answer of the server that answered.
    direct = {label: Client(deployed[label]["port"]) for label in deployed}
    try:
        for number in range(50):
            version, predictions = answered[f"canary-{number}"]
            again = direct[version].predict(rows[number % len(rows)])[2]["predictions"]
            assert np.allclose(again, predictions, rtol=1e-5, atol=1e-6)  # model outputs: with a tolerance
        assert direct["v1"].predict(rows[0])[2] != direct["v2"].predict(rows[0])[2]
    finally:
        for connection in direct.values():
            connection.close()

    events = events_of(sink, answered)
    for request_id, (version, predictions) in answered.items():
        for headers, _ in events[request_id].values():
            assert headers["Ce-Source"] == f"{deployed[version]['url']}/versions/{version}"
            assert headers["Ce-Endpoint"] == {"v1": "default", "v2": "canary"}[version]
            assert headers["Ce-Inferenceservicename"] == NAME
        assert json.loads(events[request_id]["response"][1])["predictions"] == predictions


def test_a_shadow_gets_a_copy_of_every_request_and_clients_only_ever_see_stable_answers(versions, sink, router):
    deployed, rows = versions
    port = start(router, deployed["v1"], deployed["v2"], mode="shadow")
    client, stable = Client(port), Client(deployed["v1"]["port"])
    try:
        for number in range(200):
            row = rows[number % len(rows)]
            status, version, answer = client.predict(row, f"shadow-{number}")
            assert (status, version) == (200, "v1")
            assert np.allclose(answer["predictions"], stable.predict(row)[2]["predictions"], rtol=1e-5, atol=1e-6)
    finally:
        client.close()
        stable.close()
    ids = [f"shadow-{number}" for number in range(200)]
    events = events_of(sink, ids + [f"{request_id}.shadow" for request_id in ids])
    for request_id in ids:
        served, shadow = events[request_id], events[f"{request_id}.shadow"]
        assert served["request"][1] == shadow["request"][1]  # the same request...
        assert served["response"][1] != shadow["response"][1]  # ...answered by another model
        for headers, _ in served.values():
            assert (headers["Ce-Source"], headers["Ce-Endpoint"]) == (f"{deployed['v1']['url']}/versions/v1", "default")
        for headers, _ in shadow.values():  # never served: left out of drift windows, like test predictions
            assert headers["Ce-Source"] == f"{deployed['v2']['url']}/versions/v2{TEST_SOURCE_SUFFIX}"
            assert headers["Ce-Endpoint"] == "shadow"
    wait_until(lambda: router.stats()["shadow"]["requests"] == 200, 10)
    stats = router.stats()
    assert stats["shadow"]["errors"] == stats["shadow"]["dropped"] == 0
    assert {label: counts["requests"] for label, counts in stats["versions"].items()} == {"v1": 200}


def test_routes_change_live_from_canary_20_to_50_to_off_without_a_failed_request(versions, router):
    deployed, rows = versions
    port = start(router, deployed["v1"], deployed["v2"], percent=20)
    phase, seen, done = ["canary-20"], [], threading.Event()

    def send():
        client = Client(port)
        try:
            for number in range(20000):  # bounded; stopped by `done` long before
                if done.is_set():
                    return
                current = phase[0]
                status, version, _ = client.predict(rows[number % len(rows)])
                seen.append((current, status, version))
        finally:
            client.close()

    sender = threading.Thread(target=send)
    sender.start()
    try:
        for step, routes_ in (
            ("canary-50", rollout(deployed["v1"], deployed["v2"], percent=50)),
            ("off", rollout(deployed["v1"])),
            ("end", None),
        ):
            started = len(seen)
            wait_until(lambda started=started: len(seen) >= started + 150 or not sender.is_alive(), 60)
            if routes_ is not None:
                applied = router.configure(routes_)
                assert applied["routes"] == routes_
            phase[0] = step  # requests sent from now on started after the router applied the routes
    finally:
        done.set()
        sender.join(timeout=30)
    assert [status for _, status, _ in seen if status != 200] == []
    share = {
        step: sum(version == "v2" for s, _, version in seen if s == step) / sum(s == step for s, _, _ in seen)
        for step in ("canary-20", "canary-50", "off")
    }
    assert 0 < share["canary-20"] < share["canary-50"] < 1 and share["off"] == 0, share


def test_a_dead_candidate_never_fails_a_client_and_its_canary_failures_are_counted(trained, versions, tmp_path, router):
    deployed, rows = versions
    artifact = next(a for a in trained[1]["artifacts"] if a["name"] == "model")
    workspace = tmp_path / ".ai4mlops"  # a third server of model `rollout`, on the session's model
    run_id = model_run(workspace, Path(artifact["uri"]), metadata=artifact["metadata"])
    service = local_deployments(workspace)
    candidate = service.deploy(run_id, name=NAME)
    try:
        port = start(router, deployed["v1"], candidate, mode="shadow")
        client = Client(port)
        assert client.predict(rows[0])[:2] == (200, "v1")
        assert settled(router, lambda s: s["shadow"]["requests"] == 1)["shadow"]["errors"] == 0
        os.kill(candidate["pid"], signal.SIGKILL)
        wait_until(lambda: not processes.is_alive(candidate["pid"]), 10)
        for number in range(50):
            assert client.predict(rows[number % len(rows)])[:2] == (200, "v1")
        wait_until(lambda: router.stats()["shadow"]["requests"] + router.stats()["shadow"]["dropped"] == 51, 10)
        assert router.stats()["shadow"]["errors"] == 50 - router.stats()["shadow"]["dropped"]

        router.configure(rollout(deployed["v1"], candidate, percent=50))
        for number in range(100):
            assert client.predict(rows[number % len(rows)])[:2] == (200, "v1")
        client.close()
        stats = settled(router, lambda s: s["versions"]["v1"]["requests"] == 151)  # every one answered by stable
        assert 0 < stats["versions"]["v2"]["errors"] == stats["versions"]["v2"]["requests"] < 100
        assert stats["retried_on_stable"] == stats["versions"]["v2"]["errors"]
    finally:
        service.stop(NAME)


@pytest.mark.parametrize("status, delay", [(500, 0.0), (200, 3.0)])
def test_a_canary_answering_5xx_or_too_late_is_counted_and_the_client_gets_stable_s_answer(
    versions, router, status, delay
):
    deployed, rows = versions
    candidate = Upstream(status, delay)
    try:
        port = _free_port()
        router.start(name=NAME, port=port, routes=rollout(deployed["v1"], candidate.url, percent=100), timeout_s=1)
        client = Client(port)
        for number in range(3):
            assert client.predict(rows[number])[:2] == (200, "v1")
        client.close()
        stats = settled(router, lambda s: s["versions"].get("v1", {}).get("requests") == 3)
        assert stats["versions"]["v2"] == {**stats["versions"]["v2"], "requests": 3, "errors": 3}
        assert stats["retried_on_stable"] == 3
    finally:
        candidate.close()


def test_a_slow_shadow_drops_copies_it_has_no_room_for_and_counts_them(versions, router):
    deployed, rows = versions
    candidate = Upstream(200, delay=2.0)
    try:
        port = _free_port()
        router.start(
            name=NAME,
            port=port,
            routes=rollout(deployed["v1"], candidate.url, mode="shadow"),
            timeout_s=10,
            shadow_queue=2,
            shadow_workers=1,
        )
        client = Client(port)
        for number in range(20):
            assert client.predict(rows[number])[:2] == (200, "v1")
        client.close()
        # One copy in flight, two queued, the others dropped (unless the candidate answered one meanwhile).
        stats = settled(router, lambda s: s["shadow"]["requests"] + s["shadow"]["dropped"] == 20)
        assert stats["shadow"]["dropped"] > 0 and stats["shadow"]["errors"] == 0
    finally:
        candidate.close()


def test_routes_are_checked_and_a_router_keeps_serving_routes_it_refused(versions, router):
    deployed, rows = versions
    with pytest.raises(UserError, match="not http://127.0.0.1:PORT"):
        routes("http://0.0.0.0:80", "v1")
    with pytest.raises(UserError, match="both 'v1'"):
        routes(deployed["v1"]["url"], "v1", candidate_url=deployed["v2"]["url"], candidate_version="v1")
    with pytest.raises(UserError, match="from 0 to 100"):
        rollout(deployed["v1"], deployed["v2"], percent=120)
    port = start(router, deployed["v1"], deployed["v2"], percent=50)
    config = json.loads((router.folder / "router.json").read_text())
    config["routes"]["candidate"]["mode"] = "blue-green"
    with pytest.raises(UserError, match="refused its new routes: Unknown rollout mode 'blue-green'"):
        router.configure(config["routes"])
    client = Client(port)
    assert {client.predict(rows[number])[0] for number in range(10)} == {200}
    client.close()
    assert router.stats()["routes"]["candidate"]["mode"] == "canary"
