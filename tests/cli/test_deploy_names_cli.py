"""`ai4mlops deploy --name` refuses a bad name before anything happens (issue 10, item 1)."""

import subprocess
import sys

import pytest

from ..model_runs import model_run, tree


@pytest.mark.parametrize("name", ["..", "../../outside/victim-dir", "-lead", "a b", "x" * 300])
def test_a_refused_name_leaves_the_workspace_and_the_victim_untouched(tmp_path, name):
    workspace = tmp_path / "project" / ".ai4mlops"
    run_id = model_run(workspace, tmp_path / "artifacts" / "model")
    victim = tmp_path / "outside" / "victim-dir"
    victim.mkdir(parents=True)
    (victim / "precious.txt").write_text("keep me")
    before = tree(tmp_path)

    done = subprocess.run(
        [sys.executable, "-m", "ai4mlops_lab.cli", "deploy", run_id, f"--name={name}", "--workspace", str(workspace)],
        cwd=tmp_path / "project",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "error: The deployment 'name'" in done.stderr and "hint:" in done.stderr
    assert tree(tmp_path) == before
