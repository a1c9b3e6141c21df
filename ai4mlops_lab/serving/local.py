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
import threading
from pathlib import Path

from .. import confined
from ..errors import NotFoundError, UserError
from ..records import DeploymentView
from ..states import DEPLOYMENT_LIVE, DeploymentStatus, DeploymentTarget
from ..store.deployments import DeploymentStore
from ..store.runs import RunStore
from . import prediction
from .artifacts import check_name, deployment_name, free_name, model_artifact, recorded_signature, refuse_live
from .rollouts import LocalRouter
from .server_process import HOST, ServerProcess, free_port, port_free, ready

LOG_TAIL_LINES = 30
SERVERS_FOLDER = "servers"  # the model servers behind a rollout's router, one folder per version


class LocalDeployments:
    """Deploy Model artifacts of runs as local model servers; follow, stop, restart and query them.

    `request_log` holds the request log settings: `url` (the sink, e.g. the ingest endpoint) and `auth`
    (an Authorization header value), or `store` (the event store's path, written straight into);
    `namespace` (the CloudEvents' `Ce-Namespace`) and optionally the `RequestLog` limits `queue_size`,
    `spool_bytes`, `timeout_s`, `retry_s`.

    A deployment that had a rollout (`local_rollouts.py`) is *routed*: a router listens on its port and its model
    servers run from `servers/<version>/` (its record's `config.servers` says which); stopping it ends the
    rollout, and it restarts as one model server on its port again.
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
        self._processes: dict[Path, ServerProcess] = {}  # folder -> its server, to reap the children we start
        self._routers: dict[str, LocalRouter] = {}  # name -> its router, likewise
        self._locks: dict[str, threading.Lock] = {}  # name -> held while its servers are (re)started or stopped

    def folder(self, name: str) -> Path:
        return confined.resolve(self.workspace / "deployments", name)

    def lock(self, name: str) -> threading.Lock:
        """Held while the deployment's servers are (re)started, stopped or rerouted."""
        return self._locks.setdefault(name, threading.Lock())

    def server(self, name: str, slot: str | None = None) -> ServerProcess:
        """The model server of deployment `name` that runs from its folder, or from `servers/<slot>/` in it."""
        folder = self.folder(name) if slot is None else confined.resolve(self.folder(name), SERVERS_FOLDER, slot)
        return self._processes.setdefault(folder, ServerProcess(folder, name))

    def router(self, name: str) -> LocalRouter:
        """The router of deployment `name` (running only while it is routed)."""
        return self._routers.setdefault(name, LocalRouter(self.folder(name)))

    def stable_server(self, record: dict) -> ServerProcess:
        """The server that answers for the deployment's stable version."""
        servers = record["config"].get("servers")
        return self.server(record["name"], servers["stable"]["slot"] if servers else None)

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
        source = local_model_folder(artifact, run_id)
        with self.lock(name):
            port = self._check_replaceable(name)
            self._kill(name)  # servers left behind by a deployment wrongly judged gone
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
            return self.start_server(name, port)

    def _check_replaceable(self, name: str) -> int | None:
        """The port of the stopped or failed deployment `name` replaces (None if there is none); a 409 if it
        is starting or running."""
        try:
            record = self._live(name, held=True)
        except NotFoundError:
            return None
        refuse_live(record)
        return record["port"]

    def start_server(self, name: str, port: int | None = None) -> dict:
        """Start the model server of a recorded deployment on `port` (default: a free one) and wait until it is
        ready. A `port` that another process holds is a 409: the deployment's URL never changes silently."""
        record = self.store.get(name)
        if port and not port_free(port):
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
        port = port or free_port()
        server = self.server(name)
        server.start(port, record["config"]["metadata"], self.request_log)
        url = f"http://{HOST}:{port}"
        self.store.update(
            name, status=DeploymentStatus.STARTING, pid=server.process.pid, port=port, url=url, error=None
        )
        problem = server.wait_ready(url, self.ready_timeout_s)
        if problem:
            return self._failed(name, problem)
        self.store.update(name, status=DeploymentStatus.RUNNING)
        return self.get(name)

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

    def _live(self, name: str, *, held: bool = False) -> dict:
        """A deployment with its live state: a server (or router) process that is gone marks it failed, with its
        log tail; `ready` when it answers its readiness check; request statistics copied from `stats.json`."""
        record = self.store.get(name)
        ready_now = False
        if _watched(record):
            record = self._fail_if_gone(name, held=held)
            ready_now = _watched(record) and ready(record["url"], name)
        stats = self.stable_server(record).stats()
        if stats and stats.get("requests", 0) != record["request_count"]:
            latency = stats.get("latency_ms") or {}
            record = self.store.update(
                name,
                request_count=stats["requests"],
                error_count=stats.get("errors", 0),
                latency_p50_ms=latency.get("p50"),
                latency_p99_ms=latency.get("p99"),
            )
        return self._view(record, ready_now)

    def _fail_if_gone(self, name: str, *, held: bool = False) -> dict:
        """Mark the deployment failed if its processes are gone, judged again under its lock (`held`: the caller
        holds it): while a start, stop or reroute (e.g. a rollout handing the port to a router) holds it,
        processes come and go and that call decides."""
        lock = self.lock(name)
        if held:
            return self._judged(name)
        if not lock.acquire(blocking=False):
            return self.store.get(name)
        try:
            return self._judged(name)
        finally:
            lock.release()

    def _judged(self, name: str) -> dict:
        """The deployment, marked failed if its processes are gone."""
        record = self.store.get(name)
        gone = self._gone(record) if _watched(record) else None
        if gone is None:
            return record
        return self.store.update(
            name,
            status=DeploymentStatus.FAILED,
            pid=None,
            error=f"{gone}; log tail:\n{self.logs(name, tail=LOG_TAIL_LINES)}",
        )

    def _gone(self, record: dict) -> str | None:
        """Why the running deployment's processes are not all there (None while they are)."""
        if record["config"].get("servers"):
            if self.router(record["name"]).pid() is None:
                return "its router exited"
            return None if self.stable_server(record).pid() is not None else "the stable version's model server exited"
        server = self.server(record["name"])
        if server.pid() == record["pid"] and record["pid"] is not None:
            return None
        code = server.exit_code()
        server.process = None
        return f"the model server exited{f' (exit code {code})' if code is not None else ''}"

    def logs(self, name: str, tail: int | None = None) -> str:
        """The log of the model server answering for the stable version (its last `tail` lines)."""
        return self.stable_server(self.store.get(name)).log(tail)

    def _view(self, record: dict, ready_now: bool) -> dict:
        running = record["status"] == DeploymentStatus.RUNNING
        base, name = record["url"], record["name"]
        view = {
            **record,
            "folder": str(self.folder(name)),
            "ready": ready_now,
            "endpoints": prediction.endpoints(base, name) if running and base else None,
            "signature": recorded_signature(record),
            "stats": self.stable_server(record).stats(),
        }
        if record["status"] == DeploymentStatus.FAILED:
            view["log_tail"] = self.logs(name, tail=LOG_TAIL_LINES)
        return view

    # -- stopping and restarting ----------------------------------------------------------

    def stop(self, name: str) -> dict:
        """Stop the model server (its process group: SIGTERM, then SIGKILL) and, if routed, its router and the
        servers behind it (a rollout ends: its candidate is dropped); the deployment stays, `stopped`, and can
        restart."""
        self.store.get(name)
        with self.lock(name):
            self._kill(name)
            return self._view(self.store.update(name, status=DeploymentStatus.STOPPED, pid=None), False)

    def restart(self, name: str) -> dict:
        """Stop the deployment's servers if they run and start its model server again on the deployment's port."""
        port = self.store.get(name)["port"]
        with self.lock(name):
            self._kill(name)
            return self.start_server(name, port)

    def _kill(self, name: str) -> None:
        """Stop every process of the deployment: its router, the servers behind it, its own server (as their pid
        files name them, whatever the record says); a routed deployment becomes a plain one again."""
        self.router(name).stop()
        servers = self.folder(name) / SERVERS_FOLDER
        for slot in sorted(p.name for p in servers.iterdir()) if servers.is_dir() else ():
            self.server(name, slot).stop()
        confined.remove_tree(self.folder(name), SERVERS_FOLDER)
        self.server(name).stop()
        with contextlib.suppress(NotFoundError):
            config = self.store.get(name)["config"]
            if "servers" in config or "rollout" in config:
                plain = {k: v for k, v in config.items() if k not in ("servers", "rollout")}
                self.store.update(name, config=plain)

    def reattach(self) -> list[dict]:
        """On Jupyter server start: keep deployments whose servers still run and answer; restart the others."""
        for record in self.store.list(target=DeploymentTarget.LOCAL):
            if record["status"] not in DEPLOYMENT_LIVE:
                continue
            if self._gone(record) is None and ready(record["url"], record["name"], wait_s=10):
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


def local_model_folder(artifact: dict, run_id: str) -> Path:
    """The folder of a run's Model artifact on this machine; a UserError for a model elsewhere (a KFP run's)."""
    source = Path(artifact["uri"])
    if not source.is_dir():
        raise UserError(
            f"The model {artifact['name']!r} of run {run_id} is not a folder on this machine ({artifact['uri']}).",
            "Deploy models of local runs here; models of KFP runs deploy to KServe.",
        )
    return source


def _watched(record: dict) -> bool:
    """Whether the deployment's processes should be there: it runs, or it starts and has a server (a deployment
    being started has no server pid yet: the deploy call alone decides its fate then)."""
    return record["status"] == DeploymentStatus.RUNNING or (
        record["status"] == DeploymentStatus.STARTING and bool(record["pid"])
    )
