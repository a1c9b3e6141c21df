"""Turn the user's parameter values (JSON or command-line strings) into typed pipeline inputs."""

from __future__ import annotations

from ..errors import UserError

_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
_KINDS = {"int": "a whole number", "float": "a number", "bool": "true or false", "str": "a string"}


def _coerce(name: str, kind: str, value):
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError(value)
        if kind == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        expected = _KINDS.get(kind, kind)
        raise UserError(
            f"Parameter '{name}' must be {expected}; got {value!r}.",
            f"Give '{name}' {expected}, like its default in the pipeline-parameters cell.",
        ) from None


def coerce_parameters(declared: list[dict], given: dict) -> dict:
    """All declared parameters: defaults overridden by `given`, each converted to its declared type."""
    known = {p["name"]: p for p in declared}
    unknown = sorted(set(given) - set(known))
    if unknown:
        names = ", ".join(known) or "none"
        raise UserError(
            f"Unknown pipeline parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
            f"The notebook's pipeline-parameters cell defines: {names}.",
        )
    return {name: _coerce(name, p["type"], given.get(name, p["default"])) for name, p in known.items()}


def parse_assignments(pairs: list[str]) -> dict:
    """`NAME=VALUE` strings from the command line, as a dict (types are applied later)."""
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UserError(f"'{pair}' is not NAME=VALUE.", "Write e.g. --param epochs=20.")
        values[name.strip()] = value
    return values
