"""Comment out IPython syntax (`%magic`, `%%cell magic`, `!shell`) before `ast.parse`, keeping line numbers."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

# Cell magics whose body is still Python: only their first line is commented out.
_PYTHON_BODY_CELL_MAGICS = {"time", "timeit", "capture", "prun"}
_MAGIC_LINE = re.compile(r"^\s*(%|!|[A-Za-z_][\w., ]*=\s*[%!])")
_PIP = re.compile(r"^[%!]\s*(?:python3?\s+-m\s+)?pip3?\s+install\s+(.*)$")
_PIP_OPTIONS_WITH_VALUE = {
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
}


@dataclass
class StrippedCell:
    """Python-only source with the same line count, the IPython lines found and `pip install` requirements."""

    code: str
    magics: list[tuple[int, str]] = field(default_factory=list)  # (1-based line, original text)
    packages: list[str] = field(default_factory=list)


def strip_magics(source: str) -> StrippedCell:
    lines = source.split("\n")
    out = StrippedCell("")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].strip()[2:].split(" ", 1)[0]
        out.magics.append((first + 1, lines[first].strip()))
        end = first + 1 if name in _PYTHON_BODY_CELL_MAGICS else len(lines)
        for i in range(first, end):
            lines[i] = "# " + lines[i] if lines[i].strip() else lines[i]
    for i, line in enumerate(lines):
        if not _MAGIC_LINE.match(line):
            continue
        text = line.strip()
        out.magics.append((i + 1, text))
        out.packages += _pip_requirements(text)
        indent = line[: len(line) - len(line.lstrip())]
        lines[i] = f"{indent}pass  # {text}" if indent else f"# {text}"
    out.code = "\n".join(lines)
    return out


def _pip_requirements(text: str) -> list[str]:
    match = _PIP.match(text)
    if not match:
        return []
    try:
        words = shlex.split(match.group(1), comments=True)
    except ValueError:
        return []
    reqs, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _PIP_OPTIONS_WITH_VALUE
        else:
            reqs.append(word)
    return reqs
