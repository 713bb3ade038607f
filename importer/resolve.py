"""Computer names to ResourceIDs through batched SMS_R_System queries.

Obsolete and decommissioned records are ignored; several live records for one
name, or none, leave the row `unresolved` with what was found. A ResourceID
given in the sheet is verified, not trusted. ResourceID 0 is never an answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from importer import columns as C
from importer.batching import chunks
from importer.errors import ProviderUnavailable, TransientProviderError
from importer.model import Level, RowResult, Status
from importer.progress import Progress
from importer.provider import SMS_R_SYSTEM, Provider, Query, Value
from importer.retry import RetryPolicy, with_retries

_PROPERTIES = (
    "ResourceID",
    "Name",
    "ResourceDomainORWorkgroup",
    "Obsolete",
    "Active",
    "Client",
    "Decommissioned",
    "CreationDate",
)
QUERIES_PER_ROUND_TRIP = 25  # 5,000 names or keys: one Send, a reply of one or two Receives


@dataclass(frozen=True)
class Record:
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


def fetch_systems(
    provider: Provider,
    prop: str,
    values: Sequence[Value],
    batch_size: int,
    policy: RetryPolicy,
    progress: Progress,
) -> list[Record]:
    """All SMS_R_System records whose `prop` is one of `values`, in batched round trips."""
    queries = [
        Query(SMS_R_SYSTEM, _PROPERTIES, tuple(((prop, v),) for v in chunk))
        for chunk in chunks(values, batch_size)
    ]
    records: list[Record] = []
    for group in chunks(queries, QUERIES_PER_ROUND_TRIP):
        results = with_retries(policy, f"looking up {prop}", round_trip(provider, group))
        for rows in results:
            records.extend(_record(r) for r in rows)
        progress.advance(sum(len(q.matches) for q in group))
    return records


def round_trip(
    provider: Provider, queries: Sequence[Query]
) -> Callable[[int], list[list[dict[str, object]]]]:
    return lambda _attempt: run_queries(provider, queries)


def run_queries(provider: Provider, queries: Sequence[Query]) -> list[list[dict[str, object]]]:
    """One round trip; a failed query makes the whole round trip fail (queries are idempotent)."""
    out = []
    for query, result in zip(queries, provider.query(queries), strict=True):
        if result.error is not None:
            message = f"query on {query.class_name} failed: {result.error.describe()}"
            if result.error.transient:
                raise TransientProviderError(message)
            raise ProviderUnavailable(message, "Check that the account may read this class.")
        out.append(result.rows)
    return out


def resolve(
    rows: Iterable[RowResult],
    provider: Provider,
    batch_size: int,
    policy: RetryPolicy,
    progress: Progress,
) -> None:
    """Fill in ResourceIDs; rows that cannot be resolved become `unresolved`."""
    todo = [r for r in rows if r.is_open and r.source and r.destination]
    names = sorted({n for r in todo for n in (r.source, r.destination) if n})
    given = sorted({i for r in todo for i in (r.given_source_resource_id, r.given_restore_resource_id) if i})
    progress.start("Resolving names", len(names) + len(given))
    by_name: dict[str, list[Record]] = defaultdict(list)
    for record in fetch_systems(provider, "Name", names, batch_size, policy, progress):
        by_name[record.name.upper()].append(record)
    by_id = {
        r.resource_id: r for r in fetch_systems(provider, "ResourceID", given, batch_size, policy, progress)
    }
    site = provider.info.site_code
    for row in todo:
        source = _pick(row, row.source or "", row.given_source_resource_id, C.SOURCE, by_name, by_id, site)
        restore = _pick(
            row, row.destination or "", row.given_restore_resource_id, C.DESTINATION, by_name, by_id, site
        )
        if source is None or restore is None:
            row.status = Status.UNRESOLVED
            continue
        if source.resource_id == restore.resource_id:
            row.fail(
                Status.UNRESOLVED,
                f"source and destination are the same record ({source.resource_id}): "
                "a side-by-side association needs two computers",
            )
            continue
        if not source.client:
            row.add(
                Level.WARNING,
                f"{source.name} ({source.resource_id}) has no ConfigMgr client: the state capture "
                "cannot run on it until it has one",
                C.FIELD_TITLES[C.SOURCE],
            )
        row.source_resource_id = source.resource_id
        row.restore_resource_id = restore.resource_id
    progress.finish()


def _pick(
    row: RowResult,
    name: str,
    given: int | None,
    field: str,
    by_name: dict[str, list[Record]],
    by_id: dict[int, Record],
    site: str,
) -> Record | None:
    column = C.FIELD_TITLES[field]
    if given is not None:
        record = by_id.get(given)
        if record is None:
            row.add(Level.ERROR, f"ResourceID {given} is not on site {site}", column)
            return None
        if record.name.upper() != name:
            row.add(
                Level.ERROR,
                f"ResourceID {given} belongs to {record.name}, not {name}: fix the name or the ID",
                column,
            )
            return None
        if not record.live:
            row.add(Level.ERROR, f"ResourceID {record.describe()} is not a live record", column)
            return None
        return record
    candidates = by_name.get(name, [])
    live = [r for r in candidates if r.live]
    if len(live) == 1:
        ignored = [r for r in candidates if not r.live]
        if ignored:
            row.add(
                Level.NOTE,
                f"{name}: used {live[0].resource_id}; ignored " + ", ".join(r.describe() for r in ignored),
                column,
            )
        return live[0]
    if not candidates:
        row.add(
            Level.ERROR,
            f"{name} is not on site {site}: check the spelling, or import the computer "
            "(Import Computer Information) and run again",
            column,
        )
    elif not live:
        row.add(
            Level.ERROR,
            f"{name} has only retired records ("
            + ", ".join(r.describe() for r in candidates)
            + "): it was reimaged or decommissioned; check the name",
            column,
        )
    else:
        id_field = C.SOURCE_ID if field == C.SOURCE else C.RESTORE_ID
        row.add(
            Level.ERROR,
            f"{name} has {len(live)} live records: "
            + ", ".join(r.describe() for r in live)
            + f"; put the right one in the {C.FIELD_TITLES[id_field]} column "
            "(or remove the duplicate record in the console)",
            column,
        )
    return None
