"""Batch predictions with a model named as the user names it: a deployment, a run (and its model artifact), or a
registered version (`MODEL:VERSION`, `MODEL@ALIAS`); the model is loaded in this process, the input and output are
files under the root or S3 objects (`objects.py`)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import FieldError, NotFoundError, UserError
from ..registry.names import check_alias, check_version
from ..serving.artifacts import model_artifact
from ..serving.loaded_model import LoadedModel
from ..serving.local import local_model_folder
from ..states import DeploymentTarget
from .logged import PredictionLog
from .objects import predict_io

HINT = "Name a deployment, a run id (its model: --artifact), or a registered version as MODEL:VERSION or MODEL@ALIAS."


@dataclass(frozen=True)
class ModelSource:
    """A model found for batch predictions: its artifact's `uri` (where a cluster reads it), `folder` on this
    machine (None when found for a cluster) and `metadata`, how it reads (`described`) and the `deployment` it was
    named by (None for a run or a registered version)."""

    uri: str
    folder: Path | None
    metadata: dict
    described: str
    deployment: str | None = None

    def load(self) -> LoadedModel:
        return LoadedModel(self.folder, self.metadata)


def check_log(found: ModelSource, log: bool) -> None:
    """A FieldError (`log`) when logging is asked of a model that is not a deployment's."""
    if log and found.deployment is None:
        raise FieldError(
            "log",
            f"Logging predictions needs a deployment; {found.described} is not one.",
            "Name a deployment of the model, or leave logging off.",
        )


class BatchPredictions:
    """Finds models in the workspace `folder` (its deployments, runs and `registry()`) and predicts files under
    `root` with them."""

    def __init__(self, folder: Path, deployments, runs, registry: Callable[[], object], root: Path | None = None):
        self.folder, self.deployments, self.runs, self.registry = Path(folder), deployments, runs, registry
        self.root = Path(root or Path.cwd())

    def predict(
        self,
        model: str,
        source: str | Path,
        output: str | Path | None = None,
        *,
        artifact=None,
        log: bool = False,
        **options,
    ):
        """`predict_io` with the model `model` names (see `locate`); the summary says which model under `model`.
        `log`: each row logged as the deployment's request, keyed `ID/ROW` (the summary's `logged_as` is the ID)."""
        found = self.locate(model, artifact)
        check_log(found, log)
        predict = functools.partial(predict_io, root=self.root, scratch=self.folder / "batch" / "scratch", **options)
        if not log:
            return {"model": found.described, **predict(found.load(), str(source), output and str(output))}
        logged_as = uuid.uuid4().hex[:12]
        writer = PredictionLog(self.deployments.path, found.deployment, logged_as)
        try:
            summary = predict(found.load(), str(source), output and str(output), on_predicted=writer)
        finally:
            writer.close()
        return {"model": found.described, "logged_as": logged_as, **summary}

    def find(self, model: str, artifact: str | None = None) -> tuple[LoadedModel, str]:
        """The model `model` names (see `locate`), loaded, and how it reads."""
        found = self.locate(model, artifact)
        return found.load(), found.described

    def locate(self, model: str, artifact: str | None = None, *, here: bool = True) -> ModelSource:
        """The model `model` names, not loaded: `MODEL@ALIAS` or `MODEL:VERSION` (a registered version), a
        deployment's name, else a run id (`artifact`: which of its models; default the last). With `here`, its
        folder must be on this machine (else a UserError); without, only its URI is needed (a cluster reads it)."""
        if "@" in model or ":" in model:
            name, mark, ref = model.partition("@") if "@" in model else model.partition(":")
            ref = check_alias(ref, "alias") if mark == "@" else check_version(ref)
            version = self.registry().version(name, ref)
            if not version.get("run_id"):
                raise UserError(
                    f"Version {version['version']} of model {name!r} has no run in this workspace to load it from.",
                    "Predict with a deployment of it, or register a model of a run of this workspace.",
                )
            found = self._of_run(self.runs.run(version["run_id"]), version["artifact"], here)
            return ModelSource(*found[:3], f"{name} v{version['version']} (run {version['run_id']}, {found[3]})")
        try:
            record = self.deployments.get(model)
        except NotFoundError:
            record = None
        if record is not None:
            found = self._of_deployment(record, here)
            return ModelSource(*found, f"deployment {model} ({record['model_name']})", model)
        try:
            run = self.runs.run(model)
        except NotFoundError:
            raise NotFoundError(f"There is no deployment, run or registered model version {model!r}.", HINT) from None
        found = self._of_run(run, artifact, here)
        return ModelSource(*found[:3], f"run {run['id']} ({found[3]})")

    def _of_run(self, run: dict, artifact: str | None, here: bool) -> tuple[str, Path | None, dict, str]:
        """The run's model `artifact` (default: its last): its URI, folder (with `here`), metadata and
        `step/name`."""
        chosen = model_artifact(run, artifact)
        folder = local_model_folder(chosen, run["id"]) if here else None
        return chosen["uri"], folder, chosen["metadata"], f"{chosen['step']}/{chosen['name']}"

    def _of_deployment(self, record: dict, here: bool) -> tuple[str, Path | None, dict]:
        """A deployment's model URI (the storage URI a cluster's reads), folder and metadata: its `model_uri` when
        that is a folder here, else the copy a local one serves (with `here`)."""
        metadata = record["config"].get("metadata")
        if metadata is None and record["run_id"]:
            metadata = model_artifact(self.runs.run(record["run_id"]), record["model_name"])["metadata"]
        uri = record["config"].get("storage_uri") or record["model_uri"]
        if metadata is None:
            raise UserError(f"The model of deployment {record['name']!r} has no metadata to load it with.", HINT)
        if not here:
            return uri, None, metadata
        folder = Path(record["model_uri"])
        if not folder.is_dir() and record["target"] == DeploymentTarget.LOCAL:
            folder = self.folder / "deployments" / record["name"] / "model"
        if not folder.is_dir():
            raise UserError(
                f"The model of deployment {record['name']!r} is not on this machine ({record['model_uri']}).",
                "Batch prediction here needs a model of a local run; run the job on Kubeflow (target kfp) for a "
                "model in S3.",
            )
        return uri, folder, metadata
