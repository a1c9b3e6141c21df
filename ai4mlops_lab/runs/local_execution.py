"""How kfp.local executes a local run's tasks: `warm` (default) or `subprocess` (plain kfp.local).

`warm` keeps kfp.local's orchestration and executor contract (executor input in, executor_output.json
and artifacts under the pipeline root out) and changes two things: each task's command, kfp's
`sh -c '... python3 -m kfp.dsl.executor_main ...'`, runs in a child forked from a fork server that
has kfp and the steps' libraries imported already; and tasks that do not depend on each other run
at the same time. Commands it does not recognise run as kfp.local runs them. The environment
variable AI4MLOPS_LAB_LOCAL_EXECUTION picks the mode.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from . import forkserver, scheduler, thread_output

ENV = "AI4MLOPS_LAB_LOCAL_EXECUTION"
MODES = ("warm", "subprocess")

#: kfp's command for a lightweight Python component (packages_to_install adds pip lines: not matched).
_SCRIPT = re.compile(
    r'program_path=\$\(mktemp -d\)\s+printf "%s" "\$0" > "\$program_path/ephemeral_component\.py"\s+'
    r"_KFP_RUNTIME=true (?P<python>\S+) -m kfp\.dsl\.executor_main\s+"
    r'--component_module_path\s+"\$program_path/ephemeral_component\.py"\s+"\$@"'
)


def mode() -> str:
    """The execution mode the environment asks for."""
    value = os.environ.get(ENV, "warm").strip().lower() or "warm"
    if value not in MODES:
        raise ValueError(f"{ENV} must be one of {', '.join(MODES)}, not {value!r}")
    return value


def parse_command(full_command: list[str]) -> tuple[str, list[str]] | None:
    """(component source, executor_main arguments) of kfp's command, or None if it is another command."""
    if len(full_command) < 4 or full_command[:2] != ["sh", "-ec"]:
        return None
    match = _SCRIPT.fullmatch(full_command[2].strip())
    if match is None or match["python"] != sys.executable:
        return None
    return full_command[3], list(full_command[4:])


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _run_in_fork(server: forkserver.ForkServer, source: str, args: list[str], env_vars: dict | None) -> int:
    """Run a task in a fork of the server; print its output as kfp's run_local_subprocess does."""
    env = {**os.environ, **(env_vars or {}), "_KFP_RUNTIME": "true"}
    read_fd, write_fd = os.pipe()
    try:
        submitted = server.submit(source, args, env, write_fd)
    finally:
        os.close(write_fd)
    with open(read_fd, encoding="utf-8", errors="replace") as output:
        for line in output:
            print(line, end="")
    code = submitted.wait()
    if code is None:
        print("the fork server that runs this run's steps is gone")
        code = 1
    elif code < 0:
        print(f"the step's process was killed by {_signal_name(-code)}")
    print("\n")
    return code


@contextlib.contextmanager
def local_tasks(pipeline_yaml: Path, server: forkserver.ForkServer | None = None) -> Iterator[None]:
    """Within the block, kfp.local runs tasks as `mode()` says; `server`: a fork server started already (a spare
    worker's), given the IR's modules here, else one is started. Closed when the block ends.

    Enter it before importing kfp: the fork server imports in parallel with the caller."""
    if mode() != "warm":
        yield
        return
    modules = forkserver.modules_of_ir_file(pipeline_yaml)
    if server is None:
        server = forkserver.ForkServer.start(modules)
    else:
        server.import_modules(modules)

    def on_sigterm(signum, frame):
        """Cancelled (the whole session gets SIGTERM): reap the server, which reaps its children."""
        server.terminate()
        os._exit(128 + signum)

    previous_handler = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        from kfp.local import subprocess_task_handler
        from kfp.local.orchestrator import dag_orchestrator

        original_run, original_dag = subprocess_task_handler.run_local_subprocess, dag_orchestrator.run_dag

        def run_local_subprocess(full_command: list[str], env_vars: dict | None = None) -> int:
            parsed = parse_command(full_command)
            if parsed is None:
                return original_run(full_command, env_vars)
            return _run_in_fork(server, *parsed, env_vars)

        thread_output.route_stdout()
        undo_contexts = thread_output.share_kfp_contexts()
        subprocess_task_handler.run_local_subprocess = run_local_subprocess
        dag_orchestrator.run_dag = scheduler.parallel_run_dag(original_dag)
        try:
            yield
        finally:
            subprocess_task_handler.run_local_subprocess, dag_orchestrator.run_dag = original_run, original_dag
            undo_contexts()
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        server.close()
