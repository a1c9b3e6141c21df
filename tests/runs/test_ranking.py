"""The best-run rule: a notebook's main metric, its direction, and its runs ranked best first."""

import nbformat
import pytest

from ai4mlops_lab.runs.ranking import declared_metrics, higher_is_better, main_metric, notebook_runs, ranked


@pytest.mark.parametrize("name", ["loss", "val_loss", "test-error", "MSE", "rmse", "mae", "train-loss"])
def test_losses_and_errors_are_better_lower(name):
    assert not higher_is_better(name)


@pytest.mark.parametrize("name", ["accuracy", "f1", "auc", "r2", "precision"])
def test_other_metrics_are_better_higher(name):
    assert higher_is_better(name)


def notebook(path, metrics_source: str):
    cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["step:train"]}),
        nbformat.v4.new_code_cell(metrics_source, metadata={"tags": ["pipeline-metrics"]}),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_declared_metrics_keep_the_cell_order_as_runs_name_them(tmp_path):
    path = notebook(tmp_path / "nb.ipynb", "print(test_loss)\nprint(accuracy)\n")
    assert declared_metrics(path) == ["test-loss", "accuracy"]
    assert declared_metrics(tmp_path / "missing.ipynb") == []


def run(run_id, status="succeeded", path="nb.ipynb", **metrics):
    return {"id": run_id, "status": status, "notebook_path": path, "metrics": metrics, "parameters": {}}


def test_the_main_metric_is_the_first_declared_one_a_run_reports():
    runs = [run("b", loss=0.2, accuracy=0.8)]
    assert main_metric(["f1", "accuracy", "loss"], runs) == "accuracy"
    assert main_metric([], runs) == "loss"  # none declared: the first the newest run names
    assert main_metric(["accuracy"], [run("c")]) is None


def test_ranked_best_first_by_direction_ties_and_missing_values_newest_first():
    runs = [
        run("new", accuracy=0.6, loss=0.9),
        run("none"),
        run("mid", accuracy=0.9, loss=0.3),
        run("old", accuracy=0.9, loss=0.1),
    ]
    assert [r["id"] for r in ranked(runs, "accuracy")] == ["mid", "old", "new", "none"]
    assert [r["id"] for r in ranked(runs, "loss")] == ["old", "mid", "new", "none"]
    assert [r["id"] for r in ranked(runs, None)] == ["new", "none", "mid", "old"]


def test_notebook_runs_ranks_only_the_notebooks_succeeded_runs(tmp_path):
    path = notebook(tmp_path / "nb.ipynb", "print(accuracy)\nprint(loss)\n")
    runs = [
        run("worse", accuracy=0.6, loss=0.2),
        run("failed", status="failed", accuracy=1.0),
        run("other", path="other.ipynb", accuracy=1.0),
        run("better", accuracy=0.9, loss=0.5),
    ]
    ranking = notebook_runs(runs, path, "nb.ipynb")
    assert ranking["metric"] == {"name": "accuracy", "higher_is_better": True}
    assert [r["id"] for r in ranking["runs"]] == ["better", "worse"]
    assert (ranking["best"], ranking["latest"]) == ("better", "worse")
    assert notebook_runs([], path, "nb.ipynb") | {"runs": []} == {
        "notebook_path": "nb.ipynb",
        "metric": None,
        "best": None,
        "latest": None,
        "runs": [],
    }
