"""The jupyter-server extension: configuration traits and route registration."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import PeriodicCallback
from traitlets import Unicode

from .. import NAME
from .log_scrub import scrub_log
from .routes import api_routes

#: How often the background loop follows runs and deployments and checks new requests for drift.
BACKGROUND_ROUND_MS = 2000


class Ai4MlopsApp(ExtensionApp):
    """Serves the ai4mlops-lab REST API under `/ai4mlops-lab/api/`."""

    name = "ai4mlops_lab"
    load_other_extensions = True

    workspace_dir = Unicode(
        ".ai4mlops",
        config=True,
        help="Folder for the store, run roots and deployments; relative paths are under the server root.",
    )
    kfp_host = Unicode(
        "",
        config=True,
        help="Kubeflow Pipelines API server URL; empty uses $KF_PIPELINES_ENDPOINT, else local runs only.",
    )

    public_url = Unicode(
        "",
        config=True,
        help="URL at which a cluster reaches this Jupyter server (e.g. https://jupyter.example.org/), for the "
        "request logger of KServe deployments; empty: cluster deployments are not monitored.",
    )
    predictor_image = Unicode(
        "",
        config=True,
        help="Container image of the ai4mlops-lab predictor, for torch models deployed to KServe.",
    )
    kube_namespace = Unicode("", config=True, help="Namespace of KServe deployments; empty: the kubeconfig's.")

    def workspace_path(self) -> Path:
        """The absolute workspace folder (not created here: the store creates it when first used)."""
        path = Path(self.workspace_dir).expanduser()
        if not path.is_absolute():
            path = Path(self.serverapp.root_dir) / path
        return path

    STORE_FILE = "store.sqlite"

    def initialize_settings(self):
        """Expose this app to the handlers; mark runs whose worker died with the last server."""
        self.settings[f"{self.name}_app"] = self
        scrub_log(self.serverapp.log)
        self._run_service = self._deployments = self._event_store = self._event_writer = self._drift_monitor = None
        self._background_jobs, self._background_busy, self._background_errors = {}, {}, {}
        self._background_loop = PeriodicCallback(self._background_round, BACKGROUND_ROUND_MS)
        self._background_loop.start()
        if (self.workspace_path() / self.STORE_FILE).exists():
            interrupted = self.run_service().mark_interrupted()
            if interrupted:
                self.log.warning("ai4mlops-lab: %d run(s) marked interrupted (their worker was gone)", interrupted)
            # Model servers may take a while to answer or restart: never hold up the server's start.
            threading.Thread(target=self.deployments().local.reattach, name="ai4mlops-reattach", daemon=True).start()

    def ingest_url(self) -> str:
        """Where deployments on this machine post their request events."""
        return f"{self.serverapp.connection_url.rstrip('/')}/{NAME}/api/ingest"

    def cluster_ingest_url(self) -> str | None:
        """Where KServe's logger posts events: the public URL with the ingest token (it sends no headers)."""
        if not self.public_url:
            return None
        from ..monitoring.ingest_token import ingest_token

        token = ingest_token(self.workspace_path())
        return f"{self.public_url.rstrip('/')}/{NAME}/api/ingest?ingest_token={token}"

    def deployments(self):
        """The deployments service (local model servers; KServe when a cluster is configured)."""
        if self._deployments is None:
            from ..monitoring.ingest_token import ingest_token
            from ..serving.cluster import ClusterDeployments
            from ..serving.kube_connection import KubeConnection
            from ..serving.local import LocalDeployments
            from ..serving.service import Deployments
            from ..store.deployments import DeploymentStore
            from ..store.runs import RunStore

            workspace = self.workspace_path()
            store = workspace / self.STORE_FILE
            request_log = {"url": self.ingest_url(), "auth": f"Bearer {ingest_token(workspace)}", "namespace": "local"}
            local = LocalDeployments(workspace, DeploymentStore(store), RunStore(store, check=False),
                                     request_log=request_log)
            cluster = ClusterDeployments(
                DeploymentStore(store), RunStore(store, check=False),
                lambda namespace="": KubeConnection.resolve(namespace=namespace or self.kube_namespace),
                logger_url=self.cluster_ingest_url(), image=self.predictor_image or None,
                namespace=self.kube_namespace)
            self._deployments = Deployments(local, cluster)
        return self._deployments

    def event_store(self):
        """The store of logged inference events."""
        if self._event_store is None:
            from ..store.events import EventStore

            self._event_store = EventStore(self.workspace_path() / self.STORE_FILE)
        return self._event_store

    def event_writer(self):
        """Writes ingested events to the event store, many per transaction (group commit)."""
        if self._event_writer is None:
            from ..store.event_writer import EventWriter

            self._event_writer = EventWriter(self.event_store())
        return self._event_writer

    def drift_monitor(self):
        """The drift monitor of deployments (retrains through the run service, redeploys through deployments)."""
        if self._drift_monitor is None:
            from ..monitoring.monitor import DriftMonitor

            workspace = self.workspace_path()
            self._drift_monitor = DriftMonitor(workspace / self.STORE_FILE, workspace, runs=self.run_service(),
                                               deployments=self.deployments())
        return self._drift_monitor

    async def _background_round(self):
        """One round of the background loop, off the event loop: pull the status of runs (KFP) and deployments
        (model servers, KServe) into the store, check deployments' pending windows for drift, follow retraining.

        Each job runs in its own thread and is skipped while its previous round still runs, so a slow KFP server
        holds up neither the drift checks nor the event loop. Nothing happens while nothing was ever recorded
        (no store)."""
        if not (self.workspace_path() / self.STORE_FILE).exists():
            return
        if not self._background_jobs:
            # the services are created once, off the loop (the drift monitor imports numpy)
            await asyncio.to_thread(lambda: self._background_jobs.update(
                runs=self.run_service().refresh, deployments=self.deployments().refresh,
                drift=self.drift_monitor().tick))
        for name, job in self._background_jobs.items():
            if name not in self._background_busy:
                self._background_busy[name] = asyncio.ensure_future(self._background_job(name, job))

    async def _background_job(self, name: str, job) -> None:
        """Run one job of the background loop in a thread; a backend's error is logged once, not every round."""
        from ..errors import UserError

        try:
            await asyncio.to_thread(job)
            self._background_errors.pop(name, None)
        except UserError as exc:  # e.g. KFP unreachable: the next round tries again
            if self._background_errors.get(name) != exc.message:
                self.log.warning("ai4mlops-lab: following %s: %s", name, exc.message)
            self._background_errors[name] = exc.message
        except Exception:  # a bad round must not stop the loop; the next one tries again
            self.log.exception("ai4mlops-lab: the background round of %s failed", name)
        finally:
            del self._background_busy[name]

    async def stop_extension(self):
        self._background_loop.stop()

    def run_service(self):
        """The run service, created on first use (it opens the store)."""
        if self._run_service is None:
            from ..runs.kfp_connection import KfpConnection
            from ..runs.service import RunService
            from ..store.runs import RunStore

            workspace = self.workspace_path()
            self._run_service = RunService(
                workspace,
                RunStore(workspace / self.STORE_FILE),
                kfp_connection=lambda host="", namespace="": KfpConnection.resolve(
                    host=host or self.kfp_host, namespace=namespace),
                root=Path(self.serverapp.root_dir),
            )
        return self._run_service

    def initialize_handlers(self):
        """Register every API route under the extension's URL prefix."""
        self.handlers.extend(api_routes(f"/{NAME}/api"))
