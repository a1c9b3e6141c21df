"""Deployments on both targets behind one interface: local model servers and KServe InferenceServices.

The one place the REST handlers and the CLI go through for deployments.
"""

from __future__ import annotations

from pathlib import Path

from .. import confined
from ..errors import UserError
from ..records import DeploymentView
from ..states import DeploymentTarget
from .artifacts import check_name, reference_artifact
from .local import LocalDeployments
from .local_rollouts import LocalRollouts
from .runtimes import describe
from .usage import call_examples

TARGETS = tuple(DeploymentTarget)


class Deployments:
    """Dispatches each call to the deployment's target; `cluster` is None when none is configured. Notebooks'
    paths are relative to `root` (default: the current folder); `on_remove(record)` is called before a deployment is
    removed (its monitoring job is withdrawn). Each deployment comes with `usage`: how to
    call it (see `usage.call_examples`), and `runtime`: what serves it (see `runtimes.describe`)."""

    def __init__(self, local: LocalDeployments, cluster=None, root: Path | None = None, on_remove=None):
        self.local = local
        self.on_remove = on_remove
        self.local_rollouts = LocalRollouts(local)
        self.cluster = cluster
        self.store = local.store
        self.root = Path(root or Path.cwd())

    def _backend(self, target: str):
        if target == DeploymentTarget.LOCAL:
            return self.local
        if target == DeploymentTarget.KSERVE:
            if self.cluster is None:
                raise UserError(
                    "No Kubernetes cluster is configured for KServe deployments.",
                    "Set KUBECONFIG (or run in a cluster), or deploy with target 'local'.",
                )
            return self.cluster
        raise UserError(f"Unknown deployment target '{target}'.", f"Use one of: {', '.join(TARGETS)}.")

    def _of(self, name: str):
        return self._backend(self.store.get(name)["target"])

    def deploy(
        self,
        run_id: str,
        *,
        model: str | None = None,
        name: str | None = None,
        target: str = DeploymentTarget.LOCAL,
        reference: str | None = None,
        **cluster_options,
    ) -> dict:
        """Serve a run's Model artifact; local deployments are ready when this returns.

        `reference` names a data artifact of the run as the drift reference, instead of the sample
        saved with the model. The name is checked before anything else happens. The deployment's
        `config.run` records the run as a person tells it apart (`ranking.summary`).
        """
        from ..runs.ranking import run_summary

        if name is not None:
            check_name(name)
        backend = self._backend(target)
        run = self.local.runs.run(run_id)
        picked = reference_artifact(run, reference) if reference else None
        if target == DeploymentTarget.LOCAL:
            record = backend.deploy(run_id, model=model, name=name)
        else:
            record = backend.deploy(run_id, model=model, name=name, **cluster_options)
        config = {**record["config"], "run": run_summary(run, self.root)}
        if picked is not None:
            config["reference"] = picked
        self.store.update(record["name"], config=config)
        return self.get(record["name"])

    def refresh(self) -> None:
        """Pull the live state of every deployment (local servers, KServe InferenceServices) into the store;
        blocks on the cluster: the Jupyter server calls it off its event loop, in its background loop."""
        self.local.refresh()
        if self.cluster is not None:
            self.cluster.refresh()

    def list(self) -> list[DeploymentView]:
        """Every deployment as the store has it, newest first."""
        records = self.local.list()
        if self.cluster is not None:
            records += self.cluster.list()
        return sorted((_with_usage(r) for r in records), key=lambda r: r["created_at"], reverse=True)

    def get(self, name: str) -> DeploymentView:
        """A deployment as the store has it."""
        return _with_usage(self._of(name).get(name))

    def stop(self, name: str) -> dict:
        return _with_usage(self._of(name).stop(name))

    def restart(self, name: str) -> dict:
        return _with_usage(self._of(name).restart(name))

    def logs(self, name: str, tail: int | None = None) -> str:
        return self._of(name).logs(name, tail)

    def predict(self, name: str, payload: dict, *, test: bool = False) -> dict:
        return self._of(name).predict(name, payload, test=test)

    # -- rollouts (registry/rollout.py decides; these move the traffic) -------------------------

    def _rollouts(self, name: str):
        """The rollouts of the deployment's target: `LocalRollouts`, or the KServe deployments."""
        target = self.store.get(name)["target"]
        return self.local_rollouts if target == DeploymentTarget.LOCAL else self._backend(target)

    def start_rollout(self, name: str, run_id: str, *, model: str | None, version: str, mode: str, percent: float):
        """Serve run `run_id`'s model as the candidate `version` of deployment `name` (canary or shadow)."""
        options = {"model": model, "version": version, "mode": mode, "percent": percent}
        return _with_usage(self._rollouts(name).start_rollout(name, run_id, **options))

    def change_rollout(self, name: str, percent: float) -> dict:
        return _with_usage(self._rollouts(name).change(name, percent))

    def promote(self, name: str, extra: dict | None = None) -> dict:
        """The candidate becomes the stable version; `extra`: config fields stored with the new model in one write."""
        return _with_usage(self._rollouts(name).promote(name, extra))

    def rollback(self, name: str) -> dict:
        return _with_usage(self._rollouts(name).rollback(name))

    def rollout_live(self, name: str) -> dict:
        """`{stable, candidate}`: what each version answered since the rollout started."""
        return self._rollouts(name).rollout_live(name)

    def remove(self, name: str) -> None:
        """Undeploy: stop the deployment, then forget it, its copy of the model, its drift and outcome history."""
        from ..store.drift import DriftStore
        from ..store.outcomes import OutcomeStore

        record = self.store.get(name)
        self.stop(name)
        if self.on_remove is not None:
            self.on_remove(record)
        self.store.delete(name)
        OutcomeStore(self.store.path, check=False).forget(name)
        DriftStore(self.store.path, check=False).forget(name)
        confined.remove_tree(self.local.workspace / "deployments", name)


def _with_usage(view: dict) -> dict:
    return {**view, "usage": call_examples(view), "runtime": describe(view["target"], view["config"])}
