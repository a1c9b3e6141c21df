"""Which workspace `ai4mlops` uses (issue 10, item 10): found as git finds `.git`, said on stderr, and never
created by a command that only reads."""

import json
import subprocess
import sys

import pytest

from ai4mlops_lab.cli.workspace import find_workspace
from ai4mlops_lab.errors import UserError

from ..model_runs import model_run


def ai4mlops(*args, cwd, env=None):
    return subprocess.run(
        [sys.executable, "-m", "ai4mlops_lab.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def test_from_the_repository_root_it_finds_the_servers_workspace_below(tmp_path):
    """JupyterLab started in `examples/` keeps `examples/.ai4mlops`; the command runs one folder up."""
    workspace = tmp_path / "examples" / ".ai4mlops"
    run_id = model_run(workspace, tmp_path / "artifacts" / "model")
    listed = ai4mlops("runs", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [run["id"] for run in json.loads(listed.stdout)] == [run_id]
    assert f"workspace: {workspace}" in listed.stderr
    assert not (tmp_path / ".ai4mlops").exists()


@pytest.mark.parametrize("command", [["runs"], ["deployments", "--json"], ["alerts"], ["drift", "demo"]])
def test_a_command_that_only_reads_says_there_is_no_workspace_and_creates_none(tmp_path, command):
    done = ai4mlops(*command, cwd=tmp_path)
    assert done.returncode == 2 and "error: No .ai4mlops workspace in" in done.stderr
    assert "--workspace" in done.stderr and done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_a_named_workspace_that_does_not_exist_is_not_created_by_reading(tmp_path):
    done = ai4mlops("runs", "--workspace", "elsewhere", cwd=tmp_path)
    assert done.returncode == 2 and f"There is no workspace at {tmp_path / 'elsewhere'}" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_order_flag_then_environment_then_walking_up_then_below_then_here(tmp_path):
    (tmp_path / "a" / ".ai4mlops").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "d" / ".ai4mlops").mkdir(parents=True)
    here = tmp_path / "a" / "b" / "c"
    assert find_workspace("w", create=True, cwd=here, environ={"AI4MLOPS_WORKSPACE": "x"}) == here / "w"
    assert find_workspace(None, create=True, cwd=here, environ={"AI4MLOPS_WORKSPACE": "x"}) == here / "x"
    assert find_workspace(None, create=False, cwd=here, environ={}) == tmp_path / "a" / ".ai4mlops"
    assert find_workspace(None, create=False, cwd=tmp_path / "d", environ={}) == tmp_path / "d" / ".ai4mlops"
    with pytest.raises(UserError) as several:  # a/ and d/ below: ambiguous
        find_workspace(None, create=True, cwd=tmp_path, environ={})
    assert "several workspaces" in several.value.message
    empty = tmp_path / "d" / "empty"
    empty.mkdir()
    (tmp_path / "d" / ".ai4mlops").rmdir()
    assert find_workspace(None, create=True, cwd=empty, environ={}) == empty / ".ai4mlops"
    assert not (empty / ".ai4mlops").exists()
