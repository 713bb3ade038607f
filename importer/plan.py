"""Compare the wave with the site: what exists already, what would break a rule, what to create."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from importer import rules
from importer.batching import chunks
from importer.model import Behavior, Level, RowResult, Status
from importer.progress import Progress
from importer.provider import SMS_STATE_MIGRATION, Provider, Query
from importer.resolve import QUERIES_PER_ROUND_TRIP, round_trip
from importer.retry import RetryPolicy, with_retries

_PROPERTIES = (
    "SourceClientResourceID",
    "RestoreClientResourceID",
    "MigrationBehavior",
    "MigrationStatus",
    "SourceName",
    "RestoreName",
)
_MIGRATION_STATUS = {0: "not started", 1: "in progress", 2: "completed"}


@dataclass(frozen=True)
class Existing:
    source_id: int
    restore_id: int
    behavior: int
    status: int
    source_name: str
    restore_name: str
    users: tuple[str, ...] | None = None  # lazy: filled only for pairs the wave asks for

    @property
    def key(self) -> tuple[int, int]:
        return (self.source_id, self.restore_id)

    def as_pair(self) -> rules.Pair:
        behavior = Behavior(self.behavior) if self.behavior in (0, 1, 2) else None
        status = _MIGRATION_STATUS.get(self.status, f"status {self.status}")
        return rules.Pair(
            str(self.source_id),
            str(self.restore_id),
            behavior,
            f"already on the site, migration {status}",
            _label(self.source_name, self.source_id),
            _label(self.restore_name, self.restore_id),
        )


def _label(name: str, resource_id: int | None) -> str:
    return f"{name} ({resource_id})" if name else str(resource_id)


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


def read_associations(
    provider: Provider,
    matches: Sequence[Sequence[tuple[tuple[str, int], ...]]],
    batch_size: int,
    policy: RetryPolicy,
    lazy_users: bool = False,
) -> list[Existing]:
    """SMS_StateMigration instances matching any of `matches`, in batched round trips.

    `matches` is a list of groups; the matches of one group name the same properties."""
    lazy = ("UserNames",) if lazy_users else ()
    queries = [
        Query(SMS_STATE_MIGRATION, _PROPERTIES, tuple(chunk), lazy)
        for group in matches
        for chunk in chunks(group, batch_size)
    ]
    found: dict[tuple[int, int], Existing] = {}
    for group in chunks(queries, QUERIES_PER_ROUND_TRIP):
        results = with_retries(policy, "reading associations", round_trip(provider, group))
        for rows in results:
            for row in rows:
                item = _existing(row)
                found[item.key] = item
    return list(found.values())


def plan(
    rows: Iterable[RowResult],
    provider: Provider,
    batch_size: int,
    policy: RetryPolicy,
    progress: Progress,
) -> None:
    """Mark each resolved row `exists`, `planned`, or `failed` (a rule conflict with the site)."""
    todo = [r for r in rows if r.is_open and r.source_resource_id and r.restore_resource_id]
    progress.start("Reading existing associations", len(todo))
    sources = sorted({r.source_resource_id for r in todo if r.source_resource_id})
    restores = sorted({r.restore_resource_id for r in todo if r.restore_resource_id})
    matches = [
        [(("SourceClientResourceID", s),) for s in sources],
        [(("RestoreClientResourceID", d),) for d in restores],
    ]
    existing = {e.key: e for e in read_associations(provider, matches, batch_size, policy)}
    wanted = [((r.source_resource_id or 0), (r.restore_resource_id or 0)) for r in todo]
    same_keys = [k for k in dict.fromkeys(wanted) if k in existing]
    if same_keys:
        key_matches = [(("SourceClientResourceID", s), ("RestoreClientResourceID", d)) for s, d in same_keys]
        for item in read_associations(provider, [key_matches], batch_size, policy, lazy_users=True):
            existing[item.key] = item
    touching: dict[int, list[Existing]] = defaultdict(list)
    for item in existing.values():
        touching[item.source_id].append(item)
        touching[item.restore_id].append(item)
    accepted: dict[int, list[RowResult]] = defaultdict(list)
    for row in todo:
        _plan_row(row, existing, touching, accepted)
        progress.advance(1)
    progress.finish()


def _plan_row(
    row: RowResult,
    existing: dict[tuple[int, int], Existing],
    touching: dict[int, list[Existing]],
    accepted: dict[int, list[RowResult]],
) -> None:
    sid, rid = row.source_resource_id or 0, row.restore_resource_id or 0
    here = existing.get((sid, rid))
    if here is not None:
        _compare(row, here)
        return
    pair = _id_pair(row)
    on_site = {id(e): e.as_pair() for e in touching[sid] + touching[rid]}
    problems = rules.violations(pair, on_site.values())
    if problems:
        for text in problems:
            row.add(Level.ERROR, text + ": left untouched")
        row.status = Status.FAILED
        return
    earlier = {id(r): r for r in accepted[sid] + accepted[rid]}
    for other in earlier.values():
        if (other.source_resource_id, other.restore_resource_id) == (sid, rid):
            row.fail(Status.INVALID, f"names the same two computers as {other.where}: delete one row")
            return
    problems = rules.violations(pair, (_id_pair(o) for o in earlier.values()))
    if problems:
        for text in problems:
            row.add(Level.ERROR, text)
        row.status = Status.INVALID
        return
    row.status = Status.PLANNED
    accepted[sid].append(row)
    accepted[rid].append(row)


def _id_pair(row: RowResult) -> rules.Pair:
    return rules.Pair(
        str(row.source_resource_id),
        str(row.restore_resource_id),
        row.behavior,
        row.where,
        _label(row.source or "", row.source_resource_id),
        _label(row.destination or "", row.restore_resource_id),
    )


def _compare(row: RowResult, here: Existing) -> None:
    sheet_users = sorted(u.casefold() for u in row.users)
    site_users = sorted(u.casefold() for u in (here.users or ()))
    behavior = int(row.behavior) if row.behavior is not None else -1
    if here.behavior == behavior and sheet_users == site_users:
        row.status = Status.EXISTS
        row.add(Level.NOTE, "already on the site with the same behaviour and users: left untouched")
        return
    site_desc = f"behaviour {here.behavior}, users {', '.join(here.users or ()) or 'none'}"
    sheet_desc = f"behaviour {behavior}, users {', '.join(row.users) or 'none'}"
    row.fail(
        Status.FAILED,
        f"this pair is already on the site with {site_desc}; the sheet asks for {sheet_desc}. "
        "Left untouched: change it in the console (or remove it there and run again)",
    )
