"""A spare worker: the next local run's worker, started before the run, while the user edits the notebook.

A local run's worker spends its first seconds importing kfp, and its fork server importing the steps' libraries
(torch alone takes seconds). The Jupyter server starts a spare when the pipeline panel analyses a notebook, with
the modules its cells import, and again after each local run ends: it imports all that and waits for a run folder
on its stdin. `RunService` hands the next local run to it instead of starting a worker; the spare then redirects
its output to the run's log and runs it as `worker.run` does, with its fork server already warm. A spare whose
imported files changed since (a package upgraded) runs the run as a fresh worker instead (`worker.serve_spare`);
one left idle for `IDLE_S` exits.
"""

from __future__ import annotations

import importlib.util
import os
import select
import subprocess
import sys
import threading
from pathlib import Path

from .. import confined
from . import forkserver, local_execution, processes

#: The environment variable that turns spares off in a Jupyter server (0, false, no, off).
SPARE_WORKER_ENV = "AI4MLOPS_SPARE_WORKER"
#: A spare exits after waiting this long for a run (its imports hold memory).
IDLE_S = 600
#: What a spare prints when its imports are done.
READY = "ready"


class SpareWorker:
    """The Jupyter server's handle on one spare worker process."""

    def __init__(self, process: subprocess.Popen):
        self.process = process

    @classmethod
    def start(cls, modules: list[str]) -> SpareWorker:
        return cls(processes.start_spare_worker(modules, IDLE_S))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def ready(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for the spare to finish its imports; whether it did."""
        readable, _, _ = select.select([self.process.stdout], [], [], timeout_s)
        return bool(readable) and self.process.stdout.readline().strip() == READY.encode()

    def hand_over(self, run_dir: Path) -> subprocess.Popen | None:
        """Give the spare the run in `run_dir`; its process, now the run's worker, or None if it is gone."""
        if not self.alive:
            return None
        confined.make_folder(run_dir, "tmp")
        try:
            self.process.stdin.write(f"{run_dir}\n".encode())
            self.process.stdin.close()
        except OSError:  # it exited meanwhile
            return None
        self.process.stdout.close()
        return self.process

    def stop(self) -> None:
        """Let the spare go (it exits when its stdin closes) and reap it."""
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()
        processes.reap(self.process, 10)


class Spares:
    """The run service's spare: started on request (`prepare`), taken by the next local run, started again after a
    run ends once spares were asked for. Only in the `warm` execution mode."""

    def __init__(self):
        self._spare: SpareWorker | None = None
        self._modules: list[str] | None = None  # what the last spare imported; None: never asked for a spare
        self._lock = threading.Lock()

    def prepare(self, modules: list[str]) -> None:
        """Have a spare with `modules` imported waiting, unless one is (it gets the rest when a run is handed)."""
        if local_execution.mode() != "warm":
            return
        with self._lock:
            self._modules = modules
            if self._spare is None or not self._spare.alive:
                self._spare = SpareWorker.start(modules)

    @property
    def waiting(self) -> SpareWorker | None:
        """The spare waiting for the next run, if one is alive."""
        spare = self._spare
        return spare if spare is not None and spare.alive else None

    def take(self, run_dir: Path) -> subprocess.Popen | None:
        """The waiting spare, handed the run in `run_dir`; None when there is none."""
        with self._lock:
            spare, self._spare = self._spare, None
        return spare.hand_over(run_dir) if spare is not None else None

    def after_run(self, pipeline_yaml: Path) -> None:
        """A local run ended: prepare a spare for the next one, importing what this one did, if spares are used."""
        if self._modules is not None:
            self.prepare(forkserver.modules_of_ir_file(pipeline_yaml))

    def stop(self) -> None:
        with self._lock:
            spare, self._spare, self._modules = self._spare, None, None
        if spare is not None:
            spare.stop()


def notebook_modules(cells: list[dict]) -> list[str]:
    """The modules a notebook's code cells import (as its steps will), and the torch export's when torch is among
    them; cells that are not Python (magics) are left out. `cells`: v4 JSON, sources as text or lists of lines."""
    found: list[str] = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        found += [name for name in forkserver.imports_of(source) if name not in found]
    if any(name.split(".")[0] == "torch" for name in found):
        found += [name for name in forkserver.EXPORT_MODULES if name not in found]
    return found


def module_files(names: list[str]) -> dict[str, tuple]:
    """Each top-level package among `names` and this process's modules, with its file's identity (path, inode,
    mtime): a package installed, upgraded or removed changes it."""
    found: dict[str, tuple] = {}
    for top in sorted({name.split(".")[0] for name in [*names, *list(sys.modules)]}):
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            spec = None
        origin = getattr(spec, "origin", None)
        try:
            stat = os.stat(origin) if origin and os.path.isabs(origin) else None
        except OSError:
            stat = None
        found[top] = (origin, stat.st_ino, stat.st_mtime_ns) if stat else (origin,)
    return found
