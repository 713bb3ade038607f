"""What undo takes back besides the associations a run created: the version --update replaced,
the collection rules the run added, the computers it imported. Each step is batched, settled
call by call and confirmed on the site after a retry, like every write."""

from __future__ import annotations

from importer import messages as M
from importer.journal.records import RowRecord
from importer.model import Level, RowResult, Status
from importer.site.batching import chunks
from importer.site.gateway import Site
from importer.site.provider import (
    WBEM_E_NOT_FOUND,
    CallResult,
    MethodCall,
    add_association_call,
    delete_member_call,
    delete_resource_call,
    direct_rule,
)
from importer.site.records import Key

_GONE = (Status.DELETED, Status.ABSENT)


def key_of(row: RowRecord) -> Key:
    return (row.source_id or 0, row.restore_id or 0)


# Rows the run never got onto the site keep the run's status word in undo, as in `status`.


def restore_previous(site: Site, pairs: list[tuple[RowRecord, RowResult]], dry: bool) -> None:
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
            res.add(
                Level.NOTE,
                f"the version this run replaced would be put back ({shown(row)})",
                code=M.UNDO_WOULD_PUT_BACK,
            )
        return

    def settle(item: tuple[RowRecord, RowResult], outcome: CallResult) -> None:
        row, res = item
        if outcome.ok:
            res.add(
                Level.NOTE, f"put back the version this run replaced ({shown(row)})", code=M.UNDO_PUT_BACK
            )
        else:
            res.fail(
                Status.FAILED,
                f"could not put back the version this run replaced: {outcome.describe()}",
                code=M.UNDO_PUT_BACK_FAILED,
            )

    def still_needed(pending: list[tuple[RowRecord, RowResult]]) -> list[tuple[RowRecord, RowResult]]:
        present = {e.key for e in site.associations_by_pair([key_of(r) for r, _ in pending])}
        return [(r, s) for r, s in pending if key_of(r) not in present]

    def call_for(item: tuple[RowRecord, RowResult]) -> MethodCall:
        row = item[0]
        assert row.previous is not None
        return add_association_call(*key_of(row), row.previous[0], row.previous[1])

    if not todo:
        return
    with site.stage("Putting back replaced associations", len(todo)):
        for batch in chunks(todo, site.batch_size):
            site.send_reconciled(
                batch, f"putting back {len(batch)} associations", call_for, still_needed, settle
            )
            site.progress.advance(len(batch))


REMOVED = "removed by undo"


def remove_rules(site: Site, rules: list[tuple[str, RowRecord, RowResult]]) -> None:
    def call_for(item: tuple[str, RowRecord, RowResult]) -> MethodCall:
        cid, row, _res = item
        return delete_member_call(cid, direct_rule(row.restore_id or 0, row.destination or ""))

    def settle(item: tuple[str, RowRecord, RowResult], outcome: CallResult) -> None:
        cid, _row, res = item
        if outcome.ok or outcome.failed_with(WBEM_E_NOT_FOUND):
            res.add(
                Level.NOTE, f"removed from collection {cid} (this run added it)", code=M.UNDO_RULE_REMOVED
            )
        else:
            res.fail(
                Status.FAILED,
                f"could not remove it from collection {cid}: {outcome.describe()}",
                code=M.UNDO_RULE_REMOVE_FAILED,
            )

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
                res.add(
                    Level.NOTE,
                    f"removed from collection {cid} (confirmed after a retry)",
                    code=M.CONFIRMED_AFTER_RETRY,
                )
        return still

    with site.stage("Removing collection rules", len(rules), "rules"):
        for batch in chunks(rules, site.batch_size):
            site.send_reconciled(
                batch, f"removing {len(batch)} collection rules", call_for, still_needed, settle
            )
            site.progress.advance(len(batch))


def remove_computers(site: Site, computers: list[tuple[RowRecord, RowResult]]) -> None:
    def settle(item: tuple[RowRecord, RowResult], outcome: CallResult) -> None:
        row, res = item
        if outcome.ok or outcome.failed_with(WBEM_E_NOT_FOUND):
            res.add(
                Level.NOTE,
                f"deleted the computer record {row.imported_id} this run imported",
                code=M.UNDO_COMPUTER_DELETED,
            )
        else:
            res.fail(
                Status.FAILED,
                f"could not delete the computer record {row.imported_id}: {outcome.describe()}",
                code=M.UNDO_COMPUTER_DELETE_FAILED,
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
                    Level.NOTE,
                    f"deleted the computer record {row.imported_id} (confirmed after a retry)",
                    code=M.CONFIRMED_AFTER_RETRY,
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
