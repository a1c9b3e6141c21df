"""KServe logger CloudEvents (binary mode, CloudEvents 1.0): read and check one event.

KServe's logger, and our local deployments, post one event per request and one per response,
sharing a `Ce-Id`, with the raw inference payload as the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import UserError

#: CloudEvent type -> which half of an inference it is.
EVENT_KINDS = {
    "org.kubeflow.serving.inference.request": "request",
    "org.kubeflow.serving.inference.response": "response",
}
MAX_BODY_BYTES = 16 * 1024 * 1024
#: Ends the `Ce-Source` of events of test predictions (the deployments view's test box, `predict` routes):
#: they are stored and counted as requests, never windowed for drift.
TEST_SOURCE_SUFFIX = "#test"


@dataclass(frozen=True)
class InferenceEvent:
    """One logged request or response of a deployment."""

    ce_id: str
    kind: str
    deployment: str
    namespace: str
    component: str
    endpoint: str
    source: str
    time: str
    content_type: str
    body: bytes


class BadEvent(UserError):
    """An event that is not a KServe logger CloudEvent; `reason` names the rule it broke."""

    code = "bad_event"

    def __init__(self, reason: str, message: str, hint: str):
        super().__init__(message, hint)
        self.reason = reason


class UnknownDeployment(BadEvent):
    """An event for a deployment that does not exist (yet, or any more): refused, so that a later deployment of
    that name never inherits it."""

    status = 404
    code = "unknown_deployment"

    def __init__(self, event: InferenceEvent):
        super().__init__("unknown deployment", f"There is no deployment {event.deployment!r} (Ce-Inferenceservicename).",
                         "Deploy it first; events of deployments that do not exist are not kept.")


class ConflictingEvent(BadEvent):
    """An event whose Ce-Id and type were stored for the same deployment with another body."""

    status = 409
    code = "conflicting_event"

    def __init__(self, event: InferenceEvent):
        super().__init__("conflicting Ce-Id", f"The {event.kind} event {event.ce_id!r} of {event.deployment!r} was "
                         "stored before with a different body (Ce-Id).", "Give every inference its own Ce-Id.")


def parse_event(headers: Mapping[str, str], body: bytes) -> InferenceEvent:
    """The event these headers and body make, or BadEvent naming what is wrong."""
    get = {k.lower(): v for k, v in headers.items()}.get
    for header in ("Ce-Id", "Ce-Type", "Ce-Source", "Ce-Specversion", "Ce-Inferenceservicename"):
        if not (get(header.lower()) or "").strip():
            raise BadEvent(f"missing {header}", f"The event has no {header} header.",
                           "Post binary-mode CloudEvents as KServe's logger sends them.")
    if get("ce-specversion") != "1.0":
        raise BadEvent("bad Ce-Specversion", f"Ce-Specversion is {get('ce-specversion')!r}, not '1.0'.",
                       "Send CloudEvents 1.0.")
    kind = EVENT_KINDS.get(get("ce-type"))
    if kind is None:
        raise BadEvent("bad Ce-Type", f"Ce-Type {get('ce-type')!r} is not an inference request or response.",
                       f"Use one of: {', '.join(EVENT_KINDS)}.")
    if not body:
        raise BadEvent("empty body", "The event has no payload.", "Send the inference request or response as the body.")
    if len(body) > MAX_BODY_BYTES:
        raise BadEvent("body too large", f"The payload has {len(body)} bytes, over the limit of {MAX_BODY_BYTES}.",
                       "Log smaller batches.")
    return InferenceEvent(
        ce_id=get("ce-id").strip(),
        kind=kind,
        deployment=get("ce-inferenceservicename").strip(),
        namespace=get("ce-namespace") or "",
        component=get("ce-component") or "",
        endpoint=get("ce-endpoint") or "",
        source=get("ce-source"),
        time=get("ce-time") or "",
        content_type=get("content-type") or "application/json",
        body=body,
    )
