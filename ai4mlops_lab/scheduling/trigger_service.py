"""Data triggers as a user manages them: create, change, enable, disable, delete, list, and the files each one
handled or waits on. Changing a trigger's source or pattern starts its watch afresh."""

from __future__ import annotations

from collections.abc import Callable

from ..records import TriggerRecord
from ..store.triggers import TriggerStore
from . import trigger_validation as validation


class TriggerService:
    """The data triggers in `store`; `check_notebook(path)` refuses (a FieldError) a notebook path that is not a
    notebook under the root; `source_text(source)` checks and normalises a source (see `sources.source_text`)."""

    def __init__(
        self,
        store: TriggerStore,
        *,
        source_text: Callable[[str], str],
        check_notebook: Callable[[str], object] | None = None,
    ):
        self.store = store
        self._source_text = source_text
        self._check_notebook = check_notebook or (lambda path: None)

    def create(self, /, **fields) -> TriggerRecord:
        """A new trigger from the fields of `trigger_validation.FIELDS`; FieldErrors name what is wrong."""
        values = validation.check(fields, None, self._source_text)
        self._check_notebook(values["notebook_path"])
        return self.store.create(values)

    def update(self, name: str, /, **fields) -> TriggerRecord:
        """Change some fields of the trigger `name`."""
        current = self.store.get(name)
        values = validation.check(fields, current, self._source_text)
        changed = {column: value for column, value in values.items() if value != current[column]}
        if "notebook_path" in changed:
            self._check_notebook(changed["notebook_path"])
        if not changed:
            return current
        return self.store.update(name, changed, rewatch=any(column in changed for column in validation.REWATCH))

    def enable(self, name: str, enabled: bool = True) -> TriggerRecord:
        return self.update(name, enabled=enabled)

    def delete(self, name: str) -> None:
        self.store.delete(name)

    def get(self, name: str) -> dict:
        """The trigger with `last_seen`: its latest handled content (None before its first)."""
        trigger = self.store.get(name)
        return {**trigger, "last_seen": self.store.last_seen().get(trigger["id"])}

    def list(self) -> list[dict]:
        """Every trigger, by name, each with `last_seen` as `get` has it."""
        last = self.store.last_seen()
        return [{**trigger, "last_seen": last.get(trigger["id"])} for trigger in self.store.list()]

    def files(self, name: str, limit: int = 100) -> dict:
        """`seen`: the contents the trigger handled, latest first (hash, first path, state, run); `waiting`: the
        files not handled yet (settling, or ready and waiting for a run slot or the rest of their batch)."""
        return {"trigger": name, "seen": self.store.seen(name, limit), "waiting": self.store.waiting(name)}
