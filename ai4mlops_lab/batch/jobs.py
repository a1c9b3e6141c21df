"""Batch prediction jobs: each predicts a file or object in its own worker process (`batch/worker.py`), which records
its stage and progress in the store. The request is checked here, before anything starts (the model found, the paths
confined to the root or the objects' buckets there, an existing output kept unless `overwrite`); cancelling stops the
worker; jobs whose worker is gone when the server starts are marked interrupted."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

from .. import confined
from ..errors import FieldError, UserError
from ..pipeline.s3_secret import check_secret
from ..records import BatchJobRecord
from ..runs import processes
from ..states import RUN_ACTIVE, RunStatus
from ..store.batch_jobs import BatchJobStore
from ..user_paths import confined_path
from . import on_kfp
from .objects import is_uri, plan_io
from .predict import DEFAULT_CHUNK, as_field_error, check_options
from .service import BatchPredictions, check_log

WORKER_MODULE = "ai4mlops_lab.batch.worker"
JOB_SPEC = "job.json"
#: Where a job runs: a worker process here, or a one-step pipeline run on Kubeflow.
TARGETS = ("local", "kfp")
log = logging.getLogger(__name__)


class BatchJobs:
    """Batch jobs of the workspace `folder` (`folder/batch/<id>/`: the job's spec and its worker's log), with the
    models `predictions` finds and the files under its root."""

    def __init__(self, folder: Path, store: BatchJobStore, predictions: BatchPredictions, kfp_backend=None):
        self.folder, self.store, self.predictions = Path(folder), store, predictions
        self.kfp_backend = kfp_backend  # a callable giving the KfpBackend, for target 'kfp'
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
        target: str = "local",
        s3_secret: str | None = None,
    ) -> BatchJobRecord:
        """Check the request, record the job and start its worker (target `local`) or its pipeline run on
        Kubeflow (target `kfp`, S3 objects only; `s3_secret`: a Kubernetes secret with the step's S3 keys); the
        job's record at once."""
        for name, value in (("model", model), ("input", input)):
            if not isinstance(value, str) or not value.strip():
                raise FieldError(name, f"The {name} must be a non-empty string.", "See the API document.")
        for name, value in (("output", output), ("artifact", artifact), ("s3_secret", s3_secret)):
            if value is not None and not isinstance(value, str):
                raise FieldError(name, f"The {name} must be a string.", "Leave it out for the default.")
        for name, value in (("overwrite", overwrite), ("log", log)):
            if not isinstance(value, bool):
                raise FieldError(name, f"{name} must be true or false, not {value!r}.")
        check_options(chunk_size, task)
        if target not in TARGETS:
            raise FieldError("target", f"Unknown target {target!r}.", f"Use one of: {', '.join(TARGETS)}.")
        if target == "kfp":
            options = {"artifact": artifact, "chunk_size": chunk_size, "task": task, "overwrite": overwrite}
            return self._start_kfp(model, input, output or None, options, log, s3_secret)
        if s3_secret is not None:
            raise FieldError("s3_secret", "An S3 secret is for jobs on Kubeflow (target kfp).", "Leave it out.")
        for name, value in (("input", input), ("output", output)):
            if value and not is_uri(value):  # the product's own files and hidden ones are never an input or output
                as_field_error(name, confined_path, self.root, value, must_exist=False, workspace=self.folder)
        source, target, rejects = plan_io(self.root, input, output or None, overwrite=overwrite)
        found = self.predictions.locate(model, artifact)
        check_log(found, log)
        options = {"artifact": artifact, "chunk_size": chunk_size, "task": task, "overwrite": overwrite}
        job_id, job_dir = self._create(model, found, (source, target, rejects), options, log)
        spec = {
            "job_id": job_id,
            "store": str(self.store.path),
            "root": str(self.root),
            "model": {"folder": str(found.folder), "metadata": found.metadata},
            "deployment": found.deployment if log else None,
            "input": source,
            "output": target,
            "options": {k: v for k, v in options.items() if k != "artifact"},
        }
        confined.write_file(job_dir, JOB_SPEC, data=json.dumps(spec, indent=2))
        try:
            self._workers[job_id] = processes.start_worker(WORKER_MODULE, job_dir, job_dir / "worker.log")
        except OSError as err:
            self.store.finish(job_id, RunStatus.FAILED, f"the worker did not start: {err}")
            raise UserError(f"The batch job's worker did not start: {err}.") from err
        return self.get(job_id)

    def _start_kfp(
        self, model: str, input: str, output: str | None, options: dict, log: bool, s3_secret: str | None
    ) -> BatchJobRecord:
        """A job on Kubeflow: its pipeline compiled and a run of it started (see `on_kfp.py`)."""
        if log:
            raise FieldError("log", "Logging predictions is for jobs run here.", "Leave logging off, or target local.")
        if s3_secret is not None:
            check_secret(s3_secret)
        objects = on_kfp.plan_objects(input, output)
        found = self.predictions.locate(model, options["artifact"], here=False)
        on_kfp.cluster_model_uri(found)
        backend = self._backend()
        job_id, job_dir = self._create(model, found, objects, options, False, target="kfp")
        try:
            submitted = on_kfp.submit(backend, job_id, job_dir, found, objects, options, s3_secret)
        except BaseException as exc:
            self.store.finish(job_id, RunStatus.FAILED, str(getattr(exc, "message", exc))[-2000:])
            raise
        self.store.submitted(job_id, submitted["run_id"], submitted["url"])
        return self.store.get(job_id)

    def _create(
        self, model: str, found, objects: tuple[str, str, str], options: dict, log: bool, target: str = "local"
    ) -> tuple[str, Path]:
        """Record a pending job; its id and folder."""
        job_id = uuid.uuid4().hex[:12]
        self.store.create(
            job_id,
            {
                "model": model,
                "model_description": found.described,
                "deployment": found.deployment,
                "input_path": objects[0],
                "output_path": objects[1],
                "rejects_path": objects[2],
                "options": options,
                "log": log,
                "target": target,
            },
        )
        return job_id, confined.make_folder(self.folder, "batch", job_id)

    def _backend(self):
        if self.kfp_backend is None:
            raise UserError(
                "No Kubeflow Pipelines server is configured.",
                "Set KF_PIPELINES_ENDPOINT or the 'KFP host' setting, or run the job here (target local).",
            )
        return self.kfp_backend()

    def get(self, job_id: str) -> BatchJobRecord:
        self._reap()
        record = self.store.get(job_id)
        if record["target"] == "kfp" and record["status"] in RUN_ACTIVE:
            self._follow(record)
            record = self.store.get(job_id)
        return record

    def jobs(self) -> list[BatchJobRecord]:
        """The latest jobs, newest first (those on Kubeflow brought up to date)."""
        self._reap()
        for record in self.store.kfp_jobs():
            self._follow(record)
        return self.store.jobs()

    def cancel(self, job_id: str) -> BatchJobRecord:
        """Stop an unfinished job's worker (its partial output is removed; an existing output stays), or terminate
        its run on Kubeflow."""
        record = self.store.get(job_id)
        if record["status"] not in RUN_ACTIVE:
            raise UserError(
                f"Batch job {job_id} is already {record['status']}.",
                "Only pending or running jobs can be cancelled.",
                status=409,
                code="conflict",
            )
        if record["kfp_run_id"]:
            self._backend().cancel(record["kfp_run_id"])
        if not self.store.finish(job_id, RunStatus.CANCELLED, "cancelled by the user"):
            return self.store.get(job_id)  # it ended meanwhile
        worker = self._workers.pop(job_id, None)
        pid = worker.pid if worker is not None else record["worker_pid"]
        if pid:
            processes.stop_group(pid)
        if worker is not None:
            worker.wait(timeout=5)
        return self.store.get(job_id)

    def _follow(self, record: BatchJobRecord) -> None:
        """Bring a job on Kubeflow up to date with its run (a server that does not answer leaves it as it is)."""
        if not record["kfp_run_id"] or self.kfp_backend is None:
            return
        try:
            ended = on_kfp.followed(self.kfp_backend(), record["kfp_run_id"])
        except UserError as err:
            log.warning("Batch job %s: its KFP run could not be read: %s", record["id"], err.message)
            return
        if ended is not None:
            self.store.finish(record["id"], ended[0], ended[1] or None)

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
