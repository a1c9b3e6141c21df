"""What a deployment serves and what it is called: a run's Model artifact and a free deployment name."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import NotFoundError, UserError
from ..states import DEPLOYMENT_LIVE
from ..store.deployments import NAME

MAX_NAME = 45  # the store's (and so the InferenceService's) name limit


def model_artifact(run: dict, model: str | None) -> dict:
    """The run's Model artifact called `model` (its name or `step/name`); default: the last one."""
    models = [a for a in run["artifacts"] if a["metadata"].get("model")]
    if model is not None:
        models = [a for a in models if model in (a["name"], f"{a['step']}/{a['name']}")]
    if not models:
        what = f"no model artifact {model!r}" if model else "no model artifact"
        has = ", ".join(
            f"{a['step']}/{a['name']}{' (a model)' if a['metadata'].get('model') else ''}" for a in run["artifacts"]
        )
        raise NotFoundError(
            f"Run {run['id']} has {what}; its artifacts: {has or 'none'}.",
            "Models are torch, sklearn or xgboost values that a step outputs under a model-like "
            "name (model, net, clf, ...); the run must have succeeded.",
        )
    return models[-1]


def reference_artifact(run: dict, reference: str) -> dict:
    """The run's data artifact called `reference` (name or `step/name`): the drift reference the user picked."""
    data = [a for a in run["artifacts"] if not a["metadata"].get("model")]
    chosen = [a for a in data if reference in (a["name"], f"{a['step']}/{a['name']}")]
    if not chosen:
        names = ", ".join(f"{a['step']}/{a['name']}" for a in data) or "none"
        raise NotFoundError(f"Run {run['id']} has no data artifact {reference!r}.", f"Its data artifacts: {names}.")
    artifact = chosen[-1]
    return {
        "step": artifact["step"],
        "name": artifact["name"],
        "uri": artifact["uri"],
        "format": artifact["metadata"].get("format"),
    }


def deployment_name(text: str) -> str:
    """A valid deployment name derived from any text (e.g. `pipeline-model`)."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:MAX_NAME].rstrip("-")
    name = name if name[:1].isalpha() else f"m-{name}"[:MAX_NAME].rstrip("-")
    return name if NAME.match(name) else "model"


def check_name(name) -> str:
    """`name` if it is a valid deployment name (a DNS-1123 label of at most 45 characters, as KServe needs);
    else a UserError naming the field. Called before a deployment touches anything."""
    if not isinstance(name, str):
        raise UserError(
            f"The deployment 'name' must be a string, not {type(name).__name__}.",
            'Send e.g. {"name": "iris-model"}, or leave it out for a generated one.',
        )
    if not NAME.match(name):
        shown = name if len(name) <= 60 else f"{name[:60]}... ({len(name)} characters)"
        raise UserError(
            f"The deployment 'name' {shown!r} is invalid.",
            f"Use up to {MAX_NAME} lowercase letters, digits and dashes, starting with a letter and not "
            f"ending with a dash, e.g. {deployment_name(name)!r}.",
        )
    return name


def refuse_live(record: dict) -> None:
    """A 409 when the deployment a new one would replace is starting or running."""
    if record["status"] in DEPLOYMENT_LIVE:
        raise UserError(
            f"A deployment called {record['name']!r} is {record['status']}.",
            "Choose another name, or stop it first.",
            status=409,
            code="conflict",
        )


def free_name(base: str, taken: Iterable[str]) -> str:
    """`base`, or `base-2`, `base-3`, ... (shortened to fit) when that name is taken."""
    taken = set(taken)
    name, number = base, 2
    while name in taken:
        suffix = f"-{number}"
        name, number = base[: MAX_NAME - len(suffix)].rstrip("-") + suffix, number + 1
    return name


def recorded_signature(record: dict) -> dict | None:
    """The signature of a deployment's model as recorded with it (integer shapes), or None."""
    from .signature import Signature

    return Signature(record["config"].get("metadata", {}).get("model", {}).get("signature")).spec


def recorded_input(record: dict) -> dict:
    """The (first) input tensor of a deployment's model as recorded with it, `{name, dtype, shape, features}`,
    or {} when the model has no signature."""
    signature = recorded_signature(record)
    return signature["inputs"][0] if signature else {}


def recorded_output(record: dict) -> dict:
    """The (first) output tensor of a deployment's model as recorded with it, `{name, dtype, shape}`, or {} when
    the model records none."""
    signature = recorded_signature(record)
    return signature["outputs"][0] if signature and signature["outputs"] else {}
