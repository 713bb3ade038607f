"""`cmassoc cleanup`: delete the associations of a wave whose state was restored long enough ago.

ConfigMgr never removes an association. Cleanup reads the wave's pairs as `status` does, and
deletes only those restored (migration completed, store released) more than `restored_before`
days ago. A pair captured and not restored is never deleted: it is listed with why. Every key
is kept (escrow_hook.keep_keys) before any delete, and a delete goes through
`escrow_then_delete` only; every delete is journaled. A deleted association, its key on the site
and its store do not come back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from importer import messages
from importer.after import escrow_hook
from importer.after.escrow import Escrow
from importer.after.retention import _aware
from importer.after.undo import delete_journaled
from importer.interrupt import Interrupts
from importer.journal.records import RunKind, RunState
from importer.journal.storage import Journal
from importer.model import Level, RowResult, Status
from importer.results import RunResult
from importer.site.gateway import Site

RESTORED_BEFORE_DAYS = 30
FOR_GOOD = (
    "cleanup deletes for good: a cleaned-up association, its recovery key on the site and its "
    "store do not come back"
)


@dataclass(frozen=True)
class CleanupOptions:
    restored_before: int = RESTORED_BEFORE_DAYS
    now: dt.datetime | None = None
    cleans: str | None = None  # the run whose pairs these are (None: a wave sheet)
    escrow: Escrow | None = None  # where keys are kept before a captured association goes
    about: tuple[tuple[str, str], ...] = ()  # what the escrow says of itself


def cleanup(
    result: RunResult,
    site: Site,
    journal: Journal | None,
    options: CleanupOptions,
    interrupts: Interrupts | None = None,
) -> RunResult:
    """`result` is a status reading of the wave; it becomes the cleanup's result. `journal` is
    None only for a dry run."""
    result.command = "cleanup"
    result.wave.notes.append(messages.Notice(messages.CLEANUP_DELETED, FOR_GOOD))
    if result.stopped_by is not None:
        return result
    now = options.now or dt.datetime.now().astimezone()
    limit = dt.timedelta(days=options.restored_before)
    deletable = [row for row in result.rows if _judge(row, now, limit, options.restored_before)]
    if result.options.dry_run or not deletable:
        for row in deletable:
            row.status = Status.PLANNED
            row.add(Level.NOTE, f"would be deleted ({FOR_GOOD})", code=messages.CLEANUP_WOULD_DELETE)
        return result
    assert journal is not None
    try:
        escrow_then_delete(result, deletable, site, journal, options, interrupts)
    except KeyboardInterrupt:
        result.stopped_by = "interrupted by the user (Ctrl-C)"
        result.interrupted = True
    except Exception as exc:
        result.stopped_by = str(exc)
    result.finished = dt.datetime.now().astimezone()
    for row in deletable:
        if row.status is Status.PLANNED:
            row.fail(
                Status.NOT_SENT, f"not deleted: {result.stopped_by or 'stopped'}", code=messages.UNDO_NOT_DONE
            )
    return result


def _judge(row: RowResult, now: dt.datetime, limit: dt.timedelta, days: int) -> bool:
    """Whether cleanup may delete this pair; a pair it keeps says why."""
    store = row.store
    if row.status in (Status.CAPTURED, Status.CAPTURING):
        row.fail(
            Status.KEPT,
            f"its user state is {row.status} and not restored: deleting the association would lose "
            "the link to the stored state; kept",
            code=messages.CLEANUP_NOT_RESTORED,
        )
        return False
    if row.status is not Status.RESTORED or store is None:
        return False
    released = store.restored
    if released is None or now - _aware(released, now) <= limit:
        shown = f"{released:%Y-%m-%d}" if released is not None else "an unknown date"
        row.add(
            Level.NOTE,
            f"restored {shown}, not more than {days} days ago: kept for now",
            code=messages.CLEANUP_TOO_RECENT,
        )
        return False
    return True


def escrow_then_delete(
    result: RunResult,
    rows: list[RowResult],
    site: Site,
    journal: Journal,
    options: CleanupOptions,
    interrupts: Interrupts | None,
    keep_keys: Callable[..., Path | None] | None = None,
) -> None:
    """The only way cleanup deletes: the keys first (all of them, or nothing is deleted), then
    the deletes, journaled as a cleanup run."""

    def real(rows: Sequence[RowResult], site: Site, path: Path | None) -> Path | None:
        return escrow_hook.keep_keys(rows, site, path, options.escrow, "cleanup", options.about)

    keep = keep_keys or real
    try:
        escrow = keep(rows, site, journal.path)
        result.escrow_path = str(escrow) if escrow is not None else None
    except escrow_hook.EscrowUnavailable as exc:
        for row in rows:
            row.fail(
                Status.KEPT,
                f"not deleted: the recovery key could not be kept ({exc})",
                code=messages.CLEANUP_NO_ESCROW,
            )
        return
    info = site.info
    run_id = journal.start_run(
        RunKind.CLEANUP,
        result.wave.path,
        result.wave.sha256,
        info.site_code,
        f"{info.kind}: {info.location}",
        {"restored_before": options.restored_before, "escrow": str(escrow) if escrow else None},
        undoes=options.cleans,
    )
    result.undo_id = run_id
    for row in rows:
        row.status = Status.PLANNED
    journal.record_rows(run_id, rows)
    records = journal.rows(run_id)
    pairs = list(zip(records, rows, strict=True))
    state = RunState.STOPPED
    try:
        with (interrupts or Interrupts()).deferred() as stop_requested:
            delete_journaled(journal, run_id, site, pairs, stop_requested)
        state = RunState.FINISHED
    except KeyboardInterrupt:
        state = RunState.INTERRUPTED
        raise
    finally:
        journal.finish(run_id, state, None)
        for row in rows:
            if row.status is Status.DELETED:
                kept = f"; its key is kept in {escrow}" if escrow else ""
                row.add(Level.NOTE, f"deleted for good{kept}", code=messages.CLEANUP_DELETED)
