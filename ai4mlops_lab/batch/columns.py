"""The prediction columns appended to each row: a classifier's class and class probabilities, else the value(s).

A model's answer is read the way outcome monitoring reads the online server's (`monitoring.performance.
probabilities`): more than one output per row is a classifier (task `auto`), its scores kept when they are
probabilities and put through softmax (or the sigmoid) when they are logits.
"""

from __future__ import annotations

import numpy as np

from ..errors import UserError
from ..monitoring.performance import probabilities

#: How the model's outputs are read.
TASKS = ("auto", "classification", "regression")


def check_task(task: str) -> str:
    if task not in TASKS:
        raise UserError(f"Unknown task {task!r}.", f"Use one of: {', '.join(TASKS)}.")
    return task


def prediction_columns(outputs: np.ndarray, task: str = "auto") -> tuple[list[str], np.ndarray]:
    """The names and the (rows x columns) table of the prediction columns of a model's `outputs` for some rows.

    Classification: `class` (the likeliest class's index) and `probability_0`, `probability_1`, ...; regression:
    `prediction` (one value per row) or `prediction_0`, `prediction_1`, ... A model answering non-numbers (an
    sklearn classifier's string labels) gives them as `prediction`.
    """
    outputs = np.asarray(outputs)
    if outputs.dtype.kind not in "biuf":
        return ["prediction"], outputs.reshape(len(outputs), -1)[:, :1]
    table = outputs.reshape(len(outputs), -1)
    width = table.shape[1]
    if task == "classification" or (task == "auto" and width > 1):
        probs = probabilities(table)
        names = ["class"] + [f"probability_{j}" for j in range(probs.shape[1])]
        return names, np.column_stack([probs.argmax(axis=1), probs])
    if width == 1:
        return ["prediction"], table
    return [f"prediction_{j}" for j in range(width)], table
