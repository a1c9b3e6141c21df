"""`ai4mlops predict`: a model's predictions over a CSV, Parquet or `.npy` file or S3 object, appended to its rows
(see `batch/`), in this process, with a progress bar on a terminal."""

from __future__ import annotations

import argparse
import json
import sys

from ..batch.columns import TASKS
from ..batch.predict import DEFAULT_CHUNK
from ..errors import FieldError


def add_commands(commands, parents: dict) -> None:
    command = commands.add_parser(
        "predict",
        parents=[parents["workspace"], parents["json"]],
        help="predict every row of a CSV, Parquet or .npy file with a deployment's, run's or registered model",
    )
    command.add_argument(
        "model", metavar="MODEL_OR_DEPLOYMENT", help="a deployment, a run id, or MODEL:VERSION / MODEL@ALIAS"
    )
    command.add_argument(
        "input",
        metavar="INPUT",
        help="a .csv (a header naming the features), .parquet or .npy file here, or an s3://BUCKET/KEY object",
    )
    command.add_argument(
        "-o",
        "--output",
        help="where to write, a file or an s3:// object (.csv, .parquet or .npy; default: <stem>.predictions.<ext> "
        "next to the input)",
    )
    command.add_argument("--overwrite", action="store_true", help="replace the output (file or object) when it exists")
    command.add_argument(
        "--log",
        action="store_true",
        help="log each row as the deployment's request (id ID/ROW), for drift and performance monitoring",
    )
    command.add_argument("--artifact", help="a run's model artifact, name or step/name (default: its last)")
    command.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK, help=f"rows at a time ({DEFAULT_CHUNK:,})")
    command.add_argument("--task", choices=TASKS, default="auto", help="how to read the outputs (auto: >1 = classes)")
    command.add_argument(
        "--target",
        choices=("local", "kfp"),
        default="local",
        help="local: in this process; kfp: a one-step pipeline run on Kubeflow Pipelines (S3 input and output)",
    )
    command.add_argument("--s3-secret", help="kfp: a Kubernetes secret holding the step's AWS_ACCESS_KEY_ID/_SECRET_")
    command.set_defaults(handler=predict_command)


def predict_command(args: argparse.Namespace) -> int:
    """Predict the file; exit 1 when rows were rejected. With `--target kfp`, start the job on Kubeflow."""
    if args.target == "kfp":
        return submit_command(args)
    if args.s3_secret:
        raise FieldError("s3_secret", "--s3-secret is for jobs on Kubeflow.", "Add --target kfp, or leave it out.")
    progress = Progress()
    summary = args.workspace.batch_predictions.predict(
        args.model,
        args.input,
        args.output,
        artifact=args.artifact,
        chunk_size=args.chunk_size,
        task=args.task,
        overwrite=args.overwrite,
        log=args.log,
        progress=progress,
        stage=progress.stage,
    )
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{summary['model']}: {summary['predicted']:,} rows predicted in {summary['seconds']} s")
        print(f"  wrote {summary['output']} (+ {', '.join(summary['columns']) or 'no columns'})")
        if summary["rejected"]:
            print(f"  {summary['rejected']:,} rows rejected: {summary['rejects_file']}")
        if summary.get("logged_as"):
            print(f"  logged as requests {summary['logged_as']}/ROW (labels join by that key)")
    return 1 if summary["rejected"] else 0


def submit_command(args: argparse.Namespace) -> int:
    """Start the job on Kubeflow and say where it runs."""
    job = args.workspace.batch_jobs.start(
        args.model,
        args.input,
        args.output,
        artifact=args.artifact,
        chunk_size=args.chunk_size,
        task=args.task,
        overwrite=args.overwrite,
        log=args.log,
        target="kfp",
        s3_secret=args.s3_secret,
    )
    if args.json:
        print(json.dumps(job, indent=2))
    else:
        print(f"batch job {job['id']} ({job['model_description']}) runs on Kubeflow as run {job['kfp_run_id']}")
        print(f"  {job['kfp_url']}")
        print(f"  writes {job['output_path']} (rejected rows: {job['rejects_path']})")
    return 0


class Progress:
    """Rows done on stderr: a bar rewritten in place on a terminal, else a line per tenth of the file."""

    WIDTH = 30

    def __init__(self):
        self.live, self.shown = sys.stderr.isatty(), -1

    def stage(self, name: str) -> None:
        """Say when an object is downloaded or uploaded (predicting shows the bar)."""
        if name != "predicting":
            print(f"{name} ...", file=sys.stderr, flush=True)

    def __call__(self, done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if not self.live and tenth == self.shown:
            return
        self.shown = tenth
        percent = done * 100 // max(total, 1)
        line = f"predicted {done:,} / {total:,} rows ({percent}%)"
        if self.live:
            filled = self.WIDTH * done // max(total, 1)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            print(f"\r[{bar}] {line}", end="" if done < total else "\n", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr)
