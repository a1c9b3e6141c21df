"""One pass of a deployment's drift monitoring as a job of the cluster, with no Jupyter server: it outlives culling.

Everything the job needs and writes is under the deployment's monitor prefix `M` (`monitor_prefix`), beside the
objects its KServe logger writes:
- `M/deployment.json`: the deployment record and its drift policy, `M/reference/FILE`: its reference data (written by
  `cluster_schedule.MonitorJobs.seed` when the job is scheduled);
- `M/state.sqlite`: the job's own store (the same schema as the workspace's): the logger objects read, the events
  not windowed yet, the monitor's cursor, windows and alerts; `M/cursor.json`: the newest window and alert ids of
  that state, when the pass that committed it ended (`updated_at`) and what it did (`pass`, see `last_pass`);
- `M/windows/ID.json`, `M/alerts/ID.json`: each window checked and each alert raised, ID its id in the job's store;
- `M/closed/ID.json`: alerts dealt with on the Jupyter server (dismissed, resolved): the job's streak starts over.

A pass downloads the state, reads the new logger objects (`BucketReader`), checks the completed windows
(`WindowChecker`), writes each new window and alert, then uploads the state and last the cursor (the commit point;
every object is one PUT, so a reader sees an old or a whole new object). Killed at any point, the next pass starts
from the last committed state and computes the same windows under the same ids: their objects are rewritten with
the same content, nothing is lost and nothing counts twice. The Jupyter server imports windows and alerts up to the
cursor's ids (`cluster_results.py`).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from ..errors import FieldError, NotFoundError
from ..objectstore import ObjectStore, S3Uri, parse_uri
from ..serving.log_storage import stored_logger_prefix
from ..store import times
from ..store.deployments import DeploymentStore
from ..store.drift import DriftStore
from ..store.events import EventStore
from ..store.log_objects import LogObjectStore
from .bucket_reader import FETCHERS, BucketReader
from .checker import WindowChecker

#: The folder under the logger's prefix that holds the monitor prefixes (`_` keeps it apart from namespaces).
MONITOR_DIR = "_ai4mlops/monitor"
DEPLOYMENT, STATE, CURSOR = "deployment.json", "state.sqlite", "cursor.json"
WINDOWS, ALERTS, CLOSED, REFERENCE = "windows/", "alerts/", "closed/", "reference/"
#: Digits of the ids in object names, so that key order is id order.
ID_DIGITS = 12
#: Time windows: how long events are kept behind the closed windows, for a late batch to re-check its window whole.
KEEP_BEHIND_S = 86_400


@dataclass
class PassResult:
    """What one pass did: logger `objects` and `events` read, `windows` and `alerts` written, alerts `closed`,
    `error`: why logger objects were left for the next pass (None: none were); `started_at`, `finished_at`: when it
    began and committed."""

    deployment: str
    monitor_uri: str
    objects: int = 0
    events: int = 0
    windows: int = 0
    alerts: int = 0
    closed: int = 0
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def counts(self) -> dict:
        """What the cursor tells of the pass (`pass`): when it started, what it read and wrote, `error`."""
        return {key: getattr(self, key) for key in PASS_FIELDS}


#: The fields of a cursor's `pass`.
PASS_FIELDS = ("started_at", "objects", "events", "windows", "alerts", "closed", "error")


def last_pass(cursor: dict) -> tuple[str | None, dict | None]:
    """When the pass that committed `cursor` ended and what it did (`PASS_FIELDS`); a cursor of an older job tells
    only the time (`updated_at`): its counts are None."""
    done = cursor.get("pass")
    return cursor.get("updated_at"), ({key: done.get(key) for key in PASS_FIELDS} if isinstance(done, dict) else None)


def monitor_prefix(config: dict) -> S3Uri | None:
    """The monitor prefix of a KServe deployment whose logger writes to a bucket (its `config`), else None:
    `LOGGER_PREFIX/_ai4mlops/monitor/NAMESPACE/NAME/`."""
    logs = stored_logger_prefix(config)
    if logs is None:
        return None
    *base, namespace, name, _ = logs.key.split("/")
    return S3Uri(logs.bucket, "/".join([*base, MONITOR_DIR, namespace, name]) + "/")


def object_key(prefix: S3Uri, folder: str, item_id: int) -> S3Uri:
    """The object of window or alert `item_id` in `folder` (WINDOWS, ALERTS or CLOSED)."""
    return prefix.child(f"{prefix.key}{folder}{item_id:0{ID_DIGITS}d}.json")


def item_id(key: str) -> int:
    """The id in an object name written by `object_key`."""
    return int(PurePosixPath(key).stem)


def read_json(objects: ObjectStore, uri: S3Uri):
    """The JSON object `uri` holds; None when there is none (a missing bucket is a NotFoundError)."""
    if not objects.exists(uri):
        return None
    return json.loads(objects.read(uri))


def write_json(objects: ObjectStore, uri: S3Uri, value) -> None:
    objects.write(json.dumps(value, sort_keys=True).encode(), uri)


def run_pass(monitor_uri: str, objects: ObjectStore | None = None, *, fetchers: int = FETCHERS) -> PassResult:
    """One pass over the deployment monitored at `monitor_uri` (its monitor prefix), reading `fetchers` logger
    objects at once; S3 settings and credentials from the environment unless `objects` is given."""
    try:
        prefix = parse_uri(monitor_uri, field="monitor_uri")
    except FieldError as err:
        raise FieldError("monitor_uri", f"The monitor URI is wrong: {err.message}", err.hint) from None
    prefix = S3Uri(prefix.bucket, prefix.key.rstrip("/") + "/")
    objects = objects or ObjectStore()
    try:
        seed = read_json(objects, prefix.child(prefix.key + DEPLOYMENT))
    except NotFoundError as err:
        raise FieldError(
            "monitor_uri", f"The bucket of the monitor URI {prefix} does not exist: {err.message}", err.hint
        ) from None
    if seed is None:
        raise FieldError(
            "monitor_uri",
            f"No deployment is monitored at the monitor URI {prefix}: it holds no {DEPLOYMENT}.",
            "Give the monitor URI that `ai4mlops monitor-job schedule NAME` printed for the deployment.",
        )
    with tempfile.TemporaryDirectory(prefix="ai4mlops-monitor-") as folder:
        return _pass(prefix, objects, seed, Path(folder), fetchers)


def _pass(prefix: S3Uri, objects: ObjectStore, seed: dict, folder: Path, fetchers: int) -> PassResult:
    record = seed["record"]
    name = record["name"]
    result = PassResult(name, str(prefix), started_at=times.now())
    store = folder / STATE
    with contextlib.suppress(NotFoundError):  # none: the first pass, on a new store
        objects.download(prefix.child(prefix.key + STATE), store)
    files = folder / "reference"
    files.mkdir()
    for file in seed["reference_files"]:
        objects.download(prefix.child(f"{prefix.key}{REFERENCE}{file}"), files / file)
    _set_record(DeploymentStore(store), record, folder, files)
    drift, events = DriftStore(store, check=False), EventStore(store, check=False)
    checker = WindowChecker(drift, events, DeploymentStore(store, check=False), folder)
    if checker.policy(name).to_dict() != seed["policy"]:
        checker.set_policy(name, seed["policy"])
    result.closed = _close_alerts(prefix, objects, drift, name)
    before = drift.last_ids(name)
    reader = BucketReader(objects, LogObjectStore(store, check=False), DeploymentStore(store), fetchers=fetchers)
    read = reader.read(name)
    result.objects, result.events, result.error = read.objects, read.events, read.error
    checker.process(name)
    _forget_windowed(checker, events, name)
    for window in drift.windows_after(name, before[0]):
        write_json(objects, object_key(prefix, WINDOWS, window["id"]), window)
        result.windows += 1
    for alert in drift.alerts_after(name, before[1]):
        write_json(objects, object_key(prefix, ALERTS, alert["id"]), alert)
        result.alerts += 1
    snapshot = folder / "snapshot.sqlite"
    with sqlite3.connect(store) as conn:  # one file, no WAL: what the next pass downloads
        conn.execute("VACUUM INTO ?", (str(snapshot),))
    objects.upload(snapshot, prefix.child(prefix.key + STATE))
    windows, alerts = drift.last_ids(name)
    result.finished_at = times.now()
    cursor = {"deployment": name, "windows_through": windows, "alerts_through": alerts}
    write_json(
        objects,
        prefix.child(prefix.key + CURSOR),
        {**cursor, "updated_at": result.finished_at, "pass": result.counts()},
    )
    return result


def _set_record(records: DeploymentStore, record: dict, folder: Path, files: Path) -> None:
    """The deployment's record in the job's store as `deployment.json` has it, its reference data in `files`: a
    picked dataset read from there, a sample saved with the model copied where the checker looks for it."""
    config = dict(record["config"])
    if config.get("reference"):
        config["reference"] = {**config["reference"], "uri": str(files / config["reference"]["file"])}
    else:
        model = folder / "deployments" / record["name"] / "model"
        model.mkdir(parents=True)
        for file in files.iterdir():
            file.rename(model / file.name)
    records.create(
        name=record["name"],
        run_id=None,
        model_name=record["model_name"],
        model_uri=record["model_uri"],
        target=record["target"],
        config=config,
        replace=True,
    )


def _forget_windowed(checker: WindowChecker, events: EventStore, name: str) -> None:
    """Drop the events the monitor is done with, so the state the job carries from pass to pass stays small: those
    before the open count window; for time windows, those more than `KEEP_BEHIND_S` behind the closed ones."""
    monitor = checker.monitor(name)
    if checker.policy(name).window == "count":
        events.forget_before(name, monitor["cursor_event"])
    elif monitor["watermark"] is not None:
        first = events.first_request_since(name, monitor["watermark"] - KEEP_BEHIND_S)
        events.forget_before(name, monitor["last_event"] + 1 if first is None else first)


def _close_alerts(prefix: S3Uri, objects: ObjectStore, drift: DriftStore, name: str) -> int:
    """Close the alerts the Jupyter server dealt with (`M/closed/`): the next alert needs a new streak."""
    closed = 0
    for info in objects.list(prefix.child(prefix.key + CLOSED)):
        try:
            alert = drift.alert(item_id(info.key))
        except (NotFoundError, ValueError):
            continue
        if alert["status"] in ("open", "retraining"):
            drift.update_alert(alert["id"], status="dismissed", error="dealt with on the Jupyter server")
            drift.reset_streak(name)
            closed += 1
    return closed
