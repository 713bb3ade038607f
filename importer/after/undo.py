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

from importer.errors import InputError
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
    MethodCall,
    add_association_call,
    delete_association_call,
    delete_member_call,
    delete_resource_call,
    direct_rule,
)
from importer.site.records import Existing, Key

_CAPTURE_STARTED = frozenset({1, 2})  # MigrationStatus in progress, completed


@dataclass(frozen=True)
class UndoOptions:
    run: RunOptions
    force: bool = False
    keep_imported: bool = False  # leave the computer records the run imported


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
            res.add(Level.NOTE, "deleted by an earlier undo")
        elif row.state in _RUN_WORDS:  # the run's own word, as `status` says it: nothing to undo
            results[i] = row.as_reading()
        else:
            res.status = Status.SKIPPED
            res.add(Level.NOTE, f"not created by run {record.run_id} ({row.state}): left alone")
    try:
        with site.stage("Reading the run's associations", len(targets)):
            present = _present(site, [r for r, _ in targets])
            site.progress.advance(len(targets))
        deletable: list[tuple[RowRecord, RowResult]] = []
        for row, res in targets:
            found = present.get((row.source_id or 0, row.restore_id or 0))
            if found is None:
                res.status = Status.ABSENT
                res.add(Level.NOTE, "not on the site (already removed, or never created)")
            elif found.status in _CAPTURE_STARTED and not options.force:
                res.fail(
                    Status.KEPT,
                    f"the user state capture is {found.status_text}: deleting the association "
                    "would lose the link to the stored state; kept (use --force to delete anyway)",
                )
            else:
                res.status = Status.PLANNED
                deletable.append((row, res))
        if not options.run.dry_run:
            with (interrupts or Interrupts()).deferred() as stop_requested:
                _delete(journal, record.run_id, site, deletable, stop_requested)
        _restore_previous(site, list(zip(rows, results, strict=True)), options.run.dry_run)
        _undo_steps(journal, record.run_id, site, list(zip(rows, results, strict=True)), options)
    except KeyboardInterrupt:
        result.stopped_by = "interrupted by the user (Ctrl-C)"
        result.interrupted = True
    except Exception as exc:
        result.stopped_by = str(exc)
    result.finished = dt.datetime.now().astimezone()
    for res in results:
        if res.status is None or (res.status is Status.PLANNED and not options.run.dry_run):
            res.fail(Status.NOT_SENT, f"not deleted: {result.stopped_by or 'stopped'}")
    if undo_id is not None:
        state = RunState.FINISHED if result.stopped_by is None else RunState.STOPPED
        journal.finish(undo_id, RunState.INTERRUPTED if result.interrupted else state, None)
    return result


_MAY_BE_ON_SITE = (RowState.CREATED, RowState.SENDING, RowState.DELETING, RowState.REPLACING)
_GONE = (Status.DELETED, Status.ABSENT)


def _restore_previous(site: Site, pairs: list[tuple[RowRecord, RowResult]], dry: bool) -> None:
    """--update replaced these associations: put back the version that was there before."""
    todo = [
        (row, res)
        for row, res in pairs
        if row.previous is not None and (res.status in _GONE or (dry and res.status is Status.PLANNED))
    ]

    def shown(row: RowRecord) -> str:
        assert row.previous is not None
        return f"behaviour {row.previous[0]}, users {', '.join(row.previous[1]) or 'none'}"

    if dry:
        for row, res in todo:
            res.add(Level.NOTE, f"the version this run replaced would be put back ({shown(row)})")
        return

    def settle(item: tuple[RowRecord, RowResult], outcome: CallResult) -> None:
        row, res = item
        if outcome.ok:
            res.add(Level.NOTE, f"put back the version this run replaced ({shown(row)})")
        else:
            res.fail(Status.FAILED, f"could not put back the version this run replaced: {outcome.describe()}")

    def still_needed(pending: list[tuple[RowRecord, RowResult]]) -> list[tuple[RowRecord, RowResult]]:
        present = {e.key for e in site.associations_by_pair([_key(r) for r, _ in pending])}
        return [(r, s) for r, s in pending if _key(r) not in present]

    def call_for(item: tuple[RowRecord, RowResult]) -> MethodCall:
        row = item[0]
        assert row.previous is not None
        return add_association_call(*_key(row), row.previous[0], row.previous[1])

    if not todo:
        return
    with site.stage("Putting back replaced associations", len(todo)):
        for batch in chunks(todo, site.batch_size):
            site.send_reconciled(
                batch, f"putting back {len(batch)} associations", call_for, still_needed, settle
            )
            site.progress.advance(len(batch))


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
            res.add(Level.NOTE, f"would be removed from collection {cid} (this run added it)")
        for row, res in computers:
            res.add(Level.NOTE, f"the computer record {row.imported_id} this run imported would be deleted")
        return
    if rules:
        _remove_rules(site, rules)
    if computers:
        _remove_computers(site, computers)
    if options.keep_imported:
        for row, res in free:
            if row.imported_id:
                res.add(
                    Level.NOTE,
                    f"kept the computer record {row.imported_id} this run imported (--keep-imported)",
                )
    journal.mark_steps(
        run_id,
        [
            (row.seq, None, REMOVED if row.imported_id and not options.keep_imported else None, [])
            for row, _ in free
        ],
    )


REMOVED = "removed by undo"


def _remove_rules(site: Site, rules: list[tuple[str, RowRecord, RowResult]]) -> None:
    def call_for(item: tuple[str, RowRecord, RowResult]) -> MethodCall:
        cid, row, _res = item
        return delete_member_call(cid, direct_rule(row.restore_id or 0, row.destination or ""))

    def settle(item: tuple[str, RowRecord, RowResult], outcome: CallResult) -> None:
        cid, _row, res = item
        if outcome.ok or outcome.failed_with(WBEM_E_NOT_FOUND):
            res.add(Level.NOTE, f"removed from collection {cid} (this run added it)")
        else:
            res.fail(Status.FAILED, f"could not remove it from collection {cid}: {outcome.describe()}")

    def still_needed(
        pending: list[tuple[str, RowRecord, RowResult]],
    ) -> list[tuple[str, RowRecord, RowResult]]:
        members = site.memberships(sorted({row.restore_id or 0 for _, row, _ in pending}))
        still = []
        for item in pending:
            cid, row, res = item
            if (cid, row.restore_id or 0) in members:
                still.append(item)
            else:
                res.add(Level.NOTE, f"removed from collection {cid} (confirmed after a retry)")
        return still

    with site.stage("Removing collection rules", len(rules), "rules"):
        for batch in chunks(rules, site.batch_size):
            site.send_reconciled(
                batch, f"removing {len(batch)} collection rules", call_for, still_needed, settle
            )
            site.progress.advance(len(batch))


def _remove_computers(site: Site, computers: list[tuple[RowRecord, RowResult]]) -> None:
    def settle(item: tuple[RowRecord, RowResult], outcome: CallResult) -> None:
        row, res = item
        if outcome.ok or outcome.failed_with(WBEM_E_NOT_FOUND):
            res.add(Level.NOTE, f"deleted the computer record {row.imported_id} this run imported")
        else:
            res.fail(
                Status.FAILED, f"could not delete the computer record {row.imported_id}: {outcome.describe()}"
            )

    def still_needed(pending: list[tuple[RowRecord, RowResult]]) -> list[tuple[RowRecord, RowResult]]:
        there = {
            r.resource_id
            for r in site.systems("ResourceID", [row.imported_id or 0 for row, _ in pending], advance=False)
        }
        still = []
        for row, res in pending:
            if row.imported_id in there:
                still.append((row, res))
            else:
                res.add(
                    Level.NOTE, f"deleted the computer record {row.imported_id} (confirmed after a retry)"
                )
        return still

    with site.stage("Deleting imported computers", len(computers), "computers"):
        for batch in chunks(computers, site.batch_size):
            site.send_reconciled(
                batch,
                f"deleting {len(batch)} imported computers",
                lambda item: delete_resource_call(item[0].imported_id or 0),
                still_needed,
                settle,
            )
            site.progress.advance(len(batch))


def _key(row: RowRecord) -> Key:
    return (row.source_id or 0, row.restore_id or 0)


# Rows the run never got onto the site keep the run's status word in undo, as in `status`.
_RUN_WORDS = frozenset({RowState.INVALID, RowState.UNRESOLVED, RowState.CONFLICT})


def _present(site: Site, rows: Sequence[RowRecord]) -> dict[Key, Existing]:
    return {e.key: e for e in site.associations_by_pair([_key(r) for r in rows])}


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
            res.add(Level.NOTE, "removed by someone else meanwhile")
        else:
            res.fail(Status.FAILED, f"the provider refused to delete it: {outcome.describe()}")

    with site.stage("Deleting associations", len(todo)):
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


delete_journaled = _delete  # cleanup deletes the same way: journaled, reconciled, batch by batch
