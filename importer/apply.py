"""Create the planned associations in batches, never twice.

A batch that fails in a way worth retrying is not simply sent again: before each
retry the site is read back, rows whose pair now exists are `created`, and only
the rest are sent. A failure of one call fails only its row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from importer.batching import chunks
from importer.errors import TransientProviderError
from importer.model import Level, RowResult, Status
from importer.plan import read_associations
from importer.progress import Progress
from importer.provider import WBEM_E_ALREADY_EXISTS, CallResult, MethodCall, Provider, add_association_call
from importer.retry import RetryPolicy, with_retries

T = TypeVar("T")


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
    provider: Provider,
    batch_size: int,
    policy: RetryPolicy,
    progress: Progress,
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
    progress.start("Creating associations", len(planned))
    in_flight: Sequence[RowResult] = ()
    try:
        for batch in chunks(planned, batch_size):
            if stop_requested():
                raise KeyboardInterrupt
            in_flight = batch
            listener.before_send(batch)
            _send_batch(batch, provider, batch_size, policy)
            listener.after_send(batch)
            in_flight = ()
            progress.advance(len(batch))
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
        progress.finish()


def send_reconciled(
    items: Sequence[T],
    provider: Provider,
    policy: RetryPolicy,
    what: str,
    call_for: Callable[[T], MethodCall],
    still_needed: Callable[[list[T]], list[T]],
    settle: Callable[[T, CallResult], None],
) -> None:
    """One method call per item; only transient failures are retried, and before any retry
    the site is asked which items still need sending: a lost reply is not a lost call."""
    pending = list(items)

    def attempt(number: int) -> None:
        nonlocal pending
        if number > 1:
            pending = still_needed(pending)
            if not pending:
                return
        retry: list[T] = []
        last = ""
        for item, result in zip(pending, provider.call([call_for(i) for i in pending]), strict=True):
            if result.error is not None and result.error.transient:
                retry.append(item)
                last = result.describe()
            else:
                settle(item, result)
        pending = retry
        if pending:
            raise TransientProviderError(f"{len(pending)} call(s) failed: {last}")

    with_retries(policy, what, attempt)


def _send_batch(batch: Sequence[RowResult], provider: Provider, batch_size: int, policy: RetryPolicy) -> None:
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

    send_reconciled(
        batch,
        provider,
        policy,
        f"creating {len(batch)} associations",
        call_for,
        lambda rows: _reconcile(rows, provider, batch_size, policy),
        settle,
    )


def _reconcile(
    rows: list[RowResult], provider: Provider, batch_size: int, policy: RetryPolicy
) -> list[RowResult]:
    """Rows whose association is on the site now are created; the rest still need sending."""
    keys = [
        (
            ("SourceClientResourceID", r.source_resource_id or 0),
            ("RestoreClientResourceID", r.restore_resource_id or 0),
        )
        for r in rows
    ]
    found = {e.key for e in read_associations(provider, [keys], batch_size, policy)}
    still: list[RowResult] = []
    for row in rows:
        if (row.source_resource_id, row.restore_resource_id) in found:
            row.status = Status.CREATED
            row.add(Level.NOTE, "confirmed on the site after a retry (not sent twice)")
        else:
            still.append(row)
    return still
