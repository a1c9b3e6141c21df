"""Rollouts of local deployments: start, reconfigure and stop the traffic router (`router.py`) of a deployment.

The router listens on the deployment's public port (127.0.0.1) and forwards every request to the stable model
server; its routes may add a candidate model server, in `canary` mode (a `percent` of inferences go to it) or in
`shadow` mode (it gets a copy of every inference; its answers are logged, never returned). The router reads
`FOLDER/router.json` (written here, atomically, private to the user) and re-reads it within `POLL_S` whenever
it changes, so routes change live without dropping requests; it writes what it applied and its counters to
`FOLDER/router-stats.json`. Nothing here imports aiohttp or kserve.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from .. import confined
from ..errors import UserError
from ..runs import processes
from ..states import DeploymentStatus

ROUTER_MODULE = "ai4mlops_lab.serving.router"
CONFIG_FILE = "router.json"
STATS_FILE = "router-stats.json"
PID_FILE = "router.pid"
LOG_FILE = "router.log"
MODES = ("canary", "shadow")
VERSION_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
UPSTREAM_URL = re.compile(r"^http://127\.0\.0\.1:\d{1,5}$")
POLL_S = 0.1  # how often the router looks for a changed config file


def routes(
    stable_url: str,
    stable_version: str,
    *,
    candidate_url: str | None = None,
    candidate_version: str | None = None,
    mode: str = "canary",
    percent: float = 0.0,
) -> dict:
    """Checked routes: `{stable: {url, version}, candidate: {url, version, mode, percent} | None}`.

    Upstreams are model servers on this machine (`http://127.0.0.1:PORT`); versions are labels such as `v3`.
    `percent` (0 to 100) is the canary's share of inferences; a shadow gets all of them, as copies.
    """
    stable = {"url": _url(stable_url, "stable"), "version": _label(stable_version, "stable")}
    if candidate_url is None:
        return {"stable": stable, "candidate": None}
    share = check_candidate(candidate_version, mode, percent)
    candidate = {"url": _url(candidate_url, "candidate"), "version": candidate_version, "mode": mode, "percent": share}
    if candidate["version"] == stable["version"]:
        raise UserError(
            f"The candidate and the stable version are both {stable['version']!r}.",
            "Label them differently: every logged event says which version answered.",
        )
    return {"stable": stable, "candidate": candidate}


def refuse_not_running(record: dict, hint: str = "Restart it first.") -> None:
    """A 409 when the deployment a rollout would change is not running."""
    if record["status"] != DeploymentStatus.RUNNING:
        raise UserError(f"Deployment {record['name']!r} is {record['status']}.", hint, status=409, code="conflict")


def refuse_second_rollout(record: dict) -> None:
    """A 409 when the deployment has a rollout running already."""
    if record["config"].get("rollout"):
        raise UserError(
            f"Deployment {record['name']!r} has a rollout running already.",
            "Promote its candidate or roll it back first.",
            status=409,
            code="conflict",
        )


def running_rollout(record: dict) -> dict:
    """The deployment's running rollout (`config.rollout`); a 409 when it has none."""
    rollout = record["config"].get("rollout")
    if not rollout:
        raise UserError(
            f"Deployment {record['name']!r} has no rollout running.",
            "Start a canary or a shadow of another version first.",
            status=409,
            code="conflict",
        )
    return rollout


def check_candidate(version: str | None, mode: str, percent: float) -> float:
    """The candidate's share of inferences once its `version` label, `mode` and canary `percent` (0 to 100) are
    checked (shared by both targets): `percent` for a canary, 100 for a shadow (it gets a copy of each)."""
    if mode not in MODES:
        raise UserError(f"Unknown rollout mode {mode!r}.", f"Use one of: {', '.join(MODES)}.")
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100:
        raise UserError(f"The canary percentage {percent!r} is not a number from 0 to 100.", "Give e.g. 20.")
    _label(version, "candidate")
    return float(percent) if mode == "canary" else 100.0


def checked_routes(given: dict) -> dict:
    """`given` routes (as `routes()` returns them, e.g. read back from a file), checked again."""
    stable, candidate = given["stable"], given.get("candidate") or {}
    return routes(
        stable["url"],
        stable["version"],
        candidate_url=candidate.get("url"),
        candidate_version=candidate.get("version"),
        mode=candidate.get("mode", "canary"),
        percent=candidate.get("percent", 0.0),
    )


def _url(url: str, role: str) -> str:
    if not isinstance(url, str) or not UPSTREAM_URL.match(url.rstrip("/")):
        raise UserError(
            f"The {role} model server URL {url!r} is not http://127.0.0.1:PORT.",
            "Routers forward to local model servers only.",
        )
    return url.rstrip("/")


def _label(version: str | None, role: str) -> str:
    if not isinstance(version, str) or not VERSION_LABEL.match(version):
        raise UserError(
            f"The {role} version label {version!r} is not valid.",
            "Use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. v3).",
        )
    return version


class LocalRouter:
    """The router process of one deployment, whose files live in `folder` (e.g. the deployment's folder).

    `start` once (it binds the public `port`), `configure` as often as the rollout changes, `stats` to read its
    counters, `stop` to end it. Its process is found again after a Jupyter server restart through `router.pid`.
    """

    def __init__(self, folder: Path, ready_timeout_s: float = 30.0):
        self.folder = Path(folder)
        self.ready_timeout_s = ready_timeout_s
        self._process = None  # our child, to reap it

    def start(
        self,
        *,
        name: str,
        port: int,
        routes: dict,
        seed: int | None = None,
        timeout_s: float = 30.0,
        shadow_queue: int = 256,
        shadow_workers: int = 4,
    ) -> dict:
        """Start the router for deployment `name` on 127.0.0.1:`port` with `routes` (see `routes()`); its first
        stats once it listens. `seed` fixes the canary's random split (tests); `timeout_s` bounds each upstream
        call; a shadow gets `shadow_workers` concurrent copies, `shadow_queue` more wait, further ones are dropped.
        """
        if self.pid() is not None:
            raise UserError(
                f"The router of {name!r} is running already.", "Reconfigure it, or stop it first.", status=409
            )
        config = {
            "name": name,
            "port": port,
            "seed": seed,
            "timeout_s": timeout_s,
            "shadow_queue": shadow_queue,
            "shadow_workers": shadow_workers,
            "generation": 1,
            "routes": routes,
        }
        confined.write_file(self.folder, CONFIG_FILE, data=json.dumps(config, indent=2))
        self._process = processes.start_worker(ROUTER_MODULE, self.folder, self.folder / LOG_FILE)
        pid = self._process.pid
        confined.write_file(
            self.folder, PID_FILE, data=json.dumps({"pid": pid, "start_time": processes.start_time(pid)})
        )
        return self._wait_applied(1)

    def configure(self, routes: dict) -> dict:
        """Replace the running router's routes (see `routes()`); its stats once it applied them. Requests in
        flight finish on the routes they started with; none is refused meanwhile."""
        config = _read_json(self.folder / CONFIG_FILE)
        if config is None or self.pid() is None:
            raise UserError("The router is not running.", "Start the rollout first.", status=409)
        config = {**config, "routes": routes, "generation": config["generation"] + 1}
        confined.write_file(self.folder, CONFIG_FILE, data=json.dumps(config, indent=2))
        return self._wait_applied(config["generation"])

    def stats(self) -> dict | None:
        """What the router last wrote: `{pid, generation, routes, config_error, versions: {LABEL: {requests,
        errors, latency_ms: {p50, p99}}}, retried_on_stable, shadow: {mirrored, failed, dropped, queued}}`
        (`versions` counts served inferences only; a canary's failures are its `errors`)."""
        return _read_json(self.folder / STATS_FILE)

    def pid(self) -> int | None:
        """The router's pid while it runs (the one in `router.pid`, if that process started when it says)."""
        if self._process is not None:
            self._process.poll()  # reaps our child that exited
        recorded = _read_json(self.folder / PID_FILE) or {}
        pid = recorded.get("pid")
        if not processes.is_alive(pid) or processes.start_time(pid) != recorded.get("start_time"):
            return None
        return pid

    def stop(self) -> None:
        """Stop the router (SIGTERM: it finishes the requests in flight, then SIGKILL) and reap our child."""
        pid = self.pid()
        if pid:
            processes.stop_group(pid)
        if self._process is not None:
            if self._process.poll() is None:
                processes.stop_group(self._process.pid)
            self._process.wait()
            self._process = None

    def _wait_applied(self, generation: int) -> dict:
        """The router's stats once it applied config `generation`; a UserError if it refused it or is gone."""
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            pid = self.pid()
            if pid is None:
                raise UserError(
                    "The router exited.", f"Its log ends with:\n{self._log_tail()}", status=500, code="router_failed"
                )
            stats = self.stats()
            if stats and stats.get("pid") == pid:
                refused = stats.get("config_error") or {}
                if refused.get("generation") == generation:
                    raise UserError(
                        f"The router refused its new routes: {refused['error']}.", "It keeps serving the old ones."
                    )
                if stats.get("generation") == generation:
                    return stats
            time.sleep(POLL_S / 2)
        raise UserError(
            f"The router did not apply its routes in {self.ready_timeout_s:g} s.",
            f"Its log ends with:\n{self._log_tail()}",
            status=500,
            code="router_failed",
        )

    def _log_tail(self, lines: int = 30) -> str:
        path = self.folder / LOG_FILE
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
