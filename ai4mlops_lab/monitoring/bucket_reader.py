"""Read the request logs KServe deployments' loggers wrote to a bucket into the event store, each object once.

Each round lists a deployment's prefix (`serving.log_storage.stored_logger_prefix`), leaves out the objects read
before (by URI and ETag, `store.log_objects`), fetches the others a few at a time in threads, decodes them
(`logger_objects.decode_object`) and commits each object's events with its row: stopped at any point, a fresh
reader goes on where it stopped, losing nothing and counting nothing twice. Drift and outcome windows then see
these events as they see posted ones. Runs as a job of the server's background loop and from `ai4mlops read-logs`.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..errors import UserError
from ..objectstore import ObjectInfo, ObjectStore, S3Uri
from ..serving.log_storage import stored_logger_prefix
from ..states import DeploymentTarget
from ..store.deployments import DeploymentStore
from ..store.log_objects import LogObjectStore
from .logger_objects import decode_object

#: Objects fetched at once (S3 answers each request in a round trip: threads overlap them).
FETCHERS = 8


@dataclass
class ReadResult:
    """What one read of a deployment's prefix did."""

    deployment: str
    prefix: str
    objects: int = 0
    events: int = 0
    repeated: int = 0
    refused: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class BucketReader:
    """Reads logger objects from `objects` for the KServe deployments in `deployments` into `store`."""

    def __init__(self, objects: ObjectStore, store: LogObjectStore, deployments: DeploymentStore, *, fetchers=FETCHERS):
        self.objects, self.store, self.deployments, self.fetchers = objects, store, deployments, fetchers

    def read_all(self) -> list[ReadResult]:
        """One round over every KServe deployment whose logger writes to a bucket (the background job)."""
        results = []
        for record in self.deployments.list(DeploymentTarget.KSERVE):
            if stored_logger_prefix(record["config"]) is not None:
                results.append(self.read(record["name"]))
        return results

    def read(self, name: str, *, limit: int | None = None) -> ReadResult:
        """Read the new objects of the deployment `name` (at most `limit`), oldest first."""
        prefix = stored_logger_prefix(self.deployments.get(name)["config"])
        if prefix is None:
            raise UserError(
                f"The logger of {name!r} does not write to a bucket: its events are posted to the ingest route.",
                "Set log_storage_uri (s3://bucket/prefix) and deploy it again to log to a bucket.",
            )
        result = ReadResult(name, str(prefix))
        handled = self.store.handled(name)
        new = [info for info in self.objects.list(prefix) if (str(prefix.child(info.key)), info.etag) not in handled]
        new.sort(key=lambda info: (info.modified, info.key))
        with ThreadPoolExecutor(self.fetchers, thread_name_prefix="ai4mlops-logs") as pool:
            for info, data in _fetched(pool, self.fetchers * 2, self.objects, prefix, new[:limit]):
                self._ingest(result, prefix.child(info.key), info, data)
        return result

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


def _fetched(pool: ThreadPoolExecutor, window: int, objects: ObjectStore, prefix: S3Uri, infos: list[ObjectInfo]):
    """(info, bytes) of each object in order, at most `window` fetched ahead."""
    pending = iter(infos)
    futures = [(info, pool.submit(objects.read, prefix.child(info.key))) for info in itertools.islice(pending, window)]
    while futures:
        info, future = futures.pop(0)
        following = next(pending, None)
        if following is not None:
            futures.append((following, pool.submit(objects.read, prefix.child(following.key))))
        yield info, future.result()
