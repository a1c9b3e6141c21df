"""Secrets never reach the server's log: tokens in URLs (`?ingest_token=`, `?token=`) and credentials of
`Authorization` headers are replaced by `[secret]` in every line the Jupyter server writes (tornado's access and
warning lines, jupyter-server's and ours)."""

from __future__ import annotations

import logging
import re

SECRET = "[secret]"
_PATTERNS = (
    # any query parameter whose name ends in "token": ingest_token, token, access_token, ...
    re.compile(r"(token=)[^&\s\"'#,;)]+", re.IGNORECASE),
    # the credential after an authorization scheme: "Authorization: Bearer X", "token X"
    re.compile(r"(\b(?:bearer|token|basic)\s+)(?!\[secret\])[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE),
)


def scrub(text: str) -> str:
    """`text` with the tokens and credentials in it replaced by `[secret]`."""
    for pattern in _PATTERNS:
        text = pattern.sub(rf"\g<1>{SECRET}", text)
    return text


class ScrubSecrets(logging.Filter):
    """A handler filter that scrubs each record's message (its arguments merged in) and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def scrub_log(logger: logging.Logger) -> None:
    """Scrub every line that `logger`'s handlers write (once per handler; the loggers tornado's lines
    propagate to are enough)."""
    for handler in logger.handlers:
        if not any(isinstance(f, ScrubSecrets) for f in handler.filters):
            handler.addFilter(ScrubSecrets())
