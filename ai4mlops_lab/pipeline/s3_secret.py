"""A Kubernetes secret holding S3 credentials, given to a generated pipeline's step as its environment."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re

from ..errors import FieldError

#: The keys of the secret, each given to the step as the environment variable of the same name.
SECRET_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
_SECRET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def check_secret(name: str) -> str:
    """A Kubernetes secret's name (DNS-1123 subdomain), with kfp-kubernetes installed to use it; else a FieldError
    (`s3_secret`)."""
    if not _SECRET_NAME.match(name) or len(name) > 253:
        raise FieldError(
            "s3_secret",
            f"{name!r} is not a Kubernetes secret name.",
            "Lowercase letters, digits, '-' and '.', starting and ending with a letter or digit.",
        )
    if importlib.util.find_spec("kfp.kubernetes") is None:
        raise FieldError(
            "s3_secret",
            "Giving the step a secret needs the kfp-kubernetes package, which is not installed.",
            f"pip install kfp-kubernetes=={importlib.metadata.version('kfp')}",
        )
    return name
