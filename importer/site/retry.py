"""Retry policy for provider round trips: transient faults only, bounded, logged."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from importer import messages as M
from importer.errors import ImporterError, ProviderUnavailable, TransientProviderError

log = logging.getLogger("importer")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    max_seconds: float = 300.0  # give up on a round trip after this long in total
    wait_first: float = 1.0
    wait_max: float = 30.0


def with_retries(policy: RetryPolicy, what: str, attempt: Callable[[int], T]) -> T:
    """Run `attempt(n)` (n = 1, 2, ...) until it does not raise TransientProviderError.

    The attempt number lets the caller reconcile before re-sending anything.
    """

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        shown = error.coded() if isinstance(error, ImporterError) else error
        log.warning(
            "%s WARNING: %s: attempt %d of %d failed (%s); retrying",
            M.RETRYING,
            what,
            state.attempt_number,
            policy.attempts,
            shown,
        )

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(TransientProviderError),
        stop=tenacity.stop_after_attempt(policy.attempts) | tenacity.stop_after_delay(policy.max_seconds),
        wait=tenacity.wait_random_exponential(multiplier=policy.wait_first, max=policy.wait_max),
        before_sleep=before_sleep,
        reraise=True,
    )
    tried = 0
    try:
        for try_ in retrying:
            with try_:
                tried = try_.retry_state.attempt_number
                return attempt(tried)
    except TransientProviderError as exc:
        raise ProviderUnavailable(
            f"{what}: the provider still failed after {tried} attempts ({exc}).",
            "Check the connection to the SMS Provider and run the same command again: nothing "
            "is done twice (a run shows what it created before as exists; an undo skips what is gone).",
            code=M.RETRIES_EXHAUSTED,
        ) from exc
    raise AssertionError("unreachable")  # tenacity either returns or raises
