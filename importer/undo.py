"""Undo a run: delete exactly the associations that run created, nothing else.

The journal says which rows the run created (or was sending when it stopped: those
are deleted only if the plan had found them absent and they are on the site now).
Associations that existed before the run were never `created` by it, so they are
never candidates. One whose user state was already captured is kept unless --force:
deleting it would lose the link to the stored state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from importer.batching import chunks
from importer.errors import InputError
from importer.interrupt import Interrupts
from importer.journal import Journal, RowRecord, RowState, RunKind, RunRecord, RunState
from importer.model import Behavior, Level, RowResult, Status, WaveInput
from importer.provider import WBEM_E_NOT_FOUND, CallResult, delete_association_call
from importer.results import RunOptions, RunResult
from importer.site import Existing, Key, Site

_CAPTURE_STARTED = frozenset({1, 2})  # MigrationStatus in progress, completed


@dataclass(frozen=True)
class UndoOptions:
    run: RunOptions
    force: bool = False


def undo_run(
    journal: Journal,
    record: RunRecord,
    site: Site,
    options: UndoOptions,
    interrupts: Interrupts | None = None,
) -> RunResult:
    if record.kind is not RunKind.RUN:
        raise InputError(f"{record.run_id} is an undo, not a run: only runs can be undone.")
    info = site.info
    if info.site_code.upper() != record.site.upper():
        raise InputError(
            f"run {record.run_id} was made on site {record.site}, not {info.site_code}.",
            "Point --demo/--server at the site of that run.",
        )
    rows = journal.rows(record.run_id)
    results = [_result(r) for r in rows]
    wave = WaveInput(record.input_path, record.input_sha256, [], [], [])
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
    for row, res in zip(rows, results, strict=True):
        if row.state in _MAY_BE_ON_SITE and row.source_id and row.restore_id:
            targets.append((row, res))
        elif row.state is RowState.DELETED:
            res.status = Status.ABSENT
            res.add(Level.NOTE, "deleted by an earlier undo")
        else:
            res.status = Status.SKIPPED
            res.add(Level.NOTE, f"not created by run {record.run_id} ({row.state}): left alone")
    try:
        present = _present(site, [r for r, _ in targets])
        deletable: list[tuple[RowRecord, RowResult]] = []
        for row, res in targets:
            found = present.get((row.source_id or 0, row.restore_id or 0))
            if found is None:
                res.status = Status.ABSENT
                res.add(Level.NOTE, "not on the site (already removed, or never created)")
            elif found.status in _CAPTURE_STARTED and not options.force:
                res.fail(
                    Status.FAILED,
                    f"the user state capture is {found.status_text}: deleting the association "
                    "would lose the link to the stored state; kept (use --force to delete anyway)",
                )
            else:
                res.status = Status.PLANNED
                deletable.append((row, res))
        if not options.run.dry_run:
            with (interrupts or Interrupts()).deferred() as stop_requested:
                _delete(journal, record.run_id, site, deletable, stop_requested)
    except KeyboardInterrupt:
        result.stopped_by = "interrupted by the user (Ctrl-C)"
        result.interrupted = True
    except Exception as exc:
        result.stopped_by = str(exc)
    result.finished = dt.datetime.now().astimezone()
    for res in results:
        if res.status is None or (res.status is Status.PLANNED and not options.run.dry_run):
            res.fail(Status.FAILED, f"not deleted: {result.stopped_by or 'stopped'}")
    if undo_id is not None:
        state = RunState.FINISHED if result.stopped_by is None else RunState.STOPPED
        journal.finish(undo_id, RunState.INTERRUPTED if result.interrupted else state, None)
    return result


_MAY_BE_ON_SITE = (RowState.CREATED, RowState.SENDING, RowState.DELETING)


def _result(row: RowRecord) -> RowResult:
    return RowResult(
        sheet=row.sheet,
        row=row.row,
        values={},
        source=row.source,
        destination=row.destination,
        behavior=Behavior(row.behavior) if row.behavior in (0, 1, 2) else None,
        users=list(row.users),
        source_resource_id=row.source_id,
        restore_resource_id=row.restore_id,
    )


def _key(row: RowRecord) -> Key:
    return (row.source_id or 0, row.restore_id or 0)


def _present(site: Site, rows: Sequence[RowRecord]) -> dict[Key, Existing]:
    return {e.key: e for e in site.associations_by_pair([_key(r) for r in rows])}


def _delete(
    journal: Journal,
    run_id: str,
    site: Site,
    todo: list[tuple[RowRecord, RowResult]],
    stop_requested: Callable[[], bool],
) -> None:
    site.progress.start("Deleting associations", len(todo))

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
        elif outcome.error is not None and outcome.error.code == WBEM_E_NOT_FOUND:
            res.status = Status.ABSENT
            res.add(Level.NOTE, "removed by someone else meanwhile")
        else:
            res.fail(Status.FAILED, f"the provider refused to delete it: {outcome.describe()}")

    for batch in chunks(todo, site.batch_size):
        if stop_requested():
            raise KeyboardInterrupt
        journal.mark(run_id, [r.seq for r, _ in batch], RowState.DELETING)
        site.send_reconciled(
            batch,
            f"deleting {len(batch)} associations",
            lambda item: delete_association_call(*_key(item[0])),
            still_needed,
            settle,
        )
        gone = [r.seq for r, s in batch if s.status in (Status.DELETED, Status.ABSENT)]
        journal.mark(run_id, gone, RowState.DELETED)
        site.progress.advance(len(batch))
    site.progress.finish()
