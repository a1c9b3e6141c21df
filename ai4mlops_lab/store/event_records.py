"""The record of one logged inference event and the errors of storing one: kept by the event store, parsed from
CloudEvents by `serving/cloudevents.py`."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UserError

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
        super().__init__(
            "unknown deployment",
            f"There is no deployment {event.deployment!r} (Ce-Inferenceservicename).",
            "Deploy it first; events of deployments that do not exist are not kept.",
        )


class ConflictingEvent(BadEvent):
    """An event whose Ce-Id and type were stored for the same deployment with another body."""

    status = 409
    code = "conflicting_event"

    def __init__(self, event: InferenceEvent):
        super().__init__(
            "conflicting Ce-Id",
            f"The {event.kind} event {event.ce_id!r} of {event.deployment!r} was "
            "stored before with a different body (Ce-Id).",
            "Give every inference its own Ce-Id.",
        )
