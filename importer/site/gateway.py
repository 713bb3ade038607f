"""The site gateway: the one `Site` every stage asks, in batches, with retries and progress.

Stages (resolve, plan, apply, undo) take one `Site` and never talk to a provider or to
each other directly. It ties a provider to the batch size, retry policy and progress
display they share, and runs the lookups (computers by name or ResourceID, associations
by computer or by pair, collections, users, the site itself) on the records, WQL cutting
and write engine of its neighbour modules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TypeVar

from importer import messages as M
from importer.check.values import COLLECTION_ID
from importer.errors import ProviderUnavailable, TransientProviderError
from importer.progress import NoProgress, Progress, stage
from importer.results import DEFAULT_BATCH_SIZE, RunOptions
from importer.site import writes
from importer.site.batching import chunks
from importer.site.lookups import Lookups, primary_users_of
from importer.site.provider import (
    SMS_COLLECTION,
    SMS_FULL_COLLECTION_MEMBERSHIP,
    SMS_R_SYSTEM,
    SMS_SITE,
    SMS_STATE_MIGRATION,
    SMS_USER_MACHINE_RELATIONSHIP,
    WBEM_E_QUOTA_VIOLATION,
    CallResult,
    MethodCall,
    Provider,
    ProviderInfo,
    Query,
    QueryResult,
    Value,
    WmiError,
)
from importer.site.records import (
    ASSOCIATION_PROPERTIES,
    SYSTEM_PROPERTIES,
    Collection,
    Existing,
    Key,
    Record,
    by_pair,
    existing_association,
    system_record,
)
from importer.site.recovery import KeyReading, read_keys
from importer.site.retry import RetryPolicy, with_retries
from importer.site.wql import in_queries, refuse_oversized, round_trips

T = TypeVar("T")
KEYS_PER_ROUND_TRIP = 200  # instances read by path: each is one Get() on the provider
SITE_TYPES = {1: "secondary site", 2: "primary site", 4: "central administration site"}
PRIMARY_SITE = 2


@dataclass
class Site(Lookups):
    """A provider with the batch size, retry policy and progress display every stage shares
    (and the reads around the refresh, from importer.site.lookups)."""

    provider: Provider
    batch_size: int = DEFAULT_BATCH_SIZE
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    progress: Progress = field(default_factory=NoProgress)

    @property
    def info(self) -> ProviderInfo:
        return self.provider.info

    def stage(self, name: str, total: int, unit: str = "pairs") -> AbstractContextManager[Progress]:
        """A stage's progress, shown from its start and ended however the stage ends."""
        return stage(self.progress, name, total, unit)

    # -- computers -------------------------------------------------------------

    def systems(self, prop: str, values: Sequence[Value], advance: bool = True) -> list[Record]:
        """Every SMS_R_System record whose `prop` is one of `values`; progress advances per value
        (unless the caller counts progress its own way)."""
        records: list[Record] = []
        for group in round_trips(in_queries(SMS_R_SYSTEM, SYSTEM_PROPERTIES, prop, values)):
            for rows in self._queries(f"looking up {prop}", group):
                records.extend(system_record(r) for r in rows)
            if advance:
                self.progress.advance(sum(len(q.matches) for q in group))
        return records

    # -- associations ------------------------------------------------------------

    def associations_touching(self, sources: Sequence[int], restores: Sequence[int]) -> list[Existing]:
        """Associations whose source is one of `sources` or whose restore is one of `restores`."""
        queries = [
            *in_queries(SMS_STATE_MIGRATION, ASSOCIATION_PROPERTIES, "SourceClientResourceID", sources),
            *in_queries(SMS_STATE_MIGRATION, ASSOCIATION_PROPERTIES, "RestoreClientResourceID", restores),
        ]
        return by_pair(self._rows("reading associations", queries))

    def associations_by_pair(self, keys: Sequence[Key], users: bool = False) -> list[Existing]:
        """The associations of exactly these pairs that are on the site (with their users if asked).

        Read by object path, at most KEYS_PER_ROUND_TRIP at a time: no WQL, so no WQL limit,
        and the lazy UserNames come with each instance."""
        lazy = ("UserNames",) if users else ()
        rows: list[dict[str, object]] = []
        for chunk in chunks(list(dict.fromkeys(keys)), KEYS_PER_ROUND_TRIP):
            matches = tuple((("SourceClientResourceID", s), ("RestoreClientResourceID", r)) for s, r in chunk)
            query = Query(SMS_STATE_MIGRATION, ASSOCIATION_PROPERTIES, matches, lazy, by_key=True)
            [found] = self._queries("reading associations", [query])
            rows.extend(found)
        return by_pair(rows)

    def recovery_keys(self, keys: Sequence[Key]) -> dict[Key, KeyReading]:
        """Each association's recovery key (GetEncryptDecryptKey on its instance), `batch_size`
        calls per round trip; a pair without an association reads as missing."""
        return read_keys(self.provider, keys, self.batch_size, self.retry, self.progress)

    def _rows(self, what: str, queries: Sequence[Query]) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for group in round_trips(queries):
            for result in self._queries(what, group):
                rows.extend(result)
        return rows

    def collections(self, refs: Sequence[str]) -> list[Collection]:
        """The collections named by ID or by name (either may match)."""
        properties = ("CollectionID", "Name", "CollectionType")
        queries = [
            *in_queries(
                SMS_COLLECTION, properties, "CollectionID", [r for r in refs if COLLECTION_ID.match(r)]
            ),
            *in_queries(SMS_COLLECTION, properties, "Name", list(refs)),
        ]
        found = {}
        for row in self._rows("reading collections", queries):
            item = Collection(
                str(row["CollectionID"]).upper(),
                str(row.get("Name") or ""),
                int(str(row.get("CollectionType") or 0)),
            )
            found[item.collection_id] = item
        return list(found.values())

    def memberships(self, resource_ids: Sequence[int]) -> set[tuple[str, int]]:
        """(CollectionID, ResourceID) of every collection these computers are members of."""
        queries = in_queries(
            SMS_FULL_COLLECTION_MEMBERSHIP, ("CollectionID", "ResourceID"), "ResourceID", resource_ids
        )
        return {
            (str(r["CollectionID"]).upper(), int(str(r["ResourceID"])))
            for r in self._rows("reading collection members", queries)
        }

    def members(self, collection_id: str) -> set[int]:
        """ResourceIDs of a collection's members."""
        queries = in_queries(
            SMS_FULL_COLLECTION_MEMBERSHIP, ("CollectionID", "ResourceID"), "CollectionID", [collection_id]
        )
        return {int(str(r["ResourceID"])) for r in self._rows("reading collection members", queries)}

    def primary_users(self, resource_ids: Sequence[int]) -> dict[int, list[str]]:
        """Active primary users (user device affinity) of these computers."""
        properties = ("ResourceID", "UniqueUserName", "IsActive", "Types")
        return primary_users_of(
            self._rows(
                "reading primary users",
                in_queries(SMS_USER_MACHINE_RELATIONSHIP, properties, "ResourceID", resource_ids),
            )
        )

    def last_logons(self, resource_ids: Sequence[int]) -> dict[int, str]:
        """DOMAIN\\user of each computer's last logon, where the site knows it."""
        properties = ("ResourceID", "LastLogonUserDomain", "LastLogonUserName")
        found = {}
        for row in self._rows(
            "reading last logons", in_queries(SMS_R_SYSTEM, properties, "ResourceID", resource_ids)
        ):
            domain, user = str(row.get("LastLogonUserDomain") or ""), str(row.get("LastLogonUserName") or "")
            if user:
                found[int(str(row["ResourceID"]))] = f"{domain}\\{user}" if domain else user
        return found

    def all_associations(self) -> list[Existing]:
        """Every association the account can see (no users: those are lazy, read by pair)."""
        query = Query(SMS_STATE_MIGRATION, ASSOCIATION_PROPERTIES, ())
        return [
            existing_association(row)
            for rows in self._queries("reading associations", [query])
            for row in rows
        ]

    def site_type(self) -> int | None:
        """SMS_Site.Type of the site this provider serves (None if it does not say)."""
        query = Query(SMS_SITE, ("SiteCode", "Type"), ((("SiteCode", self.info.site_code),),))
        [rows] = self._queries("reading the site", [query])
        types = [r.get("Type") for r in rows]
        return int(str(types[0])) if types and str(types[0]).isdigit() else None

    def check_site(self) -> None:
        """Associations are made on the primary site that holds both computers: refuse a CAS."""
        kind = self.site_type()
        if kind is not None and kind != PRIMARY_SITE:
            code = self.info.site_code
            raise ProviderUnavailable(
                f"site {code} is a {SITE_TYPES.get(kind, f'site of type {kind}')}, not a primary site.",
                "Computer associations are site-specific and cannot span sites: connect to the SMS "
                "Provider of the primary site that holds both computers, with its site code.",
                code=M.NOT_PRIMARY_SITE,
            )

    def _queries(self, what: str, queries: Sequence[Query]) -> list[list[dict[str, object]]]:
        return with_retries(self.retry, what, lambda _attempt: self._round_trip(queries))

    def read_optional(self, what: str, queries: Sequence[Query]) -> list[QueryResult]:
        """Each query's result, errors included: for facts a run can do without, a query the site
        refuses for good (a class the account may not read, or one this provider does not offer)
        comes back as its error instead of ending the run. Transient faults are retried."""
        results: list[QueryResult] = []
        for group in round_trips(queries):

            def attempt(_number: int, group: list[Query] = group) -> list[QueryResult]:
                return self._optional_trip(group)

            results.extend(with_retries(self.retry, what, attempt))
        return results

    def _optional_trip(self, queries: Sequence[Query]) -> list[QueryResult]:
        refuse_oversized(queries)
        try:
            results = self.provider.query(queries)
        except ProviderUnavailable as exc:
            if len(queries) == 1:
                return [QueryResult(error=WmiError(0, exc.message))]
            # A provider that refuses a whole round trip for one class (the AdminService answers
            # "not offered" so): each query alone, so that one refusal is only its own.
            return [result for query in queries for result in self._optional_trip([query])]
        for query, result in zip(queries, results, strict=True):
            if result.error is not None and result.error.transient:
                raise TransientProviderError(
                    f"query on {query.class_name} failed: {result.error.describe()}", code=M.TEMPORARY_FAULT
                )
        return results

    def _round_trip(self, queries: Sequence[Query]) -> list[list[dict[str, object]]]:
        """One round trip; a failed query fails it whole (queries are idempotent: retry freely)."""
        refuse_oversized(queries)
        out = []
        for query, result in zip(queries, self.provider.query(queries), strict=True):
            error = result.error
            if error is not None:
                message = f"query on {query.class_name} failed: {error.describe()}"
                if error.transient:
                    raise TransientProviderError(message, code=M.TEMPORARY_FAULT)
                if error.code == WBEM_E_QUOTA_VIOLATION:
                    raise ProviderUnavailable(
                        f"{message}.",
                        "WMI found the query too large: please report this to cmassoc's maintainers.",
                        code=M.QUERY_TOO_LARGE,
                    )
                if error.access_denied:
                    raise ProviderUnavailable(
                        f"{message}.",
                        f"The account needs a ConfigMgr role that may read {query.class_name}.",
                        code=M.QUERY_ACCESS_DENIED,
                    )
                raise ProviderUnavailable(f"{message}.", code=M.QUERY_FAILED)
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
        """One method call per item, sent and reconciled by the write engine (importer.site.writes):
        only transient failures are retried, and a lost reply is not a lost call."""
        writes.send_reconciled(self.provider, self.retry, items, what, call_for, still_needed, settle)


def build_site(provider: Provider, options: RunOptions, progress: Progress | None = None) -> Site:
    return Site(provider, options.batch_size, options.retry, progress or NoProgress())
