"""Computer names to ResourceIDs through batched SMS_R_System queries.

Obsolete and decommissioned records are ignored; several live records for one
name, or none, leave the row `unresolved` with what was found. A ResourceID
given in the sheet is verified, not trusted. ResourceID 0 is never an answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from importer import columns as C
from importer.model import Level, RowResult, Status
from importer.site import Record, Site


def resolve(rows: Iterable[RowResult], site: Site) -> None:
    """Fill in ResourceIDs; rows that cannot be resolved become `unresolved`."""
    todo = [r for r in rows if r.is_open and r.source and r.destination]
    names = sorted({n for r in todo for n in (r.source, r.destination) if n})
    given = sorted({i for r in todo for i in (r.given_source_resource_id, r.given_restore_resource_id) if i})
    site.progress.start("Resolving names", len(names) + len(given))
    by_name: dict[str, list[Record]] = defaultdict(list)
    for record in site.systems("Name", names):
        by_name[record.name.upper()].append(record)
    by_id = {r.resource_id: r for r in site.systems("ResourceID", given)}
    code = site.info.site_code
    for row in todo:
        source = _pick(row, row.source or "", row.given_source_resource_id, C.SOURCE, by_name, by_id, code)
        restore = _pick(
            row, row.destination or "", row.given_restore_resource_id, C.DESTINATION, by_name, by_id, code
        )
        if source is None or restore is None:
            row.status = Status.UNRESOLVED
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
    site.progress.finish()


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
            row.add(
                Level.ERROR,
                f"ResourceID {given} is not on site {site}, or not visible to this account (security scopes)",
                column,
            )
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
            f"{name} is not on site {site}, or not visible to this account (security scopes): check "
            "the spelling and the account's scopes, or import the computer (Import Computer "
            "Information) and run again",
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
