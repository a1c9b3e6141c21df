"""Notebook-level settings: our `ai4mlops_lab` metadata key, and legacy Kale `kubeflow_notebook` metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, error, warning

DEFAULT_IMAGE = "python:3.11"
DEFAULT_REFERENCE_ROWS = 5000
#: The notebook metadata key (under `ai4mlops_lab`) recording the step image `ai4mlops image` made.
STEP_IMAGE_KEY = "step_image"
# Kale keys with no meaning here: snapshots, Katib, cluster-side marshalling, UI state.
_IGNORED_KALE_KEYS = (
    "autosnapshot",
    "snapshot_volumes",
    "katib_run",
    "katib_metadata",
    "abs_working_dir",
    "marshal_volume",
    "marshal_path",
    "kfp_host",
    "storage_class_name",
    "volume_access_mode",
)


@dataclass(frozen=True)
class StepImage:
    """An image holding the steps' packages (`ai4mlops image`): cluster steps run in it and install only what it
    lacks at start. `packages`: the pinned requirements it was built with."""

    image: str
    packages: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"image": self.image, "packages": list(self.packages)}


@dataclass
class NotebookSettings:
    """Settings that apply to the whole pipeline."""

    pipeline_name: str | None = None
    description: str = ""
    experiment: str | None = None
    base_image: str = DEFAULT_IMAGE
    volumes: list[dict[str, str]] = field(default_factory=list)  # {pvc, mount_path[, env]}, mounted on every step
    step_defaults: list[str] = field(default_factory=list)  # settings tags applied to every step
    enable_caching: bool | None = None
    reference_rows: int = DEFAULT_REFERENCE_ROWS  # at most this many feature rows are kept as a model's reference
    step_image: StepImage | None = None

    def to_dict(self) -> dict:
        return {
            "pipeline_name": self.pipeline_name,
            "description": self.description,
            "experiment": self.experiment,
            "base_image": self.base_image,
            "volumes": [dict(v) for v in self.volumes],
            "step_defaults": list(self.step_defaults),
            "enable_caching": self.enable_caching,
            "reference_rows": self.reference_rows,
            "step_image": self.step_image.to_dict() if self.step_image else None,
        }


def read_settings(metadata: dict) -> tuple[NotebookSettings, list[Diagnostic]]:
    """Merge legacy `kubeflow_notebook` metadata then our `ai4mlops_lab` key (ours wins); never raises."""
    settings, diags = NotebookSettings(), []
    kale = metadata.get("kubeflow_notebook")
    if isinstance(kale, dict):
        diags += _apply(settings, kale, legacy=True)
    elif kale is not None:
        diags.append(warning(None, None, "notebook metadata 'kubeflow_notebook' is not an object; ignored"))
    ours = metadata.get("ai4mlops_lab")
    if isinstance(ours, dict):
        diags += _apply(settings, ours, legacy=False)
    elif ours is not None:
        diags.append(warning(None, None, "notebook metadata 'ai4mlops_lab' is not an object; ignored"))
    return settings, diags


def _apply(settings: NotebookSettings, meta: dict, legacy: bool) -> list[Diagnostic]:
    source = "kubeflow_notebook" if legacy else "ai4mlops_lab"
    diags: list[Diagnostic] = []
    for key, value in meta.items():
        if key in ("docker_image", "base_image"):
            if value and isinstance(value, str):
                settings.base_image = value
        elif key == "pipeline_name" and isinstance(value, str) and value:
            settings.pipeline_name = value
        elif key in ("pipeline_description", "description") and isinstance(value, str):
            settings.description = value
        elif key in ("experiment_name", "experiment"):
            name = value.get("name") if isinstance(value, dict) else value
            if isinstance(name, str) and name:
                settings.experiment = name
        elif key == "volumes" and isinstance(value, list):
            diags += _volumes(settings, value, source)
        elif key == "steps_defaults" and isinstance(value, list):
            settings.step_defaults += [str(tag) for tag in value]
        elif key == "enable_caching" and isinstance(value, bool):
            settings.enable_caching = value
        elif key == "reference_rows" and not legacy and type(value) is int and value > 0:
            settings.reference_rows = value
        elif key == STEP_IMAGE_KEY and not legacy:
            settings.step_image, problem = _step_image(value)
            if problem:
                diags.append(error(None, None, problem, "run `ai4mlops image NOTEBOOK` again to record it"))
        elif legacy and key in _IGNORED_KALE_KEYS:
            if value:
                diags.append(warning(None, None, f"Kale setting '{key}' is not supported and is ignored"))
        elif not legacy or value:
            diags.append(warning(None, None, f"unknown setting '{key}' in notebook metadata '{source}' is ignored"))
    return diags


def _step_image(value: object) -> tuple[StepImage | None, str]:
    """The recorded step image, or what is wrong with it (naming the field)."""
    field = f"notebook metadata 'ai4mlops_lab.{STEP_IMAGE_KEY}"
    if not isinstance(value, dict):
        return None, f"{field}' must be an object {{image, packages}}, got {type(value).__name__}"
    image, packages = value.get("image"), value.get("packages")
    if not isinstance(image, str) or not image.strip() or any(c.isspace() for c in image):
        return None, f"{field}.image' must be an image reference such as registry/name:tag, got {image!r}"
    if not isinstance(packages, list) or not all(isinstance(p, str) and p for p in packages):
        return None, f"{field}.packages' must be a list of the requirements the image holds, got {packages!r}"
    return StepImage(image, tuple(packages)), ""


def _volumes(settings: NotebookSettings, volumes: list, source: str) -> list[Diagnostic]:
    diags = []
    for volume in volumes:
        if not isinstance(volume, dict):
            diags.append(warning(None, None, f"{source}.volumes entry {volume!r} is not an object; ignored"))
        elif volume.get("type", "pvc") == "pvc" and volume.get("name") and volume.get("mount_point"):
            mount = {"pvc": str(volume["name"]), "mount_path": str(volume["mount_point"])}
            if volume.get("expose_as_env_var") is True:
                mount["env"] = volume_env_var(mount["pvc"])
                same = [v["pvc"] for v in settings.volumes if v.get("env") == mount["env"]]
                if same:
                    diags.append(
                        error(
                            None,
                            None,
                            f"{source}.volumes '{same[0]}' and '{mount['pvc']}' would both "
                            f"be exposed as {mount['env']}",
                            "rename one of the PVCs or expose only one of them as an environment variable",
                        )
                    )
            settings.volumes.append(mount)
        else:
            diags.append(
                warning(
                    None,
                    None,
                    f"{source}.volumes entry '{volume.get('name', '?')}' (type {volume.get('type')}) is ignored",
                    "only existing PVCs ({name, mount_point, type: pvc}) are mounted",
                )
            )
    return diags


def volume_env_var(pvc: str) -> str:
    """Kale's name for the variable holding a PVC's mount point: 'raw-data' -> KALE_VOLUME_RAW_DATA."""
    return "KALE_VOLUME_" + re.sub(r"[^A-Za-z0-9]", "_", pvc).upper()
