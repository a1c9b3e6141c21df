"""Concept-drift detectors on the stream of per-prediction errors: DDM, EDDM, ADWIN and Page-Hinkley.

Each detector is incremental (one value at a time, or a batch) and its whole state is a JSON-able dict, so a
restarted server carries on where the stream stopped. `update_many` returns the positions in a batch where the
detector saw a `warning` or a `drift`; after a drift it starts afresh on the values that follow (ADWIN keeps the
part of its window after the cut). Only a rise in errors is a drift: a model that gets better is no alarm.

Values are 0/1 (wrong answers of a classifier) for every method; ADWIN and Page-Hinkley also read a regressor's
absolute errors, which a `scaled` detector divides by the mean of its first values so that one setting fits any
unit. Defaults are those of the papers (and of frouros, the benchmark anchor).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: Detectors that read a stream of 0/1 errors (classifiers only).
BINARY_METHODS = ("ddm", "eddm")
METHODS = BINARY_METHODS + ("adwin", "page_hinkley")
TITLES = {"ddm": "DDM", "eddm": "EDDM", "adwin": "ADWIN", "page_hinkley": "Page-Hinkley"}
#: A scaled detector learns the errors' scale from this many first values.
SCALE_SPAN = 30


class Detector:
    """A detector's settings (fixed) and statistics (its state); subclasses define `step` and `fresh`."""

    method = ""

    def __init__(self, settings: dict | None = None, stats: dict | None = None):
        self.settings = {**self.defaults(), **(settings or {})}
        self.stats = stats if stats is not None else self.fresh()

    @staticmethod
    def defaults() -> dict:
        raise NotImplementedError

    def fresh(self) -> dict:
        raise NotImplementedError

    def step(self, value: float) -> str | None:
        """Read one value: "warning", "drift" or None."""
        raise NotImplementedError

    def update_many(self, values) -> list[tuple[int, str]]:
        """Read values in order; the (position, kind) of each warning and drift among them."""
        found = []
        for index, value in enumerate(np.asarray(values, dtype=float).tolist()):
            kind = self.step(value)
            if kind is not None:
                found.append((index, kind))
        return found

    def state(self) -> dict:
        return {"method": self.method, "settings": self.settings, "stats": self.stats}


class DDM(Detector):
    """Drift Detection Method (Gama et al. 2004): the error rate p and its deviation s = sqrt(p(1-p)/n) against
    their lowest sum so far; a warning past `warning_level` deviations, a drift past `drift_level`. The lowest
    point only counts once an error was seen (an error-free start would make the first error a drift)."""

    method = "ddm"

    @staticmethod
    def defaults() -> dict:
        return {"warning_level": 2.0, "drift_level": 3.0, "min_instances": 30}

    def fresh(self) -> dict:
        return {"n": 0, "errors": 0.0, "min_p": None, "min_s": None}

    def step(self, value: float) -> str | None:
        st = self.stats
        st["n"] += 1
        st["errors"] += value
        if st["n"] < self.settings["min_instances"]:
            return None
        p = st["errors"] / st["n"]
        s = math.sqrt(p * (1 - p) / st["n"])
        if s > 0 and (st["min_p"] is None or p + s < st["min_p"] + st["min_s"]):
            st["min_p"], st["min_s"] = p, s
        if st["min_p"] is None:
            return None
        if p + s > st["min_p"] + self.settings["drift_level"] * st["min_s"]:
            self.stats = self.fresh()
            return "drift"
        if p + s > st["min_p"] + self.settings["warning_level"] * st["min_s"]:
            return "warning"
        return None


class EDDM(Detector):
    """Early Drift Detection Method (Baena-García et al. 2006): the distance between consecutive errors, its mean
    plus `level` deviations against the largest such value so far; a warning below `alpha` of it, a drift below
    `beta`. Judged once `min_errors` errors were seen."""

    method = "eddm"

    @staticmethod
    def defaults() -> dict:
        return {"alpha": 0.95, "beta": 0.9, "level": 2.0, "min_errors": 30}

    def fresh(self) -> dict:
        return {"n": 0, "errors": 0, "last_error": 0, "mean": 0.0, "m2": 0.0, "max": 0.0}

    def step(self, value: float) -> str | None:
        st = self.stats
        st["n"] += 1
        if value < 0.5:
            return None
        st["errors"] += 1
        distance = st["n"] - st["last_error"]
        st["last_error"] = st["n"]
        delta = distance - st["mean"]
        st["mean"] += delta / st["errors"]
        st["m2"] += delta * (distance - st["mean"])
        if st["errors"] < self.settings["min_errors"]:
            return None
        score = st["mean"] + self.settings["level"] * math.sqrt(st["m2"] / st["errors"])
        if score > st["max"]:
            st["max"] = score
            return None
        ratio = score / st["max"]
        if ratio < self.settings["beta"]:
            self.stats = self.fresh()
            return "drift"
        return "warning" if ratio < self.settings["alpha"] else None


class PageHinkley(Detector):
    """Page-Hinkley test (Page 1954): the cumulative excess of values over their running mean (less a tolerated
    `delta`, older terms faded by `alpha`) against its minimum; a drift once it exceeds `threshold`."""

    method = "page_hinkley"

    @staticmethod
    def defaults() -> dict:
        return {"delta": 0.005, "threshold": 50.0, "alpha": 0.9999, "min_instances": 30}

    def fresh(self) -> dict:
        return {"n": 0, "mean": 0.0, "sum": 0.0, "min_sum": 0.0}

    def step(self, value: float) -> str | None:
        st, cfg = self.stats, self.settings
        st["n"] += 1
        st["mean"] += (value - st["mean"]) / st["n"]
        st["sum"] = cfg["alpha"] * st["sum"] + (value - st["mean"] - cfg["delta"])
        st["min_sum"] = min(st["min_sum"], st["sum"])
        if st["n"] >= cfg["min_instances"] and st["sum"] - st["min_sum"] > cfg["threshold"]:
            self.stats = self.fresh()
            return "drift"
        return None


class ADWIN(Detector):
    """Adaptive windowing (Bifet and Gavaldà 2007): a window of recent values is cut wherever its older and newer
    parts (each of `min_window` values or more) differ in mean by more than the variance-based bound at
    confidence `delta`; the older part is dropped. A cut where errors rose is a drift; one where they fell only
    adapts the window. Every cut point is tested exactly (not through buckets), every `clock` values; the window
    keeps at most `max_window` values."""

    method = "adwin"

    @staticmethod
    def defaults() -> dict:
        return {"delta": 0.002, "min_window": 5, "min_instances": 10, "max_window": 5000, "clock": 4}

    def fresh(self) -> dict:
        return {"window": [], "n": 0}

    def update_many(self, values) -> list[tuple[int, str]]:
        window = np.asarray(self.stats["window"], dtype=float)
        found = []
        for index, value in enumerate(np.asarray(values, dtype=float)):
            window = np.append(window[-self.settings["max_window"] + 1 :], value)
            self.stats["n"] += 1
            if len(window) < self.settings["min_instances"] or self.stats["n"] % self.settings["clock"]:
                continue
            rose = False
            while (cut := self._cut(window)) is not None:
                at, newer_higher = cut
                rose = rose or newer_higher
                window = window[at:]
            if rose:
                found.append((index, "drift"))
        self.stats["window"] = window.tolist()
        return found

    def step(self, value: float) -> str | None:
        return "drift" if self.update_many([value]) else None

    def _cut(self, values: np.ndarray) -> tuple[int, bool] | None:
        """The oldest cut point where the window's two parts differ (and whether the newer part is higher)."""
        n, least = len(values), self.settings["min_window"]
        if n < 2 * least:
            return None
        sums = np.cumsum(values)
        n0 = np.arange(least, n - least + 1)
        n1 = n - n0
        mean0 = sums[n0 - 1] / n0
        mean1 = (sums[-1] - sums[n0 - 1]) / n1
        inverse = 1.0 / n0 + 1.0 / n1
        confidence = math.log(2.0 * math.log(n) / self.settings["delta"])
        bound = np.sqrt(2.0 * inverse * values.var() * confidence) + 2.0 / 3.0 * confidence * inverse
        differ = np.flatnonzero(np.abs(mean0 - mean1) > bound)
        if not len(differ):
            return None
        at = differ[0]
        return int(n0[at]), bool(mean1[at] > mean0[at])


_CLASSES = {cls.method: cls for cls in (DDM, EDDM, ADWIN, PageHinkley)}


@dataclass
class Scaled:
    """A detector fed values divided by the mean of the first `SCALE_SPAN` (for errors in a model's own units)."""

    inner: Detector
    scale: float | None = None
    warmup: list[float] = field(default_factory=list)

    def update_many(self, values) -> list[tuple[int, str]]:
        values = np.asarray(values, dtype=float)
        if self.scale is not None:
            return self.inner.update_many(values / self.scale)
        held = len(self.warmup)
        self.warmup.extend(values.tolist())
        if len(self.warmup) < SCALE_SPAN:
            return []
        self.scale = float(np.mean(self.warmup[:SCALE_SPAN])) or 1.0
        values, self.warmup = np.asarray(self.warmup), []
        return [(max(0, i - held), kind) for i, kind in self.inner.update_many(values / self.scale)]

    def state(self) -> dict:
        return {**self.inner.state(), "scale": self.scale, "warmup": self.warmup}


def make_detector(method: str, settings: dict | None = None, *, scaled: bool = False) -> Detector | Scaled:
    """A fresh detector; `scaled` for values in a model's units (absolute errors of a regressor)."""
    if method not in _CLASSES:
        raise ValueError(f"unknown concept-drift detector {method!r}; use one of {', '.join(METHODS)}")
    if scaled and method in BINARY_METHODS:
        raise ValueError(f"{method} reads 0/1 errors; a scaled detector is one of adwin, page_hinkley")
    detector = _CLASSES[method](settings)
    return Scaled(detector) if scaled else detector


def detector_from_state(state: dict) -> Detector | Scaled:
    """The detector that `state()` described, ready to read on."""
    inner = _CLASSES[state["method"]](state["settings"], state["stats"])
    if "scale" in state:
        return Scaled(inner, state["scale"], list(state["warmup"]))
    return inner
