"""The write engine: method calls sent in batches through a provider, and what landed
reconciled with the site before any retry, so that a retried batch lands exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from importer import messages as M
from importer.errors import TransientProviderError
from importer.site.provider import CallResult, MethodCall, Provider
from importer.site.retry import RetryPolicy, with_retries

T = TypeVar("T")


def send_reconciled(
    provider: Provider,
    retry_policy: RetryPolicy,
    items: Sequence[T],
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
            raise TransientProviderError(f"{len(pending)} call(s) failed: {last}", code=M.TEMPORARY_FAULT)

    with_retries(retry_policy, what, attempt)
