"""Create the planned associations in batches, never twice.

A batch that fails in a way worth retrying is not simply sent again: before each
retry the site is read back, rows whose pair now exists are `created`, and only
the rest are sent. A failure of one call fails only its row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from importer.batching import chunks
from importer.model import Level, RowResult, Status
from importer.provider import WBEM_E_ALREADY_EXISTS, CallResult, MethodCall, add_association_call
from importer.site import Site


class BatchListener(Protocol):
    """Told before a batch leaves and after its outcome is known (the run journal)."""

    def before_send(self, rows: Sequence[RowResult]) -> None: ...

    def after_send(self, rows: Sequence[RowResult]) -> None: ...


class _Nobody:
    def before_send(self, rows: Sequence[RowResult]) -> None:
        pass

    def after_send(self, rows: Sequence[RowResult]) -> None:
        pass


def apply(
    rows: Iterable[RowResult],
    site: Site,
    listener: BatchListener | None = None,
    stop_requested: Callable[[], bool] = lambda: False,
) -> None:
    """Turn every `planned` row into `created`, `exists` or `failed`.

    If the provider goes away for good (or the user interrupts), rows of the batch
    in flight whose outcome is unknown and rows never sent are `failed` with a
    message saying which, and the error propagates. A requested stop is honoured
    between batches: the batch in flight finishes first.
    """
    listener = listener or _Nobody()
    planned = [r for r in rows if r.status is Status.PLANNED]
    site.progress.start("Creating associations", len(planned))
    in_flight: Sequence[RowResult] = ()
    try:
        for batch in chunks(planned, site.batch_size):
            if stop_requested():
                raise KeyboardInterrupt
            in_flight = batch
            listener.before_send(batch)
            _send_batch(batch, site)
            listener.after_send(batch)
            in_flight = ()
            site.progress.advance(len(batch))
    except (Exception, KeyboardInterrupt) as exc:
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
        unknown = {id(r) for r in in_flight}
        for row in planned:
            if row.status is not Status.PLANNED:
                continue
            if id(row) in unknown:
                row.fail(
                    Status.FAILED,
                    f"outcome unknown ({reason}): run the same sheet again; "
                    "if it was created it will show as exists",
                )
            else:
                row.fail(Status.FAILED, f"not sent ({reason})")
        raise
    finally:
        site.progress.finish()


def _send_batch(batch: Sequence[RowResult], site: Site) -> None:
    def call_for(row: RowResult) -> MethodCall:
        behavior = int(row.behavior if row.behavior is not None else -1)
        return add_association_call(
            row.source_resource_id or 0, row.restore_resource_id or 0, behavior, row.users
        )

    def settle(row: RowResult, result: CallResult) -> None:
        if result.ok:
            row.status = Status.CREATED
        elif result.error is not None and result.error.code == WBEM_E_ALREADY_EXISTS:
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


def _key(row: RowResult) -> tuple[int, int]:
    return (row.source_resource_id or 0, row.restore_resource_id or 0)
