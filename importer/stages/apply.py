"""Create the planned associations in batches, never twice.

A batch that fails in a way worth retrying is not simply sent again: before each
retry the site is read back, rows whose pair now exists are `created`, and only
the rest are sent. A failure of one call fails only its row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from importer.model import Hardware, Level, RowResult, Status, Tag
from importer.model import fields as C
from importer.site.batching import chunks
from importer.site.gateway import Site
from importer.site.provider import (
    WBEM_E_ALREADY_EXISTS,
    WBEM_E_NOT_FOUND,
    CallResult,
    MethodCall,
    add_association_call,
    add_members_call,
    delete_association_call,
    direct_rule,
    import_machine_call,
)


class BatchListener(Protocol):
    """Told before a batch leaves, after its computers are imported, and after its outcome
    is known (the run journal)."""

    def before_send(self, rows: Sequence[RowResult]) -> None: ...

    def imported(self, rows: Sequence[RowResult]) -> None: ...

    def replacing(self, rows: Sequence[RowResult]) -> None: ...

    def after_send(self, rows: Sequence[RowResult]) -> None: ...


class _Nobody:
    def before_send(self, rows: Sequence[RowResult]) -> None:
        pass

    def imported(self, rows: Sequence[RowResult]) -> None:
        pass

    def replacing(self, rows: Sequence[RowResult]) -> None:
        pass

    def after_send(self, rows: Sequence[RowResult]) -> None:
        pass


def apply(
    rows: Iterable[RowResult],
    site: Site,
    listener: BatchListener | None = None,
    stop_requested: Callable[[], bool] = lambda: False,
    overwrite_existing_record: bool = False,
) -> None:
    """Turn every `planned` row into `created`, `exists` or `failed`.

    If the provider goes away for good (or the user interrupts), rows of the batch
    in flight whose outcome is unknown and rows never sent are `failed` with a
    message saying which, and the error propagates. A requested stop is honoured
    between batches: the batch in flight finishes first.
    """
    listener = listener or _Nobody()
    rows = list(rows)
    planned = [r for r in rows if r.status is Status.PLANNED]
    in_flight: Sequence[RowResult] = ()
    try:
        with site.stage("Creating associations", len(planned)):
            for batch in chunks(planned, site.batch_size):
                if stop_requested():
                    raise KeyboardInterrupt
                in_flight = batch
                listener.before_send(batch)
                importing = [r for r in batch if r.hardware is Hardware.IMPORT]
                if importing:
                    _import(importing, site, overwrite_existing_record)
                    listener.imported(importing)
                replacing = [r for r in batch if r.replaces is not None and r.status is Status.PLANNED]
                if replacing:
                    listener.replacing(replacing)
                    _remove_old_versions(replacing, site)
                _send_batch([r for r in batch if r.status is Status.PLANNED], site)
                _join([r for r in batch if r.collections and r.status is Status.CREATED], site)
                listener.after_send(batch)
                in_flight = ()
                site.progress.advance(len(batch))
        # Rows already associated may still have a collection to join.
        waiting = [r for r in rows if r.collections and r.status is Status.EXISTS]
        if waiting:
            with site.stage("Adding computers to collections", len(waiting)):
                for batch in chunks(waiting, site.batch_size):
                    _join(batch, site)
                    listener.after_send(batch)
                    site.progress.advance(len(batch))
    except (Exception, KeyboardInterrupt) as exc:
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
        unknown = {id(r) for r in in_flight}
        for row in planned:
            if row.status is not Status.PLANNED:
                continue
            if id(row) in unknown:
                row.fail(
                    Status.UNKNOWN,
                    f"outcome unknown ({reason}): run the same sheet again; "
                    "if it was created it will show as exists",
                )
            else:
                row.fail(Status.NOT_SENT, f"not sent ({reason})")
        raise


def _send_batch(batch: Sequence[RowResult], site: Site) -> None:
    def call_for(row: RowResult) -> MethodCall:
        behavior = int(row.behavior if row.behavior is not None else -1)
        return add_association_call(
            row.source_resource_id or 0, row.restore_resource_id or 0, behavior, row.users
        )

    def settle(row: RowResult, result: CallResult) -> None:
        if result.ok:
            row.status = Status.CREATED
            if row.replaces is not None:
                users = ", ".join(row.replaces[1]) or "none"
                row.add(
                    Level.NOTE,
                    f"replaced the version on the site (behaviour {row.replaces[0]}, users {users})",
                )
        elif result.failed_with(WBEM_E_ALREADY_EXISTS):
            row.status = Status.EXISTS
            row.add(Level.NOTE, "created by someone else after the plan was made: left as it is")
        else:
            row.fail(Status.FAILED, f"the provider refused it: {result.describe()}")

    def still_needed(rows: list[RowResult]) -> list[RowResult]:
        """Rows whose association is on the site now are created; the rest still need sending."""
        found = {e.key for e in site.associations_by_pair([_key(r) for r in rows])}
        still: list[RowResult] = []
        for row in rows:
            if _key(row) in found:
                row.status = Status.CREATED
                row.add(Level.NOTE, "confirmed on the site after a retry (not sent twice)")
            else:
                still.append(row)
        return still

    site.send_reconciled(batch, f"creating {len(batch)} associations", call_for, still_needed, settle)


def _remove_old_versions(rows: Sequence[RowResult], site: Site) -> None:
    """--update: the version on the site goes first (the journal holds it, for undo)."""

    def settle(row: RowResult, result: CallResult) -> None:
        if not result.ok and not result.failed_with(WBEM_E_NOT_FOUND):
            row.fail(Status.FAILED, f"the provider refused to replace it: {result.describe()}")

    def still_needed(pending: list[RowResult]) -> list[RowResult]:
        present = {e.key for e in site.associations_by_pair([_key(r) for r in pending])}
        return [r for r in pending if _key(r) in present]

    site.send_reconciled(
        rows,
        f"replacing {len(rows)} associations",
        lambda row: delete_association_call(*_key(row)),
        still_needed,
        settle,
    )


def _import(rows: Sequence[RowResult], site: Site, overwrite: bool) -> None:
    """ImportMachineEntry for each new computer; its ResourceID is what the association uses
    (never a later name lookup: how soon an imported record can be queried is not public)."""

    def call_for(row: RowResult) -> MethodCall:
        return import_machine_call(row.destination or "", row.smbios_guid, row.mac, overwrite)

    def settle(row: RowResult, result: CallResult) -> None:
        rid = result.out.get("ResourceID")
        if result.ok and isinstance(rid, int) and rid > 0:
            row.restore_resource_id = rid
            if result.out.get("MachineExists") and not overwrite:
                row.hardware = Hardware.KNOWN
                _imported_note(row, None)
                row.add(Level.NOTE, f"{row.destination} was imported by someone else meanwhile ({rid})")
            else:
                row.hardware = Hardware.IMPORTED
                _imported_note(row, f"{row.destination} was imported by this run (ResourceID {rid})")
        else:
            row.hardware = Hardware.NOT_IMPORTED
            _imported_note(row, None)
            row.fail(Status.FAILED, f"the provider did not import {row.destination}: {result.describe()}")

    def still_needed(pending: list[RowResult]) -> list[RowResult]:
        found = {
            r.name.upper(): r
            for r in site.systems("Name", [p.destination or "" for p in pending], advance=False)
            if r.live
        }
        still = []
        for row in pending:
            record = found.get(row.destination or "")
            if record is None:
                still.append(row)
            else:
                row.restore_resource_id = record.resource_id
                row.hardware = Hardware.IMPORTED
                _imported_note(
                    row,
                    f"{row.destination} was imported by this run (ResourceID {record.resource_id}); "
                    "confirmed on the site after a retry, not sent twice",
                )
        return still

    site.send_reconciled(rows, f"importing {len(rows)} computers", call_for, still_needed, settle)


def _imported_note(row: RowResult, text: str | None) -> None:
    """The plan's "it will be imported" becomes what happened (or goes, when a message of its
    own says it): a report read after the run never promises what is done."""
    planned = [m for m in row.messages if m.tag is Tag.TO_IMPORT]
    row.messages = [m for m in row.messages if m.tag is not Tag.TO_IMPORT]
    if text is not None:
        taking_over = planned[0].text.partition(", taking over")[2] if planned else ""
        text += f", taking over{taking_over}" if taking_over else ""
        row.add(Level.NOTE, text, planned[0].column if planned else None)


def _join(rows: Sequence[RowResult], site: Site) -> None:
    """One AddMembershipRules call per collection, a direct rule per computer."""
    groups: dict[str, list[RowResult]] = defaultdict(list)
    for row in rows:
        for collection_id in row.collections:
            if collection_id not in row.joined and row.restore_resource_id:
                groups[collection_id].append(row)
    items = list(groups.items())
    if not items:
        return

    def call_for(item: tuple[str, list[RowResult]]) -> MethodCall:
        collection_id, members = item
        return add_members_call(
            collection_id, [direct_rule(r.restore_resource_id or 0, r.destination or "") for r in members]
        )

    def joined(collection_id: str, row: RowResult, how: str) -> None:
        row.joined = [*row.joined, collection_id]
        if collection_id in row.copies:  # --copy-collections: the old computer's rule, copied
            how = how.replace("added", "copied", 1)
        row.membership = [
            f"{m.rsplit(': ', 1)[0]}: {how}" if m.startswith(collection_id) else m for m in row.membership
        ] or [f"{collection_id}: {how}"]

    def settle(item: tuple[str, list[RowResult]], result: CallResult) -> None:
        collection_id, members = item
        for row in members:
            if result.ok:
                joined(collection_id, row, "added")
            else:
                row.fail(
                    Status.FAILED,
                    f"the association is {row.status.value if row.status else 'done'}, but adding "
                    f"{row.destination} to {collection_id} failed: {result.describe()}",
                    row.column(C.COLLECTION),
                )

    def still_needed(pending: list[tuple[str, list[RowResult]]]) -> list[tuple[str, list[RowResult]]]:
        ids = sorted({r.restore_resource_id or 0 for _, members in pending for r in members})
        now = site.memberships(ids)
        still = []
        for collection_id, members in pending:
            missing = [r for r in members if (collection_id, r.restore_resource_id or 0) not in now]
            for row in members:
                if row not in missing:
                    joined(collection_id, row, "added (confirmed after a retry)")
            if missing:
                still.append((collection_id, missing))
        return still

    site.send_reconciled(
        items, f"adding computers to {len(items)} collections", call_for, still_needed, settle
    )


def _key(row: RowResult) -> tuple[int, int]:
    return (row.source_resource_id or 0, row.restore_resource_id or 0)
