"""Batch predictions of S3 objects against a real S3-compatible server (rclone serve s3 on 127.0.0.1): the same
output as the local file's, default and given output objects, rejects uploaded, an existing object kept unless
asked, local input to an object and back, jobs in workers with their stages, and the errors naming the field."""

import json
import os
from dataclasses import replace

import numpy as np
import pytest

from ai4mlops_lab.batch.jobs import BatchJobs
from ai4mlops_lab.cli.main import main
from ai4mlops_lab.errors import FieldError
from ai4mlops_lab.store.batch_jobs import BatchJobStore
from ai4mlops_lab.workspace import STORE_FILE

from .conftest import feature_names
from .test_jobs import ended
from .test_predict import read_csv, write_csv


@pytest.fixture
def s3(s3_server, monkeypatch):
    """The server's environment set (the workers inherit it); its bucket `data`, emptied."""
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    bucket = s3_server.bucket("data")
    for path in sorted(bucket.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    return bucket


@pytest.fixture
def table(served, rows):
    """(header, rows) of a CSV of the rows, row 13 with a field that is not a number."""
    text = [list(map(repr, row.tolist())) for row in rows]
    text[12][4] = "oops"
    return feature_names(served), text


def test_an_object_is_predicted_like_the_local_file_and_its_rejects_uploaded(batch, s3, table, tmp_path):
    write_csv(tmp_path / "rows.csv", *table)
    (s3 / "in").mkdir()
    write_csv(s3 / "in/rows.csv", *table)
    stages, progress = [], []

    local = batch.predict("batch-model", "rows.csv", chunk_size=8)
    counted = lambda *p: progress.append(p)  # noqa: E731
    remote = batch.predict("batch-model", "s3://data/in/rows.csv", chunk_size=8, stage=stages.append, progress=counted)

    assert remote["input"] == "s3://data/in/rows.csv"
    assert remote["output"] == "s3://data/in/rows.predictions.csv"
    assert remote["rejects_file"] == "s3://data/in/rows.rejects.csv"
    assert (remote["rows"], remote["predicted"], remote["rejected"]) == (50, 49, 1)
    assert (s3 / "in/rows.predictions.csv").read_bytes() == (tmp_path / "rows.predictions.csv").read_bytes()
    assert (s3 / "in/rows.rejects.csv").read_bytes() == (tmp_path / "rows.rejects.csv").read_bytes()
    assert local["columns"] == remote["columns"]
    assert stages == ["downloading", "predicting", "uploading"] and progress[-1] == (50, 50)
    assert not list((batch.folder / "batch/scratch").iterdir())  # the downloaded input and the outputs removed


def test_an_existing_output_object_is_kept_unless_asked_and_a_stale_rejects_object_removed(batch, s3, table):
    write_csv(s3 / "rows.csv", *table)
    (s3 / "out.csv").write_text("mine\n")
    (s3 / "rows.rejects.csv").write_text("old rejects\n")
    good = table[0], [r for i, r in enumerate(table[1]) if i != 12]
    write_csv(s3 / "rows.csv", *good)

    with pytest.raises(FieldError) as refused:
        batch.predict("batch-model", "s3://data/rows.csv", "s3://data/out.csv")
    assert refused.value.field == "output" and "exists already" in refused.value.message
    assert (s3 / "out.csv").read_text() == "mine\n"

    summary = batch.predict("batch-model", "s3://data/rows.csv", "s3://data/out.csv", overwrite=True)
    assert summary["rejected"] == 0 and summary["rejects_file"] is None
    assert read_csv(s3 / "out.csv")[0][-1] == "probability_1" and len(read_csv(s3 / "out.csv")[1]) == 49
    assert not (s3 / "rows.rejects.csv").exists()


def test_a_local_input_to_an_object_and_an_object_to_a_local_file(batch, s3, rows, tmp_path):
    np.save(tmp_path / "rows.npy", rows)
    np.save(s3 / "rows.npy", rows)
    up = batch.predict("batch-model", "rows.npy", "s3://data/up/rows.npy")
    down = batch.predict("batch-model", "s3://data/rows.npy", "back/rows.npy")

    assert up["output"] == "s3://data/up/rows.npy" and np.load(s3 / "up/rows.npy").shape == (50, 13)
    assert down["output"] == str(tmp_path / "back/rows.npy")
    assert np.array_equal(np.load(tmp_path / "back/rows.npy"), np.load(s3 / "up/rows.npy"))
    with pytest.raises(FieldError) as refused:
        batch.predict("batch-model", "s3://data/rows.npy", "back/rows.npy")
    assert refused.value.field == "output"


@pytest.mark.parametrize(
    ("input", "output", "field", "status", "words"),
    [
        ("s3://data/nothing.csv", None, "input", 404, "There is no object s3://data/nothing.csv"),
        ("s3://nobucket/rows.csv", None, "input", 404, "no bucket 'nobucket'"),
        ("s3://data/rows.txt", None, "input", 422, "Cannot read rows.txt"),
        ("s3://data/rows.csv", "s3://nobucket/out.csv", "output", 404, "no bucket 'nobucket'"),
        ("s3://data/rows.csv", "s3://data/out.txt", "output", 422, "Cannot write predictions to out.txt"),
        ("s3://data/rows.csv", "s3://data/rows.csv", "output", 422, "would replace the input"),
        ("s3://Bad_Bucket/rows.csv", None, "input", 422, "not a valid bucket name"),
    ],
)
def test_missing_objects_and_buckets_are_refused_naming_the_field(batch, s3, table, input, output, field, status,
                                                                  words):  # fmt: skip
    write_csv(s3 / "rows.csv", *table)
    with pytest.raises(FieldError) as refused:
        batch.predict("batch-model", input, output)
    assert (refused.value.field, refused.value.status) == (field, status)
    assert words in refused.value.message


def test_refused_credentials_name_the_input(batch, s3, table, monkeypatch):
    write_csv(s3 / "rows.csv", *table)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-key-of-this-server-at-all")
    with pytest.raises(FieldError) as refused:
        batch.predict("batch-model", "s3://data/rows.csv")
    assert (refused.value.field, refused.value.status) == ("input", 403)
    assert "refused the credentials" in refused.value.message and "AWS_SECRET_ACCESS_KEY" in refused.value.hint


def test_a_job_predicts_objects_in_a_worker_and_records_its_stages(batch, trained, s3, table):
    write_csv(s3 / "rows.csv", *table)
    jobs = BatchJobs(trained[0], BatchJobStore(trained[0] / STORE_FILE, check=False), batch)

    started = jobs.start("batch-model", "s3://data/rows.csv", "s3://data/out/rows.csv", chunk_size=8)
    job = ended(jobs, started["id"])
    (s3 / "out/rows.csv").unlink()
    with pytest.raises(FieldError) as refused:
        jobs.start("batch-model", "s3://data/rows.csv", "s3://data/rows.csv")

    assert (started["input_path"], started["output_path"], started["rejects_path"]) == (
        "s3://data/rows.csv",
        "s3://data/out/rows.csv",
        "s3://data/out/rows.rejects.csv",
    )
    assert job["status"] == "succeeded", job["error"]
    assert (job["stage"], job["target"], job["rows_predicted"], job["rejected"]) == ("uploading", "local", 49, 1)
    assert (s3 / "out/rows.rejects.csv").read_text().startswith("row,field,error,")
    assert not list((trained[0] / "batch" / job["id"] / "tmp").iterdir())  # the download removed
    assert refused.value.field == "output"


def test_the_command_predicts_an_object_saying_what_it_does(trained, s3, table, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_csv(s3 / "rows.csv", *table)
    argv = ["predict", "batch-model", "s3://data/rows.csv", "-o", "s3://data/p.csv", "--workspace", str(trained[0])]

    code = main(argv)
    out, err = capsys.readouterr()
    again = main(argv)

    assert code == 1 and "wrote s3://data/p.csv" in out and "1 rows rejected: s3://data/rows.rejects.csv" in out
    assert err.index("downloading") < err.index("predicted 50 / 50 rows") < err.index("uploading")
    assert again == 2 and "s3://data/p.csv exists already" in capsys.readouterr().err


def test_the_kubeflow_step_predicts_with_the_model_artifact_in_s3_like_a_local_job(batch, trained, s3, table, tmp_path):
    """The generated pipeline's step function, run here: the model folder read from S3, the same output."""
    import runpy
    import shutil

    from ai4mlops_lab.batch import on_kfp
    from ai4mlops_lab.pipeline.compiler import compile_pipeline

    found = batch.locate(trained[1]["id"])
    shutil.copytree(found.folder, s3 / "models/run-1/model")
    write_csv(s3 / "rows.csv", *table)
    write_csv(tmp_path / "rows.csv", *table)
    batch.predict(trained[1]["id"], "rows.csv", chunk_size=8)  # float sums depend on the chunk's rows
    parameters = {
        "model_uri": "minio://data/models/run-1/model",
        "model_metadata": json.dumps(found.metadata),
        "input_uri": "s3://data/rows.csv",
        "output_uri": "s3://data/out/rows.csv",
        "overwrite": False,
        "chunk_size": 8,
        "task": "auto",
        "s3_endpoint": os.environ["AWS_ENDPOINT_URL"],
    }
    parameters["model_uri"] = on_kfp.cluster_model_uri(replace(found, uri=parameters["model_uri"]))
    module, _ = compile_pipeline(on_kfp.build_pipeline(parameters, "torch", None), tmp_path / "pipeline")

    runpy.run_path(str(module))["predict"].python_func(**parameters)

    assert (s3 / "out/rows.csv").read_bytes() == (tmp_path / "rows.predictions.csv").read_bytes()
    assert (s3 / "out/rows.rejects.csv").read_bytes() == (tmp_path / "rows.rejects.csv").read_bytes()
