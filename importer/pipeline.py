"""read -> validate -> resolve -> plan -> apply, as a library call; reporters render the result."""

from __future__ import annotations

import datetime as dt
import gc
import getpass
import logging
import socket
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from importer.apply import apply
from importer.errors import ImporterError
from importer.exit_status import ExitStatus
from importer.interrupt import Interrupts
from importer.journal import JournalRun
from importer.model import GOOD_STATUSES, Behavior, RowResult, Status, WaveInput
from importer.plan import plan
from importer.progress import NoProgress, Progress
from importer.provider import Provider, ProviderInfo
from importer.resolve import resolve
from importer.retry import RetryPolicy
from importer.validate import validate

log = logging.getLogger("importer")
DEFAULT_BATCH_SIZE = 200
STATUS_ORDER = (
    Status.CREATED,
    Status.EXISTS,
    Status.PLANNED,
    Status.VALID,
    Status.DELETED,
    Status.ABSENT,
    Status.SKIPPED,
    Status.INVALID,
    Status.UNRESOLVED,
    Status.FAILED,
)


@dataclass(frozen=True)
class RunOptions:
    default_behavior: Behavior = Behavior.CAPTURE_AND_RESTORE_SPECIFIED
    batch_size: int = DEFAULT_BATCH_SIZE
    dry_run: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass
class RunResult:
    command: str  # "run" or "validate"
    wave: WaveInput
    options: RunOptions
    rows: list[RowResult]
    provider: ProviderInfo | None = None
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    finished: dt.datetime | None = None
    stopped_by: str | None = None  # the fatal error or interruption that ended the run early
    interrupted: bool = False
    run_id: str | None = None  # the journal's name for this run (for undo: the run undone)
    undo_id: str | None = None
    journal_path: str | None = None
    operator: str = field(default_factory=lambda: _operator())

    def counts(self) -> dict[Status, int]:
        counted = Counter(r.status for r in self.rows if r.status is not None)
        return {s: counted[s] for s in STATUS_ORDER if counted[s] or s in _ALWAYS_SHOWN}

    @property
    def exit_status(self) -> ExitStatus:
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        if self.stopped_by is not None:
            return ExitStatus.FATAL
        if all(r.status in GOOD_STATUSES for r in self.rows):
            return ExitStatus.OK
        return ExitStatus.ROWS_NEED_ATTENTION


_ALWAYS_SHOWN = frozenset({Status.INVALID, Status.UNRESOLVED, Status.FAILED})


def _operator() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


@contextmanager
def _timed(stage: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    log.info("%s took %.2f s", stage, time.perf_counter() - started)


def validate_wave(wave: WaveInput, options: RunOptions) -> RunResult:
    rows = validate(wave, options.default_behavior)
    for row in rows:
        if row.status is None:
            row.status = Status.VALID
    result = RunResult("validate", wave, options, rows)
    result.finished = dt.datetime.now().astimezone()
    return result


def run_wave(
    wave: WaveInput,
    provider: Provider,
    options: RunOptions,
    progress: Progress | None = None,
    journal: JournalRun | None = None,
    interrupts: Interrupts | None = None,
) -> RunResult:
    """The whole job; a provider failure or Ctrl-C ends it early with every row still given a status.

    With a journal, every row's plan and every batch's outcome are recorded, and a resumed
    run counts what it created before it stopped (the plan re-reads the site first).
    """
    progress = progress or NoProgress()
    rows = validate(wave, options.default_behavior)
    result = RunResult("run", wave, options, rows, provider=provider.info)
    if journal is not None:
        journal.attach(rows)
        result.run_id = journal.run_id
    # The rows live as long as the run: spare the collector from scanning them again and again.
    gc.freeze()
    try:
        with _timed("resolve"):
            resolve(rows, provider, options.batch_size, options.retry, progress)
        with _timed("plan"):
            plan(rows, provider, options.batch_size, options.retry, progress)
        if journal is not None:
            journal.overlay(rows)
        if not options.dry_run:
            if journal is not None:
                journal.record(rows)
            interrupts = interrupts or Interrupts()
            with _timed("apply"), interrupts.deferred() as stop_requested:
                apply(rows, provider, options.batch_size, options.retry, progress, journal, stop_requested)
    except ImporterError as exc:
        result.stopped_by = str(exc)
    except KeyboardInterrupt:
        result.stopped_by = "interrupted by the user (Ctrl-C)"
        result.interrupted = True
    except Exception as exc:  # a bug must still leave every row with a status in the report
        log.exception("internal error")
        result.stopped_by = f"internal error ({type(exc).__name__}: {exc})"
    finally:
        result.finished = dt.datetime.now().astimezone()
        gc.unfreeze()
    if result.stopped_by is not None:
        for row in rows:
            if row.status is None or (row.status is Status.PLANNED and not options.dry_run):
                row.fail(Status.FAILED, f"not done: {result.stopped_by}")
    return result
