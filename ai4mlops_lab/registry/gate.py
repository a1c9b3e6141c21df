"""The promotion gate's rules: its policy, and the checks a candidate version must pass against the stable one.

Offline, before any traffic: the candidate's metric (the policy's, else the versions' main metric) must beat the
stable version's by `min_gain` in the metric's direction. Live, over a canary or shadow: once the candidate has
seen `min_requests`, its error rate must stay under `max_error_rate` and its p99 latency under `max_p99_ratio`
times the stable version's; with `min_labels`, once both have that many labelled predictions, its realized metric
may be worse than the stable version's by `max_metric_drop` at most. Each check says what it compared in words;
the verdict is `fail` if any check failed, `waiting` while one is undecided, else `pass`. Nothing here touches a
server or the store.
"""

from __future__ import annotations

import math

from ..errors import FieldError
from ..runs.ranking import higher_is_better, main_metric


class GatePolicyError(FieldError):
    """A bad setting of a gate policy, named in `field`."""

    code = "bad_policy"


DEFAULT_POLICY = {
    "metric": None,
    "direction": None,
    "min_gain": 0.0,
    "max_error_rate": 0.01,
    "max_p99_ratio": 2.0,
    "min_requests": 100,
    "canary_percent": 20.0,
    "min_labels": 0,
    "max_metric_drop": 0.0,
    "auto": True,
}
DIRECTIONS = ("higher", "lower")
#: Each numeric setting's bounds: (lowest, highest, whether the lowest is allowed).
_BOUNDS = {
    "min_gain": (0.0, math.inf, True),
    "max_error_rate": (0.0, 1.0, True),
    "max_p99_ratio": (0.0, math.inf, False),
    "min_requests": (1, 10_000_000, True),
    "canary_percent": (0.0, 100.0, True),
    "min_labels": (0, 10_000_000, True),
    "max_metric_drop": (0.0, math.inf, True),
}


def changed_policy(policy: dict, change: dict) -> dict:
    """`policy` with the settings of `change`, each checked; a FieldError (422) names the first one at fault."""
    if not isinstance(change, dict):
        raise GatePolicyError("policy", "The policy change is not a JSON object.", 'Send e.g. {"min_gain": 0.01}.')
    new = dict(policy)
    for key, value in change.items():
        if key not in DEFAULT_POLICY:
            raise GatePolicyError(
                key, f"The gate has no setting {key!r}.", f"Use some of: {', '.join(DEFAULT_POLICY)}."
            )
        if key == "metric":
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise GatePolicyError(key, "The metric must name a metric the runs report.", 'Give e.g. "accuracy".')
        elif key == "direction":
            if value is not None and value not in DIRECTIONS:
                raise GatePolicyError(
                    key, f"The direction {value!r} is not 'higher' or 'lower'.", "Or null: from the name."
                )
        elif key == "auto":
            if not isinstance(value, bool):
                raise GatePolicyError(key, "'auto' must be true or false.", "")
        else:
            value = _number(key, value)
        new[key] = value
    return new


def _number(key: str, value: object) -> float | int:
    low, high, low_allowed = _BOUNDS[key]
    whole = key in ("min_requests", "min_labels")
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) or not math.isfinite(value):
        raise GatePolicyError(key, f"{key} must be {'a whole number' if whole else 'a number'} (got {value!r}).", "")
    if value < low or value > high or (value == low and not low_allowed):
        bound = f"more than {low:g}" if not low_allowed else f"at least {low:g}"
        upper = f" and at most {high:g}" if high != math.inf else ""
        raise GatePolicyError(key, f"{key} must be {bound}{upper} (got {value!r}).", "")
    return value


def metric_of(policy: dict, stable: dict, candidate: dict, declared: list[str]) -> tuple[str | None, bool]:
    """The metric the gate compares and whether higher is better: the policy's, else the first of the notebook's
    `declared` metrics both versions report, else the first the candidate reports."""
    metric = policy["metric"] or main_metric(declared, [candidate, stable])
    if metric is None:
        return None, True
    direction = policy["direction"]
    return metric, (direction == "higher") if direction else higher_is_better(metric)


def offline_check(policy: dict, metric: str | None, higher: bool, stable: dict | None, candidate: dict) -> dict:
    """Whether the candidate version's metric beats the stable version's by the policy's minimum gain."""
    min_gain = policy["min_gain"]
    if stable is None:
        return _check("offline_metric", True, None, None, min_gain, "no version is serving: nothing to beat")
    if metric is None:
        return _check("offline_metric", None, None, None, min_gain, "neither version reports a metric")
    new, old = _value(candidate, metric), _value(stable, metric)
    if new is None or old is None:
        missing = f"v{candidate['version']}" if new is None else f"v{stable['version']}"
        return _check("offline_metric", False, new, old, min_gain, f"{missing} reports no {metric}")
    gain = (new - old) if higher else (old - new)
    passed = gain > 0 and gain >= min_gain
    needed = f"at least {min_gain:g}" if min_gain else "more than 0"
    better = "higher" if higher else "lower"
    detail = f"{metric} {_fmt(new)} vs {_fmt(old)} ({better} is better): gain {gain:+.4g}, needs {needed}"
    return _check("offline_metric", passed, new, old, min_gain, detail)


def live_checks(policy: dict, stable: dict, candidate: dict) -> list[dict]:
    """The live checks of a candidate (`{requests, errors, p99_ms}` since the rollout started) against the stable
    version's numbers: too few requests leaves the others undecided."""
    seen, needed = candidate["requests"], policy["min_requests"]
    enough = seen >= needed
    checks = [_check("requests", True if enough else None, seen, None, needed, f"{seen} of {needed} requests seen")]
    rate = candidate["errors"] / seen if seen else None
    limit = policy["max_error_rate"]
    if rate is None or not enough:
        checks.append(_check("error_rate", None, rate, None, limit, "waiting for requests"))
    else:
        passed = rate <= limit
        detail = f"{candidate['errors']} failed of {seen} ({rate:.2%}), {'within' if passed else 'over'} {limit:.2%}"
        checks.append(_check("error_rate", passed, rate, _rate(stable), limit, detail))
    ratio = policy["max_p99_ratio"]
    new, old = candidate.get("p99_ms"), stable.get("p99_ms")
    if not enough:
        checks.append(_check("p99_latency", None, new, old, ratio, "waiting for requests"))
    elif new is None or old is None or old <= 0:
        checks.append(_check("p99_latency", None, new, old, ratio, "not measured on this target"))
    else:
        passed = new <= ratio * old
        detail = f"p99 {new:.1f} ms vs {old:.1f} ms: {new / old:.2f}x, {'within' if passed else 'over'} {ratio:g}x"
        checks.append(_check("p99_latency", passed, new, old, ratio, detail))
    return checks


def performance_check(policy: dict, live: dict) -> dict | None:
    """Whether the candidate's realized performance on labelled live predictions (`{metric, higher, stable:
    {labelled, value}, candidate: {...}}` since the rollout started) is no worse than the stable version's by more
    than `max_metric_drop`. None when the policy asks for no labels (`min_labels` 0)."""
    needed = policy["min_labels"]
    if not needed:
        return None
    metric, drop = live["metric"], policy["max_metric_drop"]
    new, old = live["candidate"], live["stable"]
    if min(new["labelled"], old["labelled"]) < needed or new["value"] is None or old["value"] is None:
        detail = f"waiting for labels: {new['labelled']} (candidate) and {old['labelled']} (stable) of {needed}"
        return _check("live_performance", None, new["value"], old["value"], drop, detail)
    loss = (old["value"] - new["value"]) if live["higher"] else (new["value"] - old["value"])
    passed = loss <= drop
    detail = (
        f"live {metric} {_fmt(new['value'])} vs {_fmt(old['value'])} on {new['labelled']} and {old['labelled']} "
        f"labels: {'within' if passed else 'worse than'} the allowed drop of {drop:g}"
    )
    return _check("live_performance", passed, new["value"], old["value"], drop, detail)


def verdict(checks: list[dict]) -> dict:
    """`{verdict, checks, summary}`: fail if any check failed, waiting while one is undecided (a check that
    cannot be measured on the target does not hold a verdict back once the requests are enough), else pass."""
    failed = [c for c in checks if c["passed"] is False]
    if failed:
        return {"verdict": "fail", "checks": checks, "summary": "; ".join(c["detail"] for c in failed)}
    waiting = [c for c in checks if c["passed"] is None and c["detail"] != "not measured on this target"]
    if waiting:
        return {"verdict": "waiting", "checks": checks, "summary": "; ".join(c["detail"] for c in waiting)}
    return {"verdict": "pass", "checks": checks, "summary": "every check passed"}


def _check(name: str, passed, candidate, stable, threshold, detail: str) -> dict:
    return {
        "name": name,
        "passed": passed,
        "candidate": candidate,
        "stable": stable,
        "threshold": threshold,
        "detail": detail,
    }


def _value(version: dict, metric: str) -> float | None:
    value = version["metrics"].get(metric)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _rate(side: dict) -> float | None:
    return side["errors"] / side["requests"] if side.get("requests") else None


def _fmt(value: float) -> str:
    return f"{value:.4g}"
