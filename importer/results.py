"""What a command asked for and what came of it: plain data that the reporters render."""

from __future__ import annotations

import datetime as dt
import getpass
import socket
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from importer.exit_status import ExitStatus
from importer.messages import Code
from importer.model import Behavior, Hardware, Readiness, RowResult, UsersFrom, WaveInput
from importer.model.statuses import GOOD_STATUSES, STATUS_READINGS, STATUS_TABLE, Status
from importer.site.provider import ProviderInfo
from importer.site.retry import RetryPolicy

DEFAULT_BATCH_SIZE = 200
DEFAULT_INACTIVE_DAYS = 14
# What undo says of rows its run never got onto the site (the run's word): nothing for undo to do.
_RUN_WORDS = frozenset({Status.INVALID, Status.UNRESOLVED, Status.CONFLICT})
_PLURALS = {Status.EXISTS: "exist"}  # "1 exists", "8 exist": the one status word that is a verb


def counted_word(status: Status, n: int) -> str:
    return _PLURALS.get(status, status.value) if n != 1 else status.value


@dataclass(frozen=True)
class RunOptions:
    default_behavior: Behavior = Behavior.CAPTURE_AND_RESTORE_SPECIFIED
    batch_size: int = DEFAULT_BATCH_SIZE
    dry_run: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    users_from: UsersFrom | None = None  # fill users of behaviour 1/2 rows that give none
    collections: tuple[str, ...] = ()  # every destination joins these device collections
    overwrite_existing_record: bool = False  # an import may take over a record with its MAC/GUID
    update: bool = False  # replace an association that differs, while its capture has not started
    # Readiness: a client with no activity for this many days will not run its capture.
    inactive_days: int = DEFAULT_INACTIVE_DAYS
    strict_readiness: bool = False  # a planned pair with a readiness warning is refused (conflict)
    copy_collections: bool = False  # the new computer takes the old one's direct collection rules
    skip_collections: tuple[str, ...] = ()  # never copied (names or IDs)
    include_collections: tuple[str, ...] = ()  # copied even with a task sequence deployment


@dataclass
class RunResult:
    command: str  # "run", "validate", "undo" or "status"
    wave: WaveInput
    options: RunOptions
    rows: Sequence[RowResult]  # a list, or validation's columns read as rows (`Checked`)
    provider: ProviderInfo | None = None
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    finished: dt.datetime | None = None
    stopped_by: str | None = None  # the fatal error or interruption that ended the run early
    stopped_code: Code | None = None  # stopped_by's code
    interrupted: bool = False
    run_id: str | None = None  # the journal's name for this run (for undo: the run undone)
    undo_id: str | None = None
    journal_path: str | None = None
    escrow_path: str | None = None  # undo: where the recovery keys of what it deleted were kept
    operator: str = field(default_factory=lambda: operator())
    defaulted: int = 0  # rows that give no behaviour and take the default
    # Site-wide readiness (state migration points), once per run; None when it was not read.
    site_readiness: list[Readiness] | None = None
    # `status`: the wave's pairs per state at each status call so far, oldest first, from the
    # run index (read_at, counts); None when not read
    progress_history: list[tuple[str, dict[str, int]]] | None = None

    def tally(self) -> str:
        """ "12 rows: 8 exist, 4 invalid", as the console, the web pages and the history say it."""
        counts = ", ".join(f"{n:,} {counted_word(s, n)}" for s, n in self.counts().items() if n)
        rows = len(self.rows)
        return f"{rows:,} {'row' if rows == 1 else 'rows'}: {counts or 'nothing'}"

    def in_a_line(self) -> str:
        """The tally, what else the run changed and the default behaviour if a row took it: the
        one line the web pages and the history keep of a command."""
        line, changes = self.tally(), self.site_changes()
        if changes:
            line += f"; also {changes}"
        if self.defaulted:
            rows = "1 row" if self.defaulted == 1 else f"{self.defaulted:,} rows"
            line += f"; {rows} without a behaviour took {self.options.default_behavior.label}"
        return line

    def site_changes(self) -> str:
        """What a run changed on the site besides associations: "2 computers imported, 3
        collection memberships added" (empty when nothing)."""
        if self.command != "run":
            return ""
        imported = sum(1 for r in self.rows if r.hardware is Hardware.IMPORTED)
        joined = sum(len(r.joined) for r in self.rows)
        copied = self.copied_count()
        parts = []
        if imported:
            parts.append(f"{imported:,} {'computer' if imported == 1 else 'computers'} imported")
        if joined:
            added = f"{joined:,} collection {'membership' if joined == 1 else 'memberships'} added"
            parts.append(f"{added} ({copied:,} copied from the old computers)" if copied else added)
        return ", ".join(parts)

    def copied_count(self) -> int:
        """Direct rules --copy-collections added (the old computers' memberships, copied)."""
        if not self.options.copy_collections:
            return 0
        return sum(len(r.copied) for r in self.rows)

    def readiness_counts(self) -> dict[str, int]:
        """Pairs with each kind of readiness warning, by message code (in code order)."""
        counted: Counter[str] = Counter()
        for row in self.rows:
            counted.update({str(item.code) for item in row.readiness})
        return dict(sorted(counted.items()))

    def _counted(self) -> Counter[Status | None]:
        fast = getattr(self.rows, "status_counts", None)  # validation's columns count themselves
        if fast is not None:
            counted: Counter[Status | None] = fast()
            return counted
        return Counter(map(attrgetter("status"), self.rows))

    def counts(self) -> dict[Status, int]:
        counted = self._counted()  # None (no status yet) is not shown
        shown = STATUS_READINGS if self.command == "status" else frozenset()
        return {
            info.status: counted[info.status]
            for info in STATUS_TABLE
            if counted[info.status] or (info.status in shown if shown else info.always_counted)
        }

    @property
    def exit_status(self) -> ExitStatus:
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        if self.stopped_by is not None:
            return ExitStatus.FATAL
        if self.command == "status":  # a reading: what it found is not a failure
            return ExitStatus.OK
        good = GOOD_STATUSES | _RUN_WORDS if self.command == "undo" else GOOD_STATUSES
        if self.command == "cleanup":  # a pair already gone or never made has nothing to clean up
            good = GOOD_STATUSES | _RUN_WORDS | {Status.MISSING}
        if all(status in good for status, n in self._counted().items() if n):
            return ExitStatus.OK
        return ExitStatus.ROWS_NEED_ATTENTION


def operator() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
