"""Drift monitoring of deployments: the one place the REST handlers, the server's background loop and the CLI
go through. Windows are checked in `checker.py`, the report is built in `report.py`, alerts are retrained or
dismissed in `retraining.py`.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..records import AlertRecord
from ..store.deployments import DeploymentStore
from ..store.drift import DriftStore
from ..store.events import EventStore
from .checker import WindowChecker
from .policy import Policy
from .report import drift_report
from .retraining import Retraining


class DriftMonitor:
    """Checks deployments' logged requests for drift. `runs` (a RunService) and `deployments` (the
    Deployments service) are needed to retrain and redeploy from alerts; `on_policy(name)` is called after a
    deployment's policy changed (its monitoring job on the cluster is told)."""

    def __init__(
        self, store_path: Path, workspace: Path, *, runs=None, deployments=None, rollouts=None, on_policy=None
    ):
        # the run store of the same file runs the integrity check when it opens it; no need to repeat it
        self.store = DriftStore(store_path, check=False)
        self.events = EventStore(store_path, check=False)
        self.records = DeploymentStore(store_path, check=False)
        self.workspace = Path(workspace)
        self.runs, self.deployments, self.on_policy = runs, deployments, on_policy
        self.retraining = Retraining(self.store, self.records, runs=runs, deployments=deployments, rollouts=rollouts)
        self.checker = WindowChecker(
            self.store, self.events, self.records, self.workspace, on_alert=self.retraining.retrain_automatically
        )

    # -- policy and reference ---------------------------------------------------------------

    def policy(self, name: str) -> Policy:
        return self.checker.policy(name)

    def set_policy(self, name: str, changes: dict) -> dict:
        """Change some policy settings (the rest stay); applies to windows checked from now on."""
        policy = self.checker.set_policy(name, changes)
        if self.on_policy is not None:
            self.on_policy(name)
        return policy

    def reference_summary(self, name: str) -> dict:
        """`GET .../drift/reference`: where the reference comes from and its per-feature summary."""
        return self.checker.reference_summary(name)

    # -- checking ---------------------------------------------------------------------------

    def process(self, name: str) -> dict:
        """Check every window completed since the last call; `{added, pending_rows, pending_undecodable}`."""
        return self.checker.process(name)

    def check(self, name: str) -> dict:
        """`POST .../drift/check`: test the most recent rows now, stored as a `check` window (no alert)."""
        return self.checker.check(name)

    def catch_up(self) -> None:
        """Check every deployment's pending windows."""
        for record in self.records.list():
            try:
                self.checker.process(record["name"])
            except UserError:  # no reference, removed meanwhile, ...: the report says why
                continue

    def tick(self) -> None:
        """One round of the server's background loop: check every deployment, follow retraining runs."""
        self.catch_up()
        if self.runs is not None and self.deployments is not None:
            self.retraining.follow()

    # -- reading ----------------------------------------------------------------------------

    def report(self, name: str, since: str | None = None, until: str | None = None, feature: str | None = None) -> dict:
        """`GET .../drift`: the report of the windows checked so far (it checks none: see `catch_up`)."""
        return drift_report(self.checker, name, since, until, feature)

    def alerts(
        self,
        deployment: str | None = None,
        status: str | None = None,
        kinds: tuple[str, ...] | None = None,
        *,
        limit: int | str | None = None,
        cursor: str | None = None,
    ) -> dict:
        """`GET alerts`: `{alerts, next_cursor}`, a page of alerts of every kind (or `kinds`), newest first."""
        return self.retraining.alerts(deployment, status, kinds, limit=limit, cursor=cursor)

    # -- alerts -----------------------------------------------------------------------------

    def retrain(self, alert_id: int, parameters: dict | None = None, redeploy: bool = True) -> AlertRecord:
        """Retrain the alerting deployment's model; redeploy it when the run succeeds if `redeploy`."""
        return self.retraining.retrain(alert_id, parameters, redeploy)

    def dismiss(self, alert_id: int) -> AlertRecord:
        """Close an open alert without retraining."""
        return self.retraining.dismiss(alert_id)

    def follow_retraining(self) -> None:
        """Resolve alerts whose retraining run finished: redeploy on success, reopen with the reason otherwise."""
        self.retraining.follow()
