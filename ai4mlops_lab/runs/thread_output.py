"""Per-thread standard output, so kfp.local tasks running in parallel threads keep their logs apart.

`sys.stdout` becomes a router that writes to the calling thread's stream (set by `redirect`).
kfp.local also swaps process-wide state around each task (`builtins.print` for indentation, the
root logger's handlers); `share_kfp_contexts` makes those swaps last while any task needs them,
instead of each thread undoing the other's.
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TextIO


class _Router(io.TextIOBase):
    """Writes to the calling thread's stream, else to the stdout it replaced."""

    def __init__(self, default: TextIO):
        self.default = default
        self.local = threading.local()

    def _target(self) -> TextIO:
        return getattr(self.local, "stream", None) or self.default

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def fileno(self) -> int:
        return self.default.fileno()


def route_stdout() -> None:
    """Make `sys.stdout` a per-thread router (once)."""
    if not isinstance(sys.stdout, _Router):
        sys.stdout = _Router(sys.stdout)


@contextlib.contextmanager
def redirect(stream: TextIO) -> Iterator[None]:
    """Within the block, what this thread writes to `sys.stdout` goes to `stream`."""
    router = sys.stdout
    assert isinstance(router, _Router), "route_stdout() first"
    previous = getattr(router.local, "stream", None)
    router.local.stream = stream
    try:
        yield
    finally:
        router.local.stream = previous


def _shared(
    factory: Callable[[], contextlib.AbstractContextManager],
) -> Callable[[], contextlib.AbstractContextManager]:
    """A context manager entering `factory()` for the first thread in and leaving it with the last out."""
    lock = threading.Lock()
    state: dict = {"depth": 0, "context": None}

    @contextlib.contextmanager
    def shared() -> Iterator[None]:
        with lock:
            if state["depth"] == 0:
                state["context"] = factory()
                state["context"].__enter__()
            state["depth"] += 1
        try:
            yield
        finally:
            with lock:
                state["depth"] -= 1
                if state["depth"] == 0:
                    state["context"].__exit__(None, None, None)

    return shared


def share_kfp_contexts() -> Callable[[], None]:
    """Make kfp.local's print-indentation and logger contexts safe for tasks in threads; returns an undo."""
    from kfp.local import logging_utils

    originals = logging_utils.indented_print, logging_utils.local_logger_context
    logging_utils.indented_print = _shared(originals[0])
    logging_utils.local_logger_context = _shared(originals[1])

    def undo() -> None:
        logging_utils.indented_print, logging_utils.local_logger_context = originals

    return undo
