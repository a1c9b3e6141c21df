"""Names KFP accepts, made from Python identifiers: component inputs and outputs, functions and tasks.

KFP takes input/output names that match `^[A-Za-z][A-Za-z0-9_]*$` (kfp.dsl.pipeline_channel) and task
names lowercased with runs of other characters turned into dashes (kfp.dsl.utils.maybe_rename_for_k8s).
A notebook variable such as `_`, `_scaler` or `données` is valid Python but no valid KFP name.
"""

from __future__ import annotations

import keyword
import re
import unicodedata

_KFP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def is_kfp_name(name: str) -> bool:
    """Whether KFP accepts `name` as an input, output or parameter name (and Python as an argument)."""
    return bool(_KFP_NAME.match(name)) and not keyword.iskeyword(name)


def kfp_name(name: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A valid KFP name for an identifier, not in `taken`: the name itself when valid, else a stable
    spelling of it (`_` -> `v_`, `_scaler` -> `v_scaler`, `données` -> `donnees`), then `_2`, `_3`..."""
    base = name
    if not is_kfp_name(base):
        base = re.sub(r"[^A-Za-z0-9_]", "_", "".join(map(_ascii, name)))
        if not base[:1].isalpha():
            base = "v" + base
        if keyword.iskeyword(base):
            base += "_"
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}_{suffix}", suffix + 1
    return candidate


def kfp_names(names: list[str], taken: set[str]) -> dict[str, str]:
    """Map each of `names` to a KFP name unique among them and `taken` (which grows): valid names keep
    their spelling first, so a mapped name never takes the spelling of a real one."""
    result = {name: name for name in names if is_kfp_name(name) and name not in taken}
    taken |= set(result)
    for name in names:
        if name not in result:
            result[name] = kfp_name(name, taken)
            taken.add(result[name])
    return {name: result[name] for name in names}


def task_name(function: str) -> str:
    """The task name KFP gives a component function's task."""
    return re.sub(r"[^a-z0-9]+", "-", function.lower()).strip("-")


def _ascii(char: str) -> str:
    """A character's ASCII base letters (é -> e), or `_` when it has none."""
    if char.isascii():
        return char
    return unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or "_"
