"""What one drift check of one window found, as plain JSON-ready records.

``DriftResult.to_dict()`` gives only JSON types (NaN and infinities become
None): the drift history stores it as it is, with the settings that produced it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

OK = "ok"
INSUFFICIENT = "insufficient_data"


def _clean(value):
    """Recursively turn numpy scalars into Python ones and non-finite floats into None."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class FeatureResult:
    """One feature's test: KS (numeric) or chi-squared (categorical), with PSI as effect size."""

    name: str
    kind: str  # "numeric" | "categorical"
    test: str  # "ks" | "chi2"
    n: int  # values tested (missing ones dropped)
    n_missing: int
    statistic: float | None = None
    p_value: float | None = None
    adjusted_p_value: float | None = None
    effect_size: float | None = None  # PSI against the reference
    drift: bool = False
    n_unseen: int = 0  # window values of categories absent from the reference
    status: str = OK


@dataclass
class MultivariateResult:
    """The joint (MMD permutation) test over the numeric features."""

    method: str
    statistic: float | None
    p_value: float | None
    n: int  # window rows used (after dropping rows with a missing value, and the cap)
    n_reference: int
    drift: bool = False
    status: str = OK


@dataclass
class DriftResult:
    """One window's verdict, its evidence and the settings that produced it."""

    window: dict  # bounds, e.g. {"kind": "count", "start": 0, "end": 500}
    n: int
    drift: bool
    p_value: float | None  # family-wise p-value of the overall verdict (drift iff < alpha)
    features: list[FeatureResult] = field(default_factory=list)
    multivariate: MultivariateResult | None = None
    settings: dict = field(default_factory=dict)
    status: str = OK

    @property
    def score(self) -> float | None:
        """1 - p_value: larger means stronger evidence of drift."""
        return None if self.p_value is None else 1.0 - self.p_value

    def to_dict(self) -> dict:
        out = asdict(self)
        out["score"] = self.score
        return _clean(out)
