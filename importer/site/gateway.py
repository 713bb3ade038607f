"""The site gateway: everything a stage asks of a site, in batches, with retries and progress.

Stages (resolve, plan, apply, undo) take one `Site` and never talk to a provider or to
each other directly. It owns the batched lookups (computers by name or ResourceID,
associations by computer or by pair) and the send-and-reconcile engine that makes a
retried batch of method calls land exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from importer.check.names import COLLECTION_ID
from importer.errors import ProtocolError, ProviderUnavailable, TransientProviderError
from importer.progress import NoProgress, Progress
from importer.results import DEFAULT_BATCH_SIZE, RunOptions
from importer.site.batching import chunks
from importer.site.dates import iso_date, parse_dmtf
from importer.site.provider import (
    QUERY_LIMITS,
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
    QueryLimits,
    Value,
    over_limits,
    wql,
    wql_literal,
)
from importer.site.retry import RetryPolicy, with_retries

T = TypeVar("T")
MATCHES_PER_ROUND_TRIP = 5_000  # names or IDs: one Send, a reply of one or two Receives
KEYS_PER_ROUND_TRIP = 200  # instances read by path: each is one Get() on the provider
Key = tuple[int, int]  # (SourceClientResourceID, RestoreClientResourceID)
SITE_TYPES = {1: "secondary site", 2: "primary site", 4: "central administration site"}
PRIMARY_SITE = 2

_SYSTEM_PROPERTIES = (
    "ResourceID",
    "Name",
    "ResourceDomainORWorkgroup",
    "Obsolete",
    "Active",
    "Client",
    "Decommissioned",
    "CreationDate",
    "MACAddresses",
    "SMBIOSGUID",
)
PRIMARY_USER_TYPE = 1  # SMS_UserMachineRelationship.Types: a primary user (user device affinity)
_ASSOCIATION_PROPERTIES = (
    "SourceClientResourceID",
    "RestoreClientResourceID",
    "MigrationBehavior",
    "MigrationStatus",
    "MigrationType",
    "SourceName",
    "RestoreName",
    "StoreCreationDate",
    "StoreReleaseDate",
    "StoreDeletionDate",
    "StorePath",
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
    macs: tuple[str, ...] = ()
    smbios_guid: str = ""

    @property
    def live(self) -> bool:
        return not self.obsolete and not self.decommissioned and self.resource_id > 0

    def describe(self) -> str:
        bits = [str(self.resource_id)]
        if self.domain:
            bits.append(self.domain)
        if iso_date(self.created):
            bits.append(f"created {iso_date(self.created)}")
        if self.obsolete:
            bits.append("obsolete")
        if self.decommissioned:
            bits.append("decommissioned")
        return f"{bits[0]} ({', '.join(bits[1:])})" if len(bits) > 1 else bits[0]


@dataclass(frozen=True)
class Collection:
    collection_id: str
    name: str
    kind: int  # CollectionType: 1 user, 2 device

    @property
    def built_in(self) -> bool:
        return self.collection_id.startswith("SMS")

    def describe(self) -> str:
        return f"{self.collection_id} ({self.name})" if self.name else self.collection_id


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
    migration_type: int = 1  # 1 side by side, 2 in place
    stored: dt.datetime | None = None  # StoreCreationDate: the capture saved the state
    released: dt.datetime | None = None  # StoreReleaseDate: the restore took it
    deleted: dt.datetime | None = None  # StoreDeletionDate
    store_path: str = ""

    @property
    def capture_started(self) -> bool:
        return self.status != 0 or self.stored is not None

    @property
    def key(self) -> Key:
        return (self.source_id, self.restore_id)

    @property
    def in_place(self) -> bool:
        """Source = restore: made by a refresh task sequence itself, never by cmassoc."""
        return self.source_id == self.restore_id

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
        macs=tuple(str(m).upper() for m in macs) if isinstance(macs := row.get("MACAddresses"), list) else (),
        smbios_guid=str(row.get("SMBIOSGUID") or "").upper(),
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
        migration_type=int(str(row.get("MigrationType") or 1)),
        stored=parse_dmtf(row.get("StoreCreationDate")),
        released=parse_dmtf(row.get("StoreReleaseDate")),
        deleted=parse_dmtf(row.get("StoreDeletionDate")),
        store_path=str(row.get("StorePath") or ""),
        users=(
            tuple(str(u["UserName"]) for u in users if isinstance(u, dict))
            if isinstance(users, list)
            else None
        ),
    )


def _by_pair(rows: Sequence[dict[str, object]]) -> list[Existing]:
    """One Existing per pair: a pair two queries both return is counted once."""
    return list({item.key: item for item in map(_existing, rows)}.values())


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

    def systems(self, prop: str, values: Sequence[Value], advance: bool = True) -> list[Record]:
        """Every SMS_R_System record whose `prop` is one of `values`; progress advances per value
        (unless the caller counts progress its own way)."""
        records: list[Record] = []
        for group in _round_trips(in_queries(SMS_R_SYSTEM, _SYSTEM_PROPERTIES, prop, values)):
            for rows in self._queries(f"looking up {prop}", group):
                records.extend(_record(r) for r in rows)
            if advance:
                self.progress.advance(sum(len(q.matches) for q in group))
        return records

    # -- associations ------------------------------------------------------------

    def associations_touching(self, sources: Sequence[int], restores: Sequence[int]) -> list[Existing]:
        """Associations whose source is one of `sources` or whose restore is one of `restores`."""
        queries = [
            *in_queries(SMS_STATE_MIGRATION, _ASSOCIATION_PROPERTIES, "SourceClientResourceID", sources),
            *in_queries(SMS_STATE_MIGRATION, _ASSOCIATION_PROPERTIES, "RestoreClientResourceID", restores),
        ]
        return _by_pair(self._rows("reading associations", queries))

    def associations_by_pair(self, keys: Sequence[Key], users: bool = False) -> list[Existing]:
        """The associations of exactly these pairs that are on the site (with their users if asked).

        Read by object path, at most KEYS_PER_ROUND_TRIP at a time: no WQL, so no WQL limit,
        and the lazy UserNames come with each instance."""
        lazy = ("UserNames",) if users else ()
        rows: list[dict[str, object]] = []
        for chunk in chunks(list(dict.fromkeys(keys)), KEYS_PER_ROUND_TRIP):
            matches = tuple((("SourceClientResourceID", s), ("RestoreClientResourceID", r)) for s, r in chunk)
            query = Query(SMS_STATE_MIGRATION, _ASSOCIATION_PROPERTIES, matches, lazy, by_key=True)
            [found] = self._queries("reading associations", [query])
            rows.extend(found)
        return _by_pair(rows)

    def _rows(self, what: str, queries: Sequence[Query]) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for group in _round_trips(queries):
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
        users: dict[int, list[str]] = {}
        for row in self._rows(
            "reading primary users",
            in_queries(SMS_USER_MACHINE_RELATIONSHIP, properties, "ResourceID", resource_ids),
        ):
            types = row.get("Types")
            if not row.get("IsActive") or not isinstance(types, list) or PRIMARY_USER_TYPE not in types:
                continue
            users.setdefault(int(str(row["ResourceID"])), []).append(str(row.get("UniqueUserName") or ""))
        return users

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
        query = Query(SMS_STATE_MIGRATION, _ASSOCIATION_PROPERTIES, ())
        return [_existing(row) for rows in self._queries("reading associations", [query]) for row in rows]

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
            )

    def _queries(self, what: str, queries: Sequence[Query]) -> list[list[dict[str, object]]]:
        return with_retries(self.retry, what, lambda _attempt: self._round_trip(queries))

    def _round_trip(self, queries: Sequence[Query]) -> list[list[dict[str, object]]]:
        """One round trip; a failed query fails it whole (queries are idempotent: retry freely)."""
        for query in queries:
            problem = over_limits(query, QUERY_LIMITS)
            if problem is not None:  # a bug of ours: never send what WMI would refuse
                raise ProtocolError(
                    f"a query of cmassoc's own is too large ({problem}): {wql(query)[:120]}..."
                )
        out = []
        for query, result in zip(queries, self.provider.query(queries), strict=True):
            error = result.error
            if error is not None:
                message = f"query on {query.class_name} failed: {error.describe()}"
                if error.transient:
                    raise TransientProviderError(message)
                if error.code == WBEM_E_QUOTA_VIOLATION:
                    raise ProviderUnavailable(
                        f"{message}.",
                        "WMI found the query too large: please report this to cmassoc's maintainers.",
                    )
                if error.access_denied:
                    raise ProviderUnavailable(
                        f"{message}.", f"The account needs a ConfigMgr role that may read {query.class_name}."
                    )
                raise ProviderUnavailable(f"{message}.")
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


def in_queries(
    class_name: str,
    properties: tuple[str, ...],
    prop: str,
    values: Sequence[Value],
    limits: QueryLimits = QUERY_LIMITS,
) -> list[Query]:
    """`prop IN (...)` queries covering `values`, each within `limits` (text and terms)."""
    base = len(wql(Query(class_name, properties, (((prop, ""),),)))) - len("''")
    queries: list[Query] = []
    current: list[Value] = []
    length = base
    for value in dict.fromkeys(values):
        extra = len(wql_literal(value)) + (2 if current else 0)
        if current and (len(current) >= limits.terms or length + extra > limits.characters):
            queries.append(Query(class_name, properties, tuple(((prop, v),) for v in current)))
            current, length, extra = [], base, extra - 2
        current.append(value)
        length += extra
    if current:
        queries.append(Query(class_name, properties, tuple(((prop, v),) for v in current)))
    return queries


def _round_trips(queries: Sequence[Query]) -> list[list[Query]]:
    """Queries grouped so one round trip carries at most MATCHES_PER_ROUND_TRIP values."""
    groups: list[list[Query]] = []
    count = MATCHES_PER_ROUND_TRIP
    for query in queries:
        if count + len(query.matches) > MATCHES_PER_ROUND_TRIP:
            groups.append([])
            count = 0
        groups[-1].append(query)
        count += len(query.matches)
    return groups


def build_site(provider: Provider, options: RunOptions, progress: Progress | None = None) -> Site:
    return Site(provider, options.batch_size, options.retry, progress or NoProgress())
