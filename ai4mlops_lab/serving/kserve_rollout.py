"""Canary rollouts on KServe: the InferenceService each step applies, and the traffic split its status reports.

Pure functions on camelCase InferenceService dicts (no I/O); `cluster.py` applies them. The mechanism follows the
deployment mode the InferenceService's status reports (`status.deploymentMode`):

- Serverless (Knative; also when the status names no mode): the predictor becomes the candidate's, with
  `spec.predictor.canaryTrafficPercent`. KServe sends that share to the latest ready revision and the rest to the
  last revision rolled out to 100 % (`status.components.predictor.latestRolledoutRevision`, traffic tag `prev`):
  until the candidate's revision is ready, all traffic stays on the stable one. Promoting removes the field: the
  candidate's revision takes all traffic and becomes the rolled-out one. Rolling back applies the previous
  predictor pinned at `canaryTrafficPercent: 0`, so the stable revision keeps all traffic at once; without the pin
  the latest *ready* revision (the candidate's) would take it all until the restored predictor's revision is
  ready. Once that revision is ready, `unpinned` gives the previous object exactly (the deployments' refresh
  applies it).
- Standard / RawDeployment (KServe 0.20 and later): `spec.canary: [{trafficPercent, predictor: {name, ...}}]`
  beside the untouched stable predictor, served by its own Deployment `<name>-<canary>-predictor`. Promoting
  makes the canary's predictor (with its name) the stable one and drops `spec.canary` (KServe retargets the
  stable service to the canary's pods); rolling back drops `spec.canary`, which is the previous object exactly.

KServe has no traffic mirroring, so shadow rollouts are refused on the cluster (see `SHADOW_REFUSED`).
"""

from __future__ import annotations

import copy

from ..errors import UserError
from .inference_service import CONTAINER_NAME, service_name

SERVERLESS = "canaryTrafficPercent"
STANDARD = "spec.canary"
STANDARD_MODES = ("RawDeployment", "Standard")
#: Why a shadow cannot run on the cluster, and what to do instead.
SHADOW_REFUSED = (
    "KServe cannot mirror traffic, so a shadow rollout cannot run on a KServe deployment.",
    "Start a canary with a small share instead (e.g. percent 5; a canary at 0 deploys the candidate beside the "
    "stable version without traffic), or roll out on a local deployment, whose router sends the shadow a copy "
    "of every inference.",
)


def mechanism(mode: str, name: str) -> str:
    """The canary mechanism of an InferenceService in deployment `mode` (its status's; '' when not reported)."""
    if mode in ("", "Serverless"):
        return SERVERLESS
    if mode in STANDARD_MODES:
        return STANDARD
    raise UserError(
        f"InferenceService {name!r} runs in KServe's {mode} deployment mode, which has no canary rollouts.",
        "Deploy it in Serverless or Standard (RawDeployment) mode, or roll out on a local deployment.",
    )


def whole_percent(percent: float) -> int:
    """A checked canary share (0 to 100) as KServe takes it: a whole number."""
    if percent != int(percent):
        raise UserError(
            f"KServe splits traffic in whole percents, not {percent!r}.", f"Give a whole number, e.g. {round(percent)}."
        )
    return int(percent)


def canary_name(name: str, version: str) -> str:
    """The Standard-mode canary predictor's name for candidate `version` (a DNS-1035 label)."""
    label = service_name(version)
    deployment = f"{name}-{label}-predictor"
    if len(deployment) > 63:
        raise UserError(
            f"The canary of {name!r} labelled {version!r} would run as Deployment {deployment!r}, longer than "
            "Kubernetes' 63 characters.",
            "Use a shorter version label (e.g. v3).",
        )
    return label


def with_canary(stable: dict, candidate: dict, how: str, percent: int, label: str) -> dict:
    """The `stable` InferenceService with the predictor of `candidate` (an InferenceService built for the
    candidate's model) as its canary taking `percent` of the traffic; `label` names a Standard-mode canary."""
    out = copy.deepcopy(stable)
    predictor = copy.deepcopy(candidate["spec"]["predictor"])
    if how == SERVERLESS:
        out["spec"]["predictor"] = {**predictor, "canaryTrafficPercent": percent}
    else:
        if "model" in predictor:  # the canary's schema requires the model container's name: KServe's default
            predictor["model"] = {"name": CONTAINER_NAME, **predictor["model"]}
        out["spec"]["canary"] = [{"trafficPercent": percent, "predictor": {**predictor, "name": label}}]
    return out


def with_share(current: dict, how: str, percent: int) -> dict:
    """`current` (with its canary) giving the canary `percent` of the traffic instead."""
    out = copy.deepcopy(current)
    if how == SERVERLESS:
        out["spec"]["predictor"]["canaryTrafficPercent"] = percent
    else:
        out["spec"]["canary"][0]["trafficPercent"] = percent
    return out


def promoted(current: dict, how: str) -> dict:
    """The InferenceService once its canary (in `current`) took all the traffic and became the stable one."""
    out = copy.deepcopy(current)
    if how == SERVERLESS:
        out["spec"]["predictor"].pop("canaryTrafficPercent", None)
    else:
        out["spec"]["predictor"] = out["spec"].pop("canary")[0]["predictor"]
    return out


def rolled_back(previous: dict, how: str) -> dict:
    """What rolling back applies: the `previous` InferenceService, pinned to its rolled-out revision (Serverless)."""
    out = unpinned(previous)
    if how == SERVERLESS:
        out["spec"]["predictor"]["canaryTrafficPercent"] = 0
    return out


def unpinned(obj: dict) -> dict:
    """`obj` without a canary share."""
    out = copy.deepcopy(obj)
    out["spec"]["predictor"].pop("canaryTrafficPercent", None)
    return out


def stable_source(name: str, stable: dict, how: str, reported: dict) -> str | None:
    """How the `Ce-Source` of the stable version's request events begins (KServe's logger sends the pod's name),
    from the `stable` object and the status summary's `rollout` (`reported`); None when the status does not name
    the stable revision."""
    if how == STANDARD:
        label = stable["spec"]["predictor"].get("name")
        return f"{name}-{label}-predictor-" if label else f"{name}-predictor-"
    predictor = reported["predictor"]
    revision = predictor.get("latestRolledoutRevision") or predictor.get("latestReadyRevision")
    return f"{revision}-" if revision else None


def traffic_split(kserve: dict, reported: dict) -> dict | None:
    """`{stable, candidate}` percents of the traffic as the status summary's `rollout` (`reported`) has it, for
    the rollout's `kserve` facts; None when the status does not say."""
    if kserve["mechanism"] == STANDARD:
        canary = next((c for c in reported["canaries"] if c.get("name") == kserve["canary"]), None)
        if canary is None:
            return None
        share = canary.get("trafficPercent", 0) if canary.get("ready") else 0
        return {"stable": 100 - share, "candidate": share}
    traffic = reported["predictor"].get("traffic") or []
    stable = kserve.get("stable_source")
    if not traffic or not stable:
        return None
    on_stable = sum(t.get("percent") or 0 for t in traffic if f"{t.get('revisionName', '')}-" == stable)
    return {"stable": on_stable, "candidate": sum(t.get("percent") or 0 for t in traffic) - on_stable}
