"""A window's distribution of each feature on the reference's bins, so the two can be drawn side by side."""

from __future__ import annotations

from collections import Counter

import numpy as np

from .profile import NUMERIC, ReferenceProfile


def window_histograms(profile: ReferenceProfile, summary: dict, numeric: np.ndarray, categorical: list) -> dict:
    """Per feature name: numeric `{counts, below, above}` on the reference histogram's edges (values outside
    them counted apart), categorical `{categories, other}` over the reference's listed categories.

    `summary` is ``profile.to_dict()``; `numeric` and `categorical` a window as ``profile.split`` gives it.
    """
    out = {}
    columns, labels = iter(numeric.T), iter(categorical)
    for feature, kind in zip(summary["features"], profile.kinds):
        if kind == NUMERIC:
            values = next(columns)
            out[feature["name"]] = _numeric(values[~np.isnan(values)], feature.get("histogram"))
        else:
            out[feature["name"]] = _categorical(next(labels), feature["categories"])
    return out


def _numeric(values: np.ndarray, histogram: dict | None) -> dict:
    if histogram is None:  # the reference column had no values
        return {"counts": [], "below": 0, "above": int(values.size)}
    edges = np.asarray(histogram["edges"])
    inside = (values >= edges[0]) & (values <= edges[-1])
    counts, _ = np.histogram(values[inside], bins=edges)
    below, above = int((values < edges[0]).sum()), int((values > edges[-1]).sum())
    return {"counts": counts.tolist(), "below": below, "above": above}


def _categorical(labels: list, listed: dict) -> dict:
    counts = Counter(v for v in labels if v is not None)
    shown = {category: counts.get(category, 0) for category in listed}
    return {"categories": shown, "other": sum(counts.values()) - sum(shown.values())}
