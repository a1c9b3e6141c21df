"""Notebook-level settings: our `ai4mlops_lab` metadata key, and legacy Kale `kubeflow_notebook` metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, error, warning

DEFAULT_IMAGE = "python:3.11"
DEFAULT_REFERENCE_ROWS = 5000
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
        elif legacy and key in _IGNORED_KALE_KEYS:
            if value:
                diags.append(warning(None, None, f"Kale setting '{key}' is not supported and is ignored"))
        elif not legacy or value:
            diags.append(warning(None, None, f"unknown setting '{key}' in notebook metadata '{source}' is ignored"))
    return diags


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
