"""Batch prediction jobs: each predicts a file or object in its own worker process (`batch/worker.py`), which records
its stage and progress in the store. The request is checked here, before anything starts (the model found, the paths
confined to the root or the objects' buckets there, an existing output kept unless `overwrite`); cancelling stops the
worker; jobs whose worker is gone when the server starts are marked interrupted."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from .. import confined
from ..errors import FieldError, UserError
from ..records import BatchJobRecord
from ..runs import processes
from ..states import RUN_ACTIVE, RunStatus
from ..store.batch_jobs import BatchJobStore
from ..user_paths import confined_path
from .objects import is_uri, plan_io
from .predict import DEFAULT_CHUNK, as_field_error, check_options
from .service import BatchPredictions, check_log

WORKER_MODULE = "ai4mlops_lab.batch.worker"
JOB_SPEC = "job.json"


class BatchJobs:
    """Batch jobs of the workspace `folder` (`folder/batch/<id>/`: the job's spec and its worker's log), with the
    models `predictions` finds and the files under its root."""

    def __init__(self, folder: Path, store: BatchJobStore, predictions: BatchPredictions):
        self.folder, self.store, self.predictions = Path(folder), store, predictions
        self._workers: dict[str, object] = {}

    @property
    def root(self) -> Path:
        return self.predictions.root.resolve()

    def start(
        self,
        model: str,
        input: str,
        output: str | None = None,
        *,
        artifact: str | None = None,
        chunk_size: int = DEFAULT_CHUNK,
        task: str = "auto",
        overwrite: bool = False,
        log: bool = False,
    ) -> BatchJobRecord:
        """Check the request, record the job and start its worker; the pending job's record at once."""
        for name, value in (("model", model), ("input", input)):
            if not isinstance(value, str) or not value.strip():
                raise FieldError(name, f"The {name} must be a non-empty string.", "See the API document.")
        for name, value in (("output", output), ("artifact", artifact)):
            if value is not None and not isinstance(value, str):
                raise FieldError(name, f"The {name} must be a string.", "Leave it out for the default.")
        for name, value in (("overwrite", overwrite), ("log", log)):
            if not isinstance(value, bool):
                raise FieldError(name, f"{name} must be true or false, not {value!r}.")
        check_options(chunk_size, task)
        for name, value in (("input", input), ("output", output)):
            if value and not is_uri(value):  # the product's own files and hidden ones are never an input or output
                as_field_error(name, confined_path, self.root, value, must_exist=False, workspace=self.folder)
        source, target, rejects = plan_io(self.root, input, output or None, overwrite=overwrite)
        found = self.predictions.locate(model, artifact)
        check_log(found, log)
        job_id = uuid.uuid4().hex[:12]
        options = {"artifact": artifact, "chunk_size": chunk_size, "task": task, "overwrite": overwrite}
        record = self.store.create(
            job_id,
            {
                "model": model,
                "model_description": found.described,
                "deployment": found.deployment,
                "input_path": source,
                "output_path": target,
                "rejects_path": rejects,
                "options": options,
                "log": log,
            },
        )
        job_dir = confined.make_folder(self.folder, "batch", job_id)
        spec = {
            "job_id": job_id,
            "store": str(self.store.path),
            "root": str(self.root),
            "model": {"folder": str(found.folder), "metadata": found.metadata},
            "deployment": found.deployment if log else None,
            "input": record["input_path"],
            "output": record["output_path"],
            "options": {k: v for k, v in options.items() if k != "artifact"},
        }
        confined.write_file(job_dir, JOB_SPEC, data=json.dumps(spec, indent=2))
        try:
            self._workers[job_id] = processes.start_worker(WORKER_MODULE, job_dir, job_dir / "worker.log")
        except OSError as err:
            self.store.finish(job_id, RunStatus.FAILED, f"the worker did not start: {err}")
            raise UserError(f"The batch job's worker did not start: {err}.") from err
        return self.get(job_id)

    def get(self, job_id: str) -> BatchJobRecord:
        self._reap()
        return self.store.get(job_id)

    def jobs(self) -> list[BatchJobRecord]:
        """The latest jobs, newest first."""
        self._reap()
        return self.store.jobs()

    def cancel(self, job_id: str) -> BatchJobRecord:
        """Stop an unfinished job's worker (its partial output is removed; an existing output stays)."""
        record = self.store.get(job_id)
        if not self.store.finish(job_id, RunStatus.CANCELLED, "cancelled by the user"):
            raise UserError(
                f"Batch job {job_id} is already {record['status']}.",
                "Only pending or running jobs can be cancelled.",
                status=409,
                code="conflict",
            )
        worker = self._workers.pop(job_id, None)
        pid = worker.pid if worker is not None else record["worker_pid"]
        if pid:
            processes.stop_group(pid)
        if worker is not None:
            worker.wait(timeout=5)
        return self.store.get(job_id)

    def mark_interrupted(self) -> int:
        """On server start: jobs whose worker is gone are marked interrupted, never left running."""
        return self.store.mark_interrupted(
            processes.is_alive, "the job's worker process was gone when the Jupyter server started"
        )

    def _reap(self) -> None:
        """Notice this process's workers that ended without recording the job's end (killed, crashed)."""
        for job_id, worker in list(self._workers.items()):
            code = worker.poll()
            if code is None:
                continue
            del self._workers[job_id]
            if self.store.get(job_id)["status"] in RUN_ACTIVE:
                log = self.folder / "batch" / job_id / "worker.log"
                self.store.finish(
                    job_id, RunStatus.FAILED, f"the job's worker exited unexpectedly (exit code {code}); see {log}"
                )
