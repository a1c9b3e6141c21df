"""Where KServe's logger writes request and response logs when it writes them to object storage rather than posting
each one to the Jupyter server: an `s3://bucket/prefix`, the batching, and the storage credentials it uses."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import FieldError
from ..objectstore import S3Uri, parse_uri

#: Records per object, and the longest a record waits for its batch (KServe's `batchSize`, `batchInterval`).
BATCH_SIZE = 1000
BATCH_INTERVAL = "10s"
#: The logger's object format (`storage.parameters.format`); the reader also reads parquet.
FORMAT = "json"
#: The logger settings: `http` posts each event to the ingest route; `storage` writes batches to the bucket.
SINKS = ("storage", "http")


@dataclass(frozen=True)
class LogStorage:
    """The bucket prefix `uri` KServe's logger writes to; `key`: the entry of KServe's storage secret with its
    credentials (`storage.key`), `service_account`: a service account carrying them (`storage.serviceAccountName`);
    either may be empty (the predictor's own service account)."""

    uri: str
    key: str = ""
    service_account: str = ""
    batch_size: int = BATCH_SIZE
    batch_interval: str = BATCH_INTERVAL

    def __post_init__(self):
        parse_uri(self.uri, field="log_storage_uri")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise FieldError("log_batch_size", f"{self.batch_size!r} is not a positive whole number.", "e.g. 1000")

    @property
    def logger_url(self) -> str:
        """The logger's `url`: the bucket and prefix, without a trailing '/'."""
        uri = parse_uri(self.uri, field="log_storage_uri")
        return str(S3Uri(uri.bucket, uri.key.strip("/"))).rstrip("/")

    def parameters(self) -> dict[str, str]:
        """The logger's `storage.parameters`."""
        return {"type": "s3", "format": FORMAT}


def deployment_prefix(logger_url: str, namespace: str, name: str) -> S3Uri:
    """The prefix under which the logger at `logger_url` writes the objects of the InferenceService `name` in
    `namespace` (kserve `pkg/logger/store.go`, `getObjectPrefix`: PREFIX/NAMESPACE/NAME/COMPONENT/...)."""
    uri = parse_uri(logger_url, field="logger url")
    parts = [part for part in (uri.key.strip("/"), namespace, name) if part]
    return S3Uri(uri.bucket, "/".join(parts) + "/")


def stored_logger_prefix(config: dict) -> S3Uri | None:
    """The prefix of a KServe deployment's logger objects, from its applied InferenceService (`config["object"]`);
    None when its logger posts events (or there is none)."""
    obj = config.get("object") or {}
    logger = ((obj.get("spec") or {}).get("predictor") or {}).get("logger") or {}
    url = logger.get("url") or ""
    if not logger.get("storage") or not url.startswith(("s3://", "s3a://")):
        return None
    metadata = obj.get("metadata") or {}
    return deployment_prefix(url, metadata.get("namespace") or config.get("namespace") or "", metadata.get("name"))
