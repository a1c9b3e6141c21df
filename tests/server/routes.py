"""Every (method, concrete URL) the extension serves, for tests that must cover them all."""

import inspect
import re

from ai4mlops_lab.server.routes import api_routes

METHODS = ("get", "post", "put", "patch", "delete")


def concrete(pattern: str) -> str:
    """A URL matching a route pattern, each capture group filled with a value it accepts (so the route's
    own handler, not the catch-all, answers)."""

    def sample(group: re.Match) -> str:
        inner = group.group(1)
        candidates = ["sample", "1", *inner.split("|")]
        return next(c for c in candidates if re.fullmatch(inner, c))

    return re.sub(r"\(([^)]*)\)", sample, pattern)


def every_route() -> list[tuple[str, str]]:
    """(HTTP method, URL path without base_url) for each method each handler implements."""
    return [
        (method, concrete(pattern))
        for pattern, handler in api_routes("/ai4mlops-lab/api")
        for method in methods_of(handler)
    ]


def methods_of(handler: type) -> list[str]:
    """The HTTP methods (upper case) that `handler` implements."""
    return [
        method.upper()
        for method in METHODS
        if getattr(handler, method, None) is not None and not _is_tornado_default(handler, method)
    ]


def _is_tornado_default(handler: type, method: str) -> bool:
    from tornado.web import RequestHandler

    return inspect.unwrap(getattr(handler, method)) is inspect.unwrap(getattr(RequestHandler, method))
