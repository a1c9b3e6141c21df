"""`ai4mlops run` and `ai4mlops runs`: real local runs from the command line."""

import json
import os
import subprocess
import sys

from ..notebooks import FAILING, HELPER_FAILS, TWO_STEPS, write_notebook


def ai4mlops(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "ai4mlops_lab.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_run_shows_steps_and_metrics_then_runs_lists_it(tmp_path):
    write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    done = ai4mlops("run", "demo.ipynb", "--param", "scale=5", "--experiment", "cli", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "load: succeeded" in done.stdout and "double: succeeded" in done.stdout
    assert "succeeded" in done.stdout.splitlines()[-1] and "total=50" in done.stdout
    listed = ai4mlops("runs", "--json", cwd=tmp_path)
    [run] = json.loads(listed.stdout)
    assert run["experiment"] == "cli" and run["parameters"] == {"scale": 5}


def test_failed_run_exits_1_with_the_failing_steps_log(tmp_path):
    write_notebook(tmp_path, "failing.ipynb", FAILING)
    done = ai4mlops("run", "failing.ipynb", cwd=tmp_path)
    assert done.returncode == 1
    assert "step 'broken' failed" in done.stderr
    assert "error: step 'broken' failed: RuntimeError: boom in step after x=1\n  cell 2, line 1:" in done.stderr
    assert "--- output of step 'broken' ---" in done.stderr and "runpy" not in done.stderr


def test_a_failed_steps_log_is_its_located_error_then_output_and_full_on_demand(tmp_path):
    write_notebook(tmp_path, "helper.ipynb", HELPER_FAILS)
    assert ai4mlops("run", "helper.ipynb", cwd=tmp_path).returncode == 1
    [run] = json.loads(ai4mlops("runs", "--json", cwd=tmp_path).stdout)
    readable = ai4mlops("logs", run["id"], cwd=tmp_path)
    assert readable.returncode == 0, readable.stderr
    lines = readable.stdout.splitlines()
    assert lines[:3] == [
        "error: step 'train' failed: ZeroDivisionError: float division by zero",
        "  cell 4, line 5: y = ratio(x)",
        "  cell 2, line 3, in ratio: return math.sqrt(v) / 0",
    ]
    assert lines[3:5] == ["--- output of step 'train' ---", "training on 4"]
    assert "runpy" not in readable.stdout and f"ai4mlops logs {run['id']} train --full" in lines[-1]
    full = ai4mlops("logs", run["id"], "train", "--full", cwd=tmp_path)
    assert "runpy" in full.stdout and "Executing task 'train'" in full.stdout and "\x1b" not in full.stdout
    loaded = ai4mlops("logs", run["id"], "load", "--json", cwd=tmp_path)
    assert json.loads(loaded.stdout)["output"] == "loaded 4"
    missing = ai4mlops("logs", run["id"], "nope", cwd=tmp_path)
    assert missing.returncode == 2 and "load, train" in missing.stderr


def test_bad_parameter_is_a_usage_error(tmp_path):
    write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    done = ai4mlops("run", "demo.ipynb", "--param", "scale", cwd=tmp_path)
    assert done.returncode == 2 and "NAME=VALUE" in done.stderr
