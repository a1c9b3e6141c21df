"""Compiled pipelines kept in the workspace, for schedules pinned to one: each in `pinned/<id>`, where the id is the
sha256 of its files (the generated module, the pipeline YAML and `compiled.json`, what the compile said about it),
so the same compile is kept once and a kept pipeline never changes. Ids are checked before they name a folder:
nothing is read or written outside `pinned/`.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from .. import confined
from ..errors import NotFoundError

FOLDER = "pinned"
#: What the compile said: pipeline, parameters, experiment, steps, target, notebook_path, notebook_hash.
COMPILED = "compiled.json"
PIN = re.compile(r"^[0-9a-f]{64}$")


class PinnedPipelines:
    """The compiled pipelines kept under `workspace/pinned`."""

    def __init__(self, workspace: Path):
        self.workspace = Path(workspace)
        self.folder = self.workspace / FOLDER

    def keep(self, staging: Path, compiled: dict) -> str:
        """Keep the compiled pipeline in the folder `staging` (moved, or dropped when the same one is kept already)
        with `compiled`, the compile's description of it; its id."""
        confined.write_file(staging, COMPILED, data=json.dumps(compiled, indent=2, sort_keys=True))
        digest = hashlib.sha256()
        for path in sorted(p for p in staging.iterdir() if p.is_file()):
            digest.update(f"{path.name}\0{path.stat().st_size}\0".encode())
            digest.update(path.read_bytes())
        pin = digest.hexdigest()
        confined.make_folder(self.workspace, FOLDER)
        target = confined.resolve(self.folder, pin)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():
                raise
            confined.remove_tree(staging.parent, staging.name)  # kept already (by another thread, too)
        return pin

    def path(self, pin: str) -> Path:
        """The folder of the kept pipeline `pin`; a NotFoundError when there is none."""
        path = confined.resolve(self.folder, pin) if isinstance(pin, str) and PIN.match(pin) else None
        if path is None or not (path / COMPILED).is_file():
            raise NotFoundError(
                f"The pinned pipeline {pin!r} is not in the workspace.",
                "Pin the schedule again (pin: true, or `ai4mlops schedule pin NAME`): its notebook is compiled anew.",
            )
        return path

    def compiled(self, pin: str) -> dict:
        """What the compile said about the kept pipeline `pin`."""
        return json.loads((self.path(pin) / COMPILED).read_text())

    def copy(self, pin: str, base: Path, name: str) -> Path:
        """Copy the kept pipeline `pin` to the new folder `base/name`."""
        return confined.copy_tree(self.path(pin), base, name)

    def remove(self, pin: str) -> None:
        """Forget the kept pipeline `pin` (nothing when it is not kept)."""
        if isinstance(pin, str) and PIN.match(pin):
            confined.remove_tree(self.folder, pin)
