"""A warm process that forks one child per kfp.local task, with kfp and the steps' libraries imported.

A run's worker starts it (`ForkServer.start`) with the modules to import: what `python3 -m
kfp.dsl.executor_main` needs and what the IR's component sources import (`modules_of_ir`); the server
imports them, then waits. `import_modules` asks it for more (a spare worker's server, started before
its run's IR was known, gets the IR's modules when the run is handed to it).
For each task the worker passes it the task's output pipe and a reply socket; the server forks a
child that reads the request from the reply socket and does what kfp's `sh -c` command does (write
the component source to `$(mktemp -d)/ephemeral_component.py`, run `python3 -m
kfp.dsl.executor_main ARGS...` with the task's environment); the server sends back its exit code.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import os
import runpy
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path

from . import processes

#: What `python3 -m kfp.dsl.executor_main` and kfp's component module preamble import.
EXECUTOR_MODULES = ("kfp", "kfp.dsl", "kfp.dsl.executor", "kfp.dsl.kfp_config", "kfp.dsl.utils", "typing")
#: What our steps' marshalling (pipeline/runtime.py) imports inside its functions.
RUNTIME_MODULES = ("cloudpickle", "importlib.metadata", "pickle")
COMPONENT_FILE = "ephemeral_component.py"
#: What a step exporting the torch model it outputs imports inside its marshalling (pipeline/export.py).
EXPORT_MODULES = ("torch.onnx", "onnx", "onnxruntime")
#: Modules a library imports on first use rather than when it is imported, pre-imported with it: torch imports
#: `torch._dynamo` (seconds) the first time an optimizer is made.
FIRST_USE_MODULES = {"torch": ("torch._dynamo",)}
#: What the server sends once its first imports are done.
READY = b"ready"
#: The control message asking the server to import modules (a JSON list follows).
IMPORT = b"import:"
#: The longest control message (an import list).
CONTROL_BYTES = 1 << 16


class ForkServer:
    """The worker's handle on its fork server (one per run; requests may come from several threads)."""

    def __init__(self, process: subprocess.Popen, control: socket.socket):
        self.process, self._control = process, control
        self._lock = threading.Lock()

    @classmethod
    def start(cls, modules: list[str]) -> ForkServer:
        """Start the server; it imports `modules` in the background while the caller goes on."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno()), json.dumps(modules)],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
        return cls(process, ours)

    def submit(self, source: str, args: list[str], env: dict[str, str], output_fd: int) -> Submitted:
        """Start a task in a fresh child with stdout and stderr on `output_fd` (the caller then
        closes its copy and reads it to the end before `Submitted.wait`)."""
        mine, theirs = socket.socketpair()
        request = json.dumps({"source": source, "args": args, "env": env, "cwd": os.getcwd()}).encode()
        with theirs:
            try:
                with self._lock:
                    socket.send_fds(self._control, [b"task"], [theirs.fileno(), output_fd])
                mine.sendall(request)
                mine.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server is gone: wait() says so
        return Submitted(mine)

    def wait_ready(self) -> bool:
        """Wait until the server has imported its modules; False if it is gone."""
        try:
            return self._control.recv(len(READY)) == READY
        except OSError:
            return False

    def import_modules(self, modules: list[str]) -> None:
        """Have the server import `modules` too, before the next task it forks."""
        with self._lock, contextlib.suppress(OSError):  # a server that is gone fails the next task's wait
            self._control.send(IMPORT + json.dumps(modules).encode())

    def terminate(self) -> None:
        """Stop the server now (it stops and reaps its children first) and reap it."""
        self.process.terminate()
        self.process.wait()

    def close(self) -> None:
        """Stop the server (it exits when its control socket closes)."""
        self._control.close()
        processes.reap(self.process, 5)


class Submitted:
    """A task handed to the fork server."""

    def __init__(self, conn: socket.socket):
        self._conn = conn

    def wait(self) -> int | None:
        """The child's exit code (negative: the signal that killed it), None if the server is gone."""
        with self._conn, self._conn.makefile("rb") as reply:
            line = reply.readline()
        return int(line) if line.strip() else None


def imports_of(source: str) -> list[str]:
    """Modules that `source` imports when it runs (not inside functions), and that the code
    strings it holds (a step's notebook code, executed by the component) import the same way."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[str] = []
    todo = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo += [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "import" in node.value:
            found += [name for name in imports_of(node.value) if name not in found]
    return list(dict.fromkeys(found))


def modules_of_ir(pipeline_yaml: Path) -> list[str]:
    """The modules the IR's lightweight components import (their sources are in the executors' commands), and
    those that export a torch model: a component that embeds `_export_model` and imports torch."""
    import yaml

    ir = yaml.safe_load(Path(pipeline_yaml).read_text())
    executors = (ir.get("deploymentSpec") or {}).get("executors") or {}
    modules: list[str] = []
    for executor in executors.values():
        container = executor.get("container") or {}
        for part in [*container.get("command", []), *container.get("args", [])]:
            if "import" in part:
                found = imports_of(part)
                if "def _export_model(" in part and "torch" in found:
                    found += EXPORT_MODULES
                modules += [m for m in found if m not in modules]
    return modules


def _serve(control: socket.socket) -> None:
    """Fork a child per request until the worker closes the control socket; report exit codes."""
    children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, reply socket)

    def on_sigterm(signum, frame):
        """Stop and reap the children first: no process of the run may outlive its parent."""
        for pid, _ in children.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid, _ in children.values():
            os.waitpid(pid, 0)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_sigterm)
    while True:
        ready, _, _ = select.select([control, *children], [], [])
        for item in ready:
            if item is control:
                try:
                    message, fds, _, _ = socket.recv_fds(control, CONTROL_BYTES, 2)
                except OSError:
                    message, fds = b"", []
                if message.startswith(IMPORT) and not fds:
                    _import_all(json.loads(message[len(IMPORT) :]))
                    continue
                if len(fds) != 2:
                    return
                conn, output_fd = socket.socket(fileno=fds[0]), fds[1]
                pid = os.fork()
                if pid == 0:
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                    control.close()
                    for pidfd, (_, other) in children.items():
                        os.close(pidfd)
                        other.close()
                    os._exit(_child(conn, output_fd))
                os.close(output_fd)
                children[os.pidfd_open(pid)] = (pid, conn)
            else:
                pid, conn = children.pop(item)
                os.close(item)
                _, status = os.waitpid(pid, 0)
                with conn, contextlib.suppress(OSError):  # the worker's thread is gone
                    conn.sendall(b"%d\n" % os.waitstatus_to_exitcode(status))


def _child(conn: socket.socket, output_fd: int) -> int:
    """In a forked child: run one task as kfp's command would; returns its exit code."""
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.close(output_fd)
    with conn, conn.makefile("rb") as stream:
        request = json.loads(stream.read())
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    tempfile.tempdir = None  # as `mktemp -d`: TMPDIR of the task's environment
    if "numpy" in sys.modules:  # a fresh interpreter seeds numpy's global generator from the OS
        sys.modules["numpy"].random.seed()
    path = os.path.join(tempfile.mkdtemp(), COMPONENT_FILE)
    with open(path, "w", encoding="utf-8") as file:
        file.write(request["source"])
    sys.argv = ["-m", "--component_module_path", path, *request["args"]]
    code = 0
    try:
        runpy.run_module("kfp.dsl.executor_main", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException as exc:  # as the interpreter reports it (this frame left out)
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
        code = 1
    for thread in threading.enumerate():  # as the interpreter's exit: wait for non-daemon threads
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    return code


def _exit_code(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def modules_of_ir_file(pipeline_yaml: Path) -> list[str]:
    """`modules_of_ir`, or none for an unreadable IR (then nothing more is pre-imported: the tasks fail or not on
    their own)."""
    try:
        return modules_of_ir(pipeline_yaml)
    except Exception:
        return []


def _import_all(modules: list[str]) -> None:
    first_use = [extra for name in modules for extra in FIRST_USE_MODULES.get(name.split(".")[0], ())]
    for name in [*EXECUTOR_MODULES, *RUNTIME_MODULES, *modules, *first_use]:
        # the task will fail (or not) on this import as it would in a subprocess
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    for stream in (sys.stdout, sys.stderr):  # children must not inherit buffered output
        stream.flush()


def main(argv: list[str]) -> None:
    """`python -m ai4mlops_lab.runs.forkserver FD MODULES_JSON`: import, then serve on socket FD."""
    control = socket.socket(fileno=int(argv[0]))
    _import_all(json.loads(argv[1]))
    with contextlib.suppress(OSError):
        control.send(READY)
    _serve(control)
    os._exit(0)  # no state to save: skip finalising what it imported (seconds for torch), the run waits on it


if __name__ == "__main__":
    main(sys.argv[1:])
