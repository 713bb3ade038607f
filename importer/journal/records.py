"""What a journal holds: the kinds and states of runs and rows, and their records as read back."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from importer import messages as M
from importer.model import Behavior, Level, RowResult, Status
from importer.results import RunResult


class RunKind(StrEnum):
    RUN = "run"
    UNDO = "undo"
    CLEANUP = "cleanup"  # `cmassoc cleanup`: undoes names the run cleaned up, if any


class RunState(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"  # Ctrl-C
    STOPPED = "stopped"  # the provider went away, or an internal error

    @classmethod
    def of(cls, result: RunResult) -> RunState:
        """How a run that returned ended."""
        if result.stopped_by is None:
            return cls.FINISHED
        return cls.INTERRUPTED if result.interrupted else cls.STOPPED


class RowState(StrEnum):
    PLANNED = "planned"
    SENDING = "sending"  # its batch left; the outcome is not written yet
    CREATED = "created"
    EXISTS = "exists"
    FAILED = "failed"
    INVALID = "invalid"
    UNRESOLVED = "unresolved"
    CONFLICT = "conflict"
    DELETING = "deleting"  # an undo's batch left
    DELETED = "deleted"
    REPLACING = "replacing"  # --update: the old version is being deleted, the new one not yet made


# The final states of rows a run never got onto the site: a reading of the run keeps them.
NEVER_ON_SITE = frozenset({RowState.INVALID, RowState.UNRESOLVED, RowState.CONFLICT, RowState.FAILED})

# What a run did to the site, which a later plan of the same run must not forget.
SITE_CHANGED = (RowState.CREATED, RowState.SENDING, RowState.DELETED, RowState.DELETING, RowState.REPLACING)


def timestamp() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    kind: RunKind
    undoes: str | None
    input_path: str
    input_sha256: str
    site: str
    provider: str
    options: dict[str, object]
    state: RunState
    started: str
    report: str | None


@dataclass(frozen=True)
class RowRecord:
    seq: int
    sheet: str
    row: int
    source: str | None
    destination: str | None
    source_id: int | None
    restore_id: int | None
    behavior: int | None
    users: list[str]
    state: RowState
    detail: str
    hardware: str | None = None
    imported_id: int | None = None
    joined: tuple[str, ...] = ()
    previous: tuple[int, tuple[str, ...]] | None = None  # --update: the version replaced
    values: dict[str, str] = field(default_factory=dict)  # the row's cells as typed

    def as_result(self) -> RowResult:
        """The row as a fresh result: what undo and status start from."""
        return RowResult(
            sheet=self.sheet,
            row=self.row,
            values=dict(self.values),
            source=self.source,
            destination=self.destination,
            behavior=Behavior.of(self.behavior),
            users=list(self.users),
            source_resource_id=self.source_id,
            restore_resource_id=self.restore_id,
        )

    def as_reading(self) -> RowResult:
        """The row as a status reading of its run starts from it: a row the run never got onto
        the site keeps the run's status and why (every row of a reading has a status)."""
        row = self.as_result()
        if self.state in NEVER_ON_SITE:
            row.status = Status(self.state.value)
            why = f": {self.detail}" if self.detail else ""
            row.add(
                Level.NOTE,
                f"the run left this row {self.state.value}{why}; it never reached the site",
                code=M.NEVER_REACHED_SITE,
            )
        return row


RUN_ID_PATTERN = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$")


def new_run_id(taken: Callable[[str], bool]) -> str:
    """A run ID the journal has not used: two runs in one second share the stamp, and their 16
    random bits alone would meet one time in 65,536."""
    while True:
        run_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
        if not taken(run_id):
            return run_id
