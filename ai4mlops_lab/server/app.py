"""The jupyter-server extension: configuration traits and route registration."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import PeriodicCallback
from traitlets import Unicode

from .. import NAME
from ..workspace import Settings, Workspace
from .log_scrub import scrub_log
from .routes import api_routes


#: How often the server checks deployments' new requests for drift.
DRIFT_CHECK_MS = 2000


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

    _drift_busy = False
    _workspace = None
    _workspace_lock = threading.Lock()

    @property
    def workspace(self) -> Workspace:
        """The workspace and its services, built from the traits on first use (after the server has its port,
        which the ingest URL of local deployments names)."""
        with self._workspace_lock:
            if self._workspace is None:
                folder = Path(self.workspace_dir).expanduser()
                root = Path(self.serverapp.root_dir)
                self._workspace = Workspace(root / folder, root=root, settings=Settings(
                    kfp_host=self.kfp_host, kube_namespace=self.kube_namespace,
                    predictor_image=self.predictor_image, public_url=self.public_url,
                    ingest_url=f"{self.serverapp.connection_url.rstrip('/')}/{NAME}/api/ingest"))
            return self._workspace

    def initialize_settings(self):
        """Expose this app to the handlers; mark runs whose worker died with the last server."""
        self.settings[f"{self.name}_app"] = self
        scrub_log(self.serverapp.log)
        self._drift_loop = PeriodicCallback(self._check_drift, DRIFT_CHECK_MS)
        self._drift_loop.start()
        if self.workspace.has_store():
            interrupted = self.workspace.run_service.mark_interrupted()
            if interrupted:
                self.log.warning("ai4mlops-lab: %d run(s) marked interrupted (their worker was gone)", interrupted)
            # Model servers may take a while to answer or restart: never hold up the server's start.
            threading.Thread(target=self.workspace.deployments.local.reattach, name="ai4mlops-reattach",
                             daemon=True).start()

    async def _check_drift(self):
        """The background loop: check new requests of every deployment, follow retraining runs.

        Skipped while nothing was ever deployed (no store) or while the previous round still runs."""
        if self._drift_busy or not self.workspace.has_store():
            return
        self._drift_busy = True
        try:
            await asyncio.to_thread(lambda: self.workspace.drift_monitor.tick())  # created off the loop (imports numpy)
        except Exception:  # a bad round must not stop the loop; the next one tries again
            self.log.exception("ai4mlops-lab: checking deployments for drift failed")
        finally:
            self._drift_busy = False

    async def stop_extension(self):
        self._drift_loop.stop()

    def initialize_handlers(self):
        """Register every API route under the extension's URL prefix."""
        self.handlers.extend(api_routes(f"/{NAME}/api"))
