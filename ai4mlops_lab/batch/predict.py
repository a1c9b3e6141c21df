"""`predict_file`: a model's predictions over an input file (CSV, Parquet or `.npy`), a chunk at a time, appended
to its rows.

The output is `<stem>.predictions.<ext>` next to the input (or the path given), its rejected rows
`<stem>.rejects.csv` next to the output; both are written to temporary files renamed when every row is done, so a
failure never leaves a half-written output (an existing one stays as it was). An existing output is replaced only
when asked (`overwrite`). Paths are confined to `root`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path, PurePath

import numpy as np

from .. import confined
from ..errors import FieldError, UserError
from ..serving.loaded_model import LoadedModel
from ..serving.signature import Signature, SignatureError
from .columns import check_task, prediction_columns
from .readers import Chunk, Reject, check_input, open_input
from .writers import RejectsWriter, WriteBehind, check_output, open_output

#: Rows predicted at a time by default.
DEFAULT_CHUNK = 10_000

Progress = Callable[[int, int], None]
#: Called with each chunk's predicted rows: their 1-based row numbers, the model's input and its outputs.
Predicted = Callable[[np.ndarray, np.ndarray, np.ndarray], None]
OVERWRITE_HINT = "Name another output, or ask to overwrite it (--overwrite, or overwrite: true)."


def predict_file(
    model: LoadedModel,
    source: str | Path,
    output: str | Path | None = None,
    *,
    root: str | Path,
    chunk_size: int = DEFAULT_CHUNK,
    task: str = "auto",
    overwrite: bool = False,
    progress: Progress | None = None,
    on_predicted: Predicted | None = None,
) -> dict:
    """Predict every row of `source` with `model`; `progress(rows done, rows expected)` after each chunk, and
    `on_predicted(numbers, inputs, outputs)` with each chunk's predicted rows (logging them).

    Relative paths are relative to `root`; a path outside it is refused. Returns `{input, output, rejects_file,
    rows, predicted, rejected, columns, seconds}` (`rejects_file` None when no row was rejected).
    """
    check_options(chunk_size, task)
    root = Path(root).resolve()
    source, target, rejects_path = plan_paths(root, source, output, overwrite=overwrite)
    return predict_planned(
        model,
        source,
        target,
        rejects_path,
        root=root,
        chunk_size=chunk_size,
        task=task,
        progress=progress,
        on_predicted=on_predicted,
    )


def predict_planned(
    model: LoadedModel,
    source: Path,
    target: Path,
    rejects_path: Path,
    *,
    root: Path,
    chunk_size: int = DEFAULT_CHUNK,
    task: str = "auto",
    progress: Progress | None = None,
    on_predicted: Predicted | None = None,
) -> dict:
    """`predict_file` with the paths planned (`plan_input`, `plan_output`): the output and rejects files under
    `root` (the input may be elsewhere, e.g. a downloaded object)."""
    signature = model.signature
    reader = open_input(source, (signature.input or {}).get("features"))
    _check_shape(reader.row_shape(), signature, source.name)
    started, done, count, rejected, names = time.perf_counter(), 0, 0, 0, None
    with ExitStack() as stack:
        temporary = stack.enter_context(confined.atomic_path(root, *target.relative_to(root).parts))
        renames = stack.enter_context(ExitStack())  # the rejects file's, once it is written
        writes = stack.enter_context(WriteBehind())
        writer = rejects = None
        for chunk in reader.chunks(chunk_size):
            done += len(chunk.rows) + len(chunk.rejects)
            values, chunk = _checked(signature, chunk)
            if len(chunk.rows):
                outputs = model.run(values)
                columns, table = prediction_columns(outputs, task)
                if writer is None:
                    names, writer = (
                        columns,
                        open_output(temporary, reader.columns, columns, reader.total, reader.picked),
                    )
                    writes.closing(writer.close)
                elif columns != names:
                    raise UserError(
                        f"The model's outputs changed shape at row {chunk.numbers[0]}: {columns} after {names}."
                    )
                writes.submit(writer.write, chunk, table)
                if on_predicted is not None:
                    on_predicted(chunk.numbers, values, outputs)
                count += len(chunk.rows)
            if chunk.rejects:
                if rejects is None:
                    path = renames.enter_context(confined.atomic_path(root, *rejects_path.relative_to(root).parts))
                    rejects = RejectsWriter(path, reader.columns)
                    writes.closing(rejects.close)
                writes.submit(rejects.write, chunk.rejects)
                rejected += len(chunk.rejects)
            if progress is not None:
                progress(done, max(reader.total, done))
        if progress is not None and done != reader.total:  # the line count was an estimate
            progress(done, done)
        if writer is None:  # no row predicted: the input's columns alone
            open_output(temporary, reader.columns, [], 0, reader.picked).close()
    if not rejected and rejects_path.is_file():  # from an earlier prediction of the same input
        rejects_path.unlink()
    return {
        "input": str(source),
        "output": str(target),
        "rejects_file": str(rejects_path) if rejected else None,
        "rows": done,
        "predicted": count,
        "rejected": rejected,
        "columns": names or [],
        "seconds": round(time.perf_counter() - started, 3),
    }


def check_options(chunk_size: int, task: str) -> None:
    """FieldErrors for a chunk size that is not a whole number of at least 1 and an unknown task."""
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise FieldError("chunk_size", f"The chunk size must be a whole number of at least 1, not {chunk_size!r}.")
    try:
        check_task(task)
    except UserError as err:
        raise FieldError("task", err.message, err.hint) from None


def plan_paths(
    root: Path, source: str | Path, output: str | Path | None = None, *, overwrite: bool = False
) -> tuple[Path, Path, Path]:
    """The input, output and rejects files under `root`: the input an existing file of a format read here; the
    output (default `<stem>.predictions.<ext>` next to the input) of a format written here, replacing neither the
    input nor, unless `overwrite`, an existing file. FieldErrors name `input` or `output`."""
    source = plan_input(root, source)
    return (source, *plan_output(root, source, output, overwrite=overwrite))


def plan_input(root: Path, source: str | Path) -> Path:
    """The input: an existing file under `root` of a format read here (FieldErrors name `input`)."""
    source = as_field_error("input", inside, root, source)
    return as_field_error("input", check_input, source)


def plan_output(root: Path, source: Path, output: str | Path | None, *, overwrite: bool = False) -> tuple[Path, Path]:
    """The output and rejects files under `root` for the input `source` (see `plan_paths`)."""
    target = default_name(source) if not output else None
    target = as_field_error("output", lambda: check_output(target or inside(root, output)))
    rejects_path = target.with_name(rejects_name(source))
    if source in (target, rejects_path):
        raise FieldError("output", f"The output {target.name} would replace the input.", "Name another output.")
    if target.exists() and not overwrite:
        raise FieldError(
            "output",
            f"The output {target.relative_to(root)} exists already.",
            OVERWRITE_HINT,
        )
    return target, rejects_path


def default_name(source: PurePath) -> PurePath:
    """The default output of `source`: `<stem>.predictions.<ext>` next to it."""
    return source.with_name(f"{source.stem}.predictions{source.suffix}")


def rejects_name(source: PurePath) -> str:
    """The name of the rejects file of the input `source` (next to the output)."""
    return f"{source.stem}.rejects.csv"


def as_field_error(name: str, check: Callable, *args, **kwargs):
    """`check(*args, **kwargs)`, its UserError a FieldError naming the field `name` (a 422, or the error's 403 or
    404)."""
    try:
        return check(*args, **kwargs)
    except FieldError:
        raise
    except UserError as err:
        refused = FieldError(name, err.message, err.hint)
        if err.status in (403, 404):
            refused.status, refused.code = err.status, err.code
        raise refused from None


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
    kept, rejects, inputs = [], list(chunk.rejects), chunk.inputs()
    for i, row in enumerate(chunk.rows):
        try:
            signature.array(row[None])
            kept.append(i)
        except SignatureError as err:
            rejects.append(Reject(int(chunk.numbers[i]), "", str(err), [str(v) for v in inputs[i]]))
    rejects.sort(key=lambda r: r.row)
    fields = [chunk.fields[i] for i in kept] if chunk.fields is not None else None
    table = chunk.table.take(kept) if chunk.table is not None else None
    chunk = Chunk(chunk.rows[kept], chunk.numbers[kept], fields, rejects, table)
    return signature.array(chunk.rows) if kept else chunk.rows, chunk
