"""Output files, written a chunk at a time: the input's rows with the prediction columns appended (CSV, Parquet or
`.npy`), and the rejected rows (CSV). Each writes into the temporary file it is given; renaming it is the caller's."""

from __future__ import annotations

import csv
import struct
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from ..errors import UserError
from .readers import Chunk, Reject, need_pyarrow

#: Output formats, by file suffix.
OUTPUTS = (".csv", ".parquet", ".npy")
#: Prediction columns written as whole numbers in a CSV.
INTEGER_COLUMNS = ("class",)
#: Bytes of a `.npy` header written by `NpyWriter` (magic, version, length and the padded dict).
_NPY_HEADER = 128


def check_output(path: Path) -> Path:
    """`path` if it names a format an output can be written in; else a UserError."""
    if path.suffix.lower() not in OUTPUTS:
        raise UserError(f"Cannot write predictions to {path.name}.", f"Name an output ending in {', '.join(OUTPUTS)}.")
    if path.suffix.lower() == ".parquet":
        need_pyarrow()
    return path


class CsvWriter:
    """A CSV: the input's columns (its fields as read, or its values) then the prediction columns."""

    def __init__(self, path: Path, columns: list[str], predictions: list[str]):
        self.stream = path.open("w", newline="")
        self.csv = csv.writer(self.stream)
        self.csv.writerow([*columns, *predictions])
        self.integers = [name in INTEGER_COLUMNS for name in predictions]

    def write(self, chunk: Chunk, table: np.ndarray) -> None:
        inputs = chunk.inputs()
        if any(self.integers):
            columns = [table[:, j].astype(np.int64) if whole else table[:, j] for j, whole in enumerate(self.integers)]
            values = [list(row) for row in zip(*(c.tolist() for c in columns))]
        else:
            values = table.tolist()
        self.csv.writerows(a + b for a, b in zip(inputs, values))

    def close(self) -> None:
        self.stream.close()


class NpyWriter:
    """A float64 `.npy` array: each row's input values (flattened) then its prediction columns. The header is
    written first for the most rows there may be and rewritten with the rows written when closed."""

    def __init__(self, path: Path, columns: list[str], predictions: list[str], most_rows: int):
        self.width, self.rows = len(columns) + len(predictions), 0
        self.stream = path.open("wb")
        self.stream.write(_npy_header(most_rows, self.width))

    def write(self, chunk: Chunk, table: np.ndarray) -> None:
        if table.dtype.kind not in "biuf":
            raise UserError(
                f"The model answers {table.dtype} values, which a .npy output of numbers cannot hold.",
                "Write the predictions to a CSV file (-o NAME.csv).",
            )
        block = np.hstack([chunk.rows.reshape(len(chunk.rows), -1), table]).astype("<f8", copy=False)
        self.stream.write(np.ascontiguousarray(block).tobytes())
        self.rows += len(block)

    def close(self) -> None:
        self.stream.seek(0)
        self.stream.write(_npy_header(self.rows, self.width))
        self.stream.close()


class ParquetWriter:
    """A Parquet file, a row group per chunk: the input's columns (a Parquet input's as read; a CSV's features as
    numbers and its other columns as text; an array's numbers) then the prediction columns (`class` whole numbers).
    `picked` are the indexes of the input's columns that the model reads."""

    def __init__(self, path: Path, columns: list[str], predictions: list[str], picked: list[int]):
        self.path, self.columns, self.predictions, self.picked = path, columns, predictions, picked
        self.writer = None

    def write(self, chunk: Chunk, table: np.ndarray) -> None:
        import pyarrow
        from pyarrow import parquet

        if chunk.table is not None:
            arrays, names = list(chunk.table.columns), list(chunk.table.schema.names)
        else:
            arrays, names = [self._column(chunk, i) for i in range(len(self.columns))], list(self.columns)
        for j, name in enumerate(self.predictions):
            values = table[:, j]
            if table.dtype.kind not in "biuf":
                values = values.astype(str)
            arrays.append(pyarrow.array(values.astype(np.int64) if name in INTEGER_COLUMNS else values))
        batch = pyarrow.RecordBatch.from_arrays(arrays, names=[*names, *self.predictions])
        if self.writer is None:
            self.writer = parquet.ParquetWriter(self.path, batch.schema)
        self.writer.write_batch(batch.cast(self.writer.schema))

    def _column(self, chunk: Chunk, index: int):
        """The input's column `index` of a CSV or array chunk: the decoded numbers of a feature, else text."""
        import pyarrow

        if index in self.picked:
            return pyarrow.array(chunk.rows.reshape(len(chunk.rows), -1)[:, self.picked.index(index)])
        return pyarrow.array([fields[index] for fields in chunk.fields], pyarrow.string())

    def close(self) -> None:
        import pyarrow
        from pyarrow import parquet

        if self.writer is None:  # no row: the columns alone
            empty = {name: pyarrow.array([], pyarrow.string()) for name in [*self.columns, *self.predictions]}
            parquet.write_table(pyarrow.table(empty), self.path)
        else:
            self.writer.close()


class RejectsWriter:
    """A CSV of the rows that could not be decoded: `row` (1-based data row), `field`, `error`, then its values."""

    def __init__(self, path: Path, columns: list[str]):
        self.stream = path.open("w", newline="")
        self.csv = csv.writer(self.stream)
        self.csv.writerow(["row", "field", "error", *columns])

    def write(self, rejects: list[Reject]) -> None:
        self.csv.writerows([r.row, r.field, r.error, *r.values] for r in rejects)

    def close(self) -> None:
        self.stream.close()


class WriteBehind:
    """Writes run on one thread, in order, at most one in flight: a chunk is written while the model predicts the
    next one (numpy, torch and file writes release the GIL). A write's error is raised by the next `submit` or on
    exit; on exit every pending write ends before the writers registered with `closing` are closed."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="batch-writer")
        self._pending: Future | None = None
        self._closers: list = []

    def __enter__(self) -> WriteBehind:
        return self

    def submit(self, write, *args) -> None:
        self.wait()
        self._pending = self._pool.submit(write, *args)

    def wait(self) -> None:
        """Until the write in flight is done (its error raised here)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def closing(self, close) -> None:
        """Call `close` on exit, once the writes are done."""
        self._closers.append(close)

    def __exit__(self, *exc) -> None:
        with ExitStack() as closing:
            for close in self._closers:
                closing.callback(close)
            closing.callback(self._pool.shutdown)
            self.wait()


def open_output(path: Path, columns: list[str], predictions: list[str], most_rows: int, picked: list[int]):
    """The writer of the output format `path` ends in (`picked`: the input columns the model reads)."""
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return NpyWriter(path, columns, predictions, most_rows)
    if suffix == ".parquet":
        return ParquetWriter(path, columns, predictions, picked)
    return CsvWriter(path, columns, predictions)


def _npy_header(rows: int, width: int) -> bytes:
    """A `.npy` (format 1.0) header of a C-ordered float64 (rows x width) array, always `_NPY_HEADER` bytes."""
    text = repr({"descr": "<f8", "fortran_order": False, "shape": (rows, width)})
    text = text.ljust(_NPY_HEADER - 10 - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")
