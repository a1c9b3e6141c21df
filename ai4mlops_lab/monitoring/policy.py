"""A deployment's drift policy: how its requests are cut into windows, tested, and when that raises an alert."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import FieldError

WINDOW_KINDS = ("count", "time")
METHODS = ("features", "mmd", "both")
CORRECTIONS = ("bonferroni", "bh")
#: Above this many features the default test is MMD on a random projection rather than one test per feature.
WIDE = 100


@dataclass(frozen=True)
class Policy:
    """Windows of `window_size` requests' rows (or of `window_seconds`), tested at `alpha`; `consecutive`
    drifted windows in a row raise an alert, which retrains (and redeploys) by itself if `auto_retrain`."""

    window: str = "count"
    window_size: int = 500
    window_seconds: int = 3600
    method: str = "features"
    alpha: float = 0.05
    correction: str = "bonferroni"
    consecutive: int = 2
    auto_retrain: bool = False
    redeploy: bool = True

    @classmethod
    def default_for(cls, n_features: int) -> Policy:
        """The default policy for a model with `n_features` inputs (wide inputs get the MMD test)."""
        return cls(method="mmd" if n_features > WIDE else "features")

    def to_dict(self) -> dict:
        return asdict(self)

    def updated(self, changes: dict) -> Policy:
        """This policy with `changes` applied; a UserError (422) names the first bad field."""
        values = check_known(self, changes)
        check_choice(values, "window", WINDOW_KINDS)
        check_choice(values, "method", METHODS)
        check_choice(values, "correction", CORRECTIONS)
        check_int(values, "window_size", 10, 1_000_000)
        check_int(values, "window_seconds", 60, 30 * 86400)
        check_int(values, "consecutive", 1, 100)
        alpha = values["alpha"]
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 0.5:
            raise PolicyError("alpha", f"is {alpha!r}", "Use a significance level between 0 and 0.5, e.g. 0.05.")
        check_flags(values, ("auto_retrain", "redeploy"))
        return Policy(**{**values, "alpha": float(alpha)})


class PolicyError(FieldError):
    """A bad policy setting; the error body names it in `field` (forms show the error there)."""

    code = "bad_policy"
    #: The policy's name in messages.
    policy = "drift policy"

    def __init__(self, field: str, problem: str, hint: str):
        super().__init__(field, f"The {self.policy}'s '{field}' {problem}.", hint)


def check_choice(values: dict, field: str, choices: tuple, error: type[PolicyError] = PolicyError) -> None:
    if values[field] not in choices:
        raise error(field, f"is {values[field]!r}", f"Use one of: {', '.join(choices)}.")


def check_int(values: dict, field: str, low: int, high: int, error: type[PolicyError] = PolicyError) -> None:
    value = values[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise error(field, f"is {value!r}", f"Use a whole number from {low} to {high}.")


def check_flags(values: dict, flags: tuple, error: type[PolicyError] = PolicyError) -> None:
    for flag in flags:
        if not isinstance(values[flag], bool):
            raise error(flag, f"is {values[flag]!r}", "Use true or false.")


def check_known(policy, changes: dict, error: type[PolicyError] = PolicyError) -> dict:
    """`policy`'s settings (a dataclass) with `changes` applied, unchecked; an error names an unknown setting."""
    known = [f.name for f in fields(policy)]
    unknown = set(changes) - set(known)
    if unknown:
        raise error(sorted(unknown)[0], "is not a policy setting", f"Settings: {', '.join(known)}.")
    return {**asdict(policy), **changes}
