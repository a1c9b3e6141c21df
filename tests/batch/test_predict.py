"""Batch predictions of the example torch model over files: equal to the online server's answers for the same
rows, rejects by row and field, .npy input, chunk boundaries, atomic outputs, paths kept under the root."""

import csv

import numpy as np
import pytest

from ai4mlops_lab.batch import predict_file
from ai4mlops_lab.errors import UserError
from ai4mlops_lab.monitoring.performance import probabilities
from ai4mlops_lab.serving.loaded_model import LoadedModel

from .conftest import FEATURES, feature_names


def write_csv(path, header, rows):
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path):
    with path.open(newline="") as stream:
        table = list(csv.reader(stream))
    return table[0], table[1:]


def test_batch_output_equals_the_online_servers_answers_for_the_same_rows(batch, served, rows, tmp_path):
    names = feature_names(served)
    shuffled = names[::-1] + ["id"]  # columns picked by name, an extra column kept as it is
    table = [[*map(repr, row[::-1].tolist()), f"r{i}"] for i, row in enumerate(rows)]
    source = write_csv(tmp_path / "rows.csv", shuffled, table)
    progress = []

    summary = batch.predict("batch-model", "rows.csv", progress=lambda done, total: progress.append((done, total)))

    online = np.asarray(served[0].predict("batch-model", {"instances": rows.tolist()})["predictions"])
    header, out = read_csv(tmp_path / "rows.predictions.csv")
    assert summary["output"] == str(tmp_path / "rows.predictions.csv") and summary["rejects_file"] is None
    assert (summary["rows"], summary["predicted"], summary["rejected"]) == (50, 50, 0)
    assert header == [*shuffled, "class", "probability_0", "probability_1"]
    assert [r[: FEATURES + 1] for r in out] == table
    assert [int(r[FEATURES + 1]) for r in out] == online.argmax(axis=1).tolist()
    assert np.allclose(np.array([r[-2:] for r in out], dtype=float), probabilities(online), atol=1e-6)
    assert progress[-1] == (50, 50) and source.read_text().startswith("f9,")


def test_a_run_and_a_registered_version_predict_like_the_deployment(batch, served, trained, rows, tmp_path):
    np.save(tmp_path / "rows.npy", rows)
    run_id = trained[1]["id"]
    batch.registry().register(run_id, name="example", aliases=["champion"])
    outputs = {}
    for ref in ("batch-model", run_id, "example:1", "example@champion"):
        summary = batch.predict(ref, "rows.npy", f"{ref.replace(':', '-').replace('@', '-')}.npy")
        outputs[ref] = np.load(summary["output"])
    assert outputs["batch-model"].shape == (50, FEATURES + 3)
    assert np.allclose(outputs["batch-model"][:, :FEATURES], rows)
    for ref, output in outputs.items():
        assert np.allclose(output, outputs["batch-model"], atol=1e-6), ref
    assert batch.find("example@champion")[1] == f"example v1 (run {run_id}, train/model)"


def test_rows_that_do_not_decode_are_rejected_by_row_and_field_and_the_rest_predicted(batch, served, rows, tmp_path):
    names = feature_names(served)
    table = [list(map(repr, row.tolist())) for row in rows[:6]]
    table[1][3] = "abc"  # data row 2, field f3
    table[3] = table[3][:-1]  # data row 4: a field short
    table[4][9] = "nan"  # data row 5, field f9
    write_csv(tmp_path / "bad.csv", names, table)

    summary = batch.predict("batch-model", "bad.csv")

    assert (summary["rows"], summary["predicted"], summary["rejected"]) == (6, 3, 3)
    header, rejects = read_csv(tmp_path / "bad.rejects.csv")
    assert header == ["row", "field", "error", *names]
    assert [r[:2] for r in rejects] == [["2", "f3"], ["4", ""], ["5", "f9"]]
    assert "'abc' is not a finite number" in rejects[0][2] and "has 9 fields, expected 10" in rejects[1][2]
    assert rejects[0][3:] == table[1]
    _, out = read_csv(tmp_path / "bad.predictions.csv")
    assert [r[:FEATURES] for r in out] == [table[0], table[2], table[5]]
    online = served[0].predict("batch-model", {"instances": rows[[0, 2, 5]].tolist()})["predictions"]
    assert np.allclose(np.array([r[-2:] for r in out], dtype=float), probabilities(online), atol=1e-6)

    write_csv(tmp_path / "bad.csv", names, table[:1])  # fixed: the stale rejects file goes
    assert batch.predict("batch-model", "bad.csv", overwrite=True)["rejected"] == 0
    assert not (tmp_path / "bad.rejects.csv").exists()


def test_npy_rows_that_are_not_finite_are_rejected_with_their_column(batch, served, rows, tmp_path):
    rows = rows.copy()
    rows[3, 7] = np.inf
    np.save(tmp_path / "rows.npy", rows)
    summary = batch.predict("batch-model", "rows.npy")
    assert (summary["predicted"], summary["rejected"]) == (49, 1)
    _, rejects = read_csv(tmp_path / "rows.rejects.csv")
    assert [r[:2] for r in rejects] == [["4", "f7"]]
    assert np.load(tmp_path / "rows.predictions.npy").shape == (49, FEATURES + 3)


@pytest.mark.parametrize("suffix", [".csv", ".npy"])
def test_chunks_smaller_than_the_file_give_the_output_of_one_chunk(batch, served, rows, tmp_path, suffix):
    if suffix == ".csv":
        table = [list(map(repr, row.tolist())) for row in rows]
        table[20][0] = "x"  # a reject inside the second chunk of 7
        write_csv(tmp_path / "rows.csv", feature_names(served), table)
    else:
        np.save(tmp_path / "rows.npy", rows)
    outputs = []
    for size in (7, 1000):  # 7 divides neither 50 nor the 49 rows kept
        summary = batch.predict("batch-model", f"rows{suffix}", f"out-{size}{suffix}", chunk_size=size)
        outputs.append(read_output(tmp_path / f"out-{size}{suffix}"))
    assert outputs[0][0] == outputs[1][0]  # the header and the input's fields, as read
    assert np.allclose(outputs[0][1], outputs[1][1], atol=1e-6)  # a batch's size may change the last bits
    assert summary["predicted"] == (49 if suffix == ".csv" else 50)


def read_output(path):
    """(what must be equal, the numbers): a CSV's header and input fields, and its prediction columns."""
    if path.suffix == ".npy":
        return None, np.load(path)
    header, out = read_csv(path)
    return (header, [r[:FEATURES] for r in out]), np.array([r[FEATURES:] for r in out], dtype=float)


def test_a_failure_leaves_an_existing_output_as_it_was(batch, served, rows, tmp_path, monkeypatch):
    np.save(tmp_path / "rows.npy", rows)
    (tmp_path / "rows.predictions.npy").write_bytes(b"earlier output")
    calls = []
    real = LoadedModel.run

    def failing(self, values):
        calls.append(len(values))
        if len(calls) == 3:
            raise RuntimeError("the model broke")
        return real(self, values)

    monkeypatch.setattr(LoadedModel, "run", failing)
    with pytest.raises(UserError, match="rows.predictions.npy exists already") as refused:
        batch.predict("batch-model", "rows.npy")
    assert refused.value.field == "output"
    with pytest.raises(RuntimeError):
        batch.predict("batch-model", "rows.npy", chunk_size=10, overwrite=True)
    assert (tmp_path / "rows.predictions.npy").read_bytes() == b"earlier output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.npy", "rows.predictions.npy"]


def test_paths_outside_the_root_and_unknown_formats_are_refused(batch, served, trained, rows, tmp_path):
    model, _ = batch.find("batch-model")
    np.save(tmp_path / "rows.npy", rows)
    with pytest.raises(UserError, match="leads outside") as refused:
        predict_file(model, "../rows.npy", root=tmp_path)
    assert refused.value.status == 403
    with pytest.raises(UserError, match="leads outside"):
        predict_file(model, "rows.npy", tmp_path.parent / "out.npy", root=tmp_path)
    with pytest.raises(UserError, match="would replace the input"):
        predict_file(model, "rows.npy", "rows.npy", root=tmp_path)
    with pytest.raises(UserError, match="Cannot read rows.txt"):
        predict_file(model, "rows.txt", root=tmp_path)
    with pytest.raises(UserError, match=r"rows of rows.npy have shape \[3\]"):
        np.save(tmp_path / "rows.npy", rows[:, :3])
        predict_file(model, "rows.npy", root=tmp_path)
    with pytest.raises(UserError, match="no deployment, run or registered model version 'nothing'"):
        batch.find("nothing")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.npy"]
