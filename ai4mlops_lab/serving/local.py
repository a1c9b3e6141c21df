"""Local deployments: one kserve model-server process per deployed model, listening on 127.0.0.1 only.

A deployment lives in `WORKSPACE/deployments/<name>/`: `model/` (a copy of the run's Model artifact),
`deployment.json` (what the server process reads), `server.pid` (the server's pid and start time, so a
reused pid is never taken for it), `server.log`, `stats.json` (request counts, latency, request log counters)
and the request log spool. Its record is in the store and keeps its port across restarts and redeploys.
Every file operation goes through `confined` (nothing outside `WORKSPACE/deployments/`). Nothing here
imports kserve.

`get` and `list` read the store; `refresh` pulls the servers' live state into it. What `deploy`, `get`, `list`,
`stop` and `restart` return: the store record (see `store/deployments.py`) plus `folder`, `ready` (the server
answered its readiness check: at the last refresh for `get` and `list`), `endpoints` ({v1, v2, metadata, ready}
URLs, None while not running), `signature` (the model's, or None), `stats` (the last `stats.json`, or
None) and `log_tail` (the server log's last lines, only when failed).
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
from pathlib import Path

from .. import confined
from ..errors import NotFoundError, UserError
from ..records import DeploymentView
from ..runs import processes
from ..states import DEPLOYMENT_LIVE, DeploymentStatus, DeploymentTarget
from ..store.deployments import DeploymentStore
from ..store.runs import RunStore
from . import prediction
from .artifacts import check_name, deployment_name, free_name, model_artifact, recorded_signature, refuse_live

SERVER_MODULE = "ai4mlops_lab.serving.server"
AUTH_ENV = "AI4MLOPS_LAB_REQUEST_LOG_AUTH"  # the request log's auth header value, for the server process
HOST = "127.0.0.1"
REQUEST_LOG_LIMITS = ("queue_size", "spool_bytes", "timeout_s", "retry_s")  # optional RequestLog settings
LOG_TAIL_LINES = 30
PID_FILE = "server.pid"


class LocalDeployments:
    """Deploy Model artifacts of runs as local model servers; follow, stop, restart and query them.

    `request_log` holds the request log settings: `url` (the sink, e.g. the ingest endpoint) and `auth`
    (an Authorization header value), or `store` (the event store's path, written straight into);
    `namespace` (the CloudEvents' `Ce-Namespace`) and optionally the `RequestLog` limits `queue_size`,
    `spool_bytes`, `timeout_s`, `retry_s`.
    """

    def __init__(
        self,
        workspace: Path,
        store: DeploymentStore,
        runs: RunStore,
        *,
        request_log: dict | None = None,
        ready_timeout_s: float = 120.0,
    ):
        self.workspace = Path(workspace)
        self.store, self.runs = store, runs
        self.request_log = dict(request_log or {})
        self.ready_timeout_s = ready_timeout_s
        self._servers: dict[str, object] = {}  # name -> Popen, to reap our children
        self._locks: dict[str, threading.Lock] = {}  # name -> held while its server is (re)started or stopped

    def folder(self, name: str) -> Path:
        return confined.resolve(self.workspace / "deployments", name)

    def _lock(self, name: str) -> threading.Lock:
        return self._locks.setdefault(name, threading.Lock())

    # -- deploying ----------------------------------------------------------------------

    def deploy(self, run_id: str, model: str | None = None, name: str | None = None) -> dict:
        """Serve a Model artifact of a run (`model`: its name or `step/name`; default: the last one).

        The artifact is copied into the deployment folder, the server started and waited for. A name in use
        by a running deployment is a 409; a stopped or failed one is replaced and keeps its port.
        """
        if name is not None:
            check_name(name)
        run = self.runs.run(run_id)
        artifact = model_artifact(run, model)
        if name is None:
            name = free_name(
                deployment_name(f"{run['pipeline']}-{artifact['name']}"),
                (record["name"] for record in self.store.list()),
            )
        source = Path(artifact["uri"])
        if not source.is_dir():
            raise UserError(
                f"The model {artifact['name']!r} of run {run_id} is not a folder on this machine ({artifact['uri']}).",
                "Deploy models of local runs here; models of KFP runs deploy to KServe.",
            )
        with self._lock(name):
            port = self._check_replaceable(name)
            self._kill(name)  # a server left behind by a deployment wrongly judged gone
            confined.remove_tree(self.workspace / "deployments", name)
            confined.copy_tree(source, self.workspace / "deployments", name, "model")
            self.store.create(
                name=name,
                run_id=run_id,
                model_name=f"{artifact['step']}/{artifact['name']}",
                model_uri=artifact["uri"],
                target=DeploymentTarget.LOCAL,
                config={"metadata": artifact["metadata"]},
                replace=True,
            )
            return self._start(name, port)

    def _check_replaceable(self, name: str) -> int | None:
        """The port of the stopped or failed deployment `name` replaces (None if there is none); a 409 if it
        is starting or running."""
        try:
            record = self._live(name)
        except NotFoundError:
            return None
        refuse_live(record)
        return record["port"]

    def _start(self, name: str, port: int | None = None) -> dict:
        """Start the model server of a recorded deployment on `port` (default: a free one) and wait until it is
        ready. A `port` that another process holds is a 409: the deployment's URL never changes silently."""
        record = self.store.get(name)
        folder = self.folder(name)
        if port and not _port_free(port):
            self.store.update(
                name, status=DeploymentStatus.FAILED, pid=None, error=f"port {port} is in use by another process"
            )
            raise UserError(
                f"Port {port} of deployment {name!r} is in use by another process.",
                f"Stop what listens on 127.0.0.1:{port} and restart the deployment, or remove it and "
                "deploy again (on a new port).",
                status=409,
                code="port_in_use",
            )
        port = port or _free_port()
        config = {
            "name": name,
            "port": port,
            "metadata": record["config"]["metadata"],
            "request_log": {
                k: v
                for k, v in self.request_log.items()
                if k in ("url", "store", "namespace", *REQUEST_LOG_LIMITS) and v
            },
        }
        confined.write_file(folder, "deployment.json", data=json.dumps(config, indent=2))
        env = {AUTH_ENV: self.request_log["auth"]} if self.request_log.get("auth") else None
        server = processes.start_worker(SERVER_MODULE, folder, folder / "server.log", env=env)
        self._servers[name] = server
        confined.write_file(
            folder, PID_FILE, data=json.dumps({"pid": server.pid, "start_time": processes.start_time(server.pid)})
        )
        self.store.update(
            name, status=DeploymentStatus.STARTING, pid=server.pid, port=port, url=f"http://{HOST}:{port}", error=None
        )
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if server.poll() is not None:
                return self._failed(name, f"the model server exited while starting (exit code {server.returncode})")
            if _ready(f"http://{HOST}:{port}", name):
                self.store.update(name, status=DeploymentStatus.RUNNING)
                return self.get(name)
            time.sleep(0.2)
        processes.stop_group(server.pid)
        return self._failed(name, f"the model server was not ready after {self.ready_timeout_s:g} s")

    def _failed(self, name: str, reason: str) -> dict:
        tail = self.logs(name, tail=LOG_TAIL_LINES)
        self.store.update(name, status=DeploymentStatus.FAILED, pid=None, error=f"{reason}; log tail:\n{tail}")
        raise UserError(
            f"Deployment {name!r} failed: {reason}.",
            f"Its log ends with:\n{tail}",
            status=500,
            code="deployment_failed",
        )

    # -- following ----------------------------------------------------------------------

    def get(self, name: str) -> DeploymentView:
        """A deployment as the store has it (`refresh` brings it up to date); `ready` while it is running."""
        record = self.store.get(name)
        if record["target"] != DeploymentTarget.LOCAL:
            return record
        return self._view(record, record["status"] == DeploymentStatus.RUNNING)

    def list(self) -> list[DeploymentView]:
        return [
            self._view(record, record["status"] == DeploymentStatus.RUNNING)
            for record in self.store.list(target=DeploymentTarget.LOCAL)
        ]

    def refresh(self) -> None:
        """Pull every local deployment's live state into the store (see `_live`)."""
        for record in self.store.list(target=DeploymentTarget.LOCAL):
            self._live(record["name"])

    def _live(self, name: str) -> dict:
        """A deployment with its live state: a server process that is gone marks it failed, with its log tail;
        `ready` when the server answers its readiness check; request statistics copied from `stats.json`."""
        record = self.store.get(name)
        ready = False
        # A deployment being started has no server pid yet: the deploy call alone decides its fate then.
        if record["status"] == DeploymentStatus.RUNNING or (
            record["status"] == DeploymentStatus.STARTING and record["pid"]
        ):
            if self._alive(name, record["pid"]):
                ready = _ready(record["url"], name)
            else:
                server = self._servers.pop(name, None)
                code = _exit_code(server) if server is not None else None
                exit_code = f" (exit code {code})" if code is not None else ""
                record = self.store.update(
                    name,
                    status=DeploymentStatus.FAILED,
                    pid=None,
                    error=(f"the model server exited{exit_code}; log tail:\n{self.logs(name, tail=LOG_TAIL_LINES)}"),
                )
        stats = _read_json(self.folder(name) / "stats.json")
        if stats and stats.get("requests", 0) != record["request_count"]:
            latency = stats.get("latency_ms") or {}
            record = self.store.update(
                name,
                request_count=stats["requests"],
                error_count=stats.get("errors", 0),
                latency_p50_ms=latency.get("p50"),
                latency_p99_ms=latency.get("p99"),
            )
        return self._view(record, ready)

    def logs(self, name: str, tail: int | None = None) -> str:
        """The model server's log (its last `tail` lines)."""
        self.store.get(name)
        path = self.folder(name) / "server.log"
        if not path.exists():
            return ""
        text = path.read_text(errors="replace").replace("\0", "")
        return "\n".join(text.splitlines()[-tail:]) if tail else text

    def _alive(self, name: str, pid: int | None) -> bool:
        """Whether `pid` is this deployment's model server (not a process that reused the number)."""
        return pid is not None and self._server_pid(name) == pid

    def _server_pid(self, name: str) -> int | None:
        """The pid of the deployment's model server while it runs: the one in its pid file, if the process
        with that pid started when the file says (else the number was reused)."""
        server = self._servers.get(name)
        if server is not None:
            server.poll()  # reaps our child that exited
        recorded = _read_json(self.folder(name) / PID_FILE) or {}
        pid = recorded.get("pid")
        if not processes.is_alive(pid) or processes.start_time(pid) != recorded.get("start_time"):
            return None
        return pid

    def _view(self, record: dict, ready: bool) -> dict:
        folder = self.folder(record["name"])
        running = record["status"] == DeploymentStatus.RUNNING
        base, name = record["url"], record["name"]
        view = {
            **record,
            "folder": str(folder),
            "ready": ready,
            "endpoints": prediction.endpoints(base, name) if running and base else None,
            "signature": recorded_signature(record),
            "stats": _read_json(folder / "stats.json"),
        }
        if record["status"] == DeploymentStatus.FAILED:
            view["log_tail"] = self.logs(name, tail=LOG_TAIL_LINES)
        return view

    # -- stopping and restarting ----------------------------------------------------------

    def stop(self, name: str) -> dict:
        """Stop the model server (its process group: SIGTERM, then SIGKILL); the deployment stays, `stopped`,
        and can restart."""
        self.store.get(name)
        with self._lock(name):
            self._kill(name)
            return self._view(self.store.update(name, status=DeploymentStatus.STOPPED, pid=None), False)

    def restart(self, name: str) -> dict:
        """Stop the model server if it runs and start it again on the deployment's port."""
        port = self.store.get(name)["port"]
        with self._lock(name):
            self._kill(name)
            return self._start(name, port)

    def _kill(self, name: str) -> None:
        """Stop the deployment's server (as its pid file names it, whatever the record says) and our child
        process, if any, then reap the child: only a process that was signalled or has exited is waited on."""
        pid = self._server_pid(name)
        if pid:
            processes.stop_group(pid)
        server = self._servers.pop(name, None)
        if server is not None:
            if server.poll() is None:
                processes.stop_group(server.pid)
            server.wait()

    def reattach(self) -> list[dict]:
        """On Jupyter server start: keep deployments whose server still runs and answers; restart the others."""
        for record in self.store.list(target=DeploymentTarget.LOCAL):
            if record["status"] not in DEPLOYMENT_LIVE:
                continue
            if self._alive(record["name"], record["pid"]) and _ready(record["url"], record["name"], wait_s=10):
                self.store.update(record["name"], status=DeploymentStatus.RUNNING)
                continue
            with contextlib.suppress(UserError):  # recorded as failed, with its log tail
                self.restart(record["name"])
        return self.list()

    # -- predictions ----------------------------------------------------------------------

    def predict(self, name: str, payload: dict, *, test: bool = False) -> dict:
        """Send a V1 (`{instances}`) or V2 (`{inputs}`) request to the deployment; its JSON answer (`test`: logged
        as a test prediction, which drift windows leave out)."""
        record = self._live(name)
        if record["status"] != DeploymentStatus.RUNNING:
            raise UserError(
                f"Deployment {name!r} is {record['status']}.", "Restart it first.", status=409, code="conflict"
            )
        return prediction.predict(
            record["endpoints"],
            payload,
            record["signature"],
            timeout=30,
            test=test,
            unreachable_hint="Restart the deployment and read its log.",
        )


def _exit_code(server) -> int | None:
    """The exit code of our server process that is gone (a killed multi-threaded process is a zombie before
    it can be reaped, so wait a little)."""
    try:
        return server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _port_free(port: int) -> bool:
    """Whether the model server could listen on `port` (it sets SO_REUSEADDR, as uvicorn does)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _ready(base: str | None, name: str, wait_s: float = 0.0) -> bool:
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


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
