"""Prediction requests to a KServe model server, local or in a cluster: its endpoints and one request."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import numpy

from ..errors import UserError
from .signature import V2_TYPES, Signature, SignatureError

#: The request header that marks a test prediction (the deployments view's test box, the predict routes).
TEST_HEADER = "X-Ai4mlops-Test"
#: Request headers a rollout's router adds: the version label of the model server it calls, and its role as
#: KServe's logger names it in `Ce-Endpoint` (`default` for the stable version, `canary`, or `shadow`).
VERSION_HEADER = "X-Ai4mlops-Version"
ENDPOINT_HEADER = "X-Ai4mlops-Endpoint"
#: What the router appends to a request id for the copy a shadow gets (its events' `Ce-Id`).
SHADOW_SUFFIX = ".shadow"

#: An opener that ignores proxy settings (for servers on this machine).
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def endpoints(base: str, name: str, protocols: list[str] | tuple[str, ...] = ("v1", "v2")) -> dict:
    """The V1 predict, V2 infer, V2 metadata and V2 readiness URLs of model `name` served at `base`; no V1 URL
    when the runtime speaks only V2 (`protocols`)."""
    urls = {
        "v1": f"{base}/v1/models/{name}:predict",
        "v2": f"{base}/v2/models/{name}/infer",
        "metadata": f"{base}/v2/models/{name}",
        "ready": f"{base}/v2/models/{name}/ready",
    }
    return urls if "v1" in protocols else {key: url for key, url in urls.items() if key != "v1"}


def http(
    url: str,
    body: bytes | None = None,
    timeout: float = 2.0,
    opener: urllib.request.OpenerDirector = DIRECT,
    headers: dict | None = None,
) -> tuple[int, bytes]:
    """GET (or POST a JSON `body`); the status and body, also of an error answer."""
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST" if body is not None else "GET",
    )
    try:
        with opener.open(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def predict(
    urls: dict,
    payload: dict,
    signature: dict | None,
    *,
    timeout: float,
    opener: urllib.request.OpenerDirector = DIRECT,
    unreachable_hint: str = "",
    test: bool = False,
) -> dict:
    """Send a V1 (`{instances}`) or V2 (`{inputs}`) request to `urls` (see `endpoints`); its JSON answer. A V1
    request to a runtime that speaks only V2 (no `v1` URL) is sent as V2 and answered as V1.

    A `test` request carries `TEST_HEADER`: a local model server logs it as a test prediction, which drift windows
    leave out.
    """
    if not isinstance(payload, dict) or not ({"instances", "inputs"} & set(payload)):
        raise UserError(
            'A prediction request is {"instances": [...]} (V1) or {"inputs": [...]} (V2).',
            f"The model expects: {signature or 'any numeric rows'}.",
        )
    if "inputs" not in payload and "v1" not in urls:
        answer = predict(
            urls,
            as_v2(payload["instances"], signature),
            signature,
            timeout=timeout,
            opener=opener,
            unreachable_hint=unreachable_hint,
            test=test,
        )
        return as_v1(answer, signature)
    url = urls["v2" if "inputs" in payload else "v1"]
    try:
        status, body = http(
            url,
            json.dumps(payload).encode(),
            timeout=timeout,
            opener=opener,
            headers={TEST_HEADER: "1"} if test else None,
        )
    except OSError as exc:
        reason = getattr(exc, "reason", None) or exc
        raise UserError(
            f"Could not reach the model server at {url}: {reason}.",
            unreachable_hint,
            status=502,
            code="prediction_failed",
        ) from exc
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        answer = {"error": body[:500].decode(errors="replace")}
    if status >= 400:
        detail = answer.get("error", answer) if isinstance(answer, dict) else answer
        raise UserError(
            f"The model server answered {status}: {detail}",
            status=400 if status < 500 else 502,
            code="prediction_failed",
        )
    if not isinstance(answer, dict):
        raise UserError(
            f"The model server answered with {type(answer).__name__} JSON instead of an object.",
            status=502,
            code="prediction_failed",
        )
    return answer


def as_v2(instances, signature: dict | None) -> dict:
    """The V2 request (one tensor named and typed as the signature's input) of V1 `instances`; a UserError
    says how they do not fit the signature."""
    checked = Signature(signature)
    try:
        rows = checked.array(instances)
    except SignatureError as err:
        raise UserError(f"The V1 instances do not fit the model: {err}.", "Send rows as the signature says.") from None
    tensor = checked.input or {"name": "input-0"}
    return {
        "inputs": [
            {
                "name": tensor["name"],
                "shape": list(rows.shape),
                "datatype": V2_TYPES.get(rows.dtype.name, "BYTES"),
                "data": rows.ravel().tolist(),
            }
        ]
    }


def as_v1(answer: dict, signature: dict | None) -> dict:
    """The V1 answer `{predictions}` of a V2 answer: the signature's output tensor (else the first), as rows."""
    outputs = answer.get("outputs") if isinstance(answer.get("outputs"), list) else []
    name = (Signature(signature).output or {}).get("name")
    named = [t for t in outputs if isinstance(t, dict) and t.get("name") == name]
    tensor = (named or outputs or [None])[0]
    try:
        rows = numpy.asarray(tensor["data"]).reshape(tensor["shape"])
    except (TypeError, KeyError, ValueError):
        raise UserError(
            f"The model server's V2 answer holds no output tensor that reshapes to its shape: {str(answer)[:300]}",
            status=502,
            code="prediction_failed",
        ) from None
    return {"predictions": rows.tolist()}
