"""Recovery keys as the site gives them: GetEncryptDecryptKey on each association instance,
sent in batches like every other call, and each key held so that it never prints.

A key is the one secret this tool reads. It stays inside a `RecoveryKey`, whose `repr` and
`str` hide it, until the encrypted workbook's writer asks for it with `reveal()`: a key
logged, raised, journaled or put in a report by mistake shows as `[hidden]`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from importer import messages as M
from importer.errors import TransientProviderError
from importer.progress import NoProgress, Progress, stage
from importer.site.batching import chunks
from importer.site.provider import (
    WBEM_E_NOT_FOUND,
    CallResult,
    Provider,
    recovery_key_call,
)
from importer.site.retry import RetryPolicy, with_retries

Key = tuple[int, int]  # (SourceClientResourceID, RestoreClientResourceID)
HIDDEN = "[hidden]"


class RecoveryKey:
    """A recovery key: its text only through `reveal()`, never in repr, str, format or pickle."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def reveal(self) -> str:
        return self._text

    def __len__(self) -> int:
        return len(self._text)

    def __repr__(self) -> str:
        return f"RecoveryKey({HIDDEN})"

    def __str__(self) -> str:
        return HIDDEN

    def __format__(self, _spec: str) -> str:
        return HIDDEN

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a recovery key is never pickled")


@dataclass(frozen=True)
class KeyReading:
    """What the site said of one association's key: the key, or why there is none."""

    key: RecoveryKey | None = None
    missing: bool = False  # no association (any more) for this pair
    refused: str = ""  # the site refused the call: its error, described
    none_yet: str = ""  # the call worked and gave no key: what it returned

    @property
    def problem(self) -> str:
        if self.key is not None:
            return ""
        if self.missing:
            return "the association is not on the site"
        return self.refused or self.none_yet or "no key"


def reading_of(result: CallResult) -> KeyReading:
    """One GetEncryptDecryptKey answer as a reading (never with the key in a message)."""
    if result.error is not None:
        if result.error.code == WBEM_E_NOT_FOUND:
            return KeyReading(missing=True)
        return KeyReading(refused=result.error.describe())
    key = result.out.get("Key")
    if result.return_value != 0:
        return KeyReading(none_yet=f"GetEncryptDecryptKey returned {result.return_value} and no key")
    if not isinstance(key, str) or not key.strip():
        return KeyReading(none_yet="GetEncryptDecryptKey returned 0 with an empty key")
    return KeyReading(key=RecoveryKey(key))


def read_keys(
    provider: Provider,
    pairs: Sequence[Key],
    batch_size: int,
    retry: RetryPolicy | None = None,
    progress: Progress | None = None,
) -> dict[Key, KeyReading]:
    """Each pair's key, `batch_size` calls per round trip. The calls only read, so a round trip
    with a transient fault is simply sent again; any other fault of one call is that pair's."""
    progress = progress or NoProgress()
    wanted = list(dict.fromkeys(pairs))
    found: dict[Key, KeyReading] = {}
    with stage(progress, "Reading recovery keys", len(wanted)):
        for batch in chunks(wanted, batch_size):

            def round_trip(_attempt: int, batch: Sequence[Key] = batch) -> list[CallResult]:
                results = provider.call([recovery_key_call(*pair) for pair in batch])
                busy = [r for r in results if r.error is not None and r.error.transient]
                if busy:
                    raise TransientProviderError(
                        f"{len(busy)} key reading(s) failed: {busy[0].describe()}", code=M.TEMPORARY_FAULT
                    )
                return results

            answers = with_retries(retry or RetryPolicy(), f"reading {len(batch)} recovery keys", round_trip)
            for pair, answer in zip(batch, answers, strict=True):
                found[pair] = reading_of(answer)
            progress.advance(len(batch))
    return found
