"""Batch jobs through the real server (every reply checked against the OpenAPI document): start one over a CSV with
a run's model, follow its progress to the end, list it; mistakes answer 422 naming the field, 404 and 409."""

import asyncio
import csv

from .test_deployments_api import api, failure, trained_run


async def test_a_batch_job_runs_to_the_end_and_mistakes_name_their_field(jp_fetch, jp_root_dir):
    run = await trained_run(jp_fetch, jp_root_dir)
    with (jp_root_dir / "rows.csv").open("w", newline="") as stream:
        csv.writer(stream).writerows([[f"{(i * j) % 7 / 3:.3f}" for j in range(10)] for i in range(30)] + [["x"] * 10])

    job = await api(jp_fetch, "batch-jobs", method="POST", body={"model": run["id"], "input": "rows.csv"})
    for _ in range(600):
        job = await api(jp_fetch, "batch-jobs", job["id"])
        if job["status"] not in ("pending", "running"):
            break
        await asyncio.sleep(0.2)

    assert job["status"] == "succeeded", job["error"]
    assert (job["rows_done"], job["rows_predicted"], job["rejected"]) == (31, 30, 1)
    assert (job["target"], job["stage"], job["kfp_run_id"]) == ("local", "predicting", None)
    assert (job["output_path"], job["rejects_path"]) == ("rows.predictions.csv", "rows.rejects.csv")
    assert (jp_root_dir / "rows.predictions.csv").read_text().count("\n") == 31  # the header and 30 rows
    listing = await api(jp_fetch, "batch-jobs")
    assert [j["id"] for j in listing["jobs"]] == [job["id"]]
    code, error = await failure(jp_fetch, "batch-jobs", job["id"], "cancel", method="POST", body={})
    assert (code, error["error"]) == (409, "conflict")

    for body, field in [
        ({"model": run["id"], "input": "rows.csv"}, "output"),  # exists now
        ({"model": run["id"], "input": "../rows.csv"}, "input"),
        ({"model": run["id"], "input": "rows.csv", "output": "o.txt"}, "output"),
        ({"model": run["id"], "input": "rows.csv", "output": "o.csv", "log": True}, "log"),
        ({"model": run["id"], "input": "rows.csv", "output": "o.csv", "chunk_size": "10"}, "chunk_size"),
        ({"model": run["id"], "input": "rows.csv", "colour": "red"}, "colour"),
        ({"model": run["id"], "input": "rows.csv", "output": "o.csv", "target": "cloud"}, "target"),
        ({"model": run["id"], "input": "rows.csv", "target": "kfp"}, "input"),  # Kubeflow reads S3 objects only
        ({"model": run["id"], "input": "rows.csv", "output": "o.csv", "s3_secret": "minio"}, "s3_secret"),
        ({"model": run["id"], "input": "s3://Bad_Bucket/rows.csv"}, "input"),
        ({"input": "rows.csv"}, "model"),
    ]:
        code, error = await failure(jp_fetch, "batch-jobs", method="POST", body=body)
        assert (code // 100, error["field"]) == (4, field), error
        assert code in (403, 422), error
    code, error = await failure(
        jp_fetch, "batch-jobs", method="POST", body={"model": "nope", "input": "rows.csv", "output": "o.csv"}
    )
    assert code == 404 and "no deployment, run or registered model version 'nope'" in error["detail"]
    assert (await failure(jp_fetch, "batch-jobs", "abc123"))[0] == 404
