"""A deployment's performance policy: how predictions are keyed and read, windowed, estimated and judged."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .concept_drift import BINARY_METHODS, METHODS
from .policy import PolicyError, check_choice, check_flags, check_int, check_known

TASKS = ("auto", "classification", "regression")
#: Where a prediction's key (what its label is sent with) comes from: the V2 body's `id` when there is one, else
#: the logger's `Ce-Id` (the client's `X-Request-Id`, or a new one the answer carries); one of them; or a field.
ID_SOURCES = ("auto", "ce_id", "v2_id", "field")
DETECTORS = ("auto", *METHODS, "none")
CLASSIFICATION_METRICS = ("accuracy", "f1_macro", "roc_auc", "log_loss")
REGRESSION_METRICS = ("mae", "rmse", "r2")


class OutcomePolicyError(PolicyError):
    policy = "performance policy"


@dataclass(frozen=True)
class OutcomePolicy:
    """Predictions keyed by `id_source` (`id_field` names the field), read as a `task`; windows of `window_size`
    served predictions; a window's realized `metric` counts once it has `min_labels` labels. An alert is raised
    when the metric (realized, or estimated before labels when `estimate`) crosses `threshold` (default: the
    model's validation value worse by `max_drop`), or when the concept-drift `detector` finds a change."""

    task: str = "auto"
    id_source: str = "auto"
    id_field: str | None = None
    classes: list[str] | None = None
    window_size: int = 500
    min_labels: int = 30
    metric: str | None = None
    threshold: float | None = None
    max_drop: float = 0.05
    estimate: bool = True
    calibration_size: int = 500
    detector: str = "auto"
    auto_retrain: bool = False
    redeploy: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    def updated(self, changes: dict) -> OutcomePolicy:
        """This policy with `changes` applied; a FieldError (422) names the first bad setting."""
        error = OutcomePolicyError
        values = check_known(self, changes, error)
        check_choice(values, "task", TASKS, error)
        check_choice(values, "id_source", ID_SOURCES, error)
        check_choice(values, "detector", DETECTORS, error)
        check_int(values, "window_size", 10, 1_000_000, error)
        check_int(values, "min_labels", 1, 1_000_000, error)
        check_int(values, "calibration_size", 20, 1_000_000, error)
        check_flags(values, ("estimate", "auto_retrain", "redeploy"), error)
        if values["id_source"] == "field" and not (isinstance(values["id_field"], str) and values["id_field"]):
            raise error("id_field", "is not set", "Name the request field that carries each row's id.")
        classes = values["classes"]
        if classes is not None and (
            not isinstance(classes, list) or len(classes) < 2 or not all(isinstance(c, str) and c for c in classes)
        ):
            raise error("classes", f"is {classes!r}", 'Give the class names in the model\'s order, e.g. ["no", "yes"].')
        if values["metric"] is not None and values["metric"] not in CLASSIFICATION_METRICS + REGRESSION_METRICS:
            raise error(
                "metric",
                f"is {values['metric']!r}",
                f"Use one of: {', '.join(CLASSIFICATION_METRICS + REGRESSION_METRICS)}.",
            )
        for name, low in (("threshold", -math.inf), ("max_drop", 0.0)):
            value = values[name]
            if value is None and name == "threshold":
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < low
            ):
                raise error(name, f"is {value!r}", "Use a number" + (" of 0 or more." if low == 0 else "."))
            values[name] = float(value)
        return OutcomePolicy(**values)

    def task_for(self, outputs: int | None) -> str:
        """The task: the policy's, else a classifier when the model gives more than one output per row."""
        if self.task != "auto":
            return self.task
        return "classification" if (outputs or 1) > 1 or self.classes else "regression"

    def metric_for(self, task: str) -> str:
        return self.metric or ("accuracy" if task == "classification" else "mae")

    def detector_for(self, task: str) -> str:
        """The concept-drift detector: ADWIN unless the policy names one (it had no false alarm and the shortest
        delays among the four on the streams of `bench/outcomes.py`)."""
        return "adwin" if self.detector == "auto" else self.detector

    def checked_for(self, task: str) -> None:
        """Refuse settings that do not fit the task (a regression metric for a classifier, DDM on values)."""
        metrics = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
        if self.metric is not None and self.metric not in metrics:
            raise OutcomePolicyError(
                "metric", f"is {self.metric!r} for a {task} model", f"Use one of: {', '.join(metrics)}."
            )
        if task == "regression" and self.detector in BINARY_METHODS:
            raise OutcomePolicyError(
                "detector", f"is {self.detector!r}, which reads right/wrong answers", "Use adwin or page_hinkley."
            )
