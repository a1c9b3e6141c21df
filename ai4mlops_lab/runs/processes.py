"""Start, watch and stop worker processes (each in its own process session)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from .. import confined


def start_worker(module: str, run_dir: Path, log_file: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `python -m module run_dir` in a new session, with TMPDIR inside the run folder and `env` added.

    The worker's files are private to the user (umask 077), as is its log.
    """
    tmp = confined.make_folder(run_dir, "tmp")
    env = {**os.environ, **(env or {}), "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}
    with confined.open_append(log_file.parent, log_file.name) as log:
        return subprocess.Popen(
            [sys.executable, "-m", module, str(run_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
            umask=0o077,
        )


def start_spare_worker(modules: list[str], idle_s: float) -> subprocess.Popen:
    """Start a spare worker (`worker.serve_spare`) in a new session, importing `modules`; it reads its run folder
    from its stdin and says it is ready on its stdout (both pipes)."""
    return subprocess.Popen(
        [sys.executable, "-m", "ai4mlops_lab.runs.worker", "--spare", json.dumps(modules), str(idle_s)],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
        umask=0o077,
    )


def reap(process: subprocess.Popen, grace_s: float) -> None:
    """Wait for a child asked to exit (its pipe or socket closed); kill it if it has not within `grace_s`."""
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def is_alive(pid: int | None) -> bool:
    """Whether a process runs (zombies count as gone)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def start_time(pid: int | None) -> int | None:
    """When the process started (clock ticks since boot, /proc/PID/stat field 22), or None when it is gone:
    with the pid, it names one process, even after the pid number is reused."""
    if not pid:
        return None
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def stop_group(pid: int, grace_seconds: float = 3.0) -> None:
    """Stop a worker and every process it started: SIGTERM to its session, then SIGKILL; returns once the
    worker is gone (a zombie until its parent reaps it)."""
    for sig, wait_s in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        if _gone_within(pid, wait_s):
            return


def _gone_within(pid: int, seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while is_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True
