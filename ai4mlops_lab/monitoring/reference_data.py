"""The reference a deployment's requests are compared with: the sample saved with its model, or the data
artifact the user picked when deploying."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np

from ..errors import UserError
from .profile import ReferenceProfile


class NoReference(UserError):
    """The deployment has no reference data this machine can read."""

    status = 422
    code = "no_reference"


def load_reference(record: dict, model_folder: Path) -> tuple[ReferenceProfile, str]:
    """The deployment's reference profile and where it came from; NoReference saying what to do otherwise.

    `model_folder` is the deployment's copy of its model (local deployments), else the model's URI is read.
    """
    from ..serving.artifacts import recorded_input

    tensor = recorded_input(record)
    picked = record["config"].get("reference")
    if picked:
        data = _read_artifact(picked)
        source = f"data artifact {picked['step']}/{picked['name']} of run {record['run_id']}"
    else:
        saved = record["config"].get("metadata", {}).get("model", {}).get("reference")
        if not saved:
            raise NoReference(
                f"The model of {record['name']} was saved without reference data.",
                "Tag its training step with reference:VARIABLE (the training features) and retrain, "
                "or redeploy choosing a reference dataset.",
            )
        folder = model_folder if model_folder.is_dir() else Path(record["model_uri"])
        path = folder / saved["file"]
        if not path.is_file():
            raise NoReference(
                f"The reference data of {record['name']} is not on this machine ({path}).",
                "Redeploy choosing a reference dataset that is.",
            )
        data = np.load(path, allow_pickle=False)
        # KFP keeps metadata numbers as floats
        rows, total = int(saved["rows"]), int(saved["total_rows"])
        sampled = f", a sample of its {total} rows" if rows < total else ""
        source = f"training inputs saved with the model ({saved['source']}){sampled}"
    table = _table(data)
    names = None if hasattr(table, "columns") else tensor.get("features")
    if names is not None and len(names) != table.shape[1]:
        names = None
    try:
        return ReferenceProfile.from_array(table, feature_names=names), source
    except ValueError as err:
        raise NoReference(
            f"The reference data of {record['name']} cannot be used: {err}.",
            "Redeploy choosing another reference dataset.",
        ) from None


def _read_artifact(picked: dict):
    from ..pipeline.runtime import load_artifact

    path = Path(picked["uri"])
    if not path.exists():
        raise NoReference(
            f"The reference dataset {picked['step']}/{picked['name']} is not on this machine ({picked['uri']}).",
            "Pick a dataset of a local run.",
        )
    return load_artifact(types.SimpleNamespace(path=str(path), metadata={"format": picked.get("format") or "pickle"}))


def _table(data):
    """A 2-D table of the reference: DataFrames as they are, arrays and tensors flattened to one row per sample."""
    if hasattr(data, "columns"):
        return data
    if hasattr(data, "detach"):
        data = data.detach().cpu().numpy()
    array = np.asarray(data)
    if array.ndim == 0:
        raise NoReference("The reference data is a single value, not a table.", "Pick a dataset with rows.")
    return array.reshape(len(array), -1)
