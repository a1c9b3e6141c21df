"""`s3://bucket/prefix` URIs: parsed and checked before any request, so a typo is a clear error, not a 403."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import FieldError

#: S3's bucket naming rules: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or
#: digit.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
#: The longest object key, in UTF-8 bytes.
MAX_KEY_BYTES = 1024
_EXAMPLE = "Write it as s3://BUCKET/PREFIX, e.g. s3://incoming/daily/."


@dataclass(frozen=True)
class S3Uri:
    """A bucket and a key or key prefix (may be empty: the whole bucket)."""

    bucket: str
    key: str = ""

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def child(self, key: str) -> S3Uri:
        """The URI of the object `key` (a full key) in the same bucket."""
        return S3Uri(self.bucket, key)


def parse_uri(text: str, *, field: str = "uri") -> S3Uri:
    """The bucket and key of `s3://bucket/key`; a FieldError naming `field` says what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise FieldError(field, "The S3 URI is empty.", _EXAMPLE)
    value = text.strip()
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in ("s3", "s3a"):
        raise FieldError(field, f"{value!r} is not an s3:// URI.", _EXAMPLE)
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise FieldError(field, f"The S3 URI {value!r} names no bucket.", _EXAMPLE)
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise FieldError(
            field,
            f"{bucket!r} in {value!r} is not a valid bucket name.",
            "Bucket names have 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or "
            "digit.",
        )
    if "\0" in key or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise FieldError(field, f"The key of {value[:80]!r} is not a valid object key.", "Use a shorter key, no NUL.")
    return S3Uri(bucket, key)
