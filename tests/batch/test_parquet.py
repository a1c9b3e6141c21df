"""Parquet input and output: the same predictions as a CSV of the same rows, the input's columns and types kept,
rows whose values do not convert rejected by row number."""

import numpy as np
import pyarrow
from pyarrow import parquet

from .conftest import FEATURES, feature_names
from .test_predict import read_csv, write_csv


def test_a_parquet_file_round_trips_with_the_predictions_of_its_rows_appended(batch, served, rows, tmp_path):
    names = feature_names(served)
    columns = {name: pyarrow.array(rows[:, j].astype(np.float64)) for j, name in enumerate(names)}
    text = [repr(float(v)) for v in rows[:, 2]]
    text[6] = "abc"  # data row 7: a text column's value that is no number
    columns[names[2]] = pyarrow.array(text)
    nulls = rows[:, 5].astype(np.float64).tolist()
    nulls[11] = None  # data row 12: a null
    columns[names[5]] = pyarrow.array(nulls)
    columns["id"] = pyarrow.array([f"r{i}" for i in range(len(rows))])
    parquet.write_table(pyarrow.table(columns), tmp_path / "rows.parquet")
    write_csv(tmp_path / "rows.csv", names, [list(map(repr, row.tolist())) for row in rows.astype(np.float64)])

    batch.predict("batch-model", "rows.csv", "rows.out.csv")
    summary = batch.predict("batch-model", "rows.parquet", chunk_size=8)

    assert (summary["output"], summary["predicted"], summary["rejected"]) == (
        str(tmp_path / "rows.predictions.parquet"),
        48,
        2,
    )
    out = parquet.read_table(tmp_path / "rows.predictions.parquet")
    assert out.schema.names == [*names, "id", "class", "probability_0", "probability_1"]
    assert out.schema.field(names[2]).type == pyarrow.string() and out.schema.field("class").type == pyarrow.int64()
    kept = [i for i in range(len(rows)) if i not in (6, 11)]
    assert out.column("id").to_pylist() == [f"r{i}" for i in kept]
    _, expected = read_csv(tmp_path / "rows.out.csv")
    assert out.column("class").to_pylist() == [int(expected[i][FEATURES]) for i in kept]
    got = np.column_stack([out.column(c).to_numpy() for c in ("probability_0", "probability_1")])
    assert np.allclose(got, np.array([expected[i][-2:] for i in kept], dtype=float), atol=1e-6)
    header, rejects = read_csv(tmp_path / "rows.rejects.csv")
    assert header == ["row", "field", "error", *names, "id"]
    assert [r[:3] for r in rejects] == [["7", names[2], "'abc' is not a finite number"], ["12", names[5], "is empty"]]
    assert rejects[1][3 + 5] == "" and rejects[1][-1] == "r11"


def test_a_csv_predicted_into_parquet_keeps_its_features_as_numbers_and_other_columns_as_text(
    batch, served, rows, tmp_path
):
    names = feature_names(served)
    write_csv(tmp_path / "rows.csv", [*names, "id"], [[*map(repr, r.tolist()), f"r{i}"] for i, r in enumerate(rows)])

    batch.predict("batch-model", "rows.csv", "out.parquet")

    out = parquet.read_table(tmp_path / "out.parquet")
    assert out.schema.field(names[0]).type == pyarrow.float64() and out.schema.field("id").type == pyarrow.string()
    assert np.allclose(np.column_stack([out.column(n).to_numpy() for n in names]), rows)
    assert out.num_rows == len(rows) and out.column("class").to_pylist()[:1] in ([0], [1])
