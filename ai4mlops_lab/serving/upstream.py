"""Kept-alive HTTP/1.1 connections from a rollout's router to one local model server.

On the router's request path: each request is written in one go and its answer read with asyncio streams, which
costs the router about 100 us less per request than aiohttp's client (`bench/router.py`). Answers with a
Content-Length, chunked ones and ones ended by closing the connection are read. A kept-alive connection the
server closed meanwhile (uvicorn closes idle ones after 5 s) is replaced once: inferences are idempotent.
"""

from __future__ import annotations

import asyncio
import urllib.parse

from .http1 import CHUNKED, parse_head

MAX_IDLE = 32  # kept-alive connections kept per model server


class UpstreamError(Exception):
    """The model server's answer was cut short or is not HTTP."""


class Upstream:
    """Connections to the model server at `url` (`http://HOST:PORT`); each request fails after `timeout_s`."""

    def __init__(self, url: str, timeout_s: float):
        address = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout_s = address.hostname, address.port, timeout_s
        self._host_header = f"Host: {address.netloc}\r\n"
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._closed = False

    async def request(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, list, bytes]:
        """`(status, [(header, value)], body)` of the answer; raises OSError, TimeoutError or UpstreamError."""
        head = "".join(
            (f"{method} {path} HTTP/1.1\r\n", self._host_header, f"Content-Length: {len(body)}\r\n")
            + tuple(f"{name}: {value}\r\n" for name, value in headers.items())
        )
        message = head.encode("latin-1") + b"\r\n" + body
        async with asyncio.timeout(self.timeout_s):
            connection = self._reused()
            if connection is not None:
                try:
                    return await self._exchange(connection, message)
                except (ConnectionError, asyncio.IncompleteReadError):
                    pass  # closed by the server while idle: once more, on a new connection
            return await self._exchange(await asyncio.open_connection(self.host, self.port), message)

    def close(self) -> None:
        """Close the idle connections, and those in use once they are done."""
        self._closed = True
        while self._idle:
            self._idle.pop()[1].close()

    def _reused(self):
        while self._idle:
            reader, writer = self._idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return reader, writer
            writer.close()
        return None

    async def _exchange(self, connection, message: bytes) -> tuple[int, list, bytes]:
        reader, writer = connection
        try:
            writer.write(message)
            status, headers, body, keep = await _read_answer(reader)
        except BaseException:
            writer.close()
            raise
        if keep and not self._closed and len(self._idle) < MAX_IDLE:
            self._idle.append(connection)
        else:
            writer.close()
        return status, headers, body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, list, bytes, bool]:
    """Status, headers, body of one answer, and whether the connection stays open."""
    try:
        head = parse_head(await reader.readuntil(b"\r\n\r\n"))
        if head.length == CHUNKED:
            body = await _read_chunked(reader)
        elif head.length is None:
            body = await reader.read()
        else:
            body = await reader.readexactly(head.length)
        return head.status, head.headers, body, head.keep
    except (ValueError, asyncio.LimitOverrunError) as error:
        raise UpstreamError(f"not an HTTP answer ({error})") from None


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16):
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
        pass
    return b"".join(chunks)
