"""The traffic router of a local rollout: `python -m ai4mlops_lab.serving.router FOLDER`.

Listens on 127.0.0.1 on the deployment's public port (`FOLDER/router.json`, written by `rollouts.py`) and
forwards every request to the stable model server on kept-alive connections. Per its routes, inferences
(V1 predict, V2 infer) also go to a candidate model server:

- canary: each inference goes to the candidate with probability `percent` (a seeded RNG when `seed` is set).
  A candidate that fails (no connection, a timeout, a 5xx) has the failure counted in its `errors` and the
  inference is retried on stable: inferences have no side effects, the failed attempt logs no event, and a
  client should not pay for an experiment. A 4xx is the client's mistake and is returned as it is.
- shadow: the client gets stable's answer; a copy is queued for the candidate and sent by background workers.
  The queue is bounded: a copy that finds it full is dropped and counted, so a slow or dead candidate never
  holds up a client.

Each forwarded inference carries the version label and role of the server it goes to (`VERSION_HEADER`,
`ENDPOINT_HEADER`), which that server's request log writes into its events; answers carry `VERSION_HEADER`.
Every inference gets an `X-Request-Id` (the client's, or a new one, which becomes the events' `Ce-Id`); a
shadow copy's is that id + `.shadow`, so its events pair with stable's and never collide with them.

aiohttp's server takes the requests (its compiled HTTP parser; kserve brings it), `upstream.py` forwards them on
kept-alive connections, on uvloop (kserve brings it with uvicorn[standard]): `bench/router.py` measures the router
against a direct model server (the choices against aiohttp's client and asyncio's loop: bench/README.md).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import signal
import sys
import time
import uuid
from pathlib import Path

import uvloop
from aiohttp import web
from multidict import CIMultiDict

from .. import confined
from ..errors import UserError
from .cloudevents import MAX_BODY_BYTES
from .prediction import ENDPOINT_HEADER, SHADOW_SUFFIX, VERSION_HEADER
from .requestlog import INFER_PATH
from .rollouts import CONFIG_FILE, POLL_S, STATS_FILE, checked_routes
from .server_process import HOST
from .upstream import Upstream, UpstreamError

#: Request headers that are not forwarded: hop-by-hop ones, those `Upstream` sets, and ours.
NOT_FORWARDED = frozenset(
    (
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "x-request-id",
        VERSION_HEADER.lower(),
        ENDPOINT_HEADER.lower(),
    )
)
#: Answer headers that are not passed back (the router's server sets its own).
NOT_RETURNED = frozenset(("connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"))
STATS_EVERY_S = 0.5


class Counters:
    """Inferences sent to one version: how many, how many failed, and the latency of the last 2,000."""

    def __init__(self):
        self.requests = self.errors = 0
        self.latencies: collections.deque[float] = collections.deque(maxlen=2000)

    def add(self, ok: bool, seconds: float) -> None:
        self.requests += 1
        self.errors += not ok
        self.latencies.append(seconds)

    def stats(self) -> dict:
        ordered = sorted(self.latencies)
        latency = {
            q: round(ordered[min(len(ordered) - 1, int(len(ordered) * f))] * 1000, 3) if ordered else None
            for q, f in (("p50", 0.5), ("p99", 0.99))
        }
        return {"requests": self.requests, "errors": self.errors, "latency_ms": latency}


class Router:
    """Serves `config` (see `rollouts.LocalRouter.start`) from `folder`, following changes to its routes."""

    def __init__(self, folder: Path, config: dict):
        self.folder, self.config = Path(folder), config
        self.routes, self.generation = checked_routes(config["routes"]), config["generation"]
        self.config_error: dict | None = None
        self.random = random.Random(config.get("seed"))
        self.versions: dict[str, Counters] = {}
        self.shadow, self.shadow_dropped, self.retried = Counters(), 0, 0
        self.upstreams: dict[str, Upstream] = {}  # URL -> its connections
        self.queue: asyncio.Queue | None = None
        self._stamp = _stamp(self.folder / CONFIG_FILE)
        self._written: tuple[dict | None, float] = (None, 0.0)

    # -- the request path -----------------------------------------------------------------

    async def handle(self, request: web.BaseRequest) -> web.Response:
        routes, body = self.routes, await request.read()
        method, path = request.method, request.raw_path
        headers = {k: v for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED}
        stable, candidate = routes["stable"], routes["candidate"]
        if method != "POST" or not INFER_PATH.match(request.path):  # health, metadata: stable answers
            return _answer(await self._call(stable, "default", method, path, headers, body), stable["version"])
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        headers["X-Request-Id"] = request_id
        if candidate and candidate["mode"] == "shadow":
            self._mirror(candidate, method, path, {**headers, "X-Request-Id": request_id + SHADOW_SUFFIX}, body)
        elif candidate and self.random.random() * 100 < candidate["percent"]:
            answer = await self._infer(candidate, "canary", method, path, headers, body)
            if not _failed(answer):
                return _answer(answer, candidate["version"])
            self.retried += 1
        return _answer(await self._infer(stable, "default", method, path, headers, body), stable["version"])

    async def _infer(self, upstream: dict, endpoint: str, *request) -> tuple | Exception:
        """`_call`, counted for the upstream's version."""
        started = time.perf_counter()
        answer = await self._call(upstream, endpoint, *request)
        counters = self.versions.get(upstream["version"]) or self.versions.setdefault(upstream["version"], Counters())
        counters.add(not _failed(answer), time.perf_counter() - started)
        return answer

    async def _call(
        self, upstream: dict, endpoint: str, method: str, path: str, headers: dict, body: bytes
    ) -> tuple | Exception:
        """`(status, headers, body)` of the upstream's answer, or the error that kept it from answering."""
        headers = {**headers, VERSION_HEADER: upstream["version"], ENDPOINT_HEADER: endpoint}
        url = upstream["url"]
        connections = self.upstreams.get(url) or self.upstreams.setdefault(url, Upstream(url, self.config["timeout_s"]))
        try:
            return await connections.request(method, path, headers, body)
        except (OSError, EOFError, TimeoutError, UpstreamError) as error:
            return error

    def _mirror(self, candidate: dict, *request) -> None:
        try:
            self.queue.put_nowait((candidate, *request))
        except asyncio.QueueFull:
            self.shadow_dropped += 1

    async def _shadow_worker(self) -> None:
        while True:
            candidate, *request = await self.queue.get()
            started = time.perf_counter()
            answer = await self._call(candidate, "shadow", *request)
            self.shadow.add(not _failed(answer), time.perf_counter() - started)

    # -- routes and stats -----------------------------------------------------------------

    async def _watch(self) -> None:
        """Apply a changed config file's routes (within POLL_S); write the stats when they changed."""
        while True:
            await asyncio.sleep(POLL_S)
            stamp = _stamp(self.folder / CONFIG_FILE)
            if stamp != self._stamp:
                self._stamp = stamp
                self._reload()
                self._write_stats()
            elif time.monotonic() >= self._written[1] + STATS_EVERY_S:
                self._write_stats()

    def _reload(self) -> None:
        generation = None
        try:
            config = json.loads((self.folder / CONFIG_FILE).read_text())
            generation = config["generation"]
            routes = checked_routes(config["routes"])
            if _versions(routes) != _versions(self.routes):  # a new rollout period: its counts start at zero
                self.versions, self.shadow, self.shadow_dropped, self.retried = {}, Counters(), 0, 0
            self.routes, self.generation = routes, generation
            self.config_error = None
            used = {self.routes["stable"]["url"], (self.routes["candidate"] or {}).get("url")}
            for url in set(self.upstreams) - used:
                self.upstreams.pop(url).close()
        except (OSError, ValueError, KeyError, TypeError, UserError) as error:
            self.config_error = {"generation": generation, "error": getattr(error, "message", None) or repr(error)}

    def stats(self) -> dict:
        """The counters count since the versions or the candidate's mode last changed (a changed share keeps
        them)."""
        return {
            "pid": os.getpid(),
            "generation": self.generation,
            "routes": self.routes,
            "config_error": self.config_error,
            "versions": {label: counters.stats() for label, counters in self.versions.items()},
            "retried_on_stable": self.retried,
            "shadow": {
                **self.shadow.stats(),
                "dropped": self.shadow_dropped,
                "queued": self.queue.qsize() if self.queue else 0,
            },
        }

    def _write_stats(self) -> None:
        stats = self.stats()
        if stats != self._written[0]:
            confined.write_file(self.folder, STATS_FILE, data=json.dumps(stats))
        self._written = (stats, time.monotonic())

    # -- the process ----------------------------------------------------------------------

    async def serve(self) -> None:
        """Listen until SIGTERM or SIGINT, then finish the requests in flight (at most 5 s) and write the stats."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        self.queue = asyncio.Queue(self.config["shadow_queue"])
        runner = web.ServerRunner(
            web.Server(self.handle, request_factory=_request, access_log=None), handle_signals=False, shutdown_timeout=5
        )
        await runner.setup()
        await web.TCPSite(runner, HOST, self.config["port"], reuse_address=True).start()
        tasks = [loop.create_task(self._shadow_worker()) for _ in range(self.config["shadow_workers"])]
        tasks.append(loop.create_task(self._watch()))
        self._write_stats()  # says it listens
        print(f"Router of {self.config['name']!r} listening on http://{HOST}:{self.config['port']}", flush=True)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            for task in tasks:
                task.cancel()
            for upstream in self.upstreams.values():
                upstream.close()
            self._write_stats()


def _request(message, payload, protocol, writer, task) -> web.BaseRequest:
    """aiohttp's request, taking bodies as large as the request log does (its default is 1 MiB)."""
    return web.BaseRequest(
        message, payload, protocol, writer, task, asyncio.get_running_loop(), client_max_size=MAX_BODY_BYTES
    )


def _failed(answer: tuple | Exception) -> bool:
    """No answer, or a 5xx."""
    return isinstance(answer, Exception) or answer[0] >= 500


def _answer(answer: tuple | Exception, version: str) -> web.Response:
    """The upstream's answer as the client gets it (502, or 504 after a timeout, when there was none)."""
    if isinstance(answer, Exception):
        timed_out = isinstance(answer, TimeoutError)
        reason = "did not answer in time" if timed_out else f"could not be reached ({answer})"
        return web.json_response(
            {"error": f"The model server of version {version} {reason}; read its log and restart it."},
            status=504 if timed_out else 502,
            headers={VERSION_HEADER: version},
        )
    status, upstream_headers, body = answer
    headers = CIMultiDict((k, v) for k, v in upstream_headers if k.lower() not in NOT_RETURNED)
    headers[VERSION_HEADER] = version
    return web.Response(status=status, headers=headers, body=body)


def _versions(routes: dict) -> tuple:
    """Who answers in which role: the versions, and the candidate's mode (not its share)."""
    candidate = routes["candidate"] or {}
    return routes["stable"]["version"], candidate.get("version"), candidate.get("mode")


def _stamp(path: Path) -> tuple | None:
    """What changes when the config file is replaced or rewritten."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def main(folder: Path) -> None:
    config = json.loads((folder / CONFIG_FILE).read_text())
    uvloop.run(Router(folder, config).serve())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
