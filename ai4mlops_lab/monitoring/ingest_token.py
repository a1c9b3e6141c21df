"""The ingest token: a secret that only lets its holder post inference events.

KServe's logger cannot send headers, so a cluster deployment's logger URL carries this token
(`?ingest_token=...`) instead of the Jupyter server's token, which it must never see. Local
deployments send it as `Authorization: Bearer ...`. Delete the file to revoke it.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from .. import confined

TOKEN_FILE = "ingest-token"


def ingest_token(workspace: Path) -> str:
    """The workspace's ingest token, created (readable by the owner only) on first use."""
    path = Path(workspace) / TOKEN_FILE
    if not path.exists():
        confined.make_folder(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as stream:
            stream.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def is_ingest_token(workspace: Path, presented: str | None) -> bool:
    """Whether `presented` is the workspace's ingest token (constant-time comparison).

    The file is read on every call (a microsecond), so deleting or replacing it takes effect at once.
    """
    if not presented:
        return False
    try:
        fd = os.open(os.path.join(workspace, TOKEN_FILE), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        token = os.read(fd, 4096).strip()
    finally:
        os.close(fd)
    return hmac.compare_digest(presented.encode(), token)
