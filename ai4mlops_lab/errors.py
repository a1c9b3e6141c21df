"""The one error type for mistakes a user can fix: shared by the REST API and the CLI."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or setup, with what went wrong and what to do.

    `status` is the HTTP status the REST API answers with; the CLI prints `message`
    and `hint` and exits non-zero.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, hint: str = "", *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def to_json(self) -> dict:
        """The API's error body: `{error, detail, hint}`."""
        return {"error": self.code, "detail": self.message, "hint": self.hint}


class NotFoundError(UserError):
    """Something the user named does not exist."""

    status = 404
    code = "not_found"


class FieldError(UserError):
    """A field of a request (a body key, a path part or a CLI argument) has a value that cannot be used; the error
    body names it in `field`."""

    status = 422
    code = "invalid_value"

    def __init__(self, field: str, message: str, hint: str = ""):
        super().__init__(message, hint)
        self.field = field

    def to_json(self) -> dict:
        return {**super().to_json(), "field": self.field}
