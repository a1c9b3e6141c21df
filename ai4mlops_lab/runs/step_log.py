"""A step's log made readable: ANSI codes stripped, the user's output apart from KFP's, and a failure trimmed to
the notebook cells it went through.

A local step's log is what kfp.local prints: its own logger lines (`12:00:00.000 - INFO - ...`, continued by
indented lines, tasks separated by a rule of dashes) and, after `Streamed logs:`, the step process's output indented
by 4 spaces. In that output, kfp's executor logs `[KFP Executor <time> <LEVEL>]: ...` (its input as a JSON block
after `Got executor_input:`); the rest is the user's, and a failed step ends with its traceback. Generated steps
run each cell as the file `<cell N>` (see `pipeline/runtime.py::_run`), so those frames are the user's.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_LOCAL = re.compile(r"\d\d:\d\d:\d\d\.\d{3} - [A-Z]+ - ")
_STREAM_INDENT = "    "
_EXECUTOR = re.compile(r"\[KFP Executor [^\]]*\]: ")
_SUCCEEDED = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} - INFO - Task .* finished with status SUCCESS$", re.M)
_TRACEBACK = "Traceback (most recent call last):"
_CHAINS = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_CHAIN_SEPARATORS = [["", chain, ""] for chain in _CHAINS]
_FRAME = re.compile(r'  File "(.*)", line (\d+), in (.*)')
_CELL_FILE = re.compile(r"<cell (\d+)>")
_CELL_WARNING = re.compile(r"<cell (\d+)>:(\d+): ")
_EXCEPTION = re.compile(r"([A-Za-z_][\w.]*)(?:: ?(.*))?")


def strip_ansi(text: str) -> str:
    """`text` without terminal escape codes, each line as a terminal would leave it after carriage returns."""
    lines = _ANSI.sub("", text).split("\n")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)


def readable(text: str) -> dict:
    """The readable view of a raw step log: {output, error, text}.

    `output`: the lines the user's code printed or warned (warnings located as `cell N, line L:`);
    `error`: the step's failure, {type, message, frames, hidden_frames} (None when the log ends without one), where
    each frame is one of the user's: {cell (notebook cell index, from 0, as diagnostics count), line (1-based in
    the cell), code, function (None at the cell's top level)}, and `hidden_frames` counts the others (Python's
    runpy, kfp, ai4mlops-lab); `text`: the whole log, ANSI codes stripped.
    """
    clean = strip_ansi(text)
    items = _classify(_step_lines(clean))
    error, end = (None, len(items)) if _SUCCEEDED.search(clean) else _final_error(items)
    output = [line for item in items[:end] for line in ([item] if isinstance(item, str) else item.pop("raw"))]
    while output and not output[0].strip():
        output.pop(0)
    while output and not output[-1].strip():
        output.pop()
    if error is not None:
        del error["raw"]
    return {"output": "\n".join(output), "error": error, "text": clean}


def describe(error: dict) -> str:
    """An error of `readable` for people: `Type: message`, then `  cell N, line L: code` for each user frame."""
    lines = [f"{error['type']}: {error['message']}" if error["message"] else error["type"]]
    for frame in error["frames"]:
        where = f"cell {frame['cell'] + 1}, line {frame['line']}"
        if frame["function"]:
            where += f", in {frame['function']}"
        lines.append(f"  {where}: {frame['code']}" if frame["code"] else f"  {where}")
    return "\n".join(lines)


def failure(text: str, otherwise: str = "", lines: int = 20) -> str:
    """Why a step failed, from its log: its error described, else `otherwise`, else the log's last `lines` lines."""
    view = readable(text)
    if view["error"] is not None:
        return describe(view["error"])
    return otherwise or "\n".join(view["text"].strip().splitlines()[-lines:])


def _step_lines(text: str) -> list[str]:
    """The lines the step's process wrote: kfp.local's own lines dropped and its indentation removed. A log
    without kfp.local's lines (not a local run) is all the step's."""
    lines = text.split("\n")
    if not any(_LOCAL.match(line) for line in lines):
        return lines
    out, streaming = [], False
    for line in lines:
        if _LOCAL.match(line):
            streaming = line.rstrip().endswith("Streamed logs:")
        elif streaming:
            out.append(line.removeprefix(_STREAM_INDENT))
    return out


def _final_error(items: list) -> tuple[dict | None, int]:
    """The traceback that ends the step's output (with the rest of its message and without the exceptions it was
    raised from or while handling), and where the output before it ends; (None, len(items)) when none ends it."""
    end = len(items)
    while end and items[end - 1] == "":
        end -= 1
    start = _message_start(items, end)
    if not start or not isinstance(items[start - 1], dict):
        return None, len(items)
    error = items[start - 1]
    error["message"] = "\n".join([error["message"], *items[start:end]]).strip()
    end = start - 1
    while end >= 4 and items[end - 3 : end] in _CHAIN_SEPARATORS:
        cause = _message_start(items, end - 3)
        if not cause or not isinstance(items[cause - 1], dict):
            break
        end = cause - 1
    return error, end


def _message_start(items: list, end: int) -> int:
    """Where the lines before `end` that continue an exception's message start (non-blank lines after it)."""
    while end and isinstance(items[end - 1], str) and items[end - 1]:
        end -= 1
    return end


def _classify(lines: list[str]) -> list:
    """The user's lines (str) and tracebacks (dict, see `_traceback`), without the executor's log records."""
    items: list = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if _EXECUTOR.match(line):
            if line.endswith("Got executor_input:") and i < len(lines) and lines[i] == "{":
                while i < len(lines) and lines[i] != "}":
                    i += 1
                i += 1
        elif line == _TRACEBACK:
            traceback, i = _traceback(lines, i)
            items.append(traceback)
        else:
            items.append(_CELL_WARNING.sub(lambda m: f"cell {m[1]}, line {m[2]}: ", line, count=1))
    return items


def _traceback(lines: list[str], start: int) -> tuple[dict, int]:
    """The traceback whose frames start at `start` (after its heading), and the index after its exception's first
    line (a message may go on: see `_final_error`)."""
    frames, users, i = 0, [], start
    while i < len(lines) and lines[i].startswith("  "):
        match = _FRAME.fullmatch(lines[i])
        if match:
            frames += 1
            cell = _CELL_FILE.fullmatch(match[1])
            if cell:
                function = None if match[3] == "<module>" else match[3]
                users.append({"cell": int(cell[1]) - 1, "line": int(match[2]), "code": None, "function": function})
            else:
                users.append(None)
        elif users and users[-1] is not None and users[-1]["code"] is None:
            code = lines[i].strip()
            if code and not set(code) <= set("^~ "):
                users[-1]["code"] = code
        i += 1
    exception = lines[i] if i < len(lines) else ""
    head = _EXCEPTION.fullmatch(exception)
    kind, message = (head[1], head[2] or "") if head else ("Error", exception)
    user_frames = [frame for frame in users if frame is not None]
    return {
        "type": kind,
        "message": message,
        "frames": user_frames,
        "hidden_frames": frames - len(user_frames),
        "raw": [_TRACEBACK, *lines[start : i + 1]],
    }, i + 1
