"""Errors the store raises that a user can act on (moving a file, upgrading, retrying)."""

from __future__ import annotations

from ..errors import UserError


class StoreError(UserError):
    """The store cannot be used."""

    status = 500
    code = "store_error"


class StoreCorruptError(StoreError):
    """The store file is not an ai4mlops-lab SQLite database, or it is damaged."""

    code = "store_corrupt"


class StoreVersionError(StoreError):
    """The store was written by a newer ai4mlops-lab than this one."""

    code = "store_too_new"


class StoreBusyError(StoreError):
    """Another process held the store's write lock for longer than the busy timeout."""

    status = 503
    code = "store_busy"


class StoreValueError(UserError, ValueError):
    """A value given to the store is invalid (a status, target, name or output); also a ValueError."""

    code = "invalid_value"
