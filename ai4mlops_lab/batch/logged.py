"""Batch predictions logged like a deployment's online requests, so that drift and performance monitoring see them.

Each predicted row becomes one exchange, a request and a response event as a local model server logs them (V1
`{"instances": [row]}` and `{"predictions": [outputs]}`), whose Ce-Id is `JOB/ROW` (the row's 1-based number in
the input file): a label sent with that key joins the row's prediction. A chunk's events are written straight into
the event store in one transaction.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..store.event_records import InferenceEvent
from ..store.events import EventStore

#: The `Ce-Source` of a batch job's events: `batch://JOB/`.
SOURCE = "batch://{job}/"


class PredictionLog:
    """Logs the predicted rows of batch job `job` as requests to `deployment`, in the event store at `store`."""

    def __init__(self, store: str | Path, deployment: str, job: str):
        self.events = EventStore(store, check=False)
        self.deployment, self.job, self.source = deployment, job, SOURCE.format(job=job)
        self.logged = 0

    def __call__(self, numbers: np.ndarray, inputs: np.ndarray, outputs: np.ndarray) -> None:
        """Log one chunk: the rows' numbers, the model's input rows and its output rows."""
        when = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        answers = np.asarray(outputs)
        if answers.dtype.kind not in "biufU":
            answers = answers.astype(str)
        events = []
        for number, row, answer in zip(numbers.tolist(), inputs.tolist(), answers.tolist()):
            ce_id = f"{self.job}/{number}"
            events.append(self._event(ce_id, "request", when, {"instances": [row]}))
            events.append(self._event(ce_id, "response", when, {"predictions": [answer]}))
        refused = next((o for o in self.events.add_many(events) if isinstance(o, Exception)), None)
        if refused is not None:
            raise UserError(f"The predictions could not be logged: {refused.message}", refused.hint)
        self.logged += len(numbers)

    def _event(self, ce_id: str, kind: str, when: str, payload: dict) -> InferenceEvent:
        return InferenceEvent(
            ce_id=ce_id,
            kind=kind,
            deployment=self.deployment,
            namespace="local",
            component="predictor",
            endpoint="default",
            source=self.source,
            time=when,
            content_type="application/json",
            body=json.dumps(payload).encode(),
        )

    def close(self) -> None:
        self.events.close()
