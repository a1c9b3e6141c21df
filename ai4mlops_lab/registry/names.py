"""What a model name, an alias and a version reference may be; each refusal is a 422 naming the field."""

from __future__ import annotations

import re

from ..errors import FieldError

#: Model names and aliases: lowercase letters, digits, `-` and `_`, starting with a letter (so an alias never reads
#: as a version number, and both fit in a URL path and a Kubernetes label).
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
NAME_RULE = "up to 63 lowercase letters, digits, '-' and '_', starting with a letter"
#: Words of the REST paths under a model that cannot be aliases (`GET models/{name}/aliases/history`).
RESERVED_ALIASES = frozenset({"history"})


def check_model_name(name: object, field: str = "name") -> str:
    """`name` if it is a valid model name; else a FieldError."""
    return _checked(name, field, "model name", "iris-classifier")


def check_alias(alias: object, field: str = "alias") -> str:
    """`alias` if it is a valid alias name; else a FieldError."""
    alias = _checked(alias, field, "alias", "champion")
    if alias in RESERVED_ALIASES:
        raise FieldError(field, f"The alias {alias!r} in {field!r} is reserved.", "Choose another, e.g. 'champion'.")
    return alias


def check_version(value: object, field: str = "version") -> int:
    """A version number (an int, or a string of digits) of at least 1; else a FieldError."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FieldError(
            field, f"The {field!r} {_shown(value)} is not a version number.", "Give a version number: 1, 2, 3..."
        )
    return value


def version_ref(value: object, field: str = "version") -> int | str:
    """A version number, or an alias (a name that is not all digits) standing for the version it points at."""
    if isinstance(value, str) and not value.isdigit():
        if not NAME.match(value):
            raise FieldError(
                field,
                f"The {field!r} {_shown(value)} is neither a version number nor an alias.",
                f"Give a number (1, 2, ...) or an alias ({NAME_RULE}).",
            )
        return value
    return check_version(value, field)


def _checked(value: object, field: str, what: str, example: str) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise FieldError(
            field, f"The {what} {_shown(value)} in {field!r} is invalid.", f"Use {NAME_RULE}, e.g. {example!r}."
        )
    return value


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:60]}... ({len(text)} characters)"
