"""Canary and shadow rollouts of local deployments: a candidate model server beside the stable one, behind the
deployment's router (`rollouts.py`), on the deployment's own port.

The first rollout of a deployment hands its port to a router: the stable version gets a model server of its own
(from `servers/<version>/`, serving the deployment's `model/` copy) and the candidate one with its model copy;
once both are ready, the deployment's first server stops and the router takes its port at once (clients may be
refused for the moment between). Later rollouts only reconfigure the router, which never drops a request.
Promoting points the router at the candidate, stops the old stable server and makes the candidate's model the
deployment's `model/` (the drift reference follows it); rolling back stops the candidate. The record's
`config.servers` says which server answers in which role; `config.rollout` the running rollout
(`{mode, percent, candidate: {version, run_id, model}, started_at}`, as on the KServe target).
"""

from __future__ import annotations

from .. import confined
from ..errors import UserError
from ..records import DeploymentView
from ..store import times
from .artifacts import model_artifact
from .local import SERVERS_FOLDER, LocalDeployments, local_model_folder
from .rollouts import refuse_not_running, refuse_second_rollout, routes, running_rollout
from .server_process import HOST, ServerProcess, free_port


class LocalRollouts:
    """Start, change, promote and roll back rollouts of the local deployments of `deployments`."""

    def __init__(self, deployments: LocalDeployments):
        self.deployments = deployments
        self.store = deployments.store

    def start_rollout(
        self, name: str, run_id: str, *, model: str | None, version: str, mode: str, percent: float
    ) -> DeploymentView:
        """Serve the Model artifact `model` of run `run_id` as the candidate of deployment `name`, labelled
        `version` (e.g. `v3`), in `mode` `canary` (`percent` of the inferences) or `shadow` (a copy of each)."""
        record = self._running(name)
        refuse_second_rollout(record)
        stable_label = stable_version(record)
        routes(f"http://{HOST}:1", stable_label, candidate_url=f"http://{HOST}:1", candidate_version=version,
               mode=mode, percent=percent)  # fmt: skip
        artifact = model_artifact(self.deployments.runs.run(run_id), model)
        source = local_model_folder(artifact, run_id)
        folder = self.deployments.folder(name)
        with self.deployments.lock(name):
            confined.remove_tree(folder, SERVERS_FOLDER, version)
            confined.copy_tree(source, folder, SERVERS_FOLDER, version, "model")
            started = {"candidate": self._serve(name, version, artifact["metadata"])}
            servers = record["config"].get("servers")
            if not servers:
                model_dir = folder / "model"
                started["stable"] = self._serve(name, stable_label, record["config"]["metadata"], model_dir)
            self._wait_ready(name, started)
            stable = servers["stable"] if servers else started["stable"][1]
            candidate = started["candidate"][1]
            new_routes = routes(
                _url(stable), stable["slot"], candidate_url=_url(candidate), candidate_version=version,
                mode=mode, percent=percent,
            )  # fmt: skip
            try:
                if servers:
                    self.deployments.router(name).configure(new_routes)
                else:
                    self._hand_over(record, new_routes)
            except UserError:
                for process, _ in started.values():
                    process.stop()
                raise
            rollout = {
                "mode": mode,
                "percent": new_routes["candidate"]["percent"],
                "candidate": {"version": version, "run_id": run_id, "model": f"{artifact['step']}/{artifact['name']}"},
                "started_at": times.now(),
            }
            config = {**record["config"], "servers": {"stable": stable, "candidate": candidate}, "rollout": rollout}
            self.store.update(name, config=config)
        return self.deployments.get(name)

    def change(self, name: str, percent: float) -> DeploymentView:
        """Give a running canary `percent` of the inferences."""
        record, rollout = self._rollout(name)
        if rollout["mode"] != "canary":
            raise UserError(f"The rollout of {name!r} is a shadow: it has no share of the traffic.", "")
        servers = record["config"]["servers"]
        with self.deployments.lock(name):
            applied = self.deployments.router(name).configure(self._routes(servers, rollout, percent))
            rollout = {**rollout, "percent": applied["routes"]["candidate"]["percent"]}
            self.store.update(name, config={**record["config"], "rollout": rollout})
        return self.deployments.get(name)

    def promote(self, name: str, extra: dict | None = None) -> DeploymentView:
        """The candidate answers every inference and becomes the stable version; the old stable server stops.
        `extra`: config fields stored with the new model in the same write."""
        record, rollout = self._rollout(name)
        servers = record["config"]["servers"]
        candidate = servers["candidate"]
        run = self.deployments.runs.run(rollout["candidate"]["run_id"])
        artifact = model_artifact(run, rollout["candidate"]["model"])
        folder = self.deployments.folder(name)
        with self.deployments.lock(name):
            self.deployments.router(name).configure(routes(_url(candidate), candidate["slot"]))
            self.deployments.server(name, servers["stable"]["slot"]).stop()
            confined.remove_tree(folder, SERVERS_FOLDER, servers["stable"]["slot"])
            confined.remove_tree(folder, "model")
            confined.copy_tree(folder / SERVERS_FOLDER / candidate["slot"] / "model", folder.parent, name, "model")
            config = {k: v for k, v in record["config"].items() if k != "rollout"}
            config.update(metadata=artifact["metadata"], servers={"stable": candidate}, **(extra or {}))
            self.store.replace_model(
                name,
                run_id=run["id"],
                model_name=rollout["candidate"]["model"],
                model_uri=artifact["uri"],
                config=config,
            )
        return self.deployments.get(name)

    def rollback(self, name: str) -> DeploymentView:
        """The candidate stops; the stable version answers every inference again."""
        record, _ = self._rollout(name)
        servers = record["config"]["servers"]
        with self.deployments.lock(name):
            self.deployments.router(name).configure(routes(_url(servers["stable"]), servers["stable"]["slot"]))
            self.deployments.server(name, servers["candidate"]["slot"]).stop()
            confined.remove_tree(self.deployments.folder(name), SERVERS_FOLDER, servers["candidate"]["slot"])
            config = {k: v for k, v in record["config"].items() if k != "rollout"}
            self.store.update(name, config={**config, "servers": {"stable": servers["stable"]}})
        return self.deployments.get(name)

    def rollout_live(self, name: str) -> dict:
        """What each version answered since the rollout started (the router's counts): `{stable, candidate}`, each
        `{version, requests, errors, p50_ms, p99_ms}` (a shadow's `requests` are the copies it got); `candidate`
        None when no rollout runs."""
        record = self.store.get(name)
        servers = record["config"].get("servers")
        stats = (self.deployments.router(name).stats() or {}) if servers else {}
        versions = stats.get("versions") or {}
        if servers:
            stable = _side(servers["stable"]["slot"], versions.get(servers["stable"]["slot"]))
        else:  # one model server, no router: its own counts
            stable = _side(stable_version(record), self.deployments.server(name).stats())
        rollout = record["config"].get("rollout")
        if not rollout:
            return {"stable": stable, "candidate": None}
        label = rollout["candidate"]["version"]
        shadow = rollout["mode"] == "shadow"
        return {"stable": stable, "candidate": _side(label, stats.get("shadow") if shadow else versions.get(label))}

    def _serve(self, name: str, slot: str, metadata: dict, model_dir=None) -> tuple[ServerProcess, dict]:
        server = self.deployments.server(name, slot)
        port = free_port()
        server.start(port, metadata, self.deployments.request_log, model_dir=model_dir)
        return server, {"slot": slot, "port": port}

    def _wait_ready(self, name: str, started: dict) -> None:
        """Wait for the started servers; if one is not ready, stop them all and say why (the stable version keeps
        serving as it did)."""
        for role, (server, where) in started.items():
            problem = server.wait_ready(_url(where), self.deployments.ready_timeout_s)
            if problem:
                log = server.log(tail=30)
                for process, _ in started.values():
                    process.stop()
                raise UserError(
                    f"The {role} model server of {name!r} ({where['slot']}) did not start: {problem}.",
                    f"The deployment keeps serving as before. The server's log ends with:\n{log}",
                    status=500,
                    code="deployment_failed",
                )

    def _hand_over(self, record: dict, new_routes: dict) -> None:
        """Stop the deployment's first server and start its router on its port (restarting the server if the
        router cannot start, so the deployment keeps serving)."""
        name = record["name"]
        self.deployments.server(name).stop()
        try:
            self.deployments.router(name).start(name=name, port=record["port"], routes=new_routes)
        except UserError:
            self.deployments.router(name).stop()
            self.deployments.start_server(name, record["port"])
            raise
        self.store.update(name, pid=self.deployments.router(name).pid())

    def _running(self, name: str) -> dict:
        record = self.deployments.get(name)
        refuse_not_running(record)
        return record

    def _rollout(self, name: str) -> tuple[dict, dict]:
        record = self._running(name)
        return record, running_rollout(record)

    @staticmethod
    def _routes(servers: dict, rollout: dict, percent: float) -> dict:
        candidate = servers["candidate"]
        return routes(
            _url(servers["stable"]), servers["stable"]["slot"], candidate_url=_url(candidate),
            candidate_version=candidate["slot"], mode=rollout["mode"], percent=percent,
        )  # fmt: skip


def stable_version(record: dict) -> str:
    """The label of the version a deployment serves: `v<N>` for a registered version, else from its run."""
    served = record["config"].get("version")
    if served:
        return f"v{served['version']}"
    return f"run-{(record['run_id'] or 'unknown')[:12]}"


def _url(where: dict) -> str:
    return f"http://{HOST}:{where['port']}"


def _side(version: str, counts: dict | None) -> dict:
    counts = counts or {}
    latency = counts.get("latency_ms") or {}
    return {
        "version": version,
        "requests": counts.get("requests", 0),
        "errors": counts.get("errors", 0),
        "p50_ms": latency.get("p50"),
        "p99_ms": latency.get("p99"),
    }
