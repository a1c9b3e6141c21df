"""A stand-in for KServe's logger writing to object storage: batches of request and response records, as objects
in the layout and format of kserve `pkg/logger/` (the version of the CRD in shared/specs, commit aaac4e2):

- key: `store.go`, `getObjectPrefix` and `getObjectKey` (PREFIX/NAMESPACE/INFERENCESERVICE/COMPONENT/ID-TYPE.EXT,
  ID and TYPE from the batch's first record, TYPE the last part of its ReqType after '.');
- JSON: `marshaller_json.go` (`ServeHTTP`: one record -> the object, several -> an array) of `LogRequest`
  (`types.go`: Go field names, no tags; `Bytes` *[]byte -> base64; `Url`/`SourceUri` *url.URL -> the struct of
  its fields, as Go's encoding/json writes a struct without a marshaller);
- Parquet: `marshaller_parquet.go` with `marshaller_record.go` (`logRecord` columns, `toLogRecord`: URLs as
  strings, Bytes in base64, Metadata/Annotations as JSON text).
"""

import base64
import io
import json
import uuid
from urllib.parse import urlsplit

REQUEST = "org.kubeflow.serving.inference.request"
RESPONSE = "org.kubeflow.serving.inference.response"
SOURCE = "http://localhost:9081/"
COLUMNS = (
    "url",
    "bytes",
    "contentType",
    "reqType",
    "id",
    "sourceUri",
    "inferenceService",
    "namespace",
    "component",
    "endpoint",
    "metadata",
    "annotations",
    "certName",
)


def s3_put(s3, bucket):
    """`put` writing through the S3 API."""
    return lambda key, data: s3.put_object(Bucket=bucket, Key=key, Body=data)


def file_put(folder):
    """`put` writing the files of a folder an S3 server serves as a bucket (faster than PUTs for many objects)."""

    def put(key, data):
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return put


def go_url(text):
    """Go's encoding/json form of a *url.URL (a struct of its exported fields)."""
    parts = urlsplit(text)
    return {
        "Scheme": parts.scheme,
        "Opaque": "",
        "User": None,
        "Host": parts.netloc,
        "Path": parts.path,
        "RawPath": "",
        "OmitHost": False,
        "ForceQuery": False,
        "RawQuery": parts.query,
        "Fragment": parts.fragment,
        "RawFragment": "",
    }


def log_request(kind, ce_id, body, name, namespace, component="predictor", sink="s3://logs/kserve"):
    """One LogRequest as Go's json.Marshal writes it."""
    return {
        "Url": go_url(sink),
        "Bytes": base64.b64encode(body).decode(),
        "ContentType": "application/json",
        "ReqType": REQUEST if kind == "request" else RESPONSE,
        "Id": ce_id,
        "SourceUri": go_url(SOURCE),
        "InferenceService": name,
        "Namespace": namespace,
        "Component": component,
        "Endpoint": "",
        "Metadata": None,
        "Annotations": None,
        "CertName": "",
        "TlsSkipVerify": False,
    }


def exchanges(bodies, name, namespace, predictions=None, ids=None):
    """LogRequests of a request and its response per body, in the order the logger receives them; their CloudEvent
    ids from `ids` (the callers' ce-id headers), else random UUIDs as the logger makes them (`getOrCreateID`)."""
    records = []
    ids = iter(ids or ())
    for index, body in enumerate(bodies):
        ce_id = next(ids, None) or str(uuid.uuid4())
        answer = predictions[index] if predictions else {"predictions": [0] * len(body.get("instances", [0]))}
        records.append(log_request("request", ce_id, json.dumps(body).encode(), name, namespace))
        records.append(log_request("response", ce_id, json.dumps(answer).encode(), name, namespace))
    return records


def object_key(prefix, batch, extension):
    """`getObjectKey` of the batch's first record."""
    first = batch[0]
    parts = [part for part in (prefix.strip("/"), first["Namespace"], first["InferenceService"], first["Component"])]
    kind = first["ReqType"][first["ReqType"].rindex(".") + 1 :]
    return "/".join(part for part in parts if part) + f"/{first['Id']}-{kind}.{extension}"


def marshal_json(batch):
    return json.dumps(batch[0] if len(batch) == 1 else batch, separators=(",", ":")).encode()


def marshal_parquet(batch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    def flat(record):
        return {
            "url": _url_text(record["Url"]),
            "bytes": record["Bytes"],
            "contentType": record["ContentType"],
            "reqType": record["ReqType"],
            "id": record["Id"],
            "sourceUri": _url_text(record["SourceUri"]),
            "inferenceService": record["InferenceService"],
            "namespace": record["Namespace"],
            "component": record["Component"],
            "endpoint": record["Endpoint"],
            "metadata": json.dumps(record["Metadata"]) if record["Metadata"] is not None else "",
            "annotations": json.dumps(record["Annotations"]) if record["Annotations"] is not None else "",
            "certName": record["CertName"],
            "tlsSkipVerify": record["TlsSkipVerify"],
        }

    rows = [flat(record) for record in batch]
    table = pa.table({column: [row[column] for row in rows] for column in (*COLUMNS, "tlsSkipVerify")})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def _url_text(url):
    text = f"{url['Scheme']}://{url['Host']}{url['Path']}"
    return text + (f"?{url['RawQuery']}" if url["RawQuery"] else "")


def write_batches(put, prefix, records, batch_size, extension="json"):
    """Write `records` in batches of `batch_size` (the logger's SizeBatch, `batch_size.go`) as objects with
    `put(key, data)`; their keys."""
    marshal = marshal_parquet if extension == "parquet" else marshal_json
    keys = []
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        key = object_key(prefix, batch, extension)
        put(key, marshal(batch))
        keys.append(key)
    return keys
