"""The head of an HTTP/1.x answer, as this package's kept-alive clients read it (the router's `upstream.py` on
asyncio streams, the request log's `sinks.HttpSink` on a blocking socket): status, headers, whether the
connection stays open and how the body is framed."""

from __future__ import annotations

from typing import NamedTuple

CHUNKED = -1  # `Head.length` of a chunked body


class Head(NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    keep: bool  # whether the connection stays open after this answer
    length: int | None  # the body's bytes, CHUNKED, or None: until the server closes the connection


def parse_head(head: bytes) -> Head:
    """The status line and header lines of an answer (each ending with CRLF, or LF); raises ValueError if not
    HTTP."""
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    version, status = lines[0].split(" ", 2)[:2]
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1 status line: {lines[0][:80]!r}")
    code = int(status)
    headers = []
    for line in lines[1:]:
        if line:
            name, colon, value = line.partition(":")
            if not colon:
                raise ValueError(f"not a header line: {line[:80]!r}")
            headers.append((name.strip(), value.strip()))
    fields = {name.lower(): value for name, value in headers}
    keep = version == "HTTP/1.1" and fields.get("connection", "").lower() != "close"
    if code < 200 or code in (204, 304):
        length = 0
    elif "chunked" in fields.get("transfer-encoding", "").lower():
        length = CHUNKED
    elif "content-length" in fields:
        length = int(fields["content-length"])
    else:
        length, keep = None, False
    return Head(code, headers, keep, length)
