"""The registry over a Kubeflow Model Registry (its REST API v1alpha3: `kubeflow_api.py`).

A model is a RegisteredModel. A version is a ModelVersion named by its number ("1", "2", ...: the records'
`version`), with one ModelArtifact: the run's artifact URI, its framework as `modelFormatName`, the run as its model
source. The run's lineage (run id, notebook path and hash, artifact, parameters, metrics, signature, steps, reference
data) is in the version's customProperties (structured values as JSON text), who registered it in `author`. A
version never changes but for its state (LIVE, ARCHIVED). The registry has no aliases: they are customProperties
`alias.<name>` of the RegisteredModel (the version number as text), and every move is recorded in the workspace's
store. Versions named otherwise (made outside ai4mlops-lab) are left out.

The registry's PATCH replaces every editable field, so updates send them all as just read: two people moving aliases
of one model at the same moment can overwrite each other's move.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..records import AliasMoveRecord, ModelVersionRecord, RegisteredModelRecord
from ..states import ModelVersionState, RunTarget
from ..store import times
from ..store.alias_moves import AliasMoveStore
from ..store.registry import (
    aliased_archive_error,
    already_registered_error,
    archived_alias_error,
    no_alias_error,
    no_model_error,
    no_version_error,
)
from ..store.runs import RunStore
from .kubeflow_api import ModelRegistryApi, RegistryConflictError
from .names import check_alias, check_model_name, version_ref
from .registration import REGISTERED, check_reason, checked_registration, default_name, os_user, version_fields

#: The customProperty of a RegisteredModel holding an alias: `alias.champion` -> "3".
ALIAS = "alias."
STATES = {ModelVersionState.LIVE: "LIVE", ModelVersionState.ARCHIVED: "ARCHIVED"}
_STATE_OF = {theirs: ours for ours, theirs in STATES.items()}
#: The version's lineage kept as text, and as JSON text.
TEXT_FIELDS = ("run_id", "notebook_path", "notebook_hash")
JSON_FIELDS = ("parameters", "metrics", "signature", "steps", "reference")
#: The fields the registry's PATCH replaces (RegisteredModelUpdate, ModelVersionUpdate).
MODEL_EDITABLE = (
    "customProperties",
    "description",
    "externalId",
    "owner",
    "state",
    "readme",
    "maturity",
    "language",
    "tasks",
    "provider",
    "logo",
    "license",
    "licenseLink",
    "libraryName",
)
VERSION_EDITABLE = ("customProperties", "description", "externalId", "state", "author")
#: Tries at creating a version whose number someone else takes meanwhile.
CREATE_TRIES = 3


class KubeflowRegistry:
    """The `RegistryBackend` over a Kubeflow Model Registry (`api`), registering the runs of `runs`; alias moves are
    recorded in `moves`, under the registry's URL."""

    def __init__(self, api: ModelRegistryApi, runs: RunStore, moves: AliasMoveStore):
        self.api, self.runs, self.moves = api, runs, moves
        self._registered: set[tuple[str, str, str]] = set()  # (run id, step, artifact) that a version records

    @property
    def url(self) -> str:
        return self.api.connection().url

    # -- registering --------------------------------------------------------------------------

    def register(
        self,
        run_id: str,
        model_artifact: str | None = None,
        name: str | None = None,
        description: str | None = None,
        aliases: Iterable[str] = (),
        *,
        by: str | None = None,
        reason: str = "",
    ) -> ModelVersionRecord:
        run, artifact, name, aliases = checked_registration(
            self.runs, run_id, model_artifact, name, description, aliases
        )
        return self._add(
            name, run, artifact, by or os_user(), description=description, aliases=aliases, reason=reason or REGISTERED
        )

    def auto_register(self) -> list[ModelVersionRecord]:
        """Asks the registry only when a succeeded run's model is not known to be registered."""
        waiting = [model for model in self.runs.succeeded_models() if model not in self._registered]
        if not waiting:
            return []
        self._registered |= self._lineages()
        registered = []
        for run_id, step, name in waiting:
            if (run_id, step, name) not in self._registered:
                run = self.runs.run(run_id)
                artifact = next(a for a in run["artifacts"] if (a["step"], a["name"]) == (step, name))
                registered.append(self._add(default_name(run, artifact), run, artifact, os_user()))
        return registered

    def _add(
        self,
        name: str,
        run: dict,
        artifact: dict,
        author: str,
        *,
        description: str | None = None,
        aliases: Iterable[str] = (),
        reason: str = "",
    ) -> ModelVersionRecord:
        fields = version_fields(run, artifact, author)
        label = f"{artifact['step']}/{artifact['name']}"
        model = self._find(name) or self._create_model(name, description)
        numbered = self._numbered(model)
        for number, version in numbered:
            props = version.get("customProperties") or {}
            if (_text(props, "run_id"), _text(props, "artifact")) == (run["id"], label):
                raise already_registered_error(name, label, run["id"], number)
        if description is not None and model.get("description", "") != description:
            model = self._patch_model(model, description=description)
        number, version = self._create_version(model, max((n for n, _ in numbered), default=0) + 1, fields, label)
        stored = self.api.post(
            f"/model_versions/{version['id']}/artifacts",
            _artifact(name, run, fields),
            f"record the artifact of version {number} of model {name!r}",
        )
        self._registered.add((run["id"], artifact["step"], artifact["name"]))
        model = self._move_aliases(model, dict.fromkeys(aliases, number), author, reason)
        return self._record(model, version, stored)

    def _create_version(self, model: dict, first: int, fields: dict, label: str) -> tuple[int, dict]:
        """Version `first` of `model` (or the next free number, when someone takes it meanwhile): (number, version)."""
        props = {key: _string(fields[key]) for key in TEXT_FIELDS if fields[key] is not None}
        props |= {key: _string(json.dumps(fields[key])) for key in JSON_FIELDS if fields[key] is not None}
        props["artifact"] = _string(label)
        last = first + CREATE_TRIES - 1
        for number in range(first, last + 1):
            body = {
                "name": str(number),
                "registeredModelId": model["id"],
                "author": fields["author"],
                "state": STATES[ModelVersionState.LIVE],
                "customProperties": props,
            }
            try:
                return number, self.api.post("/model_versions", body, f"register version {number} of {model['name']!r}")
            except RegistryConflictError:
                if number == last:
                    raise

    def _create_model(self, name: str, description: str | None) -> dict:
        body = {"name": name, **({"description": description} if description else {})}
        try:
            return self.api.post("/registered_models", body, f"create model {name!r}")
        except RegistryConflictError:  # created meanwhile
            model = self._find(name)
            if model is None:
                raise
            return model

    def _lineages(self) -> set[tuple[str, str, str]]:
        """(run id, step, artifact) of every version in the registry that records one."""
        found = set()
        for version in self.api.items("/model_versions", "list the model versions"):
            props = version.get("customProperties") or {}
            run_id, label = _text(props, "run_id"), _text(props, "artifact") or ""
            if run_id and "/" in label:
                found.add((run_id, *label.split("/", 1)))
        return found

    # -- reading ------------------------------------------------------------------------------

    def models(self) -> list[RegisteredModelRecord]:
        models = self.api.items("/registered_models", "list the registered models")
        return [self._model_record(model) for model in sorted(models, key=lambda m: m["name"])]

    def model(self, name: str) -> RegisteredModelRecord:
        return self._model_record(self._model(check_model_name(name)))

    def versions(self, name: str) -> list[ModelVersionRecord]:
        model = self._model(check_model_name(name))
        return [self._record(model, version) for _, version in self._numbered(model)]

    def version(self, name: str, ref: int | str) -> ModelVersionRecord:
        check_model_name(name)
        ref = version_ref(ref)
        model = self._model(name)
        return self._record(model, self._version(model, self._number(model, ref)))

    def versions_of_run(self, run_id: str) -> list[ModelVersionRecord]:
        found = self.api.items(
            "/model_versions",
            f"find the versions of run {run_id}",
            filterQuery=f"run_id.string_value = {json.dumps(run_id)}",
        )
        models, records = {}, []
        for version in sorted(found, key=lambda v: int(v.get("createTimeSinceEpoch") or 0)):
            if _number(version) is not None:
                model_id = version["registeredModelId"]
                if model_id not in models:
                    models[model_id] = self.api.get(f"/registered_models/{model_id}", f"read model {model_id}")
                records.append(self._record(models[model_id], version))
        return records

    def alias_history(self, name: str) -> list[AliasMoveRecord]:
        self._model(check_model_name(name))
        return self.moves.history(self.url, name)

    # -- aliases and states -------------------------------------------------------------------

    def set_alias(
        self, name: str, alias: str, version: int | str, *, reason: str = "", by: str | None = None
    ) -> ModelVersionRecord:
        check_model_name(name)
        check_alias(alias)
        check_reason(reason)
        ref = version_ref(version)
        model = self._model(name)
        number = self._number(model, ref)
        chosen = self._version(model, number)
        if chosen.get("state") != STATES[ModelVersionState.LIVE]:
            raise archived_alias_error(name, number)
        model = self._move_aliases(model, {alias: number}, by or os_user(), reason)
        return self._record(model, chosen)

    def remove_alias(self, name: str, alias: str, *, reason: str = "", by: str | None = None) -> AliasMoveRecord:
        check_reason(reason)
        check_model_name(name)
        check_alias(alias)
        model = self._model(name)
        aliases = _aliases(model)
        if alias not in aliases:
            raise no_alias_error(name, alias, sorted(aliases))
        kept = {key: value for key, value in (model.get("customProperties") or {}).items() if key != ALIAS + alias}
        self._patch_model(model, customProperties=kept)
        return self.moves.record(self.url, name, alias, aliases[alias], None, by=by or os_user(), reason=reason)

    def archive(self, name: str, version: int | str) -> ModelVersionRecord:
        return self._set_state(name, version, ModelVersionState.ARCHIVED)

    def restore(self, name: str, version: int | str) -> ModelVersionRecord:
        return self._set_state(name, version, ModelVersionState.LIVE)

    def _set_state(self, name: str, ref: int | str, state: ModelVersionState) -> ModelVersionRecord:
        check_model_name(name)
        ref = version_ref(ref)
        model = self._model(name)
        number = self._number(model, ref)
        chosen = self._version(model, number)
        pointing = sorted(alias for alias, at in _aliases(model).items() if at == number)
        if state == ModelVersionState.ARCHIVED and pointing:
            raise aliased_archive_error(name, number, pointing)
        if chosen.get("state") != STATES[state]:
            doing = f"{'archive' if state == ModelVersionState.ARCHIVED else 'restore'} version {number} of {name!r}"
            body = {**_editable(chosen, VERSION_EDITABLE), "state": STATES[state]}
            chosen = self.api.patch(f"/model_versions/{chosen['id']}", body, doing)
        return self._record(model, chosen)

    def _move_aliases(self, model: dict, moves: dict[str, int], by: str, reason: str) -> dict:
        """Point each alias of `moves` at its version (one update of the model), recording each move; the model."""
        current = _aliases(model)
        moved = {alias: number for alias, number in moves.items() if current.get(alias) != number}
        if not moved:
            return model
        props = model.get("customProperties") or {}
        model = self._patch_model(
            model, customProperties={**props, **{ALIAS + alias: _string(str(n)) for alias, n in moved.items()}}
        )
        for alias, number in moved.items():
            self.moves.record(self.url, model["name"], alias, current.get(alias), number, by=by, reason=reason)
        return model

    # -- the registry's entities --------------------------------------------------------------

    def _find(self, name: str) -> dict | None:
        return self.api.find("/registered_model", f"find model {name!r}", name=name)

    def _model(self, name: str) -> dict:
        model = self._find(name)
        if model is None:
            names = sorted(m["name"] for m in self.api.items("/registered_models", "list the registered models"))
            raise no_model_error(name, names)
        return model

    def _patch_model(self, model: dict, **changes) -> dict:
        body = {**_editable(model, MODEL_EDITABLE), **changes}
        return self.api.patch(f"/registered_models/{model['id']}", body, f"update model {model['name']!r}")

    def _numbered(self, model: dict) -> list[tuple[int, dict]]:
        """(number, version) of the model's versions named by a number, newest first."""
        versions = self.api.items(
            f"/registered_models/{model['id']}/versions", f"list the versions of model {model['name']!r}"
        )
        return sorted(((n, v) for v in versions if (n := _number(v)) is not None), key=lambda nv: -nv[0])

    def _version(self, model: dict, number: int) -> dict:
        found = self.api.find(
            "/model_version",
            f"find version {number} of model {model['name']!r}",
            name=str(number),
            parentResourceId=model["id"],
        )
        if found is None:
            raise no_version_error(model["name"], number, max((n for n, _ in self._numbered(model)), default=None))
        return found

    def _number(self, model: dict, ref: int | str) -> int:
        """A version number given as such, or the one an alias points at now."""
        if isinstance(ref, int):
            return ref
        aliases = _aliases(model)
        if ref not in aliases:
            raise no_alias_error(model["name"], ref, sorted(aliases))
        return aliases[ref]

    def _artifact(self, version: dict) -> dict:
        """The version's model artifact ({} when it has none)."""
        found = self.api.items(
            f"/model_versions/{version['id']}/artifacts",
            f"read the artifact of model version {version['id']}",
            artifactType="model-artifact",
        )
        return found[0] if found else {}

    def _record(self, model: dict, version: dict, artifact: dict | None = None) -> ModelVersionRecord:
        artifact = artifact if artifact is not None else self._artifact(version)
        props = version.get("customProperties") or {}
        number = _number(version)
        return {
            "model": model["name"],
            "version": number,
            "state": _STATE_OF.get(version.get("state"), ModelVersionState.LIVE),
            "artifact_uri": artifact.get("uri", ""),
            "artifact": _text(props, "artifact"),
            "framework": artifact.get("modelFormatName"),
            "framework_version": artifact.get("modelFormatVersion"),
            **{key: _text(props, key) for key in TEXT_FIELDS},
            "signature": _json(props, "signature"),
            "parameters": _json(props, "parameters") or {},
            "metrics": _json(props, "metrics") or {},
            "steps": _json(props, "steps") or [],
            "reference": _json(props, "reference"),
            "author": version.get("author") or "",
            "created_at": _time(version, "createTimeSinceEpoch"),
            "aliases": sorted(alias for alias, at in _aliases(model).items() if at == number),
            "registry_ids": {
                "registered_model_id": model["id"],
                "model_version_id": version["id"],
                "model_artifact_id": artifact.get("id"),
            },
        }

    def _model_record(self, model: dict) -> RegisteredModelRecord:
        numbered = self._numbered(model)
        return {
            "name": model["name"],
            "description": model.get("description", ""),
            "created_at": _time(model, "createTimeSinceEpoch"),
            "updated_at": _time(model, "lastUpdateTimeSinceEpoch"),
            "version_count": len(numbered),
            "aliases": dict(sorted(_aliases(model).items())),
            "latest_version": self._record(model, numbered[0][1]) if numbered else None,
        }


def _artifact(model: str, run: dict, fields: dict) -> dict:
    """The ModelArtifact of a version: where the run's artifact lies, its format and the run it came from (a KFP
    run as Kubeflow's own tools name one)."""
    if run["target"] == RunTarget.KFP and run.get("backend_run_id"):
        source = {"modelSourceKind": "kfp", "modelSourceClass": "pipelinerun", "modelSourceId": run["backend_run_id"]}
    else:
        source = {"modelSourceKind": "ai4mlops-lab", "modelSourceClass": "run", "modelSourceId": run["id"]}
    body = {
        "artifactType": "model-artifact",
        "name": model,
        "uri": fields["artifact_uri"],
        "modelSourceName": run["pipeline"],
        **source,
    }
    if fields["framework"]:
        body["modelFormatName"] = fields["framework"]
    if fields["framework_version"]:
        body["modelFormatVersion"] = fields["framework_version"]
    return body


def _editable(entity: dict, fields: tuple[str, ...]) -> dict:
    return {key: entity[key] for key in fields if key in entity}


def _number(version: dict) -> int | None:
    """The number a version is named by; None for a name that is not one (`1`, not `01` or `v1`)."""
    name = version.get("name", "")
    return int(name) if name.isdigit() and str(int(name)) == name and int(name) > 0 else None


def _aliases(model: dict) -> dict[str, int]:
    found = {}
    for key, value in (model.get("customProperties") or {}).items():
        text = _text({key: value}, key) or ""
        if key.startswith(ALIAS) and text.isdigit():
            found[key.removeprefix(ALIAS)] = int(text)
    return found


def _string(text: str) -> dict:
    return {"metadataType": "MetadataStringValue", "string_value": text}


def _text(props: dict, key: str) -> str | None:
    value = props.get(key) or {}
    return value.get("string_value") if value.get("metadataType") == "MetadataStringValue" else None


def _json(props: dict, key: str):
    try:
        return json.loads(_text(props, key) or "null")
    except ValueError:
        return None


def _time(entity: dict, key: str) -> str:
    """The store's form of an entity's time (milliseconds since the epoch, as text); '' when it has none."""
    millis = entity.get(key) or ""
    return times.from_epoch(int(millis) / 1000) if millis.isdigit() else ""
