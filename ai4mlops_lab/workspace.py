"""The workspace: one folder, its store and the services on it, built once for the server or the CLI.

`Workspace` is the one place services are constructed: the Jupyter server builds it from its traits
(`server/app.py`), the `ai4mlops` command from its flags and the environment (`Workspace.from_environment`).
Each service is created on first use (they import heavy modules and open the store) and only once, even
when threads ask for it together.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import NAME

#: The store's file name in the workspace folder.
STORE_FILE = "store.sqlite"
#: The environment variables `Workspace.from_environment` reads (the server's traits of the same meaning).
KUBE_NAMESPACE_ENV = "AI4MLOPS_KUBE_NAMESPACE"
PREDICTOR_IMAGE_ENV = "AI4MLOPS_PREDICTOR_IMAGE"
PUBLIC_URL_ENV = "AI4MLOPS_PUBLIC_URL"
INGEST_URL_ENV = "AI4MLOPS_INGEST_URL"
AUTO_REGISTER_ENV = "AI4MLOPS_AUTO_REGISTER"
MODEL_REGISTRY_URL_ENV = "AI4MLOPS_MODEL_REGISTRY_URL"
LOG_STORAGE_URI_ENV = "AI4MLOPS_LOG_STORAGE_URI"
LOG_STORAGE_KEY_ENV = "AI4MLOPS_LOG_STORAGE_KEY"
LOG_STORAGE_SERVICE_ACCOUNT_ENV = "AI4MLOPS_LOG_STORAGE_SERVICE_ACCOUNT"
LOG_SINK_ENV = "AI4MLOPS_LOG_SINK"
LOG_READ_FETCHERS_ENV = "AI4MLOPS_LOG_READ_FETCHERS"
LOG_READ_TIMEOUT_ENV = "AI4MLOPS_LOG_READ_TIMEOUT"
#: The values of a yes/no environment variable that mean yes.
TRUE_WORDS = ("1", "true", "yes", "on")


def env_flag(environ: Mapping[str, str], name: str) -> bool:
    """Whether the environment variable `name` says yes (1, true, yes, on; any case)."""
    return environ.get(name, "").strip().lower() in TRUE_WORDS


def env_number(environ: Mapping[str, str], name: str, default: float, kind: type = int):
    """The number (`kind`) the environment variable `name` holds, `default` when it is unset or empty; a
    FieldError naming it when it holds something else."""
    from .errors import FieldError

    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        raise FieldError(name, f"{name}={text!r} is not a {'whole ' if kind is int else ''}number.") from None


@dataclass(frozen=True)
class Settings:
    """How the services reach the outside world.

    `kfp_host`: the KFP API server (empty: `$KF_PIPELINES_ENDPOINT`, else local runs only);
    `kube_namespace`: of KServe deployments (empty: the kubeconfig's); `predictor_image`: for torch models on
    KServe; `public_url`: where a cluster reaches the Jupyter server's ingest endpoint (empty: KServe
    deployments are not monitored); `ingest_url`: where local model servers post their request events (empty:
    they write them straight into the workspace's event store); `auto_register`: register every model of each
    succeeded run in the model registry (once each); `model_registry_url`: a Kubeflow Model Registry's REST address
    to keep the model registry in (empty: the embedded one, in the store); `s3_endpoint_url`: an S3-compatible
    server for `s3://` URIs (empty: `$AWS_ENDPOINT_URL` or `$S3_ENDPOINT_URL`, else AWS); `log_storage_uri`: an
    `s3://bucket/prefix` KServe's logger writes request logs to in batches, read back by the bucket reader (empty:
    it posts each event to `public_url`), with `log_storage_key` and `log_storage_service_account` naming its
    credentials (KServe's logger `storage.key`, `storage.serviceAccountName`); `log_sink`: `http` posts events even
    when `log_storage_uri` is set (`storage`, or empty: the bucket when one is set); `log_read_fetchers`: GETs of
    logger objects at once, `log_read_timeout_s`: the longest wait for the bucket to answer (a socket read).
    """

    kfp_host: str = ""
    kube_namespace: str = ""
    predictor_image: str = ""
    public_url: str = ""
    ingest_url: str = ""
    auto_register: bool = False
    model_registry_url: str = ""
    s3_endpoint_url: str = ""
    log_storage_uri: str = ""
    log_storage_key: str = ""
    log_storage_service_account: str = ""
    log_sink: str = ""
    log_read_fetchers: int = 4
    log_read_timeout_s: float = 20.0


class Workspace:
    """The workspace folder `folder` (created by the store when first used); notebooks' paths are relative to
    `root` (default: the current folder; for schedules, the folder holding the workspace, as the Jupyter server has
    it); `clock` (epoch seconds) drives the scheduler."""

    def __init__(
        self,
        folder: Path,
        *,
        root: Path | None = None,
        settings: Settings = Settings(),
        clock: Callable[[], float] = time.time,
    ):
        self.folder = Path(folder)
        self.root = Path(root) if root is not None else None
        self.settings = settings
        self.clock = clock
        self._services: dict[str, object] = {}
        self._lock = threading.RLock()  # services build others (the drift monitor needs runs and deployments)

    @classmethod
    def from_environment(
        cls,
        folder: Path,
        *,
        ingest_url: str | None = None,
        root: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Workspace:
        """The CLI's workspace: settings from `$AI4MLOPS_*` (`ingest_url` given wins over the environment's)."""
        env = os.environ if environ is None else environ
        return cls(
            folder,
            root=root,
            settings=Settings(
                kube_namespace=env.get(KUBE_NAMESPACE_ENV, ""),
                predictor_image=env.get(PREDICTOR_IMAGE_ENV, ""),
                public_url=env.get(PUBLIC_URL_ENV, ""),
                ingest_url=ingest_url or env.get(INGEST_URL_ENV, ""),
                auto_register=env_flag(env, AUTO_REGISTER_ENV),
                model_registry_url=env.get(MODEL_REGISTRY_URL_ENV, ""),
                log_storage_uri=env.get(LOG_STORAGE_URI_ENV, ""),
                log_storage_key=env.get(LOG_STORAGE_KEY_ENV, ""),
                log_storage_service_account=env.get(LOG_STORAGE_SERVICE_ACCOUNT_ENV, ""),
                log_sink=env.get(LOG_SINK_ENV, ""),
                log_read_fetchers=env_number(env, LOG_READ_FETCHERS_ENV, Settings.log_read_fetchers),
                log_read_timeout_s=env_number(env, LOG_READ_TIMEOUT_ENV, Settings.log_read_timeout_s, float),
            ),
        )

    @property
    def store_path(self) -> Path:
        return self.folder / STORE_FILE

    def has_store(self) -> bool:
        """Whether anything was ever recorded here (the store exists)."""
        return self.store_path.exists()

    def _once(self, name: str, build: Callable[[], object]):
        with self._lock:
            if name not in self._services:
                self._services[name] = build()
            return self._services[name]

    # -- settings derived from the folder ------------------------------------------------------

    def request_log(self) -> dict:
        """The request log settings of local model servers (see `LocalDeployments`): the ingest URL with the
        ingest token, else the store's path (events written straight into it)."""
        if self.settings.ingest_url:
            from .monitoring.ingest_token import ingest_token

            return {
                "url": self.settings.ingest_url,
                "auth": f"Bearer {ingest_token(self.folder)}",
                "namespace": "local",
            }
        return {"store": str(self.store_path), "namespace": "local"}

    def cluster_ingest_url(self) -> str | None:
        """Where KServe's logger posts events: the public URL with the ingest token (it sends no headers)."""
        if not self.settings.public_url:
            return None
        from .monitoring.ingest_token import ingest_token

        token = ingest_token(self.folder)
        return f"{self.settings.public_url.rstrip('/')}/{NAME}/api/ingest?ingest_token={token}"

    def cluster_log_storage(self):
        """Where KServe's logger writes request logs in batches (`serving.log_storage.LogStorage`): the bucket of
        `log_storage_uri`, unless `log_sink` is `http` (or no bucket is set: None)."""
        from .errors import FieldError
        from .serving.log_storage import SINKS, LogStorage

        sink = self.settings.log_sink.strip().lower()
        if sink and sink not in SINKS:
            raise FieldError("log_sink", f"{self.settings.log_sink!r} is not a log sink.", f"Use {' or '.join(SINKS)}.")
        if sink == "http" or not self.settings.log_storage_uri.strip():
            if sink == "storage":
                raise FieldError(
                    "log_storage_uri", "log_sink is storage but no bucket is set.", "e.g. s3://logs/kserve"
                )
            return None
        return LogStorage(
            self.settings.log_storage_uri.strip(),
            key=self.settings.log_storage_key.strip(),
            service_account=self.settings.log_storage_service_account.strip(),
        )

    # -- services ------------------------------------------------------------------------------

    @property
    def run_service(self):
        """The run service (local runs, and KFP runs through `settings.kfp_host` or the environment)."""
        return self._once("run_service", self._build_run_service)

    def _build_run_service(self):
        from .runs.kfp_connection import KfpConnection
        from .runs.service import RunService
        from .store.runs import RunStore

        configured = self.settings.kfp_host
        return RunService(
            self.folder,
            RunStore(self.store_path),
            kfp_connection=lambda host="", namespace="": KfpConnection.resolve(
                host=host or configured, namespace=namespace
            ),
            root=self.root,
        )

    @property
    def deployments(self):
        """The deployments service: local model servers and KServe InferenceServices."""
        return self._once("deployments", self._build_deployments)

    def _build_deployments(self):
        from .serving.cluster import ClusterDeployments
        from .serving.kube_connection import KubeConnection
        from .serving.local import LocalDeployments
        from .serving.service import Deployments
        from .store.deployments import DeploymentStore
        from .store.runs import RunStore

        store, configured = self.store_path, self.settings.kube_namespace
        local = LocalDeployments(
            self.folder, DeploymentStore(store), RunStore(store, check=False), request_log=self.request_log()
        )
        cluster = ClusterDeployments(
            DeploymentStore(store),
            RunStore(store, check=False),
            lambda namespace="": KubeConnection.resolve(namespace=namespace or configured),
            logger_url=self.cluster_ingest_url(),
            log_storage=self.cluster_log_storage(),
            image=self.settings.predictor_image or None,
            namespace=configured,
        )
        return Deployments(local, cluster, root=self.root, on_remove=lambda record: self.monitor_jobs.withdraw(record))

    @property
    def registry(self):
        """The model registry (a `registry.RegistryBackend`): a Kubeflow Model Registry when
        `settings.model_registry_url` is set (its token resolved for each request), else the embedded one, in the
        store."""
        return self._once("registry", self._build_registry)

    def _build_registry(self):
        from .store.runs import RunStore

        runs = RunStore(self.store_path, check=False)
        url = self.settings.model_registry_url
        if url:
            from .registry.kubeflow import KubeflowRegistry
            from .registry.kubeflow_api import ModelRegistryApi, RegistryConnection
            from .store.alias_moves import AliasMoveStore

            api = ModelRegistryApi(lambda: RegistryConnection.resolve(url))
            return KubeflowRegistry(api, runs, AliasMoveStore(self.store_path, check=False))
        from .registry import EmbeddedRegistry
        from .store.registry import RegistryStore

        return EmbeddedRegistry(RegistryStore(self.store_path), runs)

    @property
    def rollouts(self):
        """Rollouts of registered versions through the promotion gate (`registry.rollout.RolloutService`)."""
        return self._once("rollouts", self._build_rollouts)

    def _build_rollouts(self):
        from .registry.rollout import RolloutService
        from .store.gate import GateStore

        return RolloutService(
            self.registry, self.deployments, GateStore(self.store_path), outcomes=lambda: self.outcome_monitor
        )

    def auto_register(self) -> list:
        """Register the models of succeeded runs not registered yet when `settings.auto_register` is on (else
        nothing); the new versions."""
        return self.registry.auto_register() if self.settings.auto_register else []

    @property
    def batch_predictions(self):
        """Batch predictions over files under `root` with a deployment's, a run's or a registered version's model."""
        return self._once("batch_predictions", self._build_batch_predictions)

    def _build_batch_predictions(self):
        from .batch.service import BatchPredictions
        from .store.deployments import DeploymentStore
        from .store.runs import RunStore

        store = self.store_path
        return BatchPredictions(
            self.folder, DeploymentStore(store), RunStore(store, check=False), lambda: self.registry, root=self.root
        )

    @property
    def batch_jobs(self):
        """Batch prediction jobs, each in a worker process (`batch.jobs.BatchJobs`)."""
        return self._once("batch_jobs", self._build_batch_jobs)

    def _build_batch_jobs(self):
        from .batch.jobs import BatchJobs
        from .store.batch_jobs import BatchJobStore

        return BatchJobs(
            self.folder,
            BatchJobStore(self.store_path, check=False),
            self.batch_predictions,
            kfp_backend=lambda: self.run_service.kfp_backend(),
        )

    @property
    def drift_monitor(self):
        """The drift monitor (retrains through the run service, redeploys through the deployments)."""
        return self._once("drift_monitor", self._build_drift_monitor)

    def _build_drift_monitor(self):
        from .monitoring.monitor import DriftMonitor

        return DriftMonitor(
            self.store_path,
            self.folder,
            runs=self.run_service,
            deployments=self.deployments,
            rollouts=lambda: self.rollouts,
            on_policy=lambda name: self.monitor_jobs.tell_policy(name),
        )

    @property
    def outcome_monitor(self):
        """Outcome monitoring: labels, performance, concept drift (alerts retrain like drift alerts)."""
        return self._once("outcome_monitor", self._build_outcome_monitor)

    def _build_outcome_monitor(self):
        from .monitoring.outcomes import OutcomeMonitor

        return OutcomeMonitor(self.store_path, on_alert=self.drift_monitor.retraining.retrain_automatically)

    @property
    def event_store(self):
        """The store of logged inference events."""
        return self._once("event_store", self._build_event_store)

    def _build_event_store(self):
        from .store.events import EventStore

        return EventStore(self.store_path)

    @property
    def event_writer(self):
        """Writes ingested events to the event store, many per transaction (group commit)."""
        return self._once("event_writer", self._build_event_writer)

    def _build_event_writer(self):
        from .store.event_writer import EventWriter

        return EventWriter(self.event_store)

    @property
    def bucket_reader(self):
        """Reads the request logs KServe deployments' loggers wrote to the bucket into the event store."""
        return self._once("bucket_reader", self._build_bucket_reader)

    def _build_bucket_reader(self):
        """The reader on its own client: its socket reads wait `log_read_timeout_s`, and it retries GETs itself."""
        from dataclasses import replace

        from .errors import FieldError
        from .monitoring.bucket_reader import BucketReader
        from .objectstore import ObjectStore
        from .store.deployments import DeploymentStore
        from .store.log_objects import LogObjectStore

        fetchers, timeout = self.settings.log_read_fetchers, self.settings.log_read_timeout_s
        if isinstance(fetchers, bool) or not isinstance(fetchers, int) or not 1 <= fetchers <= 64:
            raise FieldError("log_read_fetchers", f"{fetchers!r} is not a whole number from 1 to 64.", "e.g. 4")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 600:
            raise FieldError("log_read_timeout", f"{timeout!r} is not a number of seconds from 0 to 600.", "e.g. 20")
        objects = ObjectStore(replace(self.object_store.settings, read_timeout_s=timeout, attempts=1))
        return BucketReader(
            objects, LogObjectStore(self.store_path), DeploymentStore(self.store_path), fetchers=fetchers
        )

    @property
    def monitor_jobs(self):
        """Deployments' drift monitoring as jobs of the cluster (KFP recurring runs), seeded in the bucket."""
        return self._once("monitor_jobs", self._build_monitor_jobs)

    def _build_monitor_jobs(self):
        from .monitoring.cluster_schedule import MonitorJobs
        from .store.deployments import DeploymentStore

        return MonitorJobs(
            DeploymentStore(self.store_path, check=False),
            self.folder,
            self.object_store,
            lambda name: self.drift_monitor.policy(name).to_dict(),
            lambda: self.run_service.kfp_backend(),
        )

    @property
    def monitor_job_results(self):
        """Imports what deployments' monitoring jobs found into the store (an alert may retrain)."""
        return self._once("monitor_job_results", self._build_monitor_job_results)

    def _build_monitor_job_results(self):
        from .monitoring.cluster_results import JobResults

        monitor = self.drift_monitor
        return JobResults(
            self.object_store,
            self.store_path,
            on_alert=lambda alert_id, name: monitor.retraining.retrain_automatically(alert_id, monitor.policy(name)),
        )

    @property
    def schedules(self):
        """Schedules as users manage them (`scheduling.ScheduleService`); a schedule's notebook must be a notebook
        under the root."""
        return self._once("schedules", self._build_schedules)

    def _build_schedules(self):
        from .scheduling import ScheduleService
        from .scheduling.kfp_schedules import KfpSchedules
        from .store.schedules import ScheduleStore

        runs = self._notebook_runs()
        return ScheduleService(
            ScheduleStore(self.store_path),
            self.clock,
            check_notebook=runs.notebook,
            pins=runs,
            kfp=KfpSchedules(lambda: self.run_service),
        )

    @property
    def scheduler(self):
        """The scheduler (`scheduling.Scheduler`): each due time starts a run of the schedule's notebook through the
        run service."""
        return self._once("scheduler", self._build_scheduler)

    def _build_scheduler(self):
        from .scheduling import Scheduler

        return Scheduler(self.store_path, self._notebook_runs(), self.clock)

    @property
    def object_store(self):
        """The S3-compatible object store at `settings.s3_endpoint_url`, else the one the environment names
        (`objectstore.S3Settings.from_environment`); credentials from the environment."""
        return self._once("object_store", self._build_object_store)

    def _build_object_store(self):
        from dataclasses import replace

        from .objectstore import ObjectStore, S3Settings

        settings = S3Settings.from_environment()
        if self.settings.s3_endpoint_url:
            settings = replace(settings, endpoint_url=self.settings.s3_endpoint_url)
        return ObjectStore(settings)

    @property
    def triggers(self):
        """Data triggers as users manage them (`scheduling.TriggerService`): a trigger's notebook must be a notebook
        under the root, its source a folder under the root (not the workspace) or an s3:// prefix."""
        return self._once("triggers", self._build_triggers)

    def _build_triggers(self):
        from .scheduling.sources import source_text
        from .scheduling.trigger_service import TriggerService
        from .store.triggers import TriggerStore

        return TriggerService(
            TriggerStore(self.store_path),
            source_text=lambda source: source_text(source, root=self.schedule_root, workspace=self.folder),
            check_notebook=self._notebook_runs().notebook,
        )

    @property
    def watcher(self):
        """The data-trigger watcher (`scheduling.Watcher`): each new file starts a run of the trigger's notebook
        through the run service."""
        return self._once("watcher", self._build_watcher)

    def _build_watcher(self):
        from .scheduling.watcher import Watcher

        return Watcher(self.store_path, self._notebook_runs().start, self._trigger_source, self.clock)

    def _trigger_source(self, trigger: dict):
        """The folder or the S3 prefix a trigger watches."""
        from .objectstore import parse_uri
        from .scheduling.sources import BucketSource, FolderSource, is_s3

        if is_s3(trigger["source"]):
            return BucketSource(self.object_store, parse_uri(trigger["source"], field="source"))
        return FolderSource(self.schedule_root, trigger["source"], self.folder)

    @property
    def schedule_root(self) -> Path:
        """The folder schedules' notebook paths are relative to: the root, else the folder holding the workspace (the
        Jupyter server's root when it made the workspace)."""
        return self.root if self.root is not None else self.folder.parent

    def _notebook_runs(self):
        from .scheduling.notebook_runs import NotebookRuns

        return self._once(
            "notebook_runs", lambda: NotebookRuns(lambda: self.run_service, self.schedule_root, self.folder)
        )
