"""The drift report the UI and the CLI show: policy, reference, pending rows, counts, window series, alerts and
one feature's distributions. Reading only, and as cheap with a long history as with a short one (counts kept by
the store, the newest windows and alerts through indexes): windows are checked by `checker.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UserError
from ..store.drift import DATA_DRIFT
from .reference_data import NoReference

if TYPE_CHECKING:
    from .checker import Fitted, WindowChecker

#: The most windows a report shows.
SHOWN_WINDOWS = 500
#: The newest alerts a report shows; `alerts_next_cursor` reads on through `GET alerts`.
SHOWN_ALERTS = 20


def drift_report(
    checker: WindowChecker, name: str, since: str | None = None, until: str | None = None, feature: str | None = None
) -> dict:
    """`GET .../drift`. A deployment without usable reference data reports why instead of windows. `latest` is
    the newest window of the model serving now (a redeploy starts afresh); until it has one, `previous` is the
    newest window of the model it replaced."""
    record = checker.records.get(name)
    policy = checker.policy(name)
    try:
        progress = checker.pending(name)
        fitted = checker.reference(record, policy)
        reference = {
            "available": True,
            "source": fitted.source,
            "n_rows": fitted.profile.n_rows,
            "features": [{"name": n, "kind": k} for n, k in zip(fitted.profile.feature_names, fitted.profile.kinds)],
        }
    except NoReference as err:
        progress, fitted = {"pending_rows": 0, "pending_undecodable": 0}, None
        reference = {"available": False, **err.to_json()}
    monitor = checker.monitor(name)
    stored = checker.store.windows(name, since, until, limit=SHOWN_WINDOWS)
    if feature is not None and fitted is not None and feature not in fitted.profile.feature_names:
        raise UserError(
            f"{name} has no feature {feature!r}.",
            f"Its features: {', '.join(fitted.profile.feature_names[:20])}.",
            status=404,
            code="not_found",
        )
    windows = [public_window(w, feature) for w in stored]
    current = [w for w in windows if w["last_at"] is not None and w["last_at"] >= record["created_at"]]
    alerts = checker.store.alert_page(name, kinds=DATA_DRIFT, limit=SHOWN_ALERTS)
    return {
        "deployment": name,
        "model": {"run_id": record["run_id"], "since": record["created_at"]},
        "policy": monitor["policy"],
        "reference": reference,
        "pending": {"rows": progress["pending_rows"]},
        "counts": {
            **checker.events.counts(name),
            **checker.store.counts(name),
            "undecodable": monitor["undecodable"] + progress["pending_undecodable"],
            "undecodable_reason": monitor["undecodable_reason"],
        },
        "windows": windows,
        "latest": current[-1] if current else None,
        "previous": windows[-1] if windows and not current else None,
        "alerts": alerts["alerts"],
        "alerts_next_cursor": alerts["next_cursor"],
        "feature": feature_view(fitted, feature, stored) if fitted is not None and feature else None,
    }


def public_window(window: dict, feature: str | None = None) -> dict:
    """A stored window as the API shows it: the result's evidence at the top level, no histograms."""
    result = window["result"]
    features = result.get("features", [])
    if feature is not None:
        features = [f for f in features if f["name"] == feature]
    return {
        **{
            k: window[k]
            for k in (
                "id",
                "trigger",
                "kind",
                "start",
                "end",
                "first_at",
                "last_at",
                "checked_at",
                "n",
                "status",
                "drift",
                "p_value",
                "alert_id",
            )
        },
        "score": result.get("score"),
        "features": features,
        "multivariate": result.get("multivariate"),
        "settings": result.get("settings", {}),
    }


def feature_view(fitted: Fitted, feature: str, windows: list[dict]) -> dict:
    """One feature's reference distribution next to the newest window's."""
    summary = next(f for f in fitted.summary["features"] if f["name"] == feature)
    if summary["kind"] == "numeric":
        reference = {
            "edges": summary.get("histogram", {}).get("edges", []),
            "counts": summary.get("histogram", {}).get("counts", []),
        }
    else:
        reference = {"categories": summary["categories"], "other": summary["other"]}
    latest = next((w for w in reversed(windows) if feature in w["histograms"]), None)
    current = None
    if latest is not None:
        current = {**latest["histograms"][feature], "window_id": latest["id"]}
        if "counts" in current:
            current["edges"] = reference["edges"]
    return {"name": feature, "kind": summary["kind"], "reference": reference, "current": current}
