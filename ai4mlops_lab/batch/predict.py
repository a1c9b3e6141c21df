"""`predict_file`: a model's predictions over an input file, a chunk at a time, appended to its rows.

The output is `<stem>.predictions.<ext>` next to the input (or the path given), its rejected rows
`<stem>.rejects.csv` next to the output; both are written to temporary files renamed when every row is done, so a
failure never leaves a half-written output (an existing one stays as it was). Paths are confined to `root`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from .. import confined
from ..errors import UserError
from ..serving.loaded_model import LoadedModel
from ..serving.signature import Signature, SignatureError
from .columns import check_task, prediction_columns
from .readers import Chunk, Reject, open_input
from .writers import RejectsWriter, check_output, open_output

#: Rows predicted at a time by default.
DEFAULT_CHUNK = 10_000

Progress = Callable[[int, int], None]


def predict_file(
    model: LoadedModel,
    source: str | Path,
    output: str | Path | None = None,
    *,
    root: str | Path,
    chunk_size: int = DEFAULT_CHUNK,
    task: str = "auto",
    progress: Progress | None = None,
) -> dict:
    """Predict every row of `source` with `model`; `progress(rows done, rows expected)` after each chunk.

    Relative paths are relative to `root`; a path outside it is refused. Returns `{input, output, rejects_file,
    rows, predicted, rejected, columns, seconds}` (`rejects_file` None when no row was rejected).
    """
    check_task(task)
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise UserError(f"The chunk size must be a whole number of at least 1, not {chunk_size!r}.")
    root = Path(root).resolve()
    source = inside(root, source)
    signature = model.signature
    reader = open_input(source, (signature.input or {}).get("features"))
    target = check_output(
        inside(root, output) if output else source.with_name(f"{source.stem}.predictions{source.suffix}")
    )
    rejects_path = target.with_name(f"{source.stem}.rejects.csv")
    if source in (target, rejects_path):
        raise UserError(f"The output {target.name} would replace the input.", "Name another output (-o).")
    _check_shape(reader.row_shape(), signature, source.name)
    started, done, predicted, rejected, names = time.perf_counter(), 0, 0, 0, None
    with ExitStack() as stack:
        temporary = stack.enter_context(confined.atomic_path(root, *target.relative_to(root).parts))
        writer = rejects = None
        for chunk in reader.chunks(chunk_size):
            done += len(chunk.rows) + len(chunk.rejects)
            values, chunk = _checked(signature, chunk)
            if len(chunk.rows):
                columns, table = prediction_columns(model.run(values), task)
                if writer is None:
                    names, writer = columns, open_output(temporary, reader.columns, columns, reader.total)
                    stack.callback(writer.close)
                elif columns != names:
                    raise UserError(
                        f"The model's outputs changed shape at row {chunk.numbers[0]}: {columns} after {names}."
                    )
                writer.write(chunk, table)
                predicted += len(chunk.rows)
            if chunk.rejects:
                if rejects is None:
                    path = stack.enter_context(confined.atomic_path(root, *rejects_path.relative_to(root).parts))
                    rejects = RejectsWriter(path, reader.columns)
                    stack.callback(rejects.close)
                rejects.write(chunk.rejects)
                rejected += len(chunk.rejects)
            if progress is not None:
                progress(done, max(reader.total, done))
        if progress is not None and done != reader.total:  # the line count was an estimate
            progress(done, done)
        if writer is None:  # no row predicted: the input's columns alone
            open_output(temporary, reader.columns, [], 0).close()
    if not rejected and rejects_path.is_file():  # from an earlier prediction of the same input
        rejects_path.unlink()
    return {
        "input": str(source),
        "output": str(target),
        "rejects_file": str(rejects_path) if rejected else None,
        "rows": done,
        "predicted": predicted,
        "rejected": rejected,
        "columns": names or [],
        "seconds": round(time.perf_counter() - started, 3),
    }


def inside(root: Path, path: str | Path) -> Path:
    """`path` (relative to `root`, or absolute) resolved; a UserError (403) when it is outside `root`."""
    path = Path(path)
    relative = os.path.relpath(path if path.is_absolute() else root / path, root)
    return confined.resolve(root, *Path(relative).parts)


def _check_shape(row_shape: tuple[int, ...], signature: Signature, name: str) -> None:
    """Refuse a file whose rows cannot fit the model's input at all, before anything is predicted."""
    if signature.input is None:
        return
    wanted = signature.input["shape"][1:]
    if len(wanted) != len(row_shape) or any(w not in (-1, g) for w, g in zip(wanted, row_shape)):
        raise UserError(
            f"The rows of {name} have shape {list(row_shape)}; the model expects {signature.describe()}.",
            "Give a file with the model's features (a CSV header naming them picks them by name).",
        )


def _checked(signature: Signature, chunk: Chunk) -> tuple[np.ndarray, Chunk]:
    """The chunk's rows as the model's input, and the chunk less the rows the signature refuses (rejected)."""
    try:
        return signature.array(chunk.rows), chunk
    except SignatureError:
        pass
    kept, rejects = [], list(chunk.rejects)
    for i, row in enumerate(chunk.rows):
        try:
            signature.array(row[None])
            kept.append(i)
        except SignatureError as err:
            values = chunk.fields[i] if chunk.fields is not None else [str(v) for v in row.ravel().tolist()]
            rejects.append(Reject(int(chunk.numbers[i]), "", str(err), values))
    rejects.sort(key=lambda r: r.row)
    fields = [chunk.fields[i] for i in kept] if chunk.fields is not None else None
    chunk = Chunk(chunk.rows[kept], chunk.numbers[kept], fields, rejects)
    return signature.array(chunk.rows) if kept else chunk.rows, chunk
