"""Rollouts of registered versions through the promotion gate: the one place the REST handlers, the CLI, the
background loop and retraining start, judge, promote and roll back candidates.

A rollout puts a candidate version of the model a deployment serves beside its stable version (canary or shadow,
on the deployment's target). The gate refuses a candidate whose offline metric is not better before any traffic
moves (unless forced), then judges it on live numbers; a pass makes it `champion` and gives it all traffic, a
fail rolls it back while the old champion keeps serving. Every start, refusal, promotion and rollback is recorded
with its evidence (both versions' metrics and live numbers, the checks, the policy), manual ones too.
"""

from __future__ import annotations

from ..errors import UserError
from ..runs.ranking import declared_metrics, run_summary
from ..serving.artifacts import reference_artifact
from ..serving.rollouts import running_rollout
from ..states import ModelVersionState
from ..store import times
from ..store.gate import GateStore
from . import gate
from .backend import RegistryBackend
from .names import version_ref
from .registration import os_user

CHAMPION, CHALLENGER = "champion", "challenger"
GATE = "gate"  # who acts when the gate decides by itself


class RolloutService:
    """Rollouts of the deployments of `deployments` (a `serving.service.Deployments`) between versions of
    `registry`, judged by the gate's policies and recorded in `store`. Notebook paths are relative to the
    deployments' root."""

    def __init__(self, registry: RegistryBackend, deployments, store: GateStore, outcomes=None):
        """`outcomes` gives the `OutcomeMonitor` (the live performance on labels), built when first needed."""
        self.registry, self.deployments, self.store = registry, deployments, store
        self.outcomes = outcomes
        self.root = deployments.root

    # -- policy and decisions --------------------------------------------------------------

    def policy(self, model: str) -> dict:
        """The model's gate policy: the defaults with what was set."""
        self.registry.model(model)
        return {**gate.DEFAULT_POLICY, **(self.store.policy(model) or {})}

    def set_policy(self, model: str, change: dict, *, by: str | None = None) -> dict:
        policy = gate.changed_policy(self.policy(model), change)
        self.store.set_policy(model, policy, by=by or os_user())
        return policy

    def decisions(self, model: str) -> list[dict]:
        self.registry.model(model)
        return self.store.decisions(model)

    # -- the rollout of a deployment --------------------------------------------------------

    def state(self, name: str) -> dict:
        """The deployment's stable version and candidate with their live numbers and the gate's evaluation."""
        record = self.deployments.get(name)
        served = record["config"].get("version")
        rollout = record["config"].get("rollout")
        live = self.deployments.rollout_live(name)
        if not served:
            return {
                "deployment": name,
                "model": None,
                "target": record["target"],
                "stable": _side(None, None, live["stable"], record["run_id"]),
                "candidate": None,
                "mode": None,
                "percent": None,
                "started_at": None,
                "gate": None,
                "policy": None,
            }
        model = served["model"]
        policy = self.policy(model)
        stable = self.registry.version(model, served["version"])
        candidate = self.registry.version(model, rollout["gate"]["candidate_version"]) if rollout else None
        metric, higher = gate.metric_of(policy, stable, candidate or stable, self._declared(candidate or stable))
        evaluation = self._evaluate(name, policy, rollout, live) if rollout else None
        return {
            "deployment": name,
            "model": model,
            "target": record["target"],
            "stable": _side(stable, metric, live["stable"]),
            "candidate": _side(candidate, metric, live["candidate"]) if candidate else None,
            "mode": rollout["mode"] if rollout else None,
            "percent": rollout["percent"] if rollout else None,
            "started_at": rollout["started_at"] if rollout else None,
            "gate": evaluation,
            "policy": policy,
        }

    def start(
        self,
        name: str,
        version: int | str,
        *,
        mode: str = "canary",
        percent: float | None = None,
        force: bool = False,
        reason: str = "",
        by: str | None = None,
        alert_id: int | None = None,
    ) -> dict:
        """Start a canary (`percent`, default the policy's) or shadow of `version` (a number or an alias) of the
        model deployment `name` serves. The gate's offline check comes first: a candidate that is not better is
        refused (a 409 `gate_refused`, recorded) unless `force`."""
        by = by or os_user()
        record = self.deployments.get(name)
        model, stable = self._served(record, by)
        candidate = self.registry.version(model, version_ref(version))
        if candidate["state"] == ModelVersionState.ARCHIVED:
            raise UserError(
                f"Version {candidate['version']} of {model!r} is archived.",
                f"Restore it first (ai4mlops models restore {model} {candidate['version']}).",
                status=409,
                code="conflict",
            )
        if candidate["version"] == stable["version"]:
            raise UserError(
                f"Deployment {name!r} serves v{stable['version']} of {model!r} already.",
                "Roll out another version.",
                status=409,
                code="conflict",
            )
        policy = self.policy(model)
        metric, higher = gate.metric_of(policy, stable, candidate, self._declared(candidate))
        offline = gate.offline_check(policy, metric, higher, stable, candidate)
        facts = {
            "model": model,
            "deployment": name,
            "candidate": candidate,
            "stable": stable,
            "alert_id": alert_id,
            "live": {"stable": _side(stable, metric, None), "candidate": _side(candidate, metric, None)},
        }
        if offline["passed"] is False and not force:
            self._record("refused", facts, [offline], policy, by=by, reason=reason or offline["detail"])
            raise UserError(
                f"The gate refuses v{candidate['version']} of {model!r}: {offline['detail']}.",
                "Train a better model, lower the policy's min_gain, or start it anyway with force (recorded).",
                status=409,
                code="gate_refused",
            )
        percent = policy["canary_percent"] if percent is None else percent
        self.deployments.start_rollout(
            name,
            candidate["run_id"],
            model=candidate["artifact"],
            version=f"v{candidate['version']}",
            mode=mode,
            percent=percent,
        )
        record = self.deployments.get(name)
        rollout = {
            **record["config"]["rollout"],
            "gate": {
                "model": model,
                "stable_version": stable["version"],
                "candidate_version": candidate["version"],
                "offline": offline,
                "alert_id": alert_id,
                "forced": force and offline["passed"] is False,
            },
        }
        self.deployments.store.update(name, config={**record["config"], "rollout": rollout})
        self.registry.set_alias(model, CHALLENGER, candidate["version"], reason=f"{mode} on {name}", by=by)
        forced = " (forced past the gate's refusal)" if rollout["gate"]["forced"] else ""
        started = f"{mode} {rollout['percent']:g} %" if mode == "canary" else mode
        self._record("started", facts, [offline], policy, by=by, reason=(reason or started) + forced)
        return self.state(name)

    def challenge(self, name: str, run_id: str, *, alert_id: int | None = None) -> dict:
        """Register the model of run `run_id` (e.g. a retraining run) as the next version of the model deployment
        `name` serves (unless it is one already) and start its canary through the gate, as `challenger` (a refusal
        is a 409, recorded)."""
        record = self.deployments.get(name)
        model = self._served(record, GATE)[0]
        known = [v for v in self.registry.versions_of_run(run_id) if v["model"] == model]
        version = known[0] if known else self.registry.register(run_id, record["model_name"], name=model, by=GATE)
        return self.start(
            name, version["version"], by=GATE, alert_id=alert_id, reason=f"retrained for alert {alert_id}"
        )

    def change(self, name: str, percent: float) -> dict:
        """Give the running canary of `name` another share of the traffic."""
        self.deployments.change_rollout(name, percent)
        return self.state(name)

    def promote(self, name: str, *, reason: str = "", by: str | None = None) -> dict:
        """The candidate takes all traffic and becomes `champion` (recorded with the live evidence)."""
        return self._decide(name, "promoted", reason=reason, by=by or os_user(), automatic=False)

    def rollback(self, name: str, *, reason: str = "", by: str | None = None) -> dict:
        """The candidate stops; the stable version keeps serving (recorded with the live evidence). With no rollout
        running, the deployment's last promotion is undone: the version it replaced serves again as `champion`."""
        by = by or os_user()
        if not self.deployments.get(name)["config"].get("rollout"):
            return self._undo_promotion(name, reason=reason, by=by)
        return self._decide(name, "rolled_back", reason=reason, by=by, automatic=False)

    def _undo_promotion(self, name: str, *, reason: str, by: str) -> dict:
        served = self.deployments.get(name)["config"].get("version") or {}
        promoted = next(
            (d for d in self.store.decisions(served.get("model", "")) if d["deployment"] == name),
            None,
        )
        if not promoted or promoted["action"] != "promoted" or promoted["candidate_version"] != served["version"]:
            raise UserError(
                f"Deployment {name!r} has no rollout running and no promotion to undo.",
                "Start a canary or shadow of another version first.",
                status=409,
                code="conflict",
            )
        model, previous = served["model"], self.registry.version(served["model"], promoted["stable_version"])
        self.deployments.start_rollout(
            name, previous["run_id"], model=previous["artifact"], version=f"v{previous['version']}", mode="canary",
            percent=100.0,
        )  # fmt: skip
        record = self.deployments.get(name)
        gate_facts = {
            "model": model,
            "stable_version": served["version"],
            "candidate_version": previous["version"],
            "offline": gate.offline_check(self.policy(model), None, True, None, previous),
            "alert_id": None,
            "forced": True,
        }
        rollout = {**record["config"]["rollout"], "gate": gate_facts}
        self.deployments.store.update(name, config={**record["config"], "rollout": rollout})
        why = reason or f"rolled back the promotion of v{served['version']}"
        outcome = self._decide(name, "promoted", reason=why, by=by, automatic=False, recorded_as="rolled_back")
        return outcome

    def evaluate(self, name: str, *, by: str | None = None) -> dict:
        """Ask the gate now: pass promotes, fail rolls back (by `by`, default the gate), waiting does nothing.
        `{decision, rollout}` (decision None while waiting)."""
        state = self.state(name)
        running_rollout(self.deployments.get(name))
        outcome = state["gate"]["verdict"]
        if outcome == "waiting":
            return {"decision": None, "rollout": state}
        action = "promoted" if outcome == "pass" else "rolled_back"
        return self._decide(name, action, reason=state["gate"]["summary"], by=by or GATE, automatic=by is None)

    def evaluate_all(self) -> list[dict]:
        """For the background loop: evaluate every rollout whose model's policy is `auto`; the decisions taken."""
        decided = []
        for record in self.deployments.store.list():
            rollout = record["config"].get("rollout")
            if not rollout or not self.policy(rollout["gate"]["model"])["auto"]:
                continue
            decision = self.evaluate(record["name"])["decision"]
            if decision:
                decided.append(decision)
        return decided

    # -- inside ------------------------------------------------------------------------------

    def _decide(
        self, name: str, action: str, *, reason: str, by: str, automatic: bool, recorded_as: str | None = None
    ) -> dict:
        """Promote or roll back the running candidate of `name` and record it (as `recorded_as`, default
        `action`), with the live evidence."""
        state = self.state(name)
        record = self.deployments.get(name)
        running_rollout(record)
        rollout = record["config"]["rollout"]["gate"]
        model = rollout["model"]
        stable = self.registry.version(model, rollout["stable_version"])
        candidate = self.registry.version(model, rollout["candidate_version"])
        facts = {
            "model": model,
            "deployment": name,
            "candidate": candidate,
            "stable": stable,
            "alert_id": rollout["alert_id"],
            "live": state,
        }
        if action == "promoted":  # the new model and what it is are stored in one write: no reader sees half
            run = self.deployments.local.runs.run(candidate["run_id"])
            served = {
                "version": {"model": model, "version": candidate["version"], "alias": CHAMPION},
                "run": run_summary(run, self.root),
            }
            if record["config"].get("reference"):  # the same-named data artifact of the new run
                picked = record["config"]["reference"]
                served["reference"] = reference_artifact(run, f"{picked['step']}/{picked['name']}")
            self.deployments.promote(name, served)
            self.registry.set_alias(model, CHAMPION, candidate["version"], reason=reason or "promoted", by=by)
        else:
            self.deployments.rollback(name)
        if self.registry.model(model)["aliases"].get(CHALLENGER) == candidate["version"]:
            self.registry.remove_alias(model, CHALLENGER, reason=action.replace("_", " "), by=by)
        if recorded_as == "rolled_back" and action == "promoted":  # an undone promotion: the promoted version is
            facts = {  # the one rolled back, the version it replaced the one that serves again
                **facts,
                "stable": candidate,
                "candidate": stable,
                "live": {"stable": state["candidate"], "candidate": state["stable"]},
            }
        decision = self._record(
            recorded_as or action,
            facts,
            state["gate"]["checks"],
            state["policy"],
            by=by,
            reason=reason,
            automatic=automatic,
        )
        return {"decision": decision, "rollout": self.state(name)}

    def _served(self, record: dict, by: str) -> tuple[str, dict]:
        """The registered model and version the deployment serves; a deployment of an unregistered run gets its
        model registered first (and recorded as serving it)."""
        served = record["config"].get("version")
        if served:
            return served["model"], self.registry.version(served["model"], served["version"])
        known = [v for v in self.registry.versions_of_run(record["run_id"]) if v["artifact"] == record["model_name"]]
        version = known[0] if known else self.registry.register(record["run_id"], record["model_name"], by=by)
        config = {
            **record["config"],
            "version": {"model": version["model"], "version": version["version"], "alias": None},
        }
        self.deployments.store.update(record["name"], config=config)
        return version["model"], version

    def _evaluate(self, name: str, policy: dict, rollout: dict, live: dict) -> dict:
        """The gate's verdict on the live numbers (and labels, when the policy asks for them); the offline check
        counts too unless the rollout was forced past it (it is still shown)."""
        offline = rollout["gate"]["offline"]
        checks = gate.live_checks(policy, live["stable"], live["candidate"])
        if policy["min_labels"] and self.outcomes is not None:
            since = times.epoch_seconds(rollout["started_at"]) or 0.0
            checks.append(gate.performance_check(policy, self.outcomes().rollout_performance(name, since)))
        judged = gate.verdict(checks if rollout["gate"]["forced"] else [offline, *checks])
        return {**judged, "checks": [offline, *checks]}

    def _declared(self, version: dict) -> list[str]:
        path = version.get("notebook_path")
        return declared_metrics(self.root / path) if path else []

    def _record(self, action: str, facts: dict, checks: list, policy: dict, *, by: str, reason: str, automatic=False):
        """Record a decision about `facts` (model, deployment, stable and candidate versions, their `live` sides,
        the alert) with the `checks` it was taken on."""
        stable, candidate = facts["stable"], facts["candidate"]
        return self.store.record(
            model=facts["model"],
            deployment=facts["deployment"],
            action=action,
            candidate_version=candidate["version"],
            stable_version=stable["version"] if stable else None,
            by=by,
            automatic=automatic,
            reason=reason,
            evidence={
                "checks": checks,
                "policy": policy,
                "stable": facts["live"]["stable"],
                "candidate": facts["live"]["candidate"],
            },
            run_id=candidate["run_id"],
            alert_id=facts.get("alert_id"),
        )


def _side(version: dict | None, metric: str | None, live: dict | None, run_id: str | None = None) -> dict:
    """One version as a rollout shows it: its number, run, metric and live numbers."""
    live = live or {}
    requests = live.get("requests", 0)
    value = version["metrics"].get(metric) if version and metric else None
    return {
        "version": version["version"] if version else None,
        "run_id": version["run_id"] if version else run_id,
        "metric": {"name": metric, "value": value if isinstance(value, int | float) else None} if metric else None,
        "requests": requests,
        "errors": live.get("errors", 0),
        "error_rate": live.get("errors", 0) / requests if requests else None,
        "p50_ms": live.get("p50_ms"),
        "p99_ms": live.get("p99_ms"),
    }
