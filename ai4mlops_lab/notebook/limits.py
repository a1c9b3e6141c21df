"""The sizes of notebook the compiler takes (documented in the README), and the diagnostics past them.

Analysis is linear in the amount of code and the number of steps; these bounds keep an answer within
seconds and the server responsive. Cells past a limit are left out of the analysis.
"""

from __future__ import annotations

from .diagnostics import Diagnostic, error

MAX_CELL_CHARS = 1_000_000  # one cell's source
MAX_CODE_CHARS = 2_000_000  # all code cells together
MAX_STEPS = 10_000


class CodeBudget:
    """Counts code cells' sizes in notebook order and says which ones are past a limit."""

    def __init__(self) -> None:
        self.total = 0

    def admit(self, index: int, source: str) -> tuple[bool, list[Diagnostic]]:
        """Whether the cell is analysed, and the error that says why not (once for the notebook's total)."""
        if len(source) > MAX_CELL_CHARS:
            return False, [
                error(
                    index,
                    None,
                    f"the cell has {len(source):,} characters; cells of more than {MAX_CELL_CHARS:,} are not analysed",
                    "move data out of the code into a file the step reads",
                )
            ]
        before, self.total = self.total, self.total + len(source)
        if self.total <= MAX_CODE_CHARS:
            return True, []
        if before > MAX_CODE_CHARS:
            return False, []
        return False, [
            error(
                index,
                None,
                f"the notebook has more than {MAX_CODE_CHARS:,} characters of code; "
                "this cell and the ones after it are not analysed",
                "split the notebook or move data into files",
            )
        ]


def too_many_steps(index: int) -> Diagnostic:
    """The error for the first step past MAX_STEPS."""
    return error(
        index,
        None,
        f"the notebook has more than {MAX_STEPS:,} steps; this cell and the ones after it are not analysed",
        "merge steps: one step can hold many cells",
    )
