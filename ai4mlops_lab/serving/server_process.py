"""One local model-server process (`server.py`) and the folder it runs from: start it, find it, wait until it is
ready, stop it.

The folder holds `deployment.json` (what the process reads), `server.pid` (its pid and start time, so a reused
pid is never taken for it), `server.log` and `stats.json`; the model is `FOLDER/model` unless `model_dir` names
another folder. A deployment's first server runs from the deployment's folder; the servers behind a rollout's
router run from `servers/<version>/` in it (`local_rollouts.py`).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

from .. import confined
from ..runs import processes
from . import prediction

SERVER_MODULE = "ai4mlops_lab.serving.server"
AUTH_ENV = "AI4MLOPS_LAB_REQUEST_LOG_AUTH"  # the request log's auth header value, for the server process
HOST = "127.0.0.1"
REQUEST_LOG_LIMITS = ("queue_size", "spool_bytes", "timeout_s", "retry_s")  # optional RequestLog settings
PID_FILE = "server.pid"
LOG_FILE = "server.log"


class ServerProcess:
    """The model server running from `folder`, serving model `name` (our child while this object started it)."""

    def __init__(self, folder: Path, name: str):
        self.folder, self.name = Path(folder), name
        self.process: subprocess.Popen | None = None

    def start(self, port: int, metadata: dict, request_log: dict, model_dir: Path | None = None) -> None:
        """Start the server on 127.0.0.1:`port` with the request log settings `request_log` (see
        `LocalDeployments`); returns at once (`wait_ready` waits)."""
        config = {
            "name": self.name,
            "port": port,
            "metadata": metadata,
            "request_log": {
                k: v for k, v in request_log.items() if k in ("url", "store", "namespace", *REQUEST_LOG_LIMITS) and v
            },
        }
        if model_dir is not None:
            config["model_dir"] = str(model_dir)
        confined.write_file(self.folder, "deployment.json", data=json.dumps(config, indent=2))
        env = {AUTH_ENV: request_log["auth"]} if request_log.get("auth") else None
        self.process = processes.start_worker(SERVER_MODULE, self.folder, self.folder / LOG_FILE, env=env)
        pid = self.process.pid
        confined.write_file(
            self.folder, PID_FILE, data=json.dumps({"pid": pid, "start_time": processes.start_time(pid)})
        )

    def wait_ready(self, url: str, timeout_s: float) -> str | None:
        """None once the server at `url` is ready; else why not (it exited, or the time ran out: then it is
        stopped)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return f"the model server exited while starting (exit code {self.process.returncode})"
            if ready(url, self.name):
                return None
            time.sleep(0.2)
        self.stop()
        return f"the model server was not ready after {timeout_s:g} s"

    def pid(self) -> int | None:
        """The server's pid while it runs: the one in its pid file, if that process started when the file says."""
        if self.process is not None:
            self.process.poll()  # reaps our child that exited
        recorded = read_json(self.folder / PID_FILE) or {}
        pid = recorded.get("pid")
        if not processes.is_alive(pid) or processes.start_time(pid) != recorded.get("start_time"):
            return None
        return pid

    def exit_code(self) -> int | None:
        """The exit code of our child that is gone (a killed multi-threaded process is a zombie before it can be
        reaped, so wait a little)."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """Stop the server (as its pid file names it) and our child, if any (process groups: SIGTERM, then
        SIGKILL), then reap the child: only a process that was signalled or has exited is waited on."""
        pid = self.pid()
        if pid:
            processes.stop_group(pid)
        if self.process is not None:
            if self.process.poll() is None:
                processes.stop_group(self.process.pid)
            self.process.wait()
            self.process = None

    def log(self, tail: int | None = None) -> str:
        """The server's log (its last `tail` lines)."""
        path = self.folder / LOG_FILE
        if not path.exists():
            return ""
        text = path.read_text(errors="replace").replace("\0", "")
        return "\n".join(text.splitlines()[-tail:]) if tail else text

    def stats(self) -> dict | None:
        """What the server last wrote to `stats.json` (requests, errors, latency, request log counters)."""
        return read_json(self.folder / "stats.json")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def port_free(port: int) -> bool:
    """Whether a server could listen on `port` (it sets SO_REUSEADDR, as uvicorn does)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def ready(base: str | None, name: str, wait_s: float = 0.0) -> bool:
    """Whether the server at `base` serves model `name` and says it is ready (retrying for `wait_s`)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if base and prediction.http(f"{base}/v2/models/{name}/ready", timeout=1.0)[0] == 200:
                return True
        except OSError:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
