"""Rows from a .npy or .csv file, replayed as prediction requests against a deployment (demos, tests and
`ai4mlops drift --send`)."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import UserError


def load_rows(path: Path, features: list[str] | None = None) -> np.ndarray:
    """The rows of a .npy array or a .csv table (header optional; columns named like the model's
    `features` are put in the model's order)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"No file {path}.", "Give a .npy or .csv file of feature rows.")
    if path.suffix == ".npy":
        try:
            data = np.load(path, allow_pickle=False)
        except ValueError as err:
            raise UserError(f"{path} is not a numeric .npy array: {err}.", "Save it with numpy.save.") from None
        return data.reshape(len(data), -1) if data.ndim != 2 else data
    if path.suffix != ".csv":
        raise UserError(f"Cannot read rows from {path.name}.", "Use a .npy or .csv file.")
    with path.open(newline="") as stream:
        table = [row for row in csv.reader(stream) if row]
    if not table:
        raise UserError(f"{path} has no rows.", "Give a file with at least one row of features.")
    header = None if all(is_number(v) for v in table[0]) else table.pop(0)
    if header and features and set(features) <= set(header):
        table = [[row[header.index(name)] for name in features] for row in table]
    try:
        return np.array(table, dtype=np.float64)
    except ValueError:
        raise UserError(
            f"{path} has rows of different lengths or non-numeric values.",
            "Each row must hold the model's numeric features.",
        ) from None


def requests(rows: np.ndarray, batch: int, protocol: str = "v1", tensor: dict | None = None) -> Iterator[dict]:
    """V1 (`instances`) or V2 (`inputs`) request payloads of `batch` rows each; `tensor` is the model's input
    signature (`{name, dtype}`), whose dtype V2 requests must declare."""
    from ..serving.signature import V2_TYPES

    tensor = tensor or {"name": "input-0", "dtype": "float32"}
    rows = rows.astype(tensor["dtype"])
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        if protocol == "v1":
            yield {"instances": part.tolist()}
        else:
            yield {
                "inputs": [
                    {
                        "name": tensor["name"],
                        "shape": list(part.shape),
                        "datatype": V2_TYPES[tensor["dtype"]],
                        "data": part.ravel().tolist(),
                    }
                ]
            }


def is_number(text: str) -> bool:
    """Whether `text` reads as a number (as `float` reads it)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def replay(deployments, name: str, path: Path, batch: int, protocol: str = "v1") -> tuple[int, int]:
    """Send the rows of a .npy or .csv file to deployment `name` (of the `deployments` service) as prediction
    requests of `batch` rows each; `(rows, requests)` sent."""
    from ..serving.artifacts import recorded_input

    tensor = recorded_input(deployments.store.get(name))
    rows = load_rows(Path(path), tensor.get("features"))
    sent = 0
    for payload in requests(rows, batch, protocol, tensor):
        deployments.predict(name, payload)
        sent += 1
    return len(rows), sent


def wait_logged(events, name: str, expected: int, timeout_s: float) -> bool:
    """Wait until the event store `events` holds `expected` requests of deployment `name` (the model server
    logs in the background); False when it still does not after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while events.counts(name)["requests"] < expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
