"""The jupyter-server extension: configuration traits, the workspace built from them, the background loop
and route registration."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import PeriodicCallback
from traitlets import Bool, Float, Int, Unicode, default

from .. import NAME
from ..runs.spare import SPARE_WORKER_ENV
from ..workspace import AUTO_REGISTER_ENV, MODEL_REGISTRY_URL_ENV, Settings, Workspace, env_flag
from .ingest_fast import put_in_front_of_ingest_handler
from .log_scrub import scrub_log
from .routes import api_routes

#: Where the API's routes live, under the server's base URL.
API_PREFIX = f"/{NAME}/api"
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
    auto_register = Bool(
        config=True,
        help=f"Register every model of each succeeded run in the model registry, once each (default: "
        f"${AUTO_REGISTER_ENV} is 1, true, yes or on).",
    )

    spare_worker = Bool(
        config=True,
        help=f"Start the next local run's worker while the pipeline panel is open, with the notebook's libraries "
        f"imported (see runs/spare.py); it holds their memory until it runs or idles out (default: on unless "
        f"${SPARE_WORKER_ENV} is 0, false, no or off).",
    )

    model_registry_url = Unicode(
        config=True,
        help=f"REST address of a Kubeflow Model Registry to keep registered models in (e.g. "
        f"http://model-registry-service.kubeflow.svc.cluster.local:8080); empty: the embedded registry, in the "
        f"workspace's store (default: ${MODEL_REGISTRY_URL_ENV}).",
    )

    s3_endpoint_url = Unicode(
        "",
        config=True,
        help="URL of an S3-compatible server (MinIO, Ceph, ...) for s3:// sources of data triggers, e.g. "
        "http://127.0.0.1:9000; empty: $AWS_ENDPOINT_URL or $S3_ENDPOINT_URL, else AWS S3. Credentials come from "
        "the environment ($AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY, $AWS_PROFILE or ~/.aws/credentials).",
    )

    log_storage_uri = Unicode(
        "",
        config=True,
        help="s3://bucket/prefix where KServe deployments' request loggers write requests and responses in batches "
        "(read back into the monitor each round, each object once); empty: they post each event to public_url.",
    )
    log_storage_key = Unicode("", config=True, help="The logger's storage.key: the entry of KServe's storage secret.")
    log_storage_service_account = Unicode(
        "",
        config=True,
        help="The logger's storage.serviceAccountName: a service account with the bucket's credentials.",
    )
    log_sink = Unicode(
        "",
        config=True,
        help="'http' makes KServe loggers post each event to public_url even with log_storage_uri set (small "
        "services); 'storage' or empty: the bucket when log_storage_uri is set.",
    )
    log_read_fetchers = Int(
        Settings.log_read_fetchers,
        config=True,
        help="Logger objects fetched from the bucket at once (1-64).",
    )
    log_read_timeout = Float(
        Settings.log_read_timeout_s,
        config=True,
        help="Seconds the bucket reader waits for the bucket to answer before it tries again, then leaves the "
        "object for the next round.",
    )

    @default("spare_worker")
    def _spare_worker_default(self) -> bool:
        return env_flag({SPARE_WORKER_ENV: "1", **os.environ}, SPARE_WORKER_ENV)

    @default("auto_register")
    def _auto_register_default(self) -> bool:
        return env_flag(os.environ, AUTO_REGISTER_ENV)

    @default("model_registry_url")
    def _model_registry_url_default(self) -> str:
        return os.environ.get(MODEL_REGISTRY_URL_ENV, "")

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
                self._workspace = Workspace(
                    root / folder,
                    root=root,
                    settings=Settings(
                        kfp_host=self.kfp_host,
                        kube_namespace=self.kube_namespace,
                        predictor_image=self.predictor_image,
                        public_url=self.public_url,
                        ingest_url=f"{self.serverapp.connection_url.rstrip('/')}{API_PREFIX}/ingest",
                        auto_register=self.auto_register,
                        model_registry_url=self.model_registry_url,
                        s3_endpoint_url=self.s3_endpoint_url,
                        log_storage_uri=self.log_storage_uri,
                        log_storage_key=self.log_storage_key,
                        log_storage_service_account=self.log_storage_service_account,
                        log_sink=self.log_sink,
                        log_read_fetchers=self.log_read_fetchers,
                        log_read_timeout_s=self.log_read_timeout,
                    ),
                )
            return self._workspace

    def initialize_settings(self):
        """Expose this app to the handlers; mark runs whose worker died with the last server."""
        self.settings[f"{self.name}_app"] = self
        scrub_log(self.serverapp.log)
        self._background_jobs, self._background_busy, self._background_errors = {}, {}, {}
        self._background_loop = PeriodicCallback(self._background_round, BACKGROUND_ROUND_MS)
        self._background_loop.start()
        if self.workspace.has_store():
            interrupted = self.workspace.run_service.mark_interrupted()
            if interrupted:
                self.log.warning("ai4mlops-lab: %d run(s) marked interrupted (their worker was gone)", interrupted)
            interrupted = self.workspace.batch_jobs.mark_interrupted()
            if interrupted:
                self.log.warning(
                    "ai4mlops-lab: %d batch job(s) marked interrupted (their worker was gone)", interrupted
                )
            # Model servers may take a while to answer or restart: never hold up the server's start.
            threading.Thread(
                target=self.workspace.deployments.local.reattach, name="ai4mlops-reattach", daemon=True
            ).start()

    async def _background_round(self):
        """One round of the background loop, off the event loop: pull the status of runs (KFP) and deployments
        (model servers, KServe) into the store, read the request logs KServe loggers wrote to the bucket, import what
        deployments' monitoring jobs on the cluster found while the server was down, check
        deployments' pending windows for drift, read predictions and
        labels into performance windows, follow retraining,
        register the models of succeeded runs (when `auto_register` is on), let the promotion gate judge rollouts,
        start the runs of due schedules (each compiles its notebook and starts its worker, in the job's thread) and
        of data triggers' new files (their folders and S3 prefixes are listed in the job's thread too).

        Each job runs in its own thread and is skipped while its previous round still runs, so a slow KFP server
        holds up neither the drift checks nor the event loop. Nothing happens while nothing was ever recorded
        (no store)."""
        if not self.workspace.has_store():
            return
        if not self._background_jobs:
            # the services are created once, off the loop (the drift monitor imports numpy)
            await asyncio.to_thread(
                lambda: self._background_jobs.update(
                    runs=self.workspace.run_service.refresh,
                    deployments=self.workspace.deployments.refresh,
                    logs=self.workspace.bucket_reader.read_all,
                    monitor_jobs=self.workspace.monitor_job_results.import_all,
                    drift=self.workspace.drift_monitor.tick,
                    outcomes=self.workspace.outcome_monitor.process_all,
                    registry=self.workspace.auto_register,
                    rollouts=self.workspace.rollouts.evaluate_all,
                    schedules=self.workspace.scheduler.tick,
                    triggers=self.workspace.watcher.tick,
                )
            )
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
        await asyncio.to_thread(self.workspace.run_service.spares.stop)

    def initialize_handlers(self):
        """Register every API route under the extension's URL prefix."""
        self.handlers.extend(api_routes(API_PREFIX))

    def initialize(self):
        """Register the routes (Jupyter checks each handler's authentication then), then put the ingest route's
        fast path in front of its handler."""
        super().initialize()
        put_in_front_of_ingest_handler(self.serverapp.web_app)
