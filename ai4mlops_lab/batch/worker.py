"""A batch job's worker process: loads the model, predicts the input file or object and records its stage,
progress and end.

Started as `python -m ai4mlops_lab.batch.worker JOB_DIR` in its own process session; `JOB_DIR/job.json` says what
to predict (see `jobs.py`). SIGTERM (a cancel) ends it through the normal exit path, so that its temporary output
is removed.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from ..errors import UserError
from ..serving.loaded_model import LoadedModel
from ..states import RunStatus
from ..store.batch_jobs import BatchJobStore
from .jobs import JOB_SPEC
from .logged import PredictionLog
from .objects import predict_io


class Ended(Exception):
    """The job ended (cancelled) while the worker ran."""


def run(job_dir: Path) -> int:
    """Predict the job described in `job_dir`; the exit code says whether it succeeded."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    spec = json.loads((job_dir / JOB_SPEC).read_text())
    store, job_id = BatchJobStore(spec["store"], check=False), spec["job_id"]
    if not store.started(job_id, os.getpid()):
        return 0
    log = PredictionLog(spec["store"], spec["deployment"], job_id) if spec["deployment"] else None
    counts = {"predicted": 0}

    def predicted(numbers, inputs, outputs) -> None:
        counts["predicted"] += len(numbers)
        if log is not None:
            log(numbers, inputs, outputs)

    def progress(done: int, total: int) -> None:
        if not store.progress(job_id, done, total, counts["predicted"], done - counts["predicted"]):
            raise Ended

    def stage(name: str) -> None:
        if not store.stage(job_id, name):
            raise Ended

    try:
        model = LoadedModel(spec["model"]["folder"], spec["model"]["metadata"])
        summary = predict_io(
            model,
            spec["input"],
            spec["output"],
            root=spec["root"],
            scratch=job_dir / "tmp",
            stage=stage,
            progress=progress,
            on_predicted=predicted,
            **spec["options"],
        )
    except Ended:
        return 0
    except BaseException as exc:  # the job's record must say why, whatever happened
        error = exc.message if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
        store.finish(job_id, RunStatus.FAILED, error[-2000:])
        return 1
    finally:
        if log is not None:
            log.close()
    store.finish(
        job_id,
        RunStatus.SUCCEEDED,
        rows_done=summary["rows"],
        rows_total=summary["rows"],
        rows_predicted=summary["predicted"],
        rejected=summary["rejected"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1])))
