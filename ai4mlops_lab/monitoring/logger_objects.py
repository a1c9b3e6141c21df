"""Decode the objects KServe's logger writes to object storage into the inference events the ingest route makes.

Layout and format (kserve `pkg/logger/`, the version of the InferenceService CRD in shared/specs, commit aaac4e2):
the logger batches records (`batchSize`, `batchInterval`) and writes each batch as one object
`PREFIX/NAMESPACE/INFERENCESERVICE/COMPONENT[/STORAGE_PATH]/ID-TYPE.EXT` (`store.go`, `getObjectKey`: ID and TYPE
are the first record's `Id` and the last part of its `ReqType`), where EXT is the marshaller's:
- `json` (`marshaller_json.go`): one record as a JSON object, several as a JSON array; each is Go's `json.Marshal`
  of `LogRequest` (`types.go`): fields named as in Go (`Id`, `ReqType`, `InferenceService`, ...), `Bytes` (the
  payload) in base64, `Url` and `SourceUri` as Go `url.URL` structs (`Scheme`, `Host`, `Path`, `RawQuery`, ...);
- `parquet` (`marshaller_parquet.go`, `marshaller_record.go`): one row per record, camelCase string columns
  (`id`, `reqType`, `bytes` in base64, `sourceUri` as a URL string, ...).
A record holds no time: an event's time is the object's (its batch was written then, within `batchInterval`).
"""

from __future__ import annotations

import binascii
import functools
import io
import json
from collections.abc import Iterable

from ..serving.cloudevents import EVENT_KINDS, MAX_BODY_BYTES
from ..store import times
from ..store.event_records import BadEvent, InferenceEvent

#: Object name endings the reader decodes.
FORMATS = (".json", ".parquet")
#: Parquet column -> the Go field name of a JSON record.
_PARQUET_FIELDS = {
    "id": "Id",
    "reqType": "ReqType",
    "bytes": "Bytes",
    "contentType": "ContentType",
    "sourceUri": "SourceUri",
    "inferenceService": "InferenceService",
    "namespace": "Namespace",
    "component": "Component",
    "endpoint": "Endpoint",
}


def decode_object(key: str, data: bytes, modified: float) -> tuple[list[InferenceEvent], list[BadEvent]]:
    """The events of the logger object `key` (its bytes `data`, written at epoch `modified`), and a BadEvent for
    each record that is not one; an unreadable object is one BadEvent."""
    try:
        if key.endswith(".parquet"):
            records = _parquet_records(data)
        elif key.endswith(".json"):
            loaded = json.loads(data)
            records = [loaded] if isinstance(loaded, dict) else loaded
            if not isinstance(records, list):
                raise ValueError("neither a record nor an array of records")
        else:
            return [], [BadEvent("unknown log format", f"{key}: not a {' or '.join(FORMATS)} object.", _HINT)]
    except Exception as err:  # any failure to parse untrusted bytes means the same
        return [], [BadEvent("unreadable log object", f"{key} cannot be read: {err}", _HINT)]
    when = times.from_epoch(modified)
    events, bad = [], []
    for index, record in enumerate(records):
        try:
            events.append(_event(record, when))
        except BadEvent as err:
            bad.append(BadEvent(err.reason, f"{key}, record {index + 1}: {err.message}", err.hint))
    return events, bad


_HINT = "Point the logger's storage at a prefix only KServe's logger writes to (format json or parquet)."


def _event(record: object, when: str) -> InferenceEvent:
    if not isinstance(record, dict):
        raise BadEvent("bad log record", "it is not an object.", _HINT)
    for field in ("Id", "ReqType", "InferenceService"):
        if not isinstance(record.get(field), str) or not record[field].strip():
            raise BadEvent(f"missing {field}", f"it has no {field}.", _HINT)
    kind = EVENT_KINDS.get(record["ReqType"])
    if kind is None:
        raise BadEvent("bad ReqType", f"ReqType {record['ReqType']!r} is not an inference request or response.", _HINT)
    try:
        body = binascii.a2b_base64(record.get("Bytes") or "", strict_mode=True)
    except (binascii.Error, TypeError, ValueError):
        raise BadEvent("bad Bytes", "its Bytes are not base64.", _HINT) from None
    if not body:
        raise BadEvent("empty body", "it has no payload (Bytes).", _HINT)
    if len(body) > MAX_BODY_BYTES:
        raise BadEvent("body too large", f"its payload has {len(body)} bytes, over {MAX_BODY_BYTES}.", _HINT)
    return InferenceEvent(
        ce_id=record["Id"].strip(),
        kind=kind,
        deployment=record["InferenceService"].strip(),
        namespace=_text(record.get("Namespace")),
        component=_text(record.get("Component")),
        endpoint=_text(record.get("Endpoint")),
        source=_url(record.get("SourceUri")),
        time=when,
        content_type=_text(record.get("ContentType")) or "application/json",
        body=body,
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _url(value: object) -> str:
    """A URL string from Go's `url.URL` as JSON (a struct of its parts) or as Parquet (a string)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    parts = ("Scheme", "Host", "Path", "Opaque", "RawQuery", "Fragment")
    return _url_text(*(_text(value.get(part)) for part in parts))


@functools.lru_cache(maxsize=64)  # a logger's records share a few URLs
def _url_text(scheme: str, host: str, path: str, opaque: str, query: str, fragment: str) -> str:
    text = (f"{scheme}://" if scheme else "") + host + (path or opaque)
    return text + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def _parquet_records(data: bytes) -> Iterable[dict]:
    """The rows of a Parquet object as JSON-shaped records (Go field names)."""
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data), columns=None)
    present = [column for column in _PARQUET_FIELDS if column in table.column_names]
    columns = {_PARQUET_FIELDS[column]: table.column(column).to_pylist() for column in present}
    return [{field: values[row] for field, values in columns.items()} for row in range(table.num_rows)]
