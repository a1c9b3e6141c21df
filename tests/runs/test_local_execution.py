"""Warm local execution (fork server, parallel steps) against plain kfp.local, with real runs."""

import os
import sys
import time
from pathlib import Path

import pytest
import yaml

from ai4mlops_lab.pipeline.compiler import compile_notebook
from ai4mlops_lab.runs import forkserver
from ai4mlops_lab.runs.local_execution import ENV, mode, parse_command

from ..notebooks import PARALLEL, PARENT, SLOW, TWO_STEPS, dying, write_notebook
from .conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]


def step(run, name):
    return next(s for s in run["steps"] if s["name"] == name)


def session_pids(sid: int) -> list[int]:
    """Processes of a session (read from /proc: zombies included, as kill(2) sees them)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid:
            pids.append(int(stat.parent.name))
    return pids


def test_independent_steps_run_at_the_same_time(service, tmp_path):
    run = wait_for(service, service.start(write_notebook(tmp_path, "par.ipynb", PARALLEL))["id"])
    assert run["status"] == "succeeded", run["error"]
    left, right, both = step(run, "left"), step(run, "right"), step(run, "both")
    assert max(left["started_at"], right["started_at"]) < min(left["finished_at"], right["finished_at"])
    assert both["started_at"] >= max(left["finished_at"], right["finished_at"])
    assert left["duration"] >= 1.5 and right["duration"] >= 1.5


def test_warm_steps_are_forked_from_the_fork_server(service, tmp_path):
    run = wait_for(service, service.start(write_notebook(tmp_path, "parent.ipynb", PARENT))["id"])
    assert run["status"] == "succeeded", run["error"]
    assert "parent: " + sys.executable + " -m ai4mlops_lab.runs.forkserver" in service.logs(run["id"], "who")


def test_subprocess_mode_is_plain_kfp_local(service, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "subprocess")
    run = wait_for(service, service.start(write_notebook(tmp_path, "parent.ipynb", PARENT))["id"])
    assert run["status"] == "succeeded", run["error"]
    assert "parent: sh -ec program_path=$(mktemp -d)" in service.logs(run["id"], "who")
    run = wait_for(service, service.start(write_notebook(tmp_path, "demo.ipynb", TWO_STEPS))["id"])
    assert run["status"] == "succeeded", run["error"]
    assert step(run, "double")["metrics"] == {"total": 20.0}


@pytest.mark.parametrize(
    "code, says",
    [
        ("import os\nos._exit(3)", ""),
        ("import ctypes\nctypes.string_at(0)", "killed by SIGSEGV"),
    ],
    ids=["os_exit", "segfault"],
)
def test_a_step_whose_process_dies_fails_the_run(service, tmp_path, code, says):
    run = wait_for(service, service.start(write_notebook(tmp_path, "crash.ipynb", dying(code)))["id"])
    assert run["status"] == "failed"
    assert "step 'dies' failed" in run["error"]
    assert [s["status"] for s in run["steps"]] == ["succeeded", "failed"]
    log = service.logs(run["id"], "dies")
    assert "Executing task" in log and "finished with status" in log and says in log


def test_cancel_stops_the_fork_server_and_its_children(service, tmp_path):
    run_id = service.start(write_notebook(tmp_path, "slow.ipynb", SLOW))["id"]
    pid = wait_for(service, run_id, statuses=("running",))["worker_pid"]
    for _ in range(300):  # bounded: until the step's child is forked (worker, server, child)
        if len(session_pids(pid)) >= 3:
            break
        time.sleep(0.1)
    assert len(session_pids(pid)) >= 3
    assert service.cancel(run_id)["status"] == "cancelled"
    assert session_pids(pid) == []
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)


def test_mode_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    assert mode() == "warm"
    monkeypatch.setenv(ENV, "Subprocess")
    assert mode() == "subprocess"
    monkeypatch.setenv(ENV, "threads")
    with pytest.raises(ValueError, match="warm, subprocess"):
        mode()


def _commands(result) -> list[list[str]]:
    """Each executor's command line as kfp.local runs it (placeholders left, python3 replaced)."""
    from kfp.local.subprocess_task_handler import replace_python_executable

    ir = yaml.safe_load(Path(next(f for f in result["files"] if f.endswith(".yaml"))).read_text())
    return [
        replace_python_executable(e["container"]["command"] + e["container"]["args"], sys.executable)
        for e in ir["deploymentSpec"]["executors"].values()
    ]


def test_only_kfp_lightweight_component_commands_are_recognised(tmp_path):
    notebook = write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    for command in _commands(compile_notebook(notebook, tmp_path / "local", target="local")):
        source, args = parse_command(command)
        assert source == command[3] and args == command[4:] and "--function_to_execute" in args
    for command in _commands(compile_notebook(notebook, tmp_path / "cluster", target="cluster")):
        assert parse_command(command) is None  # packages_to_install: pip runs first
    local = _commands(compile_notebook(notebook, tmp_path / "local", target="local"))[0]
    assert parse_command(["bash", *local[1:]]) is None
    assert parse_command([local[0], local[1], local[2].replace(sys.executable, "/other/python3"), *local[3:]]) is None


def test_the_fork_server_preimports_what_the_steps_import(tmp_path):
    result = compile_notebook(ROOT / "examples" / "torch-train.ipynb", tmp_path, target="local")
    modules = forkserver.modules_of_ir(Path(next(f for f in result["files"] if f.endswith(".yaml"))))
    assert {"kfp", "torch", "numpy"} <= set(modules)
    assert "pandas" not in modules and "joblib" not in modules  # imported only inside helper functions
    assert {"torch.onnx", "onnx", "onnxruntime"} <= set(modules)  # but the train step exports its torch model
    steps = compile_notebook(write_notebook(tmp_path, "demo.ipynb", TWO_STEPS), tmp_path / "two", target="local")
    assert "onnx" not in forkserver.modules_of_ir(Path(next(f for f in steps["files"] if f.endswith(".yaml"))))
