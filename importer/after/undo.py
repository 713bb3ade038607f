"""Undo a run: delete exactly the associations that run created, nothing else.

The journal says which rows the run created (or was sending when it stopped: those
are deleted only if the plan had found them absent and they are on the site now).
Associations that existed before the run were never `created` by it, so they are
never candidates. One whose user state was already captured is kept unless --force:
deleting it would lose the link to the stored state. Before any association whose capture
has started is deleted, its recovery key and store path are kept in an encrypted escrow
(importer.after.escrow); if they cannot be, nothing is deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from importer import messages as M
from importer.after.escrow import Escrow, escrow_about, keep_keys
from importer.after.takeback import REMOVED, key_of, remove_computers, remove_rules, restore_previous
from importer.errors import ImporterError, InputError
from importer.interrupt import Interrupts
from importer.journal.records import RowRecord, RowState, RunKind, RunRecord, RunState
from importer.journal.storage import Journal, journaled_wave
from importer.model import Level, RowResult, Status
from importer.results import RunOptions, RunResult
from importer.site.batching import chunks
from importer.site.gateway import Site
from importer.site.provider import (
    WBEM_E_NOT_FOUND,
    CallResult,
    delete_association_call,
)
from importer.site.records import Existing, Key

_CAPTURE_STARTED = frozenset({1, 2})  # MigrationStatus in progress, completed


@dataclass(frozen=True)
class UndoOptions:
    run: RunOptions
    force: bool = False
    keep_imported: bool = False  # leave the computer records the run imported
    escrow: Escrow | None = None  # where keys are kept before a captured association goes
    operator: str = ""  # who, as the escrow says it


def undo_run(
    journal: Journal,
    record: RunRecord,
    site: Site,
    options: UndoOptions,
    interrupts: Interrupts | None = None,
) -> RunResult:
    if record.kind is not RunKind.RUN:
        raise InputError(
            f"{record.run_id} is an undo, not a run: only runs can be undone.", code=M.RUN_IS_AN_UNDO
        )
    info = site.info
    if info.site_code.upper() != record.site.upper():
        raise InputError(
            f"run {record.run_id} was made on site {record.site}, not {info.site_code}.",
            "Point --demo/--server at the site of that run.",
            code=M.RUN_ON_ANOTHER_SITE,
        )
    rows = journal.rows(record.run_id)
    results = [r.as_result() for r in rows]
    wave = journaled_wave(record, rows)
    result = RunResult("undo", wave, options.run, results, provider=info, run_id=record.run_id)
    undo_id = (
        None
        if options.run.dry_run
        else journal.start_run(
            RunKind.UNDO,
            record.input_path,
            record.input_sha256,
            record.site,
            f"{info.kind}: {info.location}",
            {"force": options.force},
            undoes=record.run_id,
        )
    )
    result.undo_id = undo_id
    targets: list[tuple[RowRecord, RowResult]] = []
    for i, (row, res) in enumerate(zip(rows, results, strict=True)):
        if row.state in _MAY_BE_ON_SITE and row.source_id and row.restore_id:
            targets.append((row, res))
        elif row.state is RowState.DELETED:
            res.status = Status.ABSENT
            res.add(Level.NOTE, "deleted by an earlier undo", code=M.UNDO_DELETED_EARLIER)
        elif row.state in _RUN_WORDS:  # the run's own word, as `status` says it: nothing to undo
            results[i] = row.as_reading()
        else:
            res.status = Status.SKIPPED
            res.add(
                Level.NOTE,
                f"not created by run {record.run_id} ({row.state}): left alone",
                code=M.UNDO_NOT_THIS_RUN,
            )
    try:
        with site.stage("Reading the run's associations", len(targets)):
            present = _present(site, [r for r, _ in targets])
            site.progress.advance(len(targets))
        deletable: list[tuple[RowRecord, RowResult]] = []
        for row, res in targets:
            found = present.get((row.source_id or 0, row.restore_id or 0))
            if found is None:
                res.status = Status.ABSENT
                res.add(
                    Level.NOTE,
                    "not on the site (already removed, or never created)",
                    code=M.UNDO_ALREADY_GONE,
                )
            elif found.status in _CAPTURE_STARTED and not options.force:
                res.fail(
                    Status.KEPT,
                    f"the user state capture is {found.status_text}: deleting the association "
                    "would lose the link to the stored state; kept (use --force to delete anyway)",
                    code=M.UNDO_CAPTURE_STARTED,
                )
            else:
                res.status = Status.PLANNED
                deletable.append((row, res))
        result.escrow_path = _keep_keys(site, record, undo_id, deletable, present, str(journal.path), options)
        if not options.run.dry_run:
            with (interrupts or Interrupts()).deferred() as stop_requested:
                _delete(journal, record.run_id, site, deletable, stop_requested)
        restore_previous(site, list(zip(rows, results, strict=True)), options.run.dry_run)
        _undo_steps(journal, record.run_id, site, list(zip(rows, results, strict=True)), options)
    except KeyboardInterrupt:
        result.stopped_by, result.stopped_code = "interrupted by the user (Ctrl-C)", M.INTERRUPTED
        result.interrupted = True
    except Exception as exc:
        result.stopped_by = str(exc)
        result.stopped_code = exc.code if isinstance(exc, ImporterError) else M.INTERNAL_ERROR
    result.finished = dt.datetime.now().astimezone()
    for res in results:
        if res.status is None or (res.status is Status.PLANNED and not options.run.dry_run):
            res.fail(Status.NOT_SENT, f"not deleted: {result.stopped_by or 'stopped'}", code=M.UNDO_NOT_DONE)
    if undo_id is not None:
        state = RunState.FINISHED if result.stopped_by is None else RunState.STOPPED
        journal.finish(undo_id, RunState.INTERRUPTED if result.interrupted else state, None)
    return result


def _keep_keys(
    site: Site,
    record: RunRecord,
    undo_id: str | None,
    deletable: list[tuple[RowRecord, RowResult]],
    present: dict[Key, Existing],
    journal: str,
    options: UndoOptions,
) -> str | None:
    """The keys of what is about to go whose capture has started, in escrow first (or raises:
    then nothing is deleted)."""
    info = site.info
    about = escrow_about(
        record.run_id,
        undo_id or "",
        f"{info.site_code} ({info.kind}: {info.location})",
        journal,
        options.operator,
    )
    doomed = [(res, present[key_of(row)]) for row, res in deletable]
    path = keep_keys(site, doomed, options.escrow, undo_id or record.run_id, about, options.run.dry_run)
    return str(path) if path is not None else None


_MAY_BE_ON_SITE = (RowState.CREATED, RowState.SENDING, RowState.DELETING, RowState.REPLACING)
_GONE = (Status.DELETED, Status.ABSENT)


def _undo_steps(
    journal: Journal, run_id: str, site: Site, pairs: list[tuple[RowRecord, RowResult]], options: UndoOptions
) -> None:
    """After the associations: the direct rules the run added, then the computers it imported.
    A computer whose association stays (its capture started) keeps its record and rules."""
    dry = options.run.dry_run
    free = [
        (row, res)
        for row, res in pairs
        if (row.joined or row.imported_id)
        and row.hardware != REMOVED
        and (
            res.status in _GONE or (dry and res.status is Status.PLANNED) or row.state not in _MAY_BE_ON_SITE
        )
    ]
    rules = [(cid, row, res) for row, res in free for cid in row.joined if row.restore_id]
    computers = [(row, res) for row, res in free if row.imported_id and not options.keep_imported]
    if dry:
        for cid, _row, res in rules:
            res.add(
                Level.NOTE,
                f"would be removed from collection {cid} (this run added it)",
                code=M.UNDO_WOULD_REMOVE_RULE,
            )
        for row, res in computers:
            res.add(
                Level.NOTE,
                f"the computer record {row.imported_id} this run imported would be deleted",
                code=M.UNDO_WOULD_DELETE_COMPUTER,
            )
        return
    if rules:
        remove_rules(site, rules)
    if computers:
        remove_computers(site, computers)
    if options.keep_imported:
        for row, res in free:
            if row.imported_id:
                res.add(
                    Level.NOTE,
                    f"kept the computer record {row.imported_id} this run imported (--keep-imported)",
                    code=M.UNDO_COMPUTER_KEPT,
                )
    journal.mark_steps(
        run_id,
        [
            (row.seq, None, REMOVED if row.imported_id and not options.keep_imported else None, [])
            for row, _ in free
        ],
    )


_RUN_WORDS = frozenset({RowState.INVALID, RowState.UNRESOLVED, RowState.CONFLICT})


def _present(site: Site, rows: Sequence[RowRecord]) -> dict[Key, Existing]:
    return {e.key: e for e in site.associations_by_pair([key_of(r) for r in rows])}


def _delete(
    journal: Journal,
    run_id: str,
    site: Site,
    todo: list[tuple[RowRecord, RowResult]],
    stop_requested: Callable[[], bool],
) -> None:

    def still_needed(pending: list[tuple[RowRecord, RowResult]]) -> list[tuple[RowRecord, RowResult]]:
        present = _present(site, [r for r, _ in pending])
        for row, res in pending:
            if (row.source_id, row.restore_id) not in present:
                res.status = Status.DELETED  # the delete landed; its reply was lost
        return [(r, s) for r, s in pending if s.status is not Status.DELETED]

    def settle(item: tuple[RowRecord, RowResult], outcome: CallResult) -> None:
        res = item[1]
        if outcome.ok:
            res.status = Status.DELETED
        elif outcome.failed_with(WBEM_E_NOT_FOUND):
            res.status = Status.ABSENT
            res.add(Level.NOTE, "removed by someone else meanwhile", code=M.UNDO_REMOVED_BY_ANOTHER)
        else:
            res.fail(
                Status.FAILED,
                f"the provider refused to delete it: {outcome.describe()}",
                code=M.UNDO_DELETE_REFUSED,
            )

    with site.stage("Deleting associations", len(todo)):
        for batch in chunks(todo, site.batch_size):
            if stop_requested():
                raise KeyboardInterrupt
            journal.mark(run_id, [r.seq for r, _ in batch], RowState.DELETING)
            site.send_reconciled(
                batch,
                f"deleting {len(batch)} associations",
                lambda item: delete_association_call(*key_of(item[0])),
                still_needed,
                settle,
            )
            gone = [r.seq for r, s in batch if s.status in (Status.DELETED, Status.ABSENT)]
            journal.mark(run_id, gone, RowState.DELETED)
            site.progress.advance(len(batch))


delete_journaled = _delete  # cleanup deletes the same way: journaled, reconciled, batch by batch
