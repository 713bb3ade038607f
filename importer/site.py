"""The site gateway: everything a stage asks of a site, in batches, with retries and progress.

Stages (resolve, plan, apply, undo) take one `Site` and never talk to a provider or to
each other directly. It owns the batched lookups (computers by name or ResourceID,
associations by computer or by pair) and the send-and-reconcile engine that makes a
retried batch of method calls land exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from importer.batching import chunks
from importer.errors import ProviderUnavailable, TransientProviderError
from importer.progress import NoProgress, Progress
from importer.provider import (
    SMS_R_SYSTEM,
    SMS_STATE_MIGRATION,
    CallResult,
    MethodCall,
    Provider,
    ProviderInfo,
    Query,
    Value,
)
from importer.results import DEFAULT_BATCH_SIZE, RunOptions
from importer.retry import RetryPolicy, with_retries

T = TypeVar("T")
QUERIES_PER_ROUND_TRIP = 25  # 5,000 names or keys: one Send, a reply of one or two Receives
Key = tuple[int, int]  # (SourceClientResourceID, RestoreClientResourceID)

_SYSTEM_PROPERTIES = (
    "ResourceID",
    "Name",
    "ResourceDomainORWorkgroup",
    "Obsolete",
    "Active",
    "Client",
    "Decommissioned",
    "CreationDate",
)
_ASSOCIATION_PROPERTIES = (
    "SourceClientResourceID",
    "RestoreClientResourceID",
    "MigrationBehavior",
    "MigrationStatus",
    "SourceName",
    "RestoreName",
)
MIGRATION_STATUS_TEXT = {0: "not started", 1: "in progress", 2: "completed"}


@dataclass(frozen=True)
class Record:
    """One SMS_R_System record."""

    resource_id: int
    name: str
    domain: str
    obsolete: bool
    client: bool
    decommissioned: bool
    created: str

    @property
    def live(self) -> bool:
        return not self.obsolete and not self.decommissioned and self.resource_id > 0

    def describe(self) -> str:
        bits = [str(self.resource_id)]
        if self.domain:
            bits.append(self.domain)
        if self.created:
            bits.append(f"created {self.created[:10]}")
        if self.obsolete:
            bits.append("obsolete")
        if self.decommissioned:
            bits.append("decommissioned")
        return f"{bits[0]} ({', '.join(bits[1:])})" if len(bits) > 1 else bits[0]


@dataclass(frozen=True)
class Existing:
    """One SMS_StateMigration instance on the site."""

    source_id: int
    restore_id: int
    behavior: int
    status: int
    source_name: str
    restore_name: str
    users: tuple[str, ...] | None = None  # lazy: filled only when read by pair

    @property
    def key(self) -> Key:
        return (self.source_id, self.restore_id)

    @property
    def status_text(self) -> str:
        return MIGRATION_STATUS_TEXT.get(self.status, f"status {self.status}")


def _record(row: dict[str, object]) -> Record:
    def flag(key: str) -> bool:
        value = row.get(key)
        return bool(int(value)) if isinstance(value, int | str) and str(value).strip() else False

    return Record(
        resource_id=int(str(row["ResourceID"])),
        name=str(row.get("Name") or ""),
        domain=str(row.get("ResourceDomainORWorkgroup") or ""),
        obsolete=flag("Obsolete"),
        client=flag("Client"),
        decommissioned=flag("Decommissioned"),
        created=str(row.get("CreationDate") or ""),
    )


def _existing(row: dict[str, object]) -> Existing:
    users = row.get("UserNames")
    return Existing(
        source_id=int(str(row["SourceClientResourceID"])),
        restore_id=int(str(row["RestoreClientResourceID"])),
        behavior=int(str(row.get("MigrationBehavior", -1))),
        status=int(str(row.get("MigrationStatus") or 0)),
        source_name=str(row.get("SourceName") or ""),
        restore_name=str(row.get("RestoreName") or ""),
        users=(
            tuple(str(u["UserName"]) for u in users if isinstance(u, dict))
            if isinstance(users, list)
            else None
        ),
    )


@dataclass
class Site:
    """A provider with the batch size, retry policy and progress display every stage shares."""

    provider: Provider
    batch_size: int = DEFAULT_BATCH_SIZE
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    progress: Progress = field(default_factory=NoProgress)

    @property
    def info(self) -> ProviderInfo:
        return self.provider.info

    # -- computers -------------------------------------------------------------

    def systems(self, prop: str, values: Sequence[Value]) -> list[Record]:
        """Every SMS_R_System record whose `prop` is one of `values`; progress advances per value."""
        queries = [
            Query(SMS_R_SYSTEM, _SYSTEM_PROPERTIES, tuple(((prop, v),) for v in chunk))
            for chunk in chunks(values, self.batch_size)
        ]
        records: list[Record] = []
        for group in chunks(queries, QUERIES_PER_ROUND_TRIP):
            for rows in self._queries(f"looking up {prop}", group):
                records.extend(_record(r) for r in rows)
            self.progress.advance(sum(len(q.matches) for q in group))
        return records

    # -- associations ------------------------------------------------------------

    def associations_touching(self, sources: Sequence[int], restores: Sequence[int]) -> list[Existing]:
        """Associations whose source is one of `sources` or whose restore is one of `restores`."""
        return self._associations(
            [
                [(("SourceClientResourceID", s),) for s in sources],
                [(("RestoreClientResourceID", r),) for r in restores],
            ],
            lazy_users=False,
        )

    def associations_by_pair(self, keys: Sequence[Key], users: bool = False) -> list[Existing]:
        """The associations of exactly these pairs that are on the site (with their users if asked)."""
        matches = [(("SourceClientResourceID", s), ("RestoreClientResourceID", r)) for s, r in keys]
        return self._associations([matches], lazy_users=users)

    def _associations(
        self, groups: Sequence[Sequence[tuple[tuple[str, int], ...]]], lazy_users: bool
    ) -> list[Existing]:
        lazy = ("UserNames",) if lazy_users else ()
        queries = [
            Query(SMS_STATE_MIGRATION, _ASSOCIATION_PROPERTIES, tuple(chunk), lazy)
            for group in groups
            for chunk in chunks(group, self.batch_size)
        ]
        found: dict[Key, Existing] = {}
        for group in chunks(queries, QUERIES_PER_ROUND_TRIP):
            for rows in self._queries("reading associations", group):
                for row in rows:
                    item = _existing(row)
                    found[item.key] = item
        return list(found.values())

    def _queries(self, what: str, queries: Sequence[Query]) -> list[list[dict[str, object]]]:
        return with_retries(self.retry, what, lambda _attempt: self._round_trip(queries))

    def _round_trip(self, queries: Sequence[Query]) -> list[list[dict[str, object]]]:
        """One round trip; a failed query fails it whole (queries are idempotent: retry freely)."""
        out = []
        for query, result in zip(queries, self.provider.query(queries), strict=True):
            if result.error is not None:
                message = f"query on {query.class_name} failed: {result.error.describe()}"
                if result.error.transient:
                    raise TransientProviderError(message)
                raise ProviderUnavailable(message, "Check that the account may read this class.")
            out.append(result.rows)
        return out

    # -- changes -----------------------------------------------------------------

    def send_reconciled(
        self,
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
            for item, result in zip(pending, self.provider.call([call_for(i) for i in pending]), strict=True):
                if result.error is not None and result.error.transient:
                    retry.append(item)
                    last = result.describe()
                else:
                    settle(item, result)
            pending = retry
            if pending:
                raise TransientProviderError(f"{len(pending)} call(s) failed: {last}")

        with_retries(self.retry, what, attempt)


def build_site(provider: Provider, options: RunOptions, progress: Progress | None = None) -> Site:
    return Site(provider, options.batch_size, options.retry, progress or NoProgress())
