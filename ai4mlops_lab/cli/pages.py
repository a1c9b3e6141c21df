"""The `--limit` and `--all` options of the list commands, and reading a list page by page through its cursors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from ..store.pages import DEFAULT_LIMIT


def add_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--limit", type=int, metavar="N", help=f"at most N per page, newest first (default {DEFAULT_LIMIT})"
    )
    command.add_argument("--all", action="store_true", help="every page, not only the first")


def listed(fetch: Callable[..., dict], key: str, args: argparse.Namespace) -> list:
    """The `key` items of the first page that `fetch(limit=, cursor=)` answers, or with `--all` of every page; says
    on stderr when more are left."""
    page = fetch(limit=args.limit, cursor=None)
    items = list(page[key])
    while args.all and page["next_cursor"]:
        page = fetch(limit=args.limit, cursor=page["next_cursor"])
        items += page[key]
    if page["next_cursor"]:
        print(f"(the newest {len(items)} {key}; --all lists every one)", file=sys.stderr)
    return items
