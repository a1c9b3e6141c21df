"""Batch predictions with a model named as the user names it: a deployment, a run (and its model artifact), or a
registered version (`MODEL:VERSION`, `MODEL@ALIAS`); the model is loaded in this process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import NotFoundError, UserError
from ..registry.names import check_alias, check_version
from ..serving.artifacts import model_artifact
from ..serving.loaded_model import LoadedModel
from ..serving.local import local_model_folder
from ..states import DeploymentTarget
from .predict import predict_file

HINT = "Name a deployment, a run id (its model: --artifact), or a registered version as MODEL:VERSION or MODEL@ALIAS."


class BatchPredictions:
    """Finds models in the workspace `folder` (its deployments, runs and `registry()`) and predicts files under
    `root` with them."""

    def __init__(self, folder: Path, deployments, runs, registry: Callable[[], object], root: Path | None = None):
        self.folder, self.deployments, self.runs, self.registry = Path(folder), deployments, runs, registry
        self.root = Path(root or Path.cwd())

    def predict(self, model: str, source: str | Path, output: str | Path | None = None, *, artifact=None, **options):
        """`predict_file` with the model `model` names (see `find`); the summary says which model under `model`."""
        loaded, described = self.find(model, artifact)
        return {"model": described, **predict_file(loaded, source, output, root=self.root, **options)}

    def find(self, model: str, artifact: str | None = None) -> tuple[LoadedModel, str]:
        """The model `model` names, loaded, and how it reads: `MODEL@ALIAS` or `MODEL:VERSION` (a registered
        version), a deployment's name, else a run id (`artifact`: which of its models; default the last)."""
        if "@" in model or ":" in model:
            name, mark, ref = model.partition("@") if "@" in model else model.partition(":")
            ref = check_alias(ref, "alias") if mark == "@" else check_version(ref)
            version = self.registry().version(name, ref)
            if not version.get("run_id"):
                raise UserError(
                    f"Version {version['version']} of model {name!r} has no run in this workspace to load it from.",
                    "Predict with a deployment of it, or register a model of a local run.",
                )
            loaded, chosen = self._of_run(self.runs.run(version["run_id"]), version["artifact"])
            return loaded, f"{name} v{version['version']} (run {version['run_id']}, {chosen})"
        try:
            record = self.deployments.get(model)
        except NotFoundError:
            record = None
        if record is not None:
            return self._of_deployment(record), f"deployment {model} ({record['model_name']})"
        try:
            run = self.runs.run(model)
        except NotFoundError:
            raise NotFoundError(f"There is no deployment, run or registered model version {model!r}.", HINT) from None
        loaded, chosen = self._of_run(run, artifact)
        return loaded, f"run {run['id']} ({chosen})"

    def _of_run(self, run: dict, artifact: str | None) -> tuple[LoadedModel, str]:
        """The run's model `artifact` (default: its last), loaded, and its `step/name`."""
        chosen = model_artifact(run, artifact)
        loaded = LoadedModel(local_model_folder(chosen, run["id"]), chosen["metadata"])
        return loaded, f"{chosen['step']}/{chosen['name']}"

    def _of_deployment(self, record: dict) -> LoadedModel:
        """A deployment's model: its `model_uri` when that is a folder here, else the copy a local one serves."""
        metadata = record["config"].get("metadata")
        if metadata is None and record["run_id"]:
            metadata = model_artifact(self.runs.run(record["run_id"]), record["model_name"])["metadata"]
        folder = Path(record["model_uri"])
        if not folder.is_dir() and record["target"] == DeploymentTarget.LOCAL:
            folder = self.folder / "deployments" / record["name"] / "model"
        if metadata is None or not folder.is_dir():
            raise UserError(
                f"The model of deployment {record['name']!r} is not on this machine ({record['model_uri']}).",
                "Batch prediction here needs a model of a local run.",
            )
        return LoadedModel(folder, metadata)
