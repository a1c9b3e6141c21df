"""Input files read in chunks of decoded rows: CSV (a header row names the columns), Parquet (a record batch at a
time; pyarrow is imported when one is read) and `.npy` (memory-mapped).

A row that cannot be decoded (a wrong number of fields, a value that is not a finite number) becomes a `Reject`
naming its 1-based data row and the field; the other rows of its chunk are kept.
"""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import numpy as np

from ..errors import UserError
from ..monitoring.replay import is_number

#: The input formats, by file suffix.
FORMATS = (".csv", ".parquet", ".npy")
#: Bytes read at a time when counting a CSV's lines.
_BLOCK = 1 << 20


@dataclass
class Reject:
    """A data row (1-based, after the header) that could not be decoded: the field at fault ("" for the whole row),
    why, and the row's values as read."""

    row: int
    field: str
    error: str
    values: list[str]


@dataclass
class Chunk:
    """Decoded rows (`rows`, float64, one per row in `numbers`, 1-based), the text `fields` of each as read (CSV;
    None otherwise), the chunk's rejects and, for Parquet, the `table` (a pyarrow RecordBatch) of its kept rows."""

    rows: np.ndarray
    numbers: np.ndarray
    fields: list[list[str]] | None
    rejects: list[Reject] = field(default_factory=list)
    table: object = None

    def inputs(self) -> list[list]:
        """Each kept row's input values as read: its text fields, its Parquet values, else its numbers."""
        if self.fields is not None:
            return self.fields
        if self.table is not None:
            return [list(row.values()) for row in self.table.to_pylist()]
        return self.rows.reshape(len(self.rows), -1).tolist()


class CsvReader:
    """A CSV file of numbers; its first row is a header when it holds a non-number. Header names that include every
    one of the model's `features` pick those columns in the model's order; otherwise every column is a feature,
    in order."""

    def __init__(self, path: Path, features: list[str] | None):
        self.path = path
        with path.open(newline="") as stream:
            first = next(csv.reader(stream), None)
        if first is None:
            raise UserError(f"{path.name} is empty.", "Give a CSV file with a row of numbers per prediction.")
        self.header = None if all(is_number(v) for v in first) else first
        self.width = len(first)
        self.columns = self.header or _names(features, self.width)
        self.picked = _picked(self.header, features, self.width, path.name)
        self.features = [self.columns[i] for i in self.picked]
        self.total = max(_count_lines(path) - (self.header is not None), 0)

    def row_shape(self) -> tuple[int, ...]:
        return (len(self.picked),)

    def chunks(self, size: int) -> Iterator[Chunk]:
        with self.path.open(newline="") as stream:
            records = csv.reader(stream)
            if self.header is not None:
                next(records)
            number, batch = 0, []
            for record in records:
                number += 1
                batch.append(record)
                if len(batch) == size:
                    yield self._decoded(batch, number - len(batch) + 1)
                    batch = []
            if batch:
                yield self._decoded(batch, number - len(batch) + 1)

    def _decoded(self, records: list[list[str]], first: int) -> Chunk:
        """The chunk of `records` (data rows `first`, `first + 1`, ...): all at once, else row by row."""
        numbers = np.arange(first, first + len(records))
        try:
            rows = np.array(records, dtype=np.float64)[:, self.picked]
            if rows.ndim == 2 and rows.shape[1] == len(self.picked) and np.isfinite(rows).all():
                return Chunk(rows, numbers, records)
        except (ValueError, IndexError):  # ragged, or a field that is not a number
            pass
        kept, rejects = [], []
        for number, record in zip(numbers.tolist(), records):
            problem = self._problem(record)
            if problem:
                rejects.append(Reject(number, problem[0], problem[1], record))
            else:
                kept.append((number, record))
        rows = np.array([[float(r[i]) for i in self.picked] for _, r in kept], dtype=np.float64)
        return Chunk(
            rows.reshape(len(kept), len(self.picked)),
            np.array([n for n, _ in kept], dtype=np.int64),
            [r for _, r in kept],
            rejects,
        )

    def _problem(self, record: list[str]) -> tuple[str, str] | None:
        """(field, why) when a record cannot be decoded; None when it can."""
        if len(record) != self.width:
            return "", f"has {len(record)} fields, expected {self.width}" if record else "is empty"
        for i in self.picked:
            if not is_number(record[i]) or not np.isfinite(float(record[i])):
                return self.columns[i], f"{record[i]!r} is not a finite number"
        return None


class NpyReader:
    """A `.npy` array of numbers, memory-mapped; its first axis are the rows."""

    def __init__(self, path: Path, features: list[str] | None):
        try:
            self.array = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as err:
            raise UserError(f"{path.name} is not a numeric .npy array: {err}.", "Save it with numpy.save.") from None
        if self.array.ndim == 0 or self.array.dtype.kind not in "biuf":
            raise UserError(
                f"{path.name} holds {self.array.dtype} of shape {list(self.array.shape)}, not rows of numbers.",
                "Save an array of shape (rows, features) with numpy.save.",
            )
        self.header = None
        width = int(np.prod(self.array.shape[1:], dtype=np.int64))
        self.columns = self.features = _names(features, width)
        self.picked = list(range(width))
        self.total = len(self.array)

    def row_shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape[1:])

    def chunks(self, size: int) -> Iterator[Chunk]:
        for start in range(0, len(self.array), size):
            rows = np.asarray(self.array[start : start + size], dtype=np.float64)
            numbers = np.arange(start + 1, start + 1 + len(rows))
            flat = rows.reshape(len(rows), -1)
            bad = ~np.isfinite(flat)
            if not bad.any():
                yield Chunk(rows, numbers, None)
                continue
            wrong = bad.any(axis=1)
            rejects = [
                Reject(int(n), self.columns[int(np.argmax(b))], "is not a finite number", [str(v) for v in r.tolist()])
                for n, b, r in zip(numbers[wrong], bad[wrong], flat[wrong])
            ]
            yield Chunk(rows[~wrong], numbers[~wrong], None, rejects)


class ParquetReader:
    """A Parquet file, a record batch at a time; its schema names the columns, which pick the model's features by
    name as a CSV header does. Numeric columns and text columns of numbers are decoded; a null, a text that is not a
    number or a value that is not finite rejects its row."""

    def __init__(self, path: Path, features: list[str] | None):
        import pyarrow
        from pyarrow import parquet

        try:
            self.file = parquet.ParquetFile(path)
        except (pyarrow.ArrowException, OSError) as err:
            raise UserError(
                f"{path.name} is not a readable Parquet file: {err}.", "Write it with pyarrow or pandas."
            ) from None
        schema = self.file.schema_arrow
        self.header = self.columns = list(schema.names)
        self.picked = _picked(self.header, features, len(self.columns), path.name)
        self.features = [self.columns[i] for i in self.picked]
        for i in self.picked:
            kind = schema.field(i).type
            if not (pyarrow.types.is_integer(kind) or pyarrow.types.is_floating(kind) or _is_text(kind)):
                raise UserError(
                    f"Column {self.columns[i]!r} of {path.name} holds {kind}, not numbers.",
                    "Give the model's features as numeric columns (or text of numbers).",
                )
        self.total = self.file.metadata.num_rows

    def row_shape(self) -> tuple[int, ...]:
        return (len(self.picked),)

    def chunks(self, size: int) -> Iterator[Chunk]:
        first = 1
        for batch in self.file.iter_batches(batch_size=size):
            yield self._decoded(batch, first)
            first += batch.num_rows

    def _decoded(self, batch, first: int) -> Chunk:
        """The chunk of a record batch (data rows `first`, ...): its picked columns as float64, bad rows rejected."""
        numbers = np.arange(first, first + batch.num_rows)
        rows = np.empty((batch.num_rows, len(self.picked)), dtype=np.float64)
        for j, i in enumerate(self.picked):
            rows[:, j] = _floats(batch.column(i))
        bad = ~np.isfinite(rows)
        wrong = bad.any(axis=1)
        if not wrong.any():
            return Chunk(rows, numbers, None, table=batch)
        rejected = np.flatnonzero(wrong)
        rejects = []
        for index, record in zip(rejected.tolist(), batch.take(rejected).to_pylist()):
            name = self.columns[self.picked[int(np.argmax(bad[index]))]]
            value = record[name]
            why = "is empty" if value is None else f"{value!r} is not a finite number"
            rejects.append(
                Reject(int(numbers[index]), name, why, ["" if v is None else str(v) for v in record.values()])
            )
        kept = np.flatnonzero(~wrong)
        return Chunk(rows[kept], numbers[kept], None, rejects, table=batch.take(kept))


def _is_text(kind) -> bool:
    import pyarrow

    return pyarrow.types.is_string(kind) or pyarrow.types.is_large_string(kind)


def _floats(column) -> np.ndarray:
    """A Parquet column's values as float64, NaN where a value is null or not a number."""
    import pyarrow

    if _is_text(column.type):
        return np.array([float(v) if v is not None and is_number(v) else np.nan for v in column.to_pylist()])
    return column.cast(pyarrow.float64()).to_numpy(zero_copy_only=False)


def check_input(path: Path) -> Path:
    """`path` if it is a file of a format read here; else a UserError."""
    check_format(path)
    if not path.is_file():
        raise UserError(f"There is no file {path}.", "Check the path.", status=404, code="not_found")
    return path


def check_format(path: PurePath) -> PurePath:
    """`path` if it names a format read here (pyarrow installed for Parquet); else a UserError."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UserError(f"Cannot read {path.name or path}.", f"Give a file ending in {', '.join(FORMATS)}.")
    if suffix == ".parquet":
        need_pyarrow()
    return path


def open_input(path: Path, features: list[str] | None):
    """The reader of `path` by its suffix (see `check_input`)."""
    check_input(path)
    return {".csv": CsvReader, ".parquet": ParquetReader, ".npy": NpyReader}[path.suffix.lower()](path, features)


def need_pyarrow() -> None:
    """A UserError when pyarrow, which Parquet files need, is not installed."""
    if importlib.util.find_spec("pyarrow") is None:
        raise UserError("Parquet files need pyarrow, which is not installed.", "pip install pyarrow")


def _picked(header: list[str] | None, features: list[str] | None, width: int, name: str) -> list[int]:
    """The column indexes the model reads, in its order: by name when the header names the model's features,
    else every column in order."""
    if header is None or not features or not set(features) & set(header):
        return list(range(width))
    missing = [f for f in features if f not in header]
    if missing:
        raise UserError(
            f"The header of {name} lacks the model's features {', '.join(missing)}.",
            f"Name the columns {', '.join(features)} (any order; others are kept but not used), or drop the header.",
        )
    return [header.index(f) for f in features]


def _names(features: list[str] | None, width: int) -> list[str]:
    """Column names for a file without a header: the model's features when they fit, else `column_1`, ..."""
    return list(features) if features and len(features) == width else [f"column_{i + 1}" for i in range(width)]


def _count_lines(path: Path) -> int:
    """Lines in a file (the last one need not end in a newline): the rows a progress report expects."""
    lines = last = 0
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            lines += block.count(b"\n")
            last = block[-1]
    return lines + (last not in (0, ord("\n")))
