"""Start, watch and stop worker processes (each in its own process session)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def start_worker(module: str, run_dir: Path, log_file: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `python -m module run_dir` in a new session, with TMPDIR inside the run folder and `env` added."""
    tmp = run_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **(env or {}), "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}
    with open(log_file, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", module, str(run_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )


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


def stop_group(pid: int, grace_seconds: float = 3.0) -> None:
    """Stop a worker and every process it started: SIGTERM to its session, then SIGKILL."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    import time

    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
