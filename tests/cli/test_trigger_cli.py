"""`ai4mlops trigger` and the data triggers `ai4mlops scheduler` watches, from the command line."""

import json

from ..notebooks import COUNTS_LINES, write_notebook
from .test_run_cli import ai4mlops


def test_create_list_show_switch_files_and_delete(tmp_path):
    (tmp_path / "data" / "in").mkdir(parents=True)
    (tmp_path / "pipelines").mkdir()
    write_notebook(tmp_path / "pipelines", "count.ipynb", COUNTS_LINES)
    created = ai4mlops(
        "trigger", "create", "incoming", "pipelines/count.ipynb", "data/in", "--parameter", "data_path",
        "--pattern", "*.csv", "--param", "k=v", "--settle", "30", "--batch", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    record = json.loads(created.stdout)
    assert (record["notebook_path"], record["source"], record["pattern"], record["parameters"]) == (
        "pipelines/count.ipynb",
        "data/in",
        "*.csv",
        {"k": "v"},
    )
    assert (record["settle_seconds"], record["batch"]) == (30, True)
    listed = ai4mlops("trigger", "list", cwd=tmp_path / "pipelines")  # from a subfolder: the same workspace
    assert "incoming  data/in/*.csv  pipelines/count.ipynb  on" in listed.stdout
    shown = ai4mlops("trigger", "show", "incoming", cwd=tmp_path)
    assert "mode:           one run per batch" in shown.stdout and "parameter:      data_path" in shown.stdout
    assert json.loads(ai4mlops("trigger", "disable", "incoming", "--json", cwd=tmp_path).stdout)["enabled"] is False
    assert "enabled:        yes" in ai4mlops("trigger", "enable", "incoming", cwd=tmp_path).stdout
    files = json.loads(ai4mlops("trigger", "files", "incoming", "--json", cwd=tmp_path).stdout)
    assert files == {"trigger": "incoming", "seen": [], "waiting": []}
    assert "has handled no file yet" in ai4mlops("trigger", "files", "incoming", cwd=tmp_path).stdout
    s3 = ai4mlops("trigger", "create", "bucket", "pipelines/count.ipynb", "s3://incoming/daily", "--parameter", "uri",
                  "--json", cwd=tmp_path)  # fmt: skip
    assert json.loads(s3.stdout)["source"] == "s3://incoming/daily/"
    assert ai4mlops("trigger", "delete", "incoming", cwd=tmp_path).stdout == "Trigger incoming deleted.\n"
    assert ai4mlops("trigger", "delete", "bucket", cwd=tmp_path).returncode == 0
    assert "No triggers yet" in ai4mlops("trigger", "list", cwd=tmp_path).stdout


def test_mistakes_are_usage_errors(tmp_path):
    write_notebook(tmp_path, "count.ipynb", COUNTS_LINES)
    (tmp_path / "in").mkdir()
    outside = ai4mlops("trigger", "create", "x", "count.ipynb", "..", "--parameter", "p", cwd=tmp_path)
    assert outside.returncode == 2 and "outside the Jupyter server's root folder" in outside.stderr
    bad_uri = ai4mlops("trigger", "create", "x", "count.ipynb", "s3://A_B", "--parameter", "p", cwd=tmp_path)
    assert bad_uri.returncode == 2 and "not a valid bucket name" in bad_uri.stderr
    no_parameter = ai4mlops("trigger", "create", "x", "count.ipynb", "in", cwd=tmp_path)
    assert no_parameter.returncode == 2 and "--parameter" in no_parameter.stderr
    unknown = ai4mlops("trigger", "show", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "No trigger called 'nope'" in unknown.stderr


def test_scheduler_once_watches_the_triggers_too(tmp_path):
    write_notebook(tmp_path, "count.ipynb", COUNTS_LINES)
    (tmp_path / "in").mkdir()
    created = ai4mlops("trigger", "create", "t", "count.ipynb", "in", "--parameter", "data_path", "--settle", "0",
                       cwd=tmp_path)  # fmt: skip
    assert created.returncode == 0, created.stderr
    (tmp_path / "in" / "a.csv").write_text("a\n")
    (tmp_path / "count.ipynb").unlink()  # the run cannot start: the line says why, and no run is costly here
    once = ai4mlops("scheduler", "--once", "--json", cwd=tmp_path)
    assert once.returncode == 0, once.stderr
    [line] = [json.loads(text) for text in once.stdout.splitlines()]
    assert (line["trigger"], line["paths"], line["outcome"]) == ("t", ["a.csv"], "failed")
    assert "There is no file 'count.ipynb'" in line["reason"]
    again = ai4mlops("scheduler", "--once", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == ""
    [seen] = json.loads(ai4mlops("trigger", "files", "t", "--json", cwd=tmp_path).stdout)["seen"]
    assert (seen["path"], seen["state"]) == ("a.csv", "failed")
    assert json.loads(ai4mlops("runs", "--trigger", "t", "--json", cwd=tmp_path).stdout) == []
