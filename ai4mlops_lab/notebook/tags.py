"""The cell tag language (Kale-compatible): cell kinds, step names, `prev:` and per-step settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, error, info, warning

STEP_TAG = re.compile(r"^(?:step|block):([_a-z]([_a-z0-9]*)?)?$")
PREV_TAG = re.compile(r"^prev:([_a-z][_a-z0-9]*)$")
KIND_TAGS = ("imports", "functions", "pipeline-parameters", "pipeline-metrics", "skip")
# Papermill's parameter cells, which Kale before 1.0 prepended to every step like `functions`.
PAPERMILL_TAGS = ("parameters", "injected-parameters")
SETTING_KEYS = (
    "image",
    "limit",
    "request",
    "annotation",
    "label",
    "secret",
    "cache",
    "retry",
    "timeout",
    "reference",
    "report",
)
RESOURCES = ("cpu", "memory", "nvidia.com/gpu", "amd.com/gpu")
_CPU = re.compile(r"^([0-9]+(\.[0-9]+)?|[0-9]+m)$")
_MEMORY = re.compile(r"^[0-9]+(E|P|T|G|M|K|Ei|Pi|Ti|Gi|Mi|Ki)?$")  # what kfp's set_memory_limit takes
_COUNT = re.compile(r"^[0-9]+$")
_NAME_HINT = "step names match ^[_a-z][_a-z0-9]*$ (lowercase letters, digits, underscores)"


@dataclass
class StepSettings:
    """Per-step settings collected from `image:`, `limit:`, ... tags and notebook defaults."""

    image: str | None = None
    limits: dict[str, str] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    secrets: list[dict[str, str]] = field(default_factory=list)  # {name, key, env}
    volumes: list[dict[str, str]] = field(default_factory=list)  # {pvc, mount_path}
    cache: bool | None = None
    retry: int | None = None
    timeout: int | None = None
    reference: str | None = None  # the variable holding the features a model output is fit on

    def to_dict(self) -> dict:
        return {
            "image": self.image,
            "limits": dict(self.limits),
            "requests": dict(self.requests),
            "annotations": dict(self.annotations),
            "labels": dict(self.labels),
            "secrets": [dict(s) for s in self.secrets],
            "volumes": [dict(v) for v in self.volumes],
            "cache": self.cache,
            "retry": self.retry,
            "timeout": self.timeout,
            "reference": self.reference,
        }

    def secrets_by_name(self) -> dict[str, dict[str, str]]:
        """Each secret's keys mapped to their environment variables, secrets in order of first use."""
        grouped: dict[str, dict[str, str]] = {}
        for secret in self.secrets:
            grouped.setdefault(secret["name"], {})[secret["key"]] = secret["env"]
        return grouped

    def needs_kubernetes(self) -> bool:
        """True when the settings need the `kfp-kubernetes` extension to compile."""
        return bool(self.annotations or self.labels or self.secrets or self.volumes or self.timeout)


@dataclass
class CellTags:
    """What one cell's tags say: its kind, step name ("" continues the previous step), prevs, settings tags."""

    kind: str | None = None  # "step" or one of KIND_TAGS; None for an untagged cell
    step: str | None = None
    prevs: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)


def parse_cell_tags(tags: tuple[str, ...] | list[str], cell: int) -> tuple[CellTags, list[Diagnostic]]:
    """Classify a code cell's tags; invalid or conflicting tags become diagnostics naming the cell."""
    result, diags, kinds = CellTags(), [], []
    for tag in tags:
        tag = str(tag).strip()
        if not tag:
            continue
        head = tag.split(":", 1)[0]
        if head in ("step", "block"):
            match = STEP_TAG.match(tag)
            if match is None:
                diags.append(error(cell, None, f"invalid step name in tag '{tag}'", _NAME_HINT))
                continue
            kinds.append("step")
            result.step = match.group(1) or ""
        elif head == "prev":
            match = PREV_TAG.match(tag)
            if match is None:
                diags.append(error(cell, None, f"invalid tag '{tag}'", "use prev:STEP_NAME; " + _NAME_HINT))
            else:
                result.prevs.append(match.group(1))
        elif tag in KIND_TAGS:
            kinds.append(tag)
        elif tag in PAPERMILL_TAGS:
            kinds.append("functions")
            diags.append(
                info(
                    cell,
                    None,
                    f"papermill's '{tag}' cell is prepended to every step, as Kale did",
                    "tag it pipeline-parameters to make its values parameters of each run",
                )
            )
        elif head in SETTING_KEYS:
            result.settings.append(tag)
        elif head == "notebook":
            diags.append(
                error(
                    cell,
                    None,
                    f"tag '{tag}' is Kale's notebook composition (a cell standing for "
                    "another notebook), which is not supported",
                    "compile each notebook on its own, or copy its tagged cells into this notebook",
                )
            )
        else:
            diags.append(warning(cell, None, f"unknown tag '{tag}' is ignored"))
    if len(kinds) > 1:
        diags.append(error(cell, None, f"conflicting tags {kinds} on one cell", "give each cell one kind"))
    if kinds:
        result.kind = kinds[0]
    if (result.prevs or result.settings) and result.kind != "step":
        what = ", ".join((["prev:..."] if result.prevs else []) + result.settings)
        if result.kind == "skip":  # Kale ignores them on a skipped cell
            diags.append(warning(cell, None, f"tags {what} are ignored on a skip cell"))
        else:
            diags.append(
                error(cell, None, f"tags {what} only apply to a step cell", "add a step:NAME tag to this cell")
            )
    return result, diags


def apply_setting(settings: StepSettings, tag: str, cell: int | None) -> list[Diagnostic]:
    """Parse one settings tag into `settings`; a malformed tag becomes an error naming the cell."""
    key, _, rest = tag.partition(":")

    def bad(hint: str) -> list[Diagnostic]:
        return [error(cell, None, f"invalid tag '{tag}'", hint)]

    if key == "image":
        if not rest:
            return bad("use image:REGISTRY/IMAGE:TAG")
        settings.image = rest
    elif key in ("limit", "request"):
        resource, _, value = rest.rpartition(":")
        if resource not in RESOURCES:
            return bad(f"resource must be one of {', '.join(RESOURCES)}")
        pattern = {"cpu": _CPU, "memory": _MEMORY}.get(resource, _COUNT)
        if not pattern.match(value):
            whole = "; a whole number, then E, P, T, G, M, K, Ei, Pi, Ti, Gi, Mi or Ki (1536Mi, not 1.5Gi)"
            return bad(f"'{value}' is not a valid {resource} quantity" + (whole if resource == "memory" else ""))
        (settings.limits if key == "limit" else settings.requests)[resource] = value
    elif key in ("annotation", "label"):
        name, sep, value = rest.partition(":")
        if not name or not sep:
            return bad(f"use {key}:KEY:VALUE")
        (settings.annotations if key == "annotation" else settings.labels)[name] = value
    elif key == "secret":
        parts = rest.split(":")
        if len(parts) != 3 or not all(parts):
            return bad("use secret:SECRET_NAME:KEY:ENV_VAR")
        settings.secrets.append({"name": parts[0], "key": parts[1], "env": parts[2]})
    elif key in ("cache", "report"):
        if rest not in ("enabled", "disabled"):
            return bad(f"use {key}:enabled or {key}:disabled")
        if key == "report":  # Kale's switch for its per-step KFP UI report, which is not made here
            return [info(cell, None, f"tag '{tag}' is accepted for Kale and has no effect here")]
        settings.cache = rest == "enabled"
    elif key in ("retry", "timeout"):
        if not _COUNT.match(rest) or (key == "timeout" and int(rest) == 0):
            return bad(f"use {key}:N with a whole number" + (" of seconds > 0" if key == "timeout" else ""))
        setattr(settings, key, int(rest))
    elif key == "reference":
        if not rest.isidentifier():
            return bad("use reference:VARIABLE, the variable holding the features the step's model is fit on")
        settings.reference = rest
    else:
        return bad(f"unknown setting; known: {', '.join(SETTING_KEYS)}")
    return []
