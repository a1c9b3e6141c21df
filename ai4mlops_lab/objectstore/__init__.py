"""S3-compatible object stores: `s3://bucket/prefix` URIs (`uri.py`) and a client built from the environment that
lists, reads and writes objects (`client.py`). Used by data triggers; boto3 is imported on first use only."""

from .client import ObjectInfo, ObjectStore, S3Settings
from .uri import S3Uri, parse_uri

__all__ = ["ObjectInfo", "ObjectStore", "S3Settings", "S3Uri", "parse_uri"]
