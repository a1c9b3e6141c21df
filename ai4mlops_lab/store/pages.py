"""Pages of a long list read by keyset pagination: at most `limit` rows after an opaque cursor.

A cursor names the last row of the previous page by its sort key (e.g. a run's creation time and row id), so a
page costs the same wherever it is in the list, and rows added meanwhile (newer, so before the first page) never
shift the pages that follow: reading every page returns each row that was there at the start exactly once.
"""

from __future__ import annotations

import base64
import binascii
import json

from ..errors import FieldError

#: Rows of a page when the caller names no limit, and the most it may ask for.
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


class PageArgumentError(FieldError):
    """A `limit` or `cursor` that cannot be used (a 400 naming it)."""

    status = 400
    code = "bad_request"


def limit(value: int | str | None) -> int:
    """The page size a caller asked for (a number, its text, or None for the default); a PageArgumentError
    naming `limit` unless it is a whole number from 1 to MAX_LIMIT."""
    if value is None:
        return DEFAULT_LIMIT
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.isdigit():
        number = int(value)
    if number is None or not 1 <= number <= MAX_LIMIT:
        raise PageArgumentError(
            "limit",
            f"'limit' must be a whole number from 1 to {MAX_LIMIT}, not {value!r}.",
            f"Leave it out for pages of {DEFAULT_LIMIT}.",
        )
    return number


def cursor(listing: str, key: tuple) -> str:
    """The opaque cursor after the row whose sort key is `key` in the list `listing`."""
    text = json.dumps([listing, *key], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def position(listing: str, value: str | None, types: tuple[type, ...]) -> tuple | None:
    """The sort key a cursor of `listing` names (its parts of `types`), None for no cursor (the first page); a
    PageArgumentError naming `cursor` for anything else (damaged, or made by another list)."""
    if value is None:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, binascii.Error):
        decoded = None
    if (
        not isinstance(decoded, list)
        or decoded[:1] != [listing]
        or len(decoded) != len(types) + 1
        or not all(type(part) is kind for part, kind in zip(decoded[1:], types))
    ):
        raise PageArgumentError(
            "cursor",
            f"'cursor' is not a cursor of this list of {listing}: {value[:40]!r}.",
            "Pass the next_cursor of the previous page as it came, or leave it out for the first page.",
        )
    return tuple(decoded[1:])


def split(rows: list, size: int, listing: str, key) -> tuple[list, str | None]:
    """The page of `rows` (read with `size + 1` as their limit) and the cursor after it (None: the list ends
    there); `key(row)` is a row's sort key."""
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    return rows, cursor(listing, key(rows[-1]))
