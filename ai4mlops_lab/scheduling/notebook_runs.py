"""A schedule's runs (and a data trigger's): at each due time its notebook, found under the root as a request's path
is, is compiled and run through the run service with the schedule's parameters and experiment, as `ai4mlops run` and
the UI's Run do; a pinned schedule runs instead the compiled pipeline kept when it was pinned (`pin`), whatever the
notebook says now.

Starting a run compiles the notebook and starts its worker process, then returns: the run itself goes on in the
worker, so a tick waits for the compiles of the runs it starts, never for the runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..errors import FieldError, UserError
from ..records import ScheduleRecord
from ..states import RunTarget
from ..user_paths import confined_path


class NotebookRuns:
    """Starts schedules' runs: notebooks under `root`, never in the workspace folder `workspace`, run by the run
    service that `run_service()` gives (built on first use)."""

    def __init__(self, run_service: Callable[[], object], root: Path, workspace: Path):
        self._run_service = run_service
        self.root = Path(root)
        self.workspace = Path(workspace)

    def notebook(self, relative: str) -> Path:
        """The notebook file a schedule names; a FieldError (`notebook_path`) when it is missing, a folder, or not
        under the root."""
        try:
            path = confined_path(self.root, relative, workspace=self.workspace)
        except UserError as err:
            raise FieldError("notebook_path", err.message, err.hint) from None
        if not path.is_file():
            raise FieldError("notebook_path", f"'{relative}' is not a notebook file.", "Name a notebook (.ipynb).")
        return path

    def pin(self, relative: str, target: str) -> str:
        """Compile the notebook a schedule names for `target` once and keep it: the kept pipeline's id."""
        return self._run_service().pin(self.notebook(relative), target=target)

    def forget(self, pin: str) -> None:
        """Remove the kept compiled pipeline `pin` (no schedule runs it any more)."""
        self._run_service().pinned.remove(pin)

    def __call__(self, schedule: ScheduleRecord, due: datetime) -> str:
        """Start the run of `schedule` due at `due`; its id."""
        if schedule["pin"] is not None:
            run = self._run_service().start_pinned(
                schedule["pin"], parameters=schedule["parameters"], experiment=schedule["experiment"]
            )
            return run["id"]
        return self.start(
            schedule["notebook_path"], schedule["parameters"], schedule["experiment"], target=schedule["target"]
        )

    def start(
        self, notebook_path: str, parameters: dict, experiment: str | None, *, target: str = RunTarget.LOCAL
    ) -> str:
        """Start a run of the notebook `notebook_path` (relative to the root); its id."""
        run = self._run_service().start(
            self.notebook(notebook_path), target=target, parameters=parameters, experiment=experiment
        )
        return run["id"]
