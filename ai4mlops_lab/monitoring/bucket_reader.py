"""Read the request logs KServe deployments' loggers wrote to a bucket into the event store, each object once.

Each pass lists a deployment's prefix (`serving.log_storage.stored_logger_prefix`), leaves out the objects read
before (by URI and ETag, `store.log_objects`), fetches the others `fetchers` at a time in threads, decodes them
(`logger_objects.decode_object`) and commits each object's events with its row: stopped at any point, a fresh
reader goes on where it stopped, losing nothing and counting nothing twice. Drift and outcome windows then see
these events as they see posted ones. Runs as a job of the server's background loop and from `ai4mlops read-logs`.

Failures never hang a pass: a socket read waits at most the object store's `read_timeout_s`, and a GET that timed
out or met a server error is tried again (`attempts` tries in all; a retry only re-reads bytes, and an object's
events count once, with its row). An object still unread is left for the next pass, and the prefix's `last_error`
says why until a pass reads everything it found; after `STOP_AFTER` such objects in a row no further GET starts
in the pass (the endpoint is likely down), and the objects already fetched are committed.

Listing: KServe names an object after a record of its batch, `ID-TYPE.EXT` (kserve `pkg/logger/store.go`,
`getObjectKey`), where ID is the request's CloudEvent id: the caller's `ce-id` header, else a random UUID
(`handler.go`, `getOrCreateID`). Key order is therefore not arrival order: a new object's key mostly sorts before
keys read long ago. So a pass lists the whole prefix, and each prefix records `read_through`, the key up to which
every object was read. Only after `ORDER_EVIDENCE` full listings in a row found their new objects all after it
(callers that send time-ordered ids, e.g. UUIDv7) does a pass list with S3's StartAfter from that key, and even
then every `full_every`-th pass lists fully: an object that lands behind the key late (another replica's batch)
waits at most that many passes, is never lost, and sends the prefix back to full listings.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import islice

from ..errors import NotFoundError, UserError
from ..objectstore import ObjectInfo, ObjectStore, S3Uri
from ..serving.log_storage import stored_logger_prefix
from ..states import DeploymentTarget
from ..store.deployments import DeploymentStore
from ..store.log_objects import LogObjectStore, PrefixState
from .logger_objects import decode_object

#: Objects fetched at once (each GET is a round trip: threads overlap them; a small server is not flooded).
FETCHERS = 4
#: Tries of a GET that timed out or met a server error, and the pause before each retry.
ATTEMPTS = 2
RETRY_PAUSE_S = 0.2
#: Objects in a row that cannot be read before a pass stops starting GETs (one alone may be the object's fault).
STOP_AFTER = 2
#: Full listings in a row whose new objects all sorted after `read_through` before listings start after it.
ORDER_EVIDENCE = 3
#: Every this many passes lists the whole prefix even when its keys arrive in order.
FULL_EVERY = 10


@dataclass
class ReadResult:
    """What one pass over a deployment's prefix did: `listing` "full" or "after" (StartAfter its `read_through`),
    `listed` objects, objects read with their `events`, `left`: new objects not read (`error` says why, unless the
    limit held them back)."""

    deployment: str
    prefix: str
    listing: str = "full"
    listed: int = 0
    objects: int = 0
    events: int = 0
    repeated: int = 0
    refused: int = 0
    bytes: int = 0
    retries: int = 0
    left: int = 0
    error: str | None = None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class BucketReader:
    """Reads logger objects from `objects` for the KServe deployments in `deployments` into `store`, `fetchers`
    GETs at a time, each tried up to `attempts` times."""

    def __init__(
        self,
        objects: ObjectStore,
        store: LogObjectStore,
        deployments: DeploymentStore,
        *,
        fetchers: int = FETCHERS,
        attempts: int = ATTEMPTS,
        full_every: int = FULL_EVERY,
    ):
        self.objects, self.store, self.deployments = objects, store, deployments
        self.fetchers, self.attempts, self.full_every = fetchers, attempts, full_every

    def read_all(self) -> list[ReadResult]:
        """One pass over every KServe deployment whose logger writes to a bucket, but those monitored by a job on the
        cluster (`cluster_job.py`), which reads their objects itself (the background job). A deployment
        whose objects could not all be read holds up none of the others; the UserError raised after them names
        it."""
        results, failures = [], []
        for record in self.deployments.list(DeploymentTarget.KSERVE):
            if stored_logger_prefix(record["config"]) is None or record["config"].get("monitor_job"):
                continue  # no bucket, or its monitoring job on the cluster reads it
            try:
                result = self.read(record["name"])
            except UserError as err:
                failures.append(f"{record['name']!r}: {err.message}")
                continue
            results.append(result)
            if result.error:
                failures.append(f"{record['name']!r}: {result.error}")
        if failures:
            raise left_in_bucket("Request logs were left in the bucket for the next pass", failures)
        return results

    def read(self, name: str, *, limit: int | None = None) -> ReadResult:
        """Read the new objects of the deployment `name` (at most `limit`), oldest first."""
        prefix = stored_logger_prefix(self.deployments.get(name)["config"])
        if prefix is None:
            raise UserError(
                f"The logger of {name!r} does not write to a bucket: its events are posted to the ingest route.",
                "Set log_storage_uri (s3://bucket/prefix) and deploy it again to log to a bucket.",
            )
        state = self.store.prefix_state(str(prefix))
        full = not state.read_through or state.in_order < ORDER_EVIDENCE or state.since_full + 1 >= self.full_every
        start = "" if full else state.read_through
        result = ReadResult(name, str(prefix), listing="full" if full else "after")
        try:
            listed = sorted(self.objects.list(prefix, start_after=start), key=lambda info: info.key)
        except UserError as err:
            failed = replace(state, last_error=f"{prefix} cannot be listed: {err.message}")
            self.store.save_prefix_state(str(prefix), name, failed)
            raise
        result.listed = len(listed)

        def row(info: ObjectInfo) -> tuple[str, str]:
            return str(prefix.child(info.key)), info.etag

        done = self.store.handled(name, after=str(prefix.child(start)) if start else "")
        new = sorted((info for info in listed if row(info) not in done), key=lambda info: (info.modified, info.key))
        for info, data in self._fetched(prefix, new[:limit], result):
            if data is not None:  # None: deleted since it was listed
                self._ingest(result, prefix.child(info.key), info, data)
            done.add(row(info))
        result.left = sum(row(info) not in done for info in new)
        in_order = state.in_order
        if full and state.read_through and new:  # evidence: did the new objects all sort after the cursor?
            in_order = 0 if any(info.key <= state.read_through for info in new) else in_order + 1
        read_through = _read_through(start, listed, lambda info: row(info) in done)
        since_full = 0 if full else state.since_full + 1
        self.store.save_prefix_state(str(prefix), name, PrefixState(read_through, in_order, since_full, result.error))
        return result

    def _fetched(self, prefix: S3Uri, infos: list[ObjectInfo], result: ReadResult):
        """(info, bytes) of the objects `infos` in order (bytes None: the object was deleted since it was listed),
        `fetchers` fetched at a time. One that cannot be read is left out (`result.error` says why); after
        `STOP_AFTER` in a row no further GET starts, and those started are still given."""
        pending = iter(infos)
        failed_in_a_row = 0
        with ThreadPoolExecutor(self.fetchers, thread_name_prefix="ai4mlops-logs") as pool:
            started = deque(
                (info, pool.submit(self._fetch, prefix.child(info.key))) for info in islice(pending, self.fetchers)
            )

            def start_next() -> None:
                following = next(pending, None)
                if following is not None:
                    started.append((following, pool.submit(self._fetch, prefix.child(following.key))))

            while started:
                info, future = started.popleft()
                try:
                    data, retries = future.result()
                except NotFoundError:
                    data, retries = None, 0
                except UserError as err:
                    result.error = result.error or f"{prefix.child(info.key)} could not be read: {err.message}"
                    failed_in_a_row += 1
                    if failed_in_a_row >= STOP_AFTER:
                        pending = iter(())
                    start_next()
                    continue
                failed_in_a_row = 0
                result.retries += retries
                start_next()
                yield info, data

    def _fetch(self, uri: S3Uri) -> tuple[bytes, int]:
        """The bytes of the object `uri` and the retries they took: a GET that timed out or met a server error
        (502) is tried again, `attempts` tries in all."""
        tries = 1
        while True:
            try:
                return self.objects.read(uri), tries - 1
            except UserError as err:
                if err.status != 502 or tries >= self.attempts:
                    raise
            tries += 1
            time.sleep(RETRY_PAUSE_S)

    def _ingest(self, result: ReadResult, uri: S3Uri, info: ObjectInfo, data: bytes) -> None:
        events, bad = decode_object(info.key, data, info.modified)
        read = self.store.ingest(result.deployment, str(uri), info.etag, info.size, events, bad)
        if read is None:  # another reader took it meanwhile
            return
        result.objects += 1
        result.bytes += info.size
        result.events += read.stored
        result.repeated += read.repeated
        result.refused += read.refused
        result.problems.extend(problem.message for problem in bad[:3])


def left_in_bucket(what: str, failures: list[str]) -> UserError:
    """The error of a round that left objects in the bucket for the next one: `what`, then each failure."""
    return UserError(
        f"{what}: " + "; ".join(failures),
        "Check that the S3 endpoint answers (AWS_ENDPOINT_URL) and the credentials; nothing is lost.",
        status=502,
        code="bad_gateway",
    )


def _read_through(start: str, listed: list[ObjectInfo], read) -> str:
    """The last key of the run of `read` objects that opens `listed` (in key order, all after `start`): every
    object up to it was read."""
    through = start
    for info in listed:
        if not read(info):
            break
        through = info.key
    return through
