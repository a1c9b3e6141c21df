"""Apply, follow and delete KServe InferenceServices through the Kubernetes API.

Objects come from `inference_service.build_inference_service` (camelCase dicts). Requests go
through `kubernetes.client.CustomObjectsApi` with strict field validation; API errors become
UserErrors that say what to fix (credentials, RBAC, KServe not installed, invalid object).
The kubernetes package is imported lazily.
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable

from ..errors import NotFoundError, UserError
from .kube_connection import KubeConnection

GROUP = "serving.kserve.io"
VERSION = "v1beta1"
PLURAL = "inferenceservices"
RESOURCE = f"{PLURAL}.{GROUP}"
FIELD_MANAGER = "ai4mlops-lab"
MISSING = "inference_service_not_found"  # the error code of a missing InferenceService

#: Condition or failure reasons after which KServe will not become Ready without a change.
TERMINAL_REASONS = frozenset(
    {
        "ModelLoadFailed",
        "RuntimeUnhealthy",
        "RuntimeDisabled",
        "NoSupportingRuntime",
        "RuntimeNotRecognized",
        "InvalidPredictorSpec",
        "InvalidSpec",
        "BlockedByFailedLoad",
        "RevisionFailed",
        "ContainerMissing",
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "ProgressDeadlineExceeded",
        "Failed",
    }
)
_RBAC_VERBS = {"replace": "update", "discover": "get"}
_IMAGE_PULL = (
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "Unable to fetch image",
    "failed to resolve image",
    "pull access denied",
    "manifest unknown",
)


class KserveError(UserError):
    """The cluster refused or could not do what was asked."""

    code = "kserve"


class DeploymentFailed(KserveError):
    """The InferenceService reached a terminal failure or did not become Ready in time."""

    status = 502
    code = "kserve_failed"

    def __init__(self, message: str, hint: str, info: dict, **kw):
        super().__init__(message, hint, **kw)
        self.info = info


def summarize_status(obj: dict) -> dict:
    """`{state: pending|ready|failed, url, reason, message, hint, conditions, rollout}` of an InferenceService;
    `rollout` is what rollouts read: `{mode, predictor, canaries}` (the reported deployment mode, the predictor's
    `status.components.predictor`, `status.canaryStatuses`)."""
    status = obj.get("status") or {}
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    url = status.get("url") or (status.get("address") or {}).get("url") or ""
    out = {"state": "pending", "url": url, "reason": "", "message": "", "hint": "", "conditions": conditions}
    out["rollout"] = {
        "mode": status.get("deploymentMode") or "",
        "predictor": (status.get("components") or {}).get("predictor") or {},
        "canaries": status.get("canaryStatuses") or [],
    }
    generation = (obj.get("metadata") or {}).get("generation")
    observed = status.get("observedGeneration")
    if generation is not None and (
        observed is None and not conditions or observed is not None and observed < generation
    ):
        out.update(reason="Reconciling", message="KServe has not processed the latest spec yet.")
        return out
    failure = _failure(status, conditions)
    if failure:
        reason, message = failure
        out.update(state="failed", reason=reason, message=message, hint=_failure_hint(reason, message))
        return out
    ready = next((c for c in conditions if c.get("type") == "Ready"), None)
    if ready and ready.get("status") == "True":
        out.update(state="ready", reason=ready.get("reason", ""), message=ready.get("message", ""))
        return out
    waiting = (
        ready
        if ready and ready.get("status") == "False"
        else next((c for c in conditions if c.get("status") == "False"), ready)
    )
    if waiting:
        out.update(reason=waiting.get("reason", ""), message=waiting.get("message", ""))
    return out


def _failure(status: dict, conditions: list[dict]) -> tuple[str, str] | None:
    """(reason, message) of a terminal failure, else None."""
    model = status.get("modelStatus") or {}
    info = model.get("lastFailureInfo") or {}
    states = model.get("states") or {}
    if (
        model.get("transitionStatus") in ("BlockedByFailedLoad", "InvalidSpec")
        or states.get("activeModelState") == "FailedToLoad"
        or states.get("targetModelState") == "FailedToLoad"
    ):
        return info.get("reason") or model.get("transitionStatus") or "FailedToLoad", info.get("message", "")
    for cond in conditions:
        if cond.get("status") != "False":
            continue
        reason, message = cond.get("reason", ""), cond.get("message", "")
        if reason in TERMINAL_REASONS or any(p in message for p in _IMAGE_PULL):
            return reason or cond.get("type", ""), message
    return None


def _failure_hint(reason: str, message: str) -> str:
    text = f"{reason} {message}"
    if any(p in text for p in _IMAGE_PULL):
        return (
            "The predictor image could not be pulled: check the image name and tag, and that the "
            "namespace's service account has imagePullSecrets for its registry."
        )
    if "storage-initializer" in text or "storage" in message.lower():
        return (
            "The model could not be downloaded from storageUri: check the URI and that the predictor's "
            "service account carries credentials for that storage (for MinIO, the S3 endpoint too)."
        )
    if reason in ("NoSupportingRuntime", "RuntimeNotRecognized", "RuntimeDisabled"):
        return (
            "No enabled ServingRuntime serves this model format: check `kubectl get clusterservingruntimes` "
            "or use a custom predictor image."
        )
    if reason in ("ModelLoadFailed", "FailedToLoad", "BlockedByFailedLoad", "CrashLoopBackOff"):
        return (
            "The model server could not load the model: check that the model format and runtime version "
            "match the artifact, and read the predictor pod's logs."
        )
    return "Run `kubectl describe inferenceservice` and read the predictor pod's events and logs."


class KserveBackend:
    """InferenceService lifecycle on one cluster: apply, status, wait_ready, delete."""

    def __init__(
        self,
        connection: KubeConnection,
        *,
        timeout: tuple[float, float] = (5.0, 30.0),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.connection = connection
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._api = None

    # -- requests -------------------------------------------------------------------------------

    def api(self):
        """The `CustomObjectsApi`, created on first use."""
        if self._api is None:
            from kubernetes import client

            self._api = client.CustomObjectsApi(self.connection.api_client())
        return self._api

    def _call(self, verb: str, name: str, namespace: str, method: str, *args, **kwargs):
        """One API call; errors become UserErrors naming the verb, object and namespace."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return getattr(self.api(), method)(*args, _request_timeout=self.timeout, **kwargs)
        except ApiException as exc:
            raise self._api_error(exc, verb, name, namespace) from exc
        except HTTPError as exc:
            host = self.connection.host or "the Kubernetes API server"
            raise KserveError(
                f"Could not reach {host} to {verb} InferenceService {name!r}: {type(exc).__name__}.",
                f"Check that the cluster of context {self.connection.context or self.connection.source!r} is "
                "running and reachable (VPN, port-forward), e.g. with `kubectl cluster-info`.",
                status=503,
                code="kube_unreachable",
            ) from exc

    def _api_error(self, exc, verb: str, name: str, namespace: str) -> UserError:
        body = _status_body(exc)
        detail = body.get("message") or exc.reason or ""
        what = f"{verb} InferenceService {name!r} in namespace {namespace!r}"
        if exc.status == 401:
            return KserveError(
                f"The Kubernetes API server refused the credentials (401) to {what}.",
                f"Refresh the credentials of {self.connection.context or self.connection.source} "
                "(log in again or regenerate the kubeconfig); check with `kubectl auth whoami`.",
                status=401,
                code="kube_unauthorized",
            )
        if exc.status == 403:
            return KserveError(
                f"Forbidden to {what}: {detail}",
                f"RBAC does not allow this: ask for a Role and RoleBinding in namespace {namespace!r} granting "
                f"get, list, watch, create, update, patch and delete on {RESOURCE} (check with "
                f"`kubectl auth can-i {_RBAC_VERBS.get(verb, verb)} {RESOURCE} -n {namespace}`), or use a namespace "
                "you own.",
                status=403,
                code="kube_forbidden",
            )
        if exc.status == 404:
            return self._not_found(body, what, name, namespace)
        if exc.status in (400, 422):
            causes = "; ".join(
                f"{c.get('field', '')}: {c.get('message', '')}".strip(": ")
                for c in (body.get("details") or {}).get("causes") or []
            )
            return KserveError(
                f"The API server refused the InferenceService {name!r} as invalid: {causes or detail}",
                "This is a bug in ai4mlops-lab's InferenceService or a KServe version mismatch: report "
                "it with the message above.",
                status=422,
                code="invalid_inference_service",
            )
        if exc.status == 409:
            return KserveError(
                f"Conflict trying to {what}: {detail}",
                "Someone else changed it at the same time: try again.",
                status=409,
                code="conflict",
            )
        return KserveError(
            f"The Kubernetes API server failed to {what} ({exc.status}): {detail}",
            "Try again; if it persists, check the API server and KServe webhook health.",
            status=502,
            code="kube_error",
        )

    def _not_found(self, body: dict, what: str, name: str, namespace: str) -> UserError:
        """A 404: the namespace, the KServe API group, or the object itself is missing."""
        details = body.get("details") or {}
        if details.get("kind") == "namespaces":
            return NotFoundError(
                f"The namespace {namespace!r} does not exist (trying to {what}).",
                "Create it or pick an existing namespace in the serving settings.",
            )
        if details.get("kind") == PLURAL and details.get("name"):
            return NotFoundError(
                f"InferenceService {name!r} does not exist in namespace {namespace!r}.",
                "It may have been deleted; deploy the model again.",
                code=MISSING,
            )
        if not self.installed():
            return kserve_missing(self.connection.host)
        return NotFoundError(f"Not found trying to {what}: {body.get('message', '')}", "Check the name and namespace.")

    def installed(self) -> bool:
        """Whether the API server serves serving.kserve.io/v1beta1 inferenceservices (discovery)."""
        from kubernetes.client.exceptions import ApiException

        try:
            found = self.api().get_api_resources(GROUP, VERSION, _request_timeout=self.timeout)
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise self._api_error(exc, "discover", GROUP, self.connection.namespace) from exc
        resources = found.get("resources") if isinstance(found, dict) else getattr(found, "resources", None)
        names = [r.get("name") if isinstance(r, dict) else getattr(r, "name", None) for r in resources or []]
        return PLURAL in names

    # -- lifecycle ------------------------------------------------------------------------------

    def apply(self, obj: dict) -> dict:
        """Create the InferenceService, or replace it (same name) keeping the server-owned metadata."""
        body = copy.deepcopy(obj)
        meta = body.setdefault("metadata", {})
        name = meta.get("name", "")
        namespace = meta.setdefault("namespace", self.connection.namespace)
        args = (GROUP, VERSION, namespace, PLURAL)
        opts = {"field_manager": FIELD_MANAGER, "field_validation": "Strict"}
        from kubernetes.client.exceptions import ApiException

        try:
            return self.api().create_namespaced_custom_object(*args, body, _request_timeout=self.timeout, **opts)
        except ApiException as exc:
            if exc.status != 409:
                raise self._api_error(exc, "create", name, namespace) from exc
        return self.replace(body)

    def replace(self, obj: dict) -> dict:
        """Replace the existing InferenceService (same name) at its current resourceVersion, keeping the
        server-owned metadata; a 404 when it does not exist (it is never created here)."""
        body = copy.deepcopy(obj)
        meta = body.setdefault("metadata", {})
        name = meta.get("name", "")
        namespace = meta.setdefault("namespace", self.connection.namespace)
        args = (GROUP, VERSION, namespace, PLURAL)
        opts = {"field_manager": FIELD_MANAGER, "field_validation": "Strict"}
        from kubernetes.client.exceptions import ApiException

        for attempt in range(3):  # retried when someone else changed it meanwhile
            current = self.get(name, namespace)
            if (current.get("metadata") or {}).get("deletionTimestamp"):
                raise KserveError(
                    f"InferenceService {name!r} in {namespace!r} is being deleted.",
                    "Wait until it is gone, then deploy again.",
                    status=409,
                    code="conflict",
                )
            replacement = _for_replace(body, current)
            try:
                return self.api().replace_namespaced_custom_object(
                    *args, name, replacement, _request_timeout=self.timeout, **opts
                )
            except ApiException as exc:
                if exc.status != 409 or attempt == 2:
                    raise self._api_error(exc, "replace", name, namespace) from exc
        raise AssertionError("unreachable")

    def get(self, name: str, namespace: str | None = None) -> dict:
        """The InferenceService object as the server has it."""
        ns = namespace or self.connection.namespace
        return self._call("get", name, ns, "get_namespaced_custom_object", GROUP, VERSION, ns, PLURAL, name)

    def status(self, name: str, namespace: str | None = None) -> dict:
        """`summarize_status` of the current object."""
        return summarize_status(self.get(name, namespace))

    def wait_ready(self, name: str, namespace: str | None = None, timeout: float = 600.0, poll: float = 5.0) -> dict:
        """Poll until Ready (returns the status) or failed / out of time (raises DeploymentFailed)."""
        ns = namespace or self.connection.namespace
        deadline = self._clock() + timeout
        polls = max(1, math.ceil(timeout / max(poll, 1e-3))) + 1
        info = {}
        for _ in range(polls):
            info = self.status(name, ns)
            if info["state"] == "ready":
                return info
            if info["state"] == "failed":
                raise DeploymentFailed(
                    f"InferenceService {name!r} in {ns!r} failed: {info['reason']}: {info['message']}".rstrip(": "),
                    info["hint"],
                    info,
                )
            left = deadline - self._clock()
            if left <= 0:
                break
            self._sleep(min(poll, left))
        last = f" (last: {info.get('reason')}: {info.get('message')})" if info.get("reason") else ""
        raise DeploymentFailed(
            f"InferenceService {name!r} in {ns!r} was not Ready after {timeout:g}s{last}.",
            f"It may still be starting (image pulls, model download): follow it with "
            f"`kubectl get inferenceservice {name} -n {ns} -w`, or raise the timeout.",
            info,
            status=504,
            code="kserve_timeout",
        )

    def delete(self, name: str, namespace: str | None = None, *, missing_ok: bool = True) -> bool:
        """Delete the InferenceService; False when it was already gone (with missing_ok)."""
        ns = namespace or self.connection.namespace
        try:
            self._call("delete", name, ns, "delete_namespaced_custom_object", GROUP, VERSION, ns, PLURAL, name)
        except NotFoundError as exc:
            if missing_ok and exc.code == MISSING:
                return False
            raise
        return True


def kserve_missing(host: str) -> KserveError:
    """KServe's API group is not served by this cluster."""
    return KserveError(
        f"KServe is not installed on the cluster{' at ' + host if host else ''}: the API group "
        f"{GROUP}/{VERSION} has no {PLURAL}.",
        "Install KServe (its CRDs and controller) on the cluster, or switch to a kubeconfig context "
        "whose cluster has it (`kubectl get crd inferenceservices.serving.kserve.io`).",
        status=404,
        code="kserve_missing",
    )


def _for_replace(body: dict, current: dict) -> dict:
    """Our object at the server's resourceVersion, keeping server-owned metadata (finalizers, owners)."""
    out = copy.deepcopy(body)
    meta, cur = out["metadata"], current.get("metadata") or {}
    meta["resourceVersion"] = cur.get("resourceVersion")
    for key in ("finalizers", "ownerReferences"):
        if cur.get(key):
            meta[key] = cur[key]
    return out


def _status_body(exc) -> dict:
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}
