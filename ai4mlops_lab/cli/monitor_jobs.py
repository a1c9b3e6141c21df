"""`ai4mlops monitor-job run|schedule|unschedule|seed|import|status`: a KServe deployment's drift monitoring as a job
of the cluster (`monitoring/cluster_job.py`): one pass (what the job's container runs, no workspace needed), its KFP
recurring run, its inputs alone (for a scheduler of one's own), the import of its results into the workspace, and
whether it is alive (its last pass, the last check and import of its results)."""

from __future__ import annotations

import argparse
import json
import os

from ..workspace import LOG_READ_FETCHERS_ENV, PREDICTOR_IMAGE_ENV, env_number


def add_commands(commands, parents: dict) -> None:
    """Register `monitor-job` and its actions."""
    workspace, as_json = parents["workspace"], parents["json"]
    job = commands.add_parser("monitor-job", help="drift monitoring of a KServe deployment as a job of the cluster")
    actions = job.add_subparsers(dest="action", metavar="ACTION", required=True)

    run = actions.add_parser(
        "run", parents=[as_json], help="one pass: read the logger's new objects, check windows, write the results"
    )
    run.add_argument("monitor_uri", help="the deployment's monitor prefix (s3://...), as `schedule` prints it")
    run.set_defaults(handler=run_command)

    schedule = actions.add_parser(
        "schedule", parents=[workspace, as_json], help="run the passes as a KFP recurring run, one at a time"
    )
    schedule.add_argument("name", help="the KServe deployment's name")
    schedule.add_argument("--every", type=int, default=300, help="seconds between passes (default 300)")
    schedule.add_argument("--image", help=f"the predictor image (default: ${PREDICTOR_IMAGE_ENV})")
    schedule.add_argument(
        "--s3-secret", help="a Kubernetes secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the job"
    )
    schedule.set_defaults(handler=schedule_command)

    unschedule = actions.add_parser(
        "unschedule", parents=[workspace], help="delete the recurring run; the Jupyter server reads the logs again"
    )
    unschedule.add_argument("name", help="the KServe deployment's name")
    unschedule.set_defaults(handler=unschedule_command)

    seed = actions.add_parser(
        "seed",
        parents=[workspace],
        help="only write the job's inputs to the bucket, for a scheduler of your own running `monitor-job run URI`",
    )
    seed.add_argument("name", help="the KServe deployment's name")
    seed.set_defaults(handler=seed_command)

    imported = actions.add_parser(
        "import", parents=[workspace, as_json], help="import the job's windows and alerts into the workspace now"
    )
    imported.add_argument("name", help="the KServe deployment's name")
    imported.set_defaults(handler=import_command)

    status = actions.add_parser(
        "status",
        parents=[workspace, as_json],
        help="is the job alive: its last pass, when its results were last checked and imported; exit 1 on a warning",
    )
    status.add_argument("name", help="the KServe deployment's name")
    status.set_defaults(handler=status_command)


def run_command(args: argparse.Namespace) -> int:
    """One pass; exit 1 when logger objects were left for the next pass."""
    from ..monitoring.cluster_job import run_pass

    fetchers = env_number(os.environ, LOG_READ_FETCHERS_ENV, 4)
    result = run_pass(args.monitor_uri, fetchers=fetchers)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(
            f"{result.deployment}: {result.objects} logger object(s) read ({result.events} events), "
            f"{result.windows} window(s) and {result.alerts} alert(s) written under {result.monitor_uri}"
        )
        if result.error:
            print(f"  {result.error} (read again next pass)")
    return 1 if result.error else 0


def schedule_command(args: argparse.Namespace) -> int:
    image = args.image or os.environ.get(PREDICTOR_IMAGE_ENV, "")
    job = args.workspace.monitor_jobs.schedule(args.name, image=image, every_s=args.every, s3_secret=args.s3_secret)
    if args.json:
        print(json.dumps(job, indent=2))
    else:
        print(
            f"{args.name}: monitored every {job['every_s']} s by KFP recurring run {job['kfp_recurring_run_id']}, "
            f"results under {job['uri']}"
        )
    return 0


def unschedule_command(args: argparse.Namespace) -> int:
    job = args.workspace.monitor_jobs.unschedule(args.name)
    print(f"{args.name}: recurring run deleted; its results stay under {job['uri']}")
    return 0


def seed_command(args: argparse.Namespace) -> int:
    job = args.workspace.monitor_jobs.seed(args.name)
    print(f"{args.name}: monitored by `ai4mlops monitor-job run {job['uri']}`, run by your scheduler")
    return 0


def import_command(args: argparse.Namespace) -> int:
    done = args.workspace.monitor_job_results.import_results(args.name)
    if args.json:
        print(json.dumps(done, indent=2))
    else:
        print(f"{args.name}: {done['windows']} window(s) and {done['alerts']} alert(s) imported")
    return 0


def status_command(args: argparse.Namespace) -> int:
    """The job's status as the workspace's imports saw it; exit 1 when it stopped passing or the last check failed."""
    from ..monitoring.cluster_results import duration, job_prefix, job_warnings
    from ..store import times

    record = args.workspace.deployments.get(args.name)
    job_prefix(record, args.name)  # a FieldError naming `name` when it has no job
    job, status = record["config"]["monitor_job"], record["monitor_job_status"]
    warnings = job_warnings(args.name, job, status)
    if args.json:
        print(json.dumps({"name": args.name, "monitor_job": job, **status, "warnings": warnings}, indent=2))
        return 1 if warnings else 0
    now = times.now()

    def when(iso: str | None, never: str) -> str:
        return f"{iso} ({duration(times.seconds_between(iso, now))} ago)" if iso else never

    every = f"every {duration(job['every_s'])}" if job.get("every_s") else "by a scheduler of your own"
    print(f"{args.name}: monitored on the cluster {every}, results under {job['uri']}")
    done = status["last_pass"]
    counts = (
        f": {done['objects']} logger object(s) read ({done['events']} events), {done['windows']} window(s) and "
        f"{done['alerts']} alert(s) written"
        if done
        else ""
    )
    print(f"  last pass:        {when(status['last_pass_at'], 'none seen')}{counts}")
    if done and done.get("error"):
        print(f"                    {done['error']} (read again next pass)")
    print(
        f"  results imported: {when(status['last_imported_at'], 'never')}; {status['windows_imported']} window(s) "
        f"and {status['alerts_imported']} alert(s) in all"
    )
    never = f"never (`ai4mlops monitor-job import {args.name}` checks now)"
    print(f"  last checked:     {when(status['last_checked_at'], never)}")
    for warning in warnings:
        print(f"  warning: {warning}")
    return 1 if warnings else 0
