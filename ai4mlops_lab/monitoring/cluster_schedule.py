"""Schedule a KServe deployment's drift monitoring as a job of the cluster's own engine: a KFP recurring run (API
v2beta1) of a one-step pipeline that runs `ai4mlops monitor-job run MONITOR_URI` in the predictor image
(`serving/predictor.Dockerfile`, which holds this package), one run at a time.

`schedule` first writes what the job needs beside the logger's objects (`cluster_job.py`: `deployment.json`, the
reference data), then uploads the pipeline and creates the recurring run; the deployment's `config.monitor_job`
records the monitor prefix and the recurring run. `withdraw` deletes the recurring run (when the deployment is
removed); the results stay in the bucket. The job's S3 credentials come from a Kubernetes secret (`s3_secret`, keys
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) or the pipeline runner's service account: never from here.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import FieldError, NotFoundError
from ..objectstore import ObjectStore, S3Settings, parse_uri
from ..pipeline.s3_secret import SECRET_KEYS, check_secret
from ..states import DeploymentTarget
from ..store import times
from ..store.deployments import DeploymentStore
from .cluster_job import DEPLOYMENT, REFERENCE, monitor_prefix, read_json, write_json
from .reference_data import load_reference

PIPELINE_NAME = "ai4mlops-monitor-job"
EXPERIMENT = "monitoring"
#: Seconds between passes: the default and the range.
EVERY_S = 300
EVERY_RANGE = (60, 86_400)
#: What the job's container runs; its one argument is the monitor URI.
COMMAND = ["python3", "-m", "ai4mlops_lab.cli", "monitor-job", "run"]


class MonitorJobs:
    """Monitoring jobs of the KServe deployments in `records` (the workspace `folder` holds their model copies):
    `policy(name)` gives a deployment's drift policy, `kfp_backend()` the KFP backend, `objects` the bucket."""

    def __init__(
        self,
        records: DeploymentStore,
        folder: Path,
        objects: ObjectStore,
        policy: Callable[[str], dict],
        kfp_backend: Callable[[], object],
    ):
        self.records, self.folder, self.objects = records, Path(folder), objects
        self.policy, self.kfp_backend = policy, kfp_backend

    def seed(self, name: str) -> dict:
        """Write what the deployment's job reads and record it as monitored by a job (`config.monitor_job`,
        `{uri}` with what was there): for a scheduler of one's own running `ai4mlops monitor-job run URI`."""
        uri = self._write_seed(name)
        record = self.records.get(name)
        job = {**(record["config"].get("monitor_job") or {}), "uri": uri}
        self.records.update(name, config={**record["config"], "monitor_job": job})
        return job

    def _write_seed(self, name: str) -> str:
        """Write the deployment's record, drift policy and reference data where its job reads them; the job's
        monitor URI."""
        record = self.records.get(name)
        prefix = monitor_prefix(record["config"]) if record["target"] == DeploymentTarget.KSERVE else None
        if prefix is None:
            raise FieldError(
                "name",
                f"{name!r} is not a KServe deployment whose logger writes to a bucket: there is nothing to monitor "
                "on the cluster.",
                "Set log_storage_uri (s3://bucket/prefix), deploy it to KServe again, then schedule its job.",
            )
        config = {key: value for key, value in record["config"].items() if key != "monitor_job"}
        model_folder = self.folder / "deployments" / name / "model"
        load_reference(record, model_folder)  # a NoReference saying what to do, before anything is written
        if config.get("reference"):
            source = Path(config["reference"]["uri"])
            config["reference"] = {**config["reference"], "file": source.name}
        else:
            saved = config["metadata"]["model"]["reference"]
            folder = model_folder if model_folder.is_dir() else Path(record["model_uri"])
            source = folder / saved["file"]
        self.objects.upload(source, prefix.child(f"{prefix.key}{REFERENCE}{source.name}"))
        fields = ("name", "model_name", "model_uri", "target")
        seed = {
            "record": {**{key: record[key] for key in fields}, "config": config},
            "policy": self.policy(name),
            "reference_files": [source.name],
        }
        write_json(self.objects, prefix.child(prefix.key + DEPLOYMENT), seed)
        return str(prefix)

    def schedule(self, name: str, *, image: str, every_s: int = EVERY_S, s3_secret: str | None = None) -> dict:
        """Seed the job and create its recurring run every `every_s` seconds in `image` (empty: the image of the job
        scheduled before), then delete one scheduled
        before; the deployment is recorded as monitored by it only then (`config.monitor_job`: `{uri, every_s, image,
        kfp_pipeline_id, kfp_version_id, kfp_recurring_run_id, scheduled_at}`, and `s3_secret` when given): until then
        the Jupyter server reads its logs."""
        if isinstance(every_s, bool) or not isinstance(every_s, int) or not EVERY_RANGE[0] <= every_s <= EVERY_RANGE[1]:
            raise FieldError("every", f"{every_s!r} is not a whole number of seconds from 60 to 86400.", "e.g. 300")
        image = (image or "").strip() or (self.records.get(name)["config"].get("monitor_job") or {}).get("image", "")
        if not image:
            raise FieldError(
                "image",
                "The monitoring job needs the predictor image (it holds this package).",
                "Build it (README, 'Predictor image') and give --image or set AI4MLOPS_PREDICTOR_IMAGE.",
            )
        if s3_secret:
            check_secret(s3_secret)
        backend = self.kfp_backend()
        uri = self._write_seed(name)
        with tempfile.TemporaryDirectory(prefix="ai4mlops-monitor-job-") as folder:
            path = Path(folder) / f"{PIPELINE_NAME}.pipeline.yaml"
            compile_job_pipeline(path, image, S3Settings.from_environment().endpoint_url, s3_secret)
            pipeline_id, version_id = backend.upload(
                path, pipeline_name=PIPELINE_NAME, description="A deployment's drift monitoring pass (ai4mlops-lab)."
            )
        recurring_run_id = backend.create_recurring_run(
            name=f"monitor {name}",
            pipeline_id=pipeline_id,
            version_id=version_id,
            experiment=EXPERIMENT,
            parameters={"monitor_uri": uri},
            trigger={"interval_second": every_s},
            max_concurrency=1,
            catch_up=False,
            enabled=True,
            description=f"ai4mlops-lab drift monitoring of {name}, results under {uri}",
        )
        record = self.records.get(name)
        self.withdraw(record)  # the one scheduled before
        job = {
            "uri": uri,
            "every_s": every_s,
            "image": image,
            "kfp_pipeline_id": pipeline_id,
            "kfp_version_id": version_id,
            "kfp_recurring_run_id": recurring_run_id,
            "scheduled_at": times.now(),
            **({"s3_secret": s3_secret} if s3_secret else {}),
        }
        self.records.update(name, config={**record["config"], "monitor_job": job})
        return job

    def tell_policy(self, name: str) -> None:
        """Give the deployment's job (if it has one) its current drift policy: its next pass applies it."""
        job = self.records.get(name)["config"].get("monitor_job")
        if not job:
            return
        prefix = parse_uri(job["uri"], field="monitor_uri")
        seed = read_json(self.objects, prefix.child(prefix.key + DEPLOYMENT))
        if seed is not None:
            write_json(self.objects, prefix.child(prefix.key + DEPLOYMENT), {**seed, "policy": self.policy(name)})

    def withdraw(self, record: dict) -> None:
        """Delete the recurring run of the deployment `record` (if it has one); its results stay in the bucket."""
        job = record["config"].get("monitor_job")
        if job:
            self._delete_run(job)

    def unschedule(self, name: str) -> dict:
        """Delete the deployment's recurring run; the Jupyter server reads its logger's objects itself again."""
        record = self.records.get(name)
        job = record["config"].get("monitor_job")
        if not job:
            raise FieldError(
                "name", f"{name!r} has no monitoring job.", "Schedule one with `ai4mlops monitor-job schedule`."
            )
        self._delete_run(job)
        config = {key: value for key, value in record["config"].items() if key != "monitor_job"}
        self.records.update(name, config=config)
        return job

    def _delete_run(self, job: dict) -> None:
        if job.get("kfp_recurring_run_id"):
            with contextlib.suppress(NotFoundError):  # deleted on the server already: gone as asked
                self.kfp_backend().delete_recurring_run(job["kfp_recurring_run_id"])


def compile_job_pipeline(path: Path, image: str, endpoint: str, s3_secret: str | None) -> Path:
    """Write the job's one-step pipeline (its parameter: `monitor_uri`) as KFP IR YAML at `path`: the container runs
    `COMMAND` in `image`, with `AWS_ENDPOINT_URL` set to `endpoint` when given and the credentials of the secret
    `s3_secret`; no cache (every pass must run)."""
    from kfp import compiler, dsl

    def monitor_pass(monitor_uri):
        return dsl.ContainerSpec(image=image, command=COMMAND, args=[monitor_uri])

    def pipeline(monitor_uri):
        task = job_step(monitor_uri=monitor_uri)
        task.set_caching_options(False)
        if endpoint:
            task.set_env_variable("AWS_ENDPOINT_URL", endpoint)
        if s3_secret:
            from kfp import kubernetes

            kubernetes.use_secret_as_env(task, secret_name=s3_secret, secret_key_to_env={k: k for k in SECRET_KEYS})

    # kfp reads the parameters' types from the annotations, which this module's `annotations` import makes texts
    monitor_pass.__annotations__ = pipeline.__annotations__ = {"monitor_uri": str}
    job_step = dsl.container_component(monitor_pass)
    description = "One pass of a deployment's drift monitoring (ai4mlops-lab)."
    pipeline = dsl.pipeline(name=PIPELINE_NAME, description=description)(pipeline)
    compiler.Compiler().compile(pipeline, str(path))
    return path
