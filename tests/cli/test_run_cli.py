"""`ai4mlops run` and `ai4mlops runs`: real local runs from the command line."""

import json
import os
import subprocess
import sys

from ..notebooks import FAILING, TWO_STEPS, write_notebook


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
    assert "--- last lines of step 'broken' ---" in done.stderr and "boom in step" in done.stderr


def test_bad_parameter_is_a_usage_error(tmp_path):
    write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    done = ai4mlops("run", "demo.ipynb", "--param", "scale", cwd=tmp_path)
    assert done.returncode == 2 and "NAME=VALUE" in done.stderr
