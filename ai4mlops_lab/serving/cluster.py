"""Cluster deployments: a run's Model artifact served by KServe as an InferenceService.

Records are in the deployment store with target `kserve`; their `config` holds `namespace`, `object` (the
InferenceService as applied), `storage_uri`, `format`, `image` (None for built-in runtimes) and `metadata`
(the artifact's). Nothing waits for Ready: `refresh` updates the records from their InferenceServices' status
(the Jupyter server calls it in its background loop); `get` and `list` read the store only.

What `deploy`, `get`, `list`, `stop` and `restart` return: the store record plus `ready`, `endpoints`
({v1, v2, metadata, ready} URLs at the status URL, None while not running), `signature` (the model's, or None),
`conditions` (the InferenceService's at the last refresh, [] before one) and `stats` (None: request statistics
come from the monitoring ingest). The Kubernetes connection is resolved again for each call, so settings changes
apply; one Kubernetes client is kept per connection.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable

from ..errors import NotFoundError, UserError
from ..records import DeploymentView
from ..states import DeploymentStatus, DeploymentTarget
from ..store.deployments import DeploymentStore
from ..store.runs import RunStore
from . import prediction
from .artifacts import check_name, deployment_name, free_name, model_artifact, recorded_signature, refuse_live
from .inference_service import CONTAINER_NAME, CUSTOM_FORMATS, build_inference_service, cluster_storage_uri
from .kserve_backend import MISSING, KserveBackend
from .kube_connection import KubeConnection

#: Model frameworks (artifact metadata `model.framework`) and the KServe model format serving them.
FORMATS = {"sklearn": "sklearn", "xgboost": "xgboost", "torch": "torch"}
#: The setting that names the predictor image torch models need.
IMAGE_SETTING = "predictorImage"
STATES = {"pending": DeploymentStatus.STARTING, "ready": DeploymentStatus.RUNNING, "failed": DeploymentStatus.FAILED}
#: Error codes after which the other deployments of a list are not refreshed either (same cluster).
CLUSTER_DOWN = ("kube_unreachable", "kube_settings", "kube_unauthorized", "kserve_missing")
LABELS = {"app.kubernetes.io/managed-by": "ai4mlops-lab"}
RUN_LABEL = "ai4mlops-lab/run-id"
PREDICT_TIMEOUT_S = 10.0
_OPENER = urllib.request.build_opener()  # proxy settings apply: the URL is the cluster's


class ClusterDeployments:
    """Deploy Model artifacts of runs as KServe InferenceServices; follow, stop, restart and query them.

    `connection(namespace=...)` resolves the Kubernetes connection (e.g. a partial of `KubeConnection.resolve`);
    `logger_url` is where KServe's logger sends requests and responses (None: no monitoring); `image` is the
    predictor image for torch models; `namespace` the default namespace (empty: the connection's).
    """

    def __init__(
        self,
        store: DeploymentStore,
        runs: RunStore,
        connection: Callable[..., KubeConnection],
        *,
        logger_url: str | None,
        image: str | None = None,
        namespace: str = "",
    ):
        self.store, self.runs = store, runs
        self.connection = connection
        self.logger_url, self.image, self.namespace = logger_url, image, namespace
        self._backends: dict[KubeConnection, KserveBackend] = {}  # one Kubernetes client per connection
        self._lock = threading.Lock()
        # what the last refresh saw, by deployment name: its InferenceService's conditions, or why it failed
        self._conditions: dict[str, list] = {}
        self._refresh_errors: dict[str, str] = {}

    def _backend(self, namespace: str | None = None) -> KserveBackend:
        """The backend of the freshly resolved connection (`namespace`, else the default one), kept per
        connection."""
        connection = self.connection(namespace=namespace or self.namespace)
        with self._lock:
            if connection not in self._backends:
                self._backends[connection] = KserveBackend(connection)
            return self._backends[connection]

    # -- deploying ----------------------------------------------------------------------

    def deploy(
        self,
        run_id: str,
        model: str | None = None,
        name: str | None = None,
        *,
        storage_uri: str | None = None,
        namespace: str | None = None,
        resources: dict | None = None,
        labels: dict[str, str] | None = None,
    ) -> dict:
        """Apply an InferenceService serving a Model artifact of a run; returns the `starting` record at once.

        `model`: the artifact's name or `step/name` (default: the last one); `storage_uri`: where the cluster reads
        the model (default: the artifact's URI, minio:// mapped to s3://); `resources`: limits and requests;
        `labels`: more labels of the InferenceService (ours win). A name in use by a starting or running deployment
        is a 409; a stopped or failed one is replaced.
        """
        run = self.runs.run(run_id)
        artifact = model_artifact(run, model)
        fmt = self._model_format(artifact, run_id)
        uri = cluster_storage_uri(storage_uri or artifact["uri"])
        if name is None:
            name = free_name(
                deployment_name(f"{run['pipeline']}-{artifact['name']}"),
                (record["name"] for record in self.store.list()),
            )
        else:
            self._check_replaceable(name)
        backend = self._backend(namespace)
        ns = backend.connection.namespace
        image = self.image if fmt in CUSTOM_FORMATS else None
        obj = build_inference_service(
            name,
            ns,
            model_format=fmt,
            storage_uri=uri,
            resources=resources,
            logger_url=self.logger_url,
            image=image,
            labels={**(labels or {}), **LABELS, RUN_LABEL: run_id},
        )
        backend.apply(obj)
        record = self.store.create(
            name=name,
            run_id=run_id,
            model_name=f"{artifact['step']}/{artifact['name']}",
            model_uri=artifact["uri"],
            target=DeploymentTarget.KSERVE,
            replace=True,
            config={
                "namespace": ns,
                "object": obj,
                "storage_uri": uri,
                "format": fmt,
                "image": image,
                "metadata": artifact["metadata"],
            },
        )
        return self._view(record)

    def _model_format(self, artifact: dict, run_id: str) -> str:
        """The KServe model format for the artifact's framework; torch needs the predictor image."""
        framework = artifact["metadata"]["model"].get("framework")
        what = f"The model {artifact['name']!r} of run {run_id}"
        if framework not in FORMATS:
            raise UserError(
                f"{what} is a {framework!r} model, which cannot be deployed to KServe.",
                f"Deploy {', '.join(FORMATS)} models.",
            )
        if FORMATS[framework] in CUSTOM_FORMATS and not self.image:
            raise UserError(
                f"{what} is a {framework} model: KServe serves it only with the ai4mlops-lab predictor "
                "image, and none is configured.",
                f"Set the {IMAGE_SETTING!r} setting to the predictor image in a registry the cluster can "
                "pull from, or deploy the model locally.",
                code="predictor_image_missing",
            )
        return FORMATS[framework]

    def _check_replaceable(self, name: str) -> None:
        """A chosen name must be valid and not used by a starting or running deployment."""
        check_name(name)
        try:
            record = self.store.get(name)
        except NotFoundError:
            return
        refuse_live(record)

    # -- following ----------------------------------------------------------------------

    def get(self, name: str) -> DeploymentView:
        """A deployment as the store and the last refresh have it."""
        record = self.store.get(name)
        return self._stored(record) if record["target"] == DeploymentTarget.KSERVE else record

    def list(self) -> list[DeploymentView]:
        """Every kserve deployment as the store and the last refresh have it; a record the last refresh could not
        update says why in `refresh_error`."""
        return [self._stored(record) for record in self.store.list(target=DeploymentTarget.KSERVE)]

    def _stored(self, record: dict) -> dict:
        error = self._refresh_errors.get(record["name"])
        return {
            **self._view(record, self._conditions.get(record["name"])),
            **({"refresh_error": error} if error else {}),
        }

    def refresh(self) -> None:
        """Update every live kserve deployment from its InferenceService (one status request each); when the
        cluster cannot be reached the others are not asked, and each record not refreshed keeps why."""
        backend, down = None, None
        for record in self.store.list(target=DeploymentTarget.KSERVE):
            name, error = record["name"], None
            if record["status"] != DeploymentStatus.STOPPED:
                error = down
                if error is None:
                    try:
                        backend = backend or self._backend()
                        self._refreshed(record, backend)
                    except UserError as exc:
                        error = exc
                        down = exc if exc.code in CLUSTER_DOWN else None
            if error is None:
                self._refresh_errors.pop(name, None)
            else:
                self._refresh_errors[name] = _text(error)

    def logs(self, name: str, tail: int | None = None) -> str:
        """The InferenceService's conditions as text, and where the model server's own log is."""
        view = self._current(self._kserve(name))
        lines = [
            f"{c.get('lastTransitionTime', '')} {c.get('type')}={c.get('status')} {c.get('reason', '')}: "
            f"{c.get('message', '')}".strip(" :")
            for c in view["conditions"]
        ]
        if view["status"] == DeploymentStatus.STOPPED:
            lines.append(f"Deployment {name!r} is stopped: its InferenceService was deleted.")
        elif view["error"]:
            lines.append(view["error"])
        ns = view["config"]["namespace"]
        lines.append(
            f"The model server's log is in the cluster: kubectl logs -n {ns} "
            f"-l serving.kserve.io/inferenceservice={name} -c {CONTAINER_NAME}"
        )
        return "\n".join(lines[-tail:] if tail else lines)

    def _current(self, record: dict) -> dict:
        """The view of a kserve record, refreshed unless it is stopped."""
        return (
            self._view(record)
            if record["status"] == DeploymentStatus.STOPPED
            else self._refreshed(record, self._backend())
        )

    def _refreshed(self, record: dict, backend: KserveBackend) -> dict:
        """The record updated (when it changed) from its InferenceService status."""
        config = record["config"]
        try:
            info = backend.status(record["name"], config["namespace"])
        except NotFoundError as exc:
            if exc.code != MISSING:
                raise
            info = {
                "state": "failed",
                "url": "",
                "reason": "NotFound",
                "message": exc.message,
                "hint": "It was deleted outside ai4mlops-lab: restart or redeploy it.",
                "conditions": [],
            }
        values = {"status": STATES[info["state"]], "url": info["url"] or None, "error": None}
        if info["state"] == "failed":
            values["error"] = f"{info['reason']}: {info['message']}".strip(": ") + (
                f"\n{info['hint']}" if info["hint"] else ""
            )
        changed = {key: value for key, value in values.items() if record[key] != value}
        if changed:
            record = self.store.update(record["name"], **changed)
        self._conditions[record["name"]] = info["conditions"]
        return self._view(record, info["conditions"])

    def _view(self, record: dict, conditions: list | None = None) -> dict:
        running = record["status"] == DeploymentStatus.RUNNING and bool(record["url"])
        return {
            **record,
            "ready": running,
            "endpoints": prediction.endpoints(record["url"], record["name"]) if running else None,
            "signature": recorded_signature(record),
            "conditions": conditions or [],
            "stats": None,
        }

    def _kserve(self, name: str) -> dict:
        """The record of a kserve deployment (a 400 for another target)."""
        record = self.store.get(name)
        if record["target"] != DeploymentTarget.KSERVE:
            raise UserError(
                f"Deployment {name!r} is a {record['target']} deployment, not a KServe one.",
                "Use the deployments of its own target.",
            )
        return record

    # -- stopping and restarting ----------------------------------------------------------

    def stop(self, name: str) -> dict:
        """Delete the InferenceService (already gone is fine); the deployment stays, `stopped`, and can restart."""
        record = self._kserve(name)
        self._backend().delete(name, record["config"]["namespace"], missing_ok=True)
        return self._view(self.store.update(name, status=DeploymentStatus.STOPPED, url=None, error=None))

    def restart(self, name: str) -> dict:
        """Apply the recorded InferenceService again (recreating it after a stop); returns the `starting` record."""
        record = self._kserve(name)
        self._backend().apply(record["config"]["object"])
        return self._view(self.store.update(name, status=DeploymentStatus.STARTING, url=None, error=None))

    # -- predictions ----------------------------------------------------------------------

    def predict(self, name: str, payload: dict, *, test: bool = False) -> dict:
        """Send a V1 (`{instances}`) or V2 (`{inputs}`) request to the InferenceService's URL; its JSON answer
        (`test`: marked as a test prediction)."""
        record = self._current(self._kserve(name))
        if not record["ready"]:
            state = "running but has no URL yet" if record["status"] == DeploymentStatus.RUNNING else record["status"]
            raise UserError(
                f"Deployment {name!r} is {state}.",
                "Wait until it is running, or restart it.",
                status=409,
                code="conflict",
            )
        ns = record["config"]["namespace"]
        return prediction.predict(
            record["endpoints"],
            payload,
            record["signature"],
            timeout=PREDICT_TIMEOUT_S,
            opener=_OPENER,
            test=test,
            unreachable_hint=f"{record['url']} may be reachable only inside the cluster or through its ingress: run "
            f"JupyterLab in the cluster, or forward a port (`kubectl port-forward -n {ns} "
            f"svc/{name}-predictor 8080:80`).",
        )


def _text(error: UserError) -> str:
    return f"{error.message} {error.hint}".strip()
