"""An S3-compatible object store reached with boto3: list a prefix, read an object into a file, write a file.

Where: `S3Settings.from_environment` reads the endpoint (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL` or
`S3_ENDPOINT_URL`; none: AWS itself) and the region (`AWS_REGION`, `AWS_DEFAULT_REGION`; default us-east-1). With an
endpoint, requests use path-style addressing (`http://host/bucket/key`), which S3-compatible servers (MinIO, Ceph,
rclone) expect. Credentials come from boto3's usual chain: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and
`AWS_SESSION_TOKEN`), `AWS_PROFILE` and `~/.aws/credentials`, instance roles.

Every failure a user can fix (no credentials, refused credentials, no such bucket or key, endpoint unreachable)
is a UserError saying what to set; no message ever holds a secret. boto3 is imported on first use.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import NotFoundError, UserError
from .uri import S3Uri

#: The environment variables naming the endpoint, the first set wins.
ENDPOINT_ENV = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "S3_ENDPOINT_URL")
REGION_ENV = ("AWS_REGION", "AWS_DEFAULT_REGION")
DEFAULT_REGION = "us-east-1"
CONNECT_TIMEOUT_S = 5
#: Longest wait for a socket read, and the tries of a request by boto3 (the first included): the defaults.
READ_TIMEOUT_S = 60
ATTEMPTS = 3
#: Bytes per read when streaming an object to a file.
CHUNK = 1 << 20
_CREDENTIALS_HINT = (
    "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment of the Jupyter server (or of `ai4mlops`), "
    "or AWS_PROFILE with ~/.aws/credentials."
)
_REFUSED = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "ExpiredToken", "InvalidToken"}
_MISSING_KEY = {"NoSuchKey", "404", "NotFound"}


@dataclass(frozen=True)
class S3Settings:
    """Where the object store is: `endpoint_url` (empty: AWS), `region`, whether to use path-style addressing
    (default: when an endpoint is given); how long a socket read may wait (`read_timeout_s`) and how often boto3
    tries a request (`attempts`, the first included: 1 is no retry)."""

    endpoint_url: str = ""
    region: str = DEFAULT_REGION
    path_style: bool | None = None
    read_timeout_s: float = READ_TIMEOUT_S
    attempts: int = ATTEMPTS

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> S3Settings:
        env = os.environ if environ is None else environ
        endpoint = next((env[name].strip() for name in ENDPOINT_ENV if env.get(name, "").strip()), "")
        region = next((env[name].strip() for name in REGION_ENV if env.get(name, "").strip()), DEFAULT_REGION)
        return cls(endpoint_url=endpoint, region=region)

    @property
    def where(self) -> str:
        """The endpoint as a message names it."""
        return self.endpoint_url or "AWS S3"

    def checked_endpoint(self) -> str | None:
        """The endpoint URL (None for AWS); a UserError when it is not an http(s) URL."""
        if not self.endpoint_url:
            return None
        parts = urlsplit(self.endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UserError(
                f"The S3 endpoint {self.endpoint_url!r} is not an http(s) URL.",
                f"Set {ENDPOINT_ENV[1]} (or {ENDPOINT_ENV[2]}) to e.g. http://127.0.0.1:9000.",
            )
        return self.endpoint_url


@dataclass(frozen=True)
class ObjectInfo:
    """An object as a listing gives it: `etag` without quotes, `modified` in epoch seconds."""

    key: str
    size: int
    etag: str
    modified: float


class ObjectStore:
    """The object store of `settings`; its boto3 client (thread-safe) is made on first use."""

    def __init__(self, settings: S3Settings | None = None):
        self.settings = settings or S3Settings.from_environment()
        self._client = None
        self._lock = threading.Lock()

    def list(self, uri: S3Uri, *, recursive: bool = True, start_after: str = "") -> Iterator[ObjectInfo]:
        """The objects whose key starts with `uri.key`, page by page in key order; with `recursive` False, only
        those with no further '/' after the prefix; with `start_after` (a key), only the keys after it."""
        options = {} if recursive else {"Delimiter": "/"}
        if start_after:
            options["StartAfter"] = start_after
        pages = self._call(
            uri,
            lambda s3: s3.get_paginator("list_objects_v2").paginate(Bucket=uri.bucket, Prefix=uri.key, **options),
        )
        iterator = iter(pages)
        while (page := self._call(uri, lambda _: next(iterator, None))) is not None:
            for item in page.get("Contents", ()):
                yield ObjectInfo(
                    key=item["Key"],
                    size=int(item["Size"]),
                    etag=str(item.get("ETag", "")).strip('"'),
                    modified=item["LastModified"].timestamp(),
                )

    def exists(self, uri: S3Uri) -> bool:
        """Whether the object `uri` exists (a listing of its key: a missing bucket is a NotFoundError)."""
        found = self._call(
            uri, lambda s3: s3.list_objects_v2(Bucket=uri.bucket, Prefix=uri.key, MaxKeys=1).get("Contents", ())
        )
        return any(item["Key"] == uri.key for item in found)

    def delete(self, uri: S3Uri) -> None:
        """Delete the object `uri` (nothing when it is not there)."""
        self._call(uri, lambda s3: s3.delete_object(Bucket=uri.bucket, Key=uri.key))

    def download(self, uri: S3Uri, destination: Path) -> Path:
        """Stream the object `uri` into the file `destination` (replaced only once the whole object is read)."""
        destination = Path(destination)
        partial = destination.with_name(f".{destination.name}.part")
        body = self._call(uri, lambda s3: s3.get_object(Bucket=uri.bucket, Key=uri.key))["Body"]
        try:
            with open(partial, "wb") as out:
                for chunk in body.iter_chunks(CHUNK):
                    out.write(chunk)
            os.replace(partial, destination)
        finally:
            body.close()
            partial.unlink(missing_ok=True)
        return destination

    def read(self, uri: S3Uri) -> bytes:
        """The bytes of the object `uri` (for small objects, such as request log batches)."""
        response = self._call(uri, lambda s3: s3.get_object(Bucket=uri.bucket, Key=uri.key))
        return self._call(uri, lambda _: response["Body"].read())

    def write(self, data: bytes, uri: S3Uri) -> S3Uri:
        """Write `data` as the object `uri` in one PUT: readers see the old object or the whole new one."""
        self._call(uri, lambda s3: s3.put_object(Bucket=uri.bucket, Key=uri.key, Body=data))
        return uri

    def upload(self, source: Path, uri: S3Uri) -> S3Uri:
        """Write the local file `source` as the object `uri` (multipart when large)."""
        self._call(uri, lambda s3: s3.upload_file(str(source), uri.bucket, uri.key))
        return uri

    def client(self):
        """The boto3 S3 client."""
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                path_style = self.settings.path_style
                if path_style is None:
                    path_style = bool(self.settings.endpoint_url)
                config = Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path" if path_style else "auto"},
                    connect_timeout=CONNECT_TIMEOUT_S,
                    read_timeout=self.settings.read_timeout_s,
                    retries={"total_max_attempts": self.settings.attempts, "mode": "standard"},
                )
                self._client = boto3.session.Session(botocore_session=_botocore_session()).client(
                    "s3",
                    endpoint_url=self.settings.checked_endpoint(),
                    region_name=self.settings.region,
                    config=config,
                )
            return self._client

    def _call(self, uri: S3Uri, request):
        """`request(client)`, its failures as UserErrors about `uri`."""
        from botocore import exceptions as boto

        try:
            return request(self.client())
        except (boto.NoCredentialsError, boto.PartialCredentialsError):
            raise UserError(f"No credentials to reach {self.settings.where} for {uri}.", _CREDENTIALS_HINT) from None
        except (boto.ConnectionError, boto.HTTPClientError) as err:  # refused, timed out, closed
            raise self._unreachable(err) from None
        except boto.ClientError as err:
            raise self._refused(err, uri) from None
        except boto.BotoCoreError as err:
            raise UserError(
                f"{self.settings.where} answered for {uri} with something S3 clients cannot read "
                f"({type(err).__name__}).",
                f"Check that {ENDPOINT_ENV[1]} (or {ENDPOINT_ENV[2]}) names an S3-compatible server.",
                status=502,
                code="bad_gateway",
            ) from None
        except Exception as err:
            cause = err.__context__
            if isinstance(cause, boto.ClientError):  # boto3's upload wraps it (S3UploadFailedError)
                raise self._refused(cause, uri) from None
            raise

    def _unreachable(self, err: Exception) -> UserError:
        hint = (
            f"Check {ENDPOINT_ENV[1]} (or {ENDPOINT_ENV[2]}) and that the server runs."
            if self.settings.endpoint_url
            else f"Check the network, or set {ENDPOINT_ENV[1]} for an S3-compatible server."
        )
        return UserError(
            f"Cannot reach the S3 endpoint {self.settings.where}: {type(err).__name__}.",
            hint,
            status=502,
            code="bad_gateway",
        )

    def _refused(self, err, uri: S3Uri) -> UserError:
        code = str(err.response.get("Error", {}).get("Code", ""))
        text = err.response.get("Error", {}).get("Message") or code
        if code == "NoSuchBucket":
            return NotFoundError(
                f"There is no bucket {uri.bucket!r} at {self.settings.where}.",
                "Check the bucket name, or create the bucket.",
            )
        if code in _MISSING_KEY:
            return NotFoundError(f"There is no object {uri}.", "List the prefix to see its objects.")
        if code in _REFUSED:
            return UserError(
                f"{self.settings.where} refused the credentials for {uri} ({code}).",
                _CREDENTIALS_HINT.replace("Set", "Check", 1),
                status=403,
                code="forbidden",
            )
        return UserError(
            f"{self.settings.where} answered {code or 'an error'} for {uri}: {text}",
            status=502,
            code="bad_gateway",
        )


@functools.cache
def _service_models():
    """One loader of botocore's service models per process: S3's model is parsed once."""
    from botocore.loaders import create_loader

    return create_loader()


def _botocore_session():
    """A fresh botocore session (credentials are looked up anew) on the shared loader of service models: a client
    then takes about 0.1 s to make instead of 0.5 s."""
    import botocore.session

    session = botocore.session.get_session()
    session.register_component("data_loader", _service_models())
    return session
