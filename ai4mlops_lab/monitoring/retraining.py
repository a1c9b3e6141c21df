"""The alert workflow: retrain the alerting deployment's model through the run service, follow the run and, when it
succeeds, hand the new model to the promotion gate, or dismiss the alert. The gate registers it as the next version
of the model the deployment serves (registering the served run's model first if it never was) and starts its
canary as `challenger`; a model that is not better is refused and the alert reopens with the gate's reason."""

from __future__ import annotations

from ..errors import NotFoundError, UserError
from ..records import AlertRecord
from ..states import RUN_ACTIVE, AlertStatus, RunStatus
from ..store import pages, times
from ..store.deployments import DeploymentStore
from ..store.drift import DriftStore
from .outcome_policy import OutcomePolicy
from .policy import Policy


class Retraining:
    """Alerts of drift and what comes of them. `runs` (a RunService), `deployments` (the Deployments service) and
    `rollouts` (gives the `RolloutService`, built when first needed) are needed to retrain and hand over."""

    def __init__(self, store: DriftStore, records: DeploymentStore, *, runs=None, deployments=None, rollouts=None):
        self.store, self.records = store, records
        self.runs, self.deployments, self.rollouts = runs, deployments, rollouts

    def alerts(
        self,
        deployment: str | None = None,
        status: str | None = None,
        kinds: tuple[str, ...] | None = None,
        *,
        limit: int | str | None = None,
        cursor: str | None = None,
    ) -> dict:
        """`{alerts, next_cursor}`: a page of alerts, newest first (`limit`: see `pages.limit`)."""
        return self.store.alert_page(deployment, status, kinds, limit=pages.limit(limit), cursor=cursor)

    def retrain(self, alert_id: int, parameters: dict | None = None, redeploy: bool = True) -> AlertRecord:
        """Start a new run of the notebook that trained the alerting deployment's model (its parameters,
        updated with `parameters`); when it succeeds the deployment is redeployed with it if `redeploy`."""
        if self.runs is None:
            raise UserError("Retraining needs the run service.", "Retrain from JupyterLab or the CLI.")
        if parameters is not None and not isinstance(parameters, dict):
            raise UserError("'parameters' must be an object of NAME: value.", 'Send e.g. {"epochs": 5}.')
        alert = self.store.update_alert(
            alert_id, expect=(AlertStatus.OPEN,), status=AlertStatus.RETRAINING, error=None, redeploy=bool(redeploy)
        )
        try:
            record = self.records.get(alert["deployment"])
            if not record["run_id"]:
                raise UserError(
                    f"The run that trained {record['name']} is no longer recorded.",
                    "Run its notebook again and deploy the new model.",
                )
            new = self.runs.rerun(record["run_id"], parameters)
        except UserError as err:
            self.store.update_alert(alert_id, status=AlertStatus.OPEN, error=err.message)
            raise
        return self.store.update_alert(
            alert_id, status=AlertStatus.RETRAINING, retrain_run_id=new["id"], retrain_parameters=new["parameters"]
        )

    def retrain_automatically(self, alert_id: int, policy: Policy | OutcomePolicy) -> None:
        """Retrain from a new alert when its policy says so; a failure to start stays on the alert."""
        if not policy.auto_retrain or self.runs is None:
            return
        try:
            self.retrain(alert_id, redeploy=policy.redeploy)
        except UserError as err:
            self.store.update_alert(alert_id, error=f"automatic retraining did not start: {err.message}")

    def dismiss(self, alert_id: int) -> AlertRecord:
        """Close an open alert without retraining; the next alert needs a new streak of drifted windows (data
        drift), or a later window past its alert level or a new detection (outcomes)."""
        alert = self.store.update_alert(alert_id, expect=(AlertStatus.OPEN,), status=AlertStatus.DISMISSED)
        self._reset(alert)
        return alert

    def _reset(self, alert: AlertRecord) -> None:
        if alert["kind"] == "data_drift":
            self.store.reset_streak(alert["deployment"])

    def follow(self) -> None:
        """Resolve alerts whose retraining run finished: redeploy on success, reopen with the reason otherwise."""
        for alert in self.store.alerts(status=AlertStatus.RETRAINING):
            if alert["retrain_run_id"] is None:  # its run is being started
                continue
            try:
                run = self.runs.run(alert["retrain_run_id"])
            except NotFoundError:
                self.store.update_alert(
                    alert["id"],
                    status=AlertStatus.OPEN,
                    error=f"The retraining run {alert['retrain_run_id']} was deleted.",
                )
                continue
            if run["status"] in RUN_ACTIVE:
                continue
            if run["status"] != RunStatus.SUCCEEDED:
                self.store.update_alert(
                    alert["id"], status=AlertStatus.OPEN, error=f"The retraining run {run['id']} {run['status']}."
                )
                continue
            try:
                if alert["redeploy"]:
                    self._hand_over(alert, run)
                self.store.update_alert(
                    alert["id"], status=AlertStatus.RESOLVED, redeployed_at=times.now() if alert["redeploy"] else None
                )
                self._reset(alert)
            except UserError as err:
                self.store.update_alert(
                    alert["id"], status=AlertStatus.OPEN, error=f"The new model was not deployed: {err.message}"
                )

    def _hand_over(self, alert: AlertRecord, run: dict) -> None:
        """Give the retraining run's model to the gate."""
        self.rollouts().challenge(alert["deployment"], run["id"], alert_id=alert["id"])
