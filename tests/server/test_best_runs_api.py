"""`GET runs/best`: a notebook's succeeded runs ranked by its main metric, as the Deploy button uses them."""

import json

import nbformat
import pytest
from tornado.httpclient import HTTPClientError

from ..model_runs import model_run


def write_metrics_notebook(path):
    cells = [
        nbformat.v4.new_code_cell("accuracy, loss = 0.9, 0.1", metadata={"tags": ["step:train"]}),
        nbformat.v4.new_code_cell("print(accuracy)\nprint(loss)", metadata={"tags": ["pipeline-metrics"]}),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


async def best(jp_fetch, path):
    response = await jp_fetch("ai4mlops-lab", "api", "runs", "best", params={"path": path})
    return json.loads(response.body)


async def test_the_better_older_run_ranks_before_the_worse_latest(jp_fetch, jp_root_dir):
    write_metrics_notebook(jp_root_dir / "nb.ipynb")
    workspace, model = jp_root_dir / ".ai4mlops", jp_root_dir / "artifacts" / "model"
    # loss is lower in the worse run: the notebook's first metric, accuracy, decides
    better = model_run(
        workspace, model, notebook_path="nb.ipynb", parameters={"epochs": 5}, metrics={"accuracy": 0.9, "loss": 0.3}
    )
    worse = model_run(
        workspace, model, notebook_path="nb.ipynb", parameters={"epochs": 1}, metrics={"accuracy": 0.6, "loss": 0.2}
    )
    model_run(workspace, model, notebook_path="other.ipynb", metrics={"accuracy": 1.0})

    ranking = await best(jp_fetch, "nb.ipynb")
    assert ranking["metric"] == {"name": "accuracy", "higher_is_better": True}
    assert (ranking["best"], ranking["latest"]) == (better, worse)
    assert [r["id"] for r in ranking["runs"]] == [better, worse]
    assert ranking["runs"][0]["parameters"] == {"epochs": 5}


async def test_a_notebook_without_runs_has_no_best(jp_fetch, jp_root_dir):
    ranking = await best(jp_fetch, "never-run.ipynb")
    assert ranking == {"notebook_path": "never-run.ipynb", "metric": None, "best": None, "latest": None, "runs": []}


async def test_a_path_outside_the_root_is_refused(jp_fetch):
    with pytest.raises(HTTPClientError) as caught:
        await best(jp_fetch, "../elsewhere.ipynb")
    assert caught.value.code == 403
