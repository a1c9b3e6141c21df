"""Cluster deployments: a run's Model artifact served by KServe as an InferenceService.

Records are in the deployment store with target `kserve`; their `config` holds `namespace`, `object` (the
InferenceService as applied), how it serves the model (`storage_uri`, `format`, `image` (None for KServe's
runtimes), `protocol`, `served_model`, `fallback`: see `runtimes.KserveServing`) and `metadata` (the
artifact's). During a rollout, `object` is the InferenceService with its canary and `rollout` describes it
(see `start_rollout`); after a Serverless rollback, `pinned` until the restored predictor's revision is ready (see
`kserve_rollout`). Rollouts are canaries only: KServe cannot mirror traffic, so shadows are refused with what to do
instead (a canary, or a local deployment). Nothing waits for Ready: `refresh` updates the records from their
InferenceServices' status (the Jupyter server calls it in its background loop); `get` and `list` read the store
only.

What `deploy`, `get`, `list`, `stop` and `restart` return: the store record plus `ready`, `endpoints`
({v1, v2, metadata, ready} URLs at the status URL, None while not running), `signature` (the model's, or None),
`conditions` (the InferenceService's at the last refresh, [] before one) and `stats` (None: request statistics
come from the monitoring ingest); `get` and `list` add `monitor_job_status` to a deployment monitored by a job of
the cluster (`config.monitor_job`): whether the job is alive, as the imports of its results saw it
(`JobStatusStore.status`). The Kubernetes connection is resolved again for each call, so settings changes
apply; one Kubernetes client is kept per connection.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable

from ..errors import NotFoundError, UserError
from ..records import DeploymentView
from ..states import DeploymentStatus, DeploymentTarget
from ..store import times
from ..store.deployments import DeploymentStore
from ..store.events import EventStore
from ..store.monitor_jobs import JobStatusStore
from ..store.runs import RunStore
from . import kserve_rollout, prediction
from .artifacts import check_name, deployment_name, free_name, model_artifact, recorded_signature, refuse_live
from .inference_service import CONTAINER_NAME, build_inference_service, cluster_storage_uri
from .kserve_backend import MISSING, KserveBackend, summarize_status
from .kube_connection import KubeConnection
from .local_rollouts import stable_version
from .log_storage import LogStorage
from .rollouts import check_candidate, refuse_not_running, refuse_second_rollout, running_rollout
from .runtimes import SERVING_FIELDS, KserveServing, describe, kserve_serving

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
    `logger_url` is where KServe's logger sends requests and responses (None: no monitoring), unless `log_storage`
    (a bucket prefix) is given, where it writes them in batches instead; `image` is the predictor image for torch
    models that have no exported form; `namespace` the default namespace (empty: the connection's).
    """

    def __init__(
        self,
        store: DeploymentStore,
        runs: RunStore,
        connection: Callable[..., KubeConnection],
        *,
        logger_url: str | None,
        log_storage: LogStorage | None = None,
        image: str | None = None,
        namespace: str = "",
    ):
        self.store, self.runs = store, runs
        self.job_status = JobStatusStore(store.path, check=False)
        self.log_storage = log_storage
        self.connection = connection
        self.logger_url, self.image, self.namespace = logger_url, image, namespace
        self._backends: dict[KubeConnection, KserveBackend] = {}  # one Kubernetes client per connection
        self._lock = threading.Lock()
        # what the last refresh saw, by deployment name: its InferenceService's conditions, or why it failed
        self._conditions: dict[str, list] = {}
        self._refresh_errors: dict[str, str] = {}
        self._reported: dict[str, dict] = {}  # the rollout facts of its status (`summarize_status`'s `rollout`)

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
        serving = kserve_serving(artifact, run_id, cluster_storage_uri(storage_uri or artifact["uri"]), self.image)
        if name is None:
            name = free_name(
                deployment_name(f"{run['pipeline']}-{artifact['name']}"),
                (record["name"] for record in self.store.list()),
            )
        else:
            self._check_replaceable(name)
        backend = self._backend(namespace)
        ns = backend.connection.namespace
        obj = self._build(name, ns, serving, run_id, resources, labels, metadata=artifact["metadata"])
        backend.apply(obj)
        record = self.store.create(
            name=name,
            run_id=run_id,
            model_name=f"{artifact['step']}/{artifact['name']}",
            model_uri=artifact["uri"],
            target=DeploymentTarget.KSERVE,
            replace=True,
            config={"namespace": ns, "object": obj, **serving.config(), "metadata": artifact["metadata"]},
        )
        return self._view(record)

    def _build(
        self,
        name: str,
        ns: str,
        serving: KserveServing,
        run_id: str,
        resources: dict | None,
        labels: dict | None = None,
        *,
        metadata: dict,
    ) -> dict:
        """The InferenceService serving a model of run `run_id` as `serving` says (artifact `metadata`, for the
        predictor image), with `labels` too."""
        return build_inference_service(
            name,
            ns,
            model_format=serving.format,
            storage_uri=serving.storage_uri,
            protocol_version=serving.protocol,
            resources=resources,
            logger_url=self.logger_url,
            log_storage=self.log_storage,
            image=serving.image,
            metadata=metadata if serving.image else None,
            labels={**(labels or {}), **LABELS, RUN_LABEL: run_id},
        )

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
        monitored = bool(record["config"].get("monitor_job"))
        return {
            **self._view(record, self._conditions.get(record["name"])),
            **({"refresh_error": error} if error else {}),
            **({"monitor_job_status": self.job_status.status(record["name"])} if monitored else {}),
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
                "rollout": {"mode": "", "predictor": {}, "canaries": []},
            }
        values = {"status": STATES[info["state"]], "url": info["url"] or None, "error": None}
        if info["state"] == "failed":
            values["error"] = f"{info['reason']}: {info['message']}".strip(": ") + (
                f"\n{info['hint']}" if info["hint"] else ""
            )
        changed = {key: value for key, value in values.items() if record[key] != value}
        if config.get("pinned") and _restored_revision_ready(info, config["pinned"]):
            changed["config"] = self._unpin(record, backend)
        if changed:
            record = self.store.update(record["name"], **changed)
        self._reported[record["name"]] = info["rollout"]
        self._conditions[record["name"]] = info["conditions"]
        return self._view(record, info["conditions"])

    def _view(self, record: dict, conditions: list | None = None) -> dict:
        running = record["status"] == DeploymentStatus.RUNNING and bool(record["url"])
        config = record["config"]
        served = config.get("served_model") or record["name"]
        return {
            **record,
            "ready": running,
            "endpoints": (
                prediction.endpoints(record["url"], served, describe(record["target"], config)["protocols"])
                if running
                else None
            ),
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
        """Delete the InferenceService (already gone is fine); the deployment stays, `stopped`, and can restart.
        A rollout ends with it: a restart serves the stable version alone."""
        record = self._kserve(name)
        self._backend().delete(name, record["config"]["namespace"], missing_ok=True)
        config = record["config"]
        values = {"status": DeploymentStatus.STOPPED, "url": None, "error": None}
        if config.get("rollout") or config.get("pinned"):
            stable = config["rollout"]["previous"] if config.get("rollout") else config["object"]
            values["config"] = {**_without(config, "rollout", "pinned"), "object": kserve_rollout.unpinned(stable)}
        return self._view(self.store.update(name, **values))

    def restart(self, name: str) -> dict:
        """Apply the recorded InferenceService again (recreating it after a stop); returns the `starting` record."""
        record = self._kserve(name)
        self._backend().apply(record["config"]["object"])
        return self._view(self.store.update(name, status=DeploymentStatus.STARTING, url=None, error=None))

    # -- rollouts -------------------------------------------------------------------------

    def start_rollout(
        self, name: str, run_id: str, *, model: str | None, version: str, mode: str, percent: float
    ) -> DeploymentView:
        """Serve the Model artifact `model` of run `run_id` as the candidate of deployment `name`, labelled
        `version` (e.g. `v3`), in `mode` `canary` with `percent` (a whole number) of the traffic, the way the
        InferenceService's deployment mode supports (see `kserve_rollout`). `shadow` is refused: KServe cannot
        mirror traffic.

        The record's `config.rollout` is `{mode, percent, candidate: {version, run_id, model}, started_at,
        previous, kserve}`: `previous` is the stable InferenceService (object) that a rollback restores, `kserve`
        `{mechanism, canary, stable_source, storage_uri, format, image}` (the canary mechanism, its Standard-mode
        name, how the stable pods' event sources begin, the candidate's model as served).
        """
        record = self._running(name)
        refuse_second_rollout(record)
        check_candidate(version, mode, percent)
        if mode == "shadow":
            raise UserError(*kserve_rollout.SHADOW_REFUSED, code="shadow_unsupported")
        share = kserve_rollout.whole_percent(percent)
        if version == stable_version(record):
            raise UserError(
                f"The candidate and the stable version are both {version!r}.",
                "Label them differently: the rollout's numbers say which version answered.",
            )
        artifact = model_artifact(self.runs.run(run_id), model)
        serving = kserve_serving(artifact, run_id, cluster_storage_uri(artifact["uri"]), self.image)
        config = record["config"]
        _refuse_other_urls(config, serving)
        ns, stable = config["namespace"], kserve_rollout.unpinned(config["object"])
        backend = self._backend()
        reported = summarize_status(backend.get(name, ns))["rollout"]
        how = kserve_rollout.mechanism(reported["mode"], name)
        label = kserve_rollout.canary_name(name, version) if how == kserve_rollout.STANDARD else None
        candidate = self._build(name, ns, serving, run_id, _resources(stable), metadata=artifact["metadata"])
        obj = kserve_rollout.with_canary(stable, candidate, how, share, label)
        backend.replace(obj)
        rollout = {
            "mode": mode,
            "percent": float(share),
            "candidate": {"version": version, "run_id": run_id, "model": f"{artifact['step']}/{artifact['name']}"},
            "started_at": times.now(),
            "previous": stable,
            "kserve": {
                "mechanism": how,
                "canary": label,
                "stable_source": kserve_rollout.stable_source(name, stable, how, reported),
                **serving.config(),
            },
        }
        config = {**_without(config, "pinned"), "object": obj, "rollout": rollout}
        return self._stored(self.store.update(name, config=config))

    def change(self, name: str, percent: float) -> DeploymentView:
        """Give the running canary of `name` `percent` (a whole number) of the traffic."""
        record, rollout = self._rollout(name)
        check_candidate(rollout["candidate"]["version"], "canary", percent)
        share = kserve_rollout.whole_percent(percent)
        obj = kserve_rollout.with_share(record["config"]["object"], rollout["kserve"]["mechanism"], share)
        self._backend().replace(obj)
        config = {**record["config"], "object": obj, "rollout": {**rollout, "percent": float(share)}}
        return self._stored(self.store.update(name, config=config))

    def promote(self, name: str, extra: dict | None = None) -> DeploymentView:
        """The candidate takes all the traffic and becomes the stable version: the deployment now serves its run's
        model (its drift history starts again). `extra`: config fields stored with it in the same write."""
        record, rollout = self._rollout(name)
        config, kserve, chosen = record["config"], rollout["kserve"], rollout["candidate"]
        obj = kserve_rollout.promoted(config["object"], kserve["mechanism"])
        artifact = model_artifact(self.runs.run(chosen["run_id"]), chosen["model"])
        self._backend().replace(obj)
        served = {key: kserve.get(key) for key in SERVING_FIELDS}
        config = {
            **_without(config, "rollout"),
            **served,
            "object": obj,
            "metadata": artifact["metadata"],
            **(extra or {}),
        }
        self.store.replace_model(
            name, run_id=chosen["run_id"], model_name=chosen["model"], model_uri=artifact["uri"], config=config
        )
        return self.get(name)

    def rollback(self, name: str) -> DeploymentView:
        """The candidate is removed and the stable version gets all the traffic again: its InferenceService is
        restored (Serverless: pinned to its revision until the restored predictor's revision is ready, then exactly;
        see `kserve_rollout`)."""
        record, rollout = self._rollout(name)
        config, how = record["config"], rollout["kserve"]["mechanism"]
        backend = self._backend()
        info = backend.status(name, config["namespace"]) if how == kserve_rollout.SERVERLESS else None
        obj = kserve_rollout.rolled_back(rollout["previous"], how)
        backend.replace(obj)
        config = {**_without(config, "rollout"), "object": obj}
        candidate_revision = (
            info and info["reason"] != "Reconciling" and info["rollout"]["predictor"].get("latestCreatedRevision")
        )
        if candidate_revision:  # else the pin stays: it routes exactly as the unpinned object would
            config["pinned"] = {"candidate_revision": candidate_revision}
        return self._stored(self.store.update(name, config=config))

    def rollout_live(self, name: str) -> dict:
        """What each version answered since the rollout started (since the model was deployed, without one):
        `{stable, candidate}`, each `{version, requests, errors, p50_ms, p99_ms, traffic_percent}`; `candidate`
        None when no rollout runs.

        `requests` counts the request events KServe's logger posted to the monitoring ingest, by role: `Ce-Endpoint`
        `canary`, else whether `Ce-Source` (the pod's name) is one of the stable revision's or Deployment's pods;
        None when the status never named the stable revision. `errors` and the latencies are None: the logger's
        events carry neither status codes nor timings. `traffic_percent` is the split the last refresh read from the
        InferenceService's status (None before one). Reads the store only.
        """
        record = self._kserve(name)
        rollout = record["config"].get("rollout")
        events = EventStore(self.store.path, check=False)
        since = times.epoch_seconds(rollout["started_at"] if rollout else record["created_at"])
        origins = events.request_origins(name, since)
        stable = stable_version(record)
        if not rollout:
            return {"stable": _side(stable, sum(n for *_, n in origins), 100), "candidate": None}
        kserve = rollout["kserve"]
        counts = _by_role(origins, kserve["stable_source"])
        reported = self._reported.get(name)
        split = kserve_rollout.traffic_split(kserve, reported) if reported else None
        return {
            "stable": _side(stable, counts and counts["stable"], split and split["stable"]),
            "candidate": _side(
                rollout["candidate"]["version"], counts and counts["candidate"], split and split["candidate"]
            ),
        }

    def _running(self, name: str) -> dict:
        """The record of a running kserve deployment (a 409 for one that is not)."""
        record = self._kserve(name)
        refuse_not_running(record, "Wait until it is running, or restart it.")
        return record

    def _rollout(self, name: str) -> tuple[dict, dict]:
        record = self._kserve(name)
        return record, running_rollout(record)

    def _unpin(self, record: dict, backend: KserveBackend) -> dict:
        """Apply the rolled-back InferenceService without its pin; the record's new config."""
        obj = kserve_rollout.unpinned(record["config"]["object"])
        backend.replace(obj)
        return {**_without(record["config"], "pinned"), "object": obj}

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


def _refuse_other_urls(config: dict, candidate: KserveServing) -> None:
    """A canary shares its InferenceService's URLs: a candidate whose runtime names the model or speaks otherwise
    than the stable version's is refused."""
    if (config.get("served_model"), config.get("protocol")) != (candidate.served_model, candidate.protocol):
        stable = describe(DeploymentTarget.KSERVE, config)["label"]
        other = describe(DeploymentTarget.KSERVE, candidate.config())["label"]
        raise UserError(
            f"The candidate would be served by the {other} and the stable version by the {stable}: their request "
            "URLs differ, so one InferenceService cannot split traffic between them.",
            "Deploy the candidate as a deployment of its own, or roll out a model served by the same runtime.",
            code="runtime_mismatch",
        )


def _text(error: UserError) -> str:
    return f"{error.message} {error.hint}".strip()


def _without(config: dict, *keys: str) -> dict:
    return {key: value for key, value in config.items() if key not in keys}


def _resources(obj: dict) -> dict | None:
    """The predictor's resources in an InferenceService built by `build_inference_service`."""
    predictor = obj["spec"]["predictor"]
    holder = predictor.get("model") or (predictor.get("containers") or [{}])[0]
    return holder.get("resources")


def _restored_revision_ready(info: dict, pinned: dict) -> bool:
    """Whether the revision of a rolled-back predictor is ready (the latest created one, not the candidate's)."""
    predictor = info["rollout"]["predictor"]
    created = predictor.get("latestCreatedRevision")
    return (
        info["reason"] != "Reconciling"
        and bool(created)
        and created == predictor.get("latestReadyRevision")
        and created != pinned["candidate_revision"]
    )


def _by_role(origins: list[tuple[str, str, int]], stable_source: str | None) -> dict | None:
    """Request counts `{stable, candidate}` of (Ce-Endpoint, Ce-Source, count) rows; None when a row cannot be
    told apart (no stable source known)."""
    counts = {"stable": 0, "candidate": 0}
    for endpoint, source, n in origins:
        if endpoint == "canary":
            counts["candidate"] += n
        elif stable_source is None:
            return None
        else:
            counts["stable" if source.startswith(stable_source) else "candidate"] += n
    return counts


def _side(version: str, requests: int | None, traffic_percent: int | None) -> dict:
    return {
        "version": version,
        "requests": requests,
        "errors": None,
        "p50_ms": None,
        "p99_ms": None,
        "traffic_percent": traffic_percent,
    }
