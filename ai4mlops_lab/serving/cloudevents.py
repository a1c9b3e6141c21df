"""KServe logger CloudEvents (binary mode, CloudEvents 1.0): read and check one event.

KServe's logger, and our local deployments, post one event per request and one per response,
sharing a `Ce-Id`, with the raw inference payload as the body.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..store.event_records import BadEvent, InferenceEvent

#: CloudEvent type -> which half of an inference it is.
EVENT_KINDS = {
    "org.kubeflow.serving.inference.request": "request",
    "org.kubeflow.serving.inference.response": "response",
}
MAX_BODY_BYTES = 16 * 1024 * 1024


def parse_event(headers: Mapping[str, str], body: bytes) -> InferenceEvent:
    """The event these headers and body make, or BadEvent naming what is wrong."""
    get = {k.lower(): v for k, v in headers.items()}.get
    for header in ("Ce-Id", "Ce-Type", "Ce-Source", "Ce-Specversion", "Ce-Inferenceservicename"):
        if not (get(header.lower()) or "").strip():
            raise BadEvent(
                f"missing {header}",
                f"The event has no {header} header.",
                "Post binary-mode CloudEvents as KServe's logger sends them.",
            )
    if get("ce-specversion") != "1.0":
        raise BadEvent(
            "bad Ce-Specversion", f"Ce-Specversion is {get('ce-specversion')!r}, not '1.0'.", "Send CloudEvents 1.0."
        )
    kind = EVENT_KINDS.get(get("ce-type"))
    if kind is None:
        raise BadEvent(
            "bad Ce-Type",
            f"Ce-Type {get('ce-type')!r} is not an inference request or response.",
            f"Use one of: {', '.join(EVENT_KINDS)}.",
        )
    if not body:
        raise BadEvent("empty body", "The event has no payload.", "Send the inference request or response as the body.")
    if len(body) > MAX_BODY_BYTES:
        raise BadEvent(
            "body too large",
            f"The payload has {len(body)} bytes, over the limit of {MAX_BODY_BYTES}.",
            "Log smaller batches.",
        )
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
