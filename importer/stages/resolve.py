"""Computer names to ResourceIDs through batched SMS_R_System queries.

Obsolete and decommissioned records are ignored; several live records for one
name, or none, leave the row `unresolved` with what was found. A ResourceID
given in the sheet is verified, not trusted. ResourceID 0 is never an answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from importer.model import Hardware, Level, RowResult, Status, Tag, UsersFrom
from importer.model import fields as C
from importer.site.gateway import Site
from importer.site.records import Record


def resolve(
    rows: Iterable[RowResult],
    site: Site,
    users_from: UsersFrom | None = None,
    overwrite_existing_record: bool = False,
) -> None:
    """Fill in ResourceIDs; rows that cannot be resolved become `unresolved`.

    A destination the site does not know, given with a MAC address or SMBIOS GUID, is planned
    as an import (`Hardware.IMPORT`) unless another record already holds that MAC or GUID.
    With `users_from`, rows of behaviour 1/2 without users take them from the site."""
    rows = list(rows)
    todo = [r for r in rows if r.is_open and r.source and r.destination]
    with site.stage("Resolving names", len(todo)):
        for start in range(0, len(todo), WINDOW):
            window = todo[start : start + WINDOW]
            _resolve_window(window, site, overwrite_existing_record)
            if users_from is not None:
                _users_from_site(window, site, users_from)
            site.progress.advance(len(window))


# Rows are resolved a window at a time: what is looked up for a window (names, records) is
# dropped before the next, so a 1,048,576-row wave needs no more memory than 20,000 rows do.
# A name in several windows is looked up once per window.
WINDOW = 20_000


def _resolve_window(todo: list[RowResult], site: Site, overwrite_existing_record: bool) -> None:
    names = sorted({n for r in todo for n in (r.source, r.destination) if n})
    given = sorted({i for r in todo for i in (r.given_source_resource_id, r.given_restore_resource_id) if i})
    macs = sorted({r.mac for r in todo if r.mac})
    guids = sorted({r.smbios_guid for r in todo if r.smbios_guid})
    by_name: dict[str, list[Record]] = defaultdict(list)
    for record in site.systems("Name", names, advance=False):
        by_name[record.name.upper()].append(record)
    by_id = {r.resource_id: r for r in site.systems("ResourceID", given, advance=False)}
    holders: dict[str, list[Record]] = defaultdict(list)  # MAC or GUID -> live records holding it
    found = [
        *site.systems("MACAddresses", macs, advance=False),
        *site.systems("SMBIOSGUID", guids, advance=False),
    ]
    for record in found:
        if record.live:
            for key in (*record.macs, record.smbios_guid):
                if key and record not in holders[key]:
                    holders[key].append(record)
    code = site.info.site_code
    for row in todo:
        source = _pick(row, row.source or "", row.given_source_resource_id, C.SOURCE, by_name, by_id, code)
        if _importable(row, by_name):
            if source is None:
                row.status = Status.UNRESOLVED
            else:
                row.source_resource_id = source.resource_id
                _plan_import(row, holders, overwrite_existing_record)
            continue
        restore = _pick(
            row, row.destination or "", row.given_restore_resource_id, C.DESTINATION, by_name, by_id, code
        )
        if source is None or restore is None:
            row.status = Status.UNRESOLVED
            continue
        if row.mac or row.smbios_guid:
            row.hardware = Hardware.KNOWN
        # A source without a client is a readiness warning (importer.stages.readiness), with the rest.
        row.source_resource_id = source.resource_id
        row.restore_resource_id = restore.resource_id


def _importable(row: RowResult, by_name: dict[str, list[Record]]) -> bool:
    """A destination the site does not know at all, with a MAC or GUID to import it by."""
    return (
        bool(row.mac or row.smbios_guid)
        and row.given_restore_resource_id is None
        and not by_name.get(row.destination or "")
    )


def _plan_import(row: RowResult, holders: dict[str, list[Record]], overwrite: bool) -> None:
    column = C.FIELD_TITLES[C.MAC if row.mac else C.SMBIOS_GUID]
    taken = [r for key in (row.mac, row.smbios_guid) if key for r in holders.get(key, [])]
    others = {r.resource_id: r for r in taken if r.name.upper() != row.destination}
    if others and not overwrite:
        named = ", ".join(f"{r.name} {r.describe()}" for r in others.values())
        row.hardware = Hardware.NOT_IMPORTED
        row.status = Status.CONFLICT
        row.add(
            Level.ERROR,
            f"{row.destination} is not on the site, but its MAC address or SMBIOS GUID already belongs to "
            f"{named}: not imported, nothing done. Check the hardware list, or run with "
            "--overwrite-existing-record to let the import take over that record",
            column,
            tag=Tag.IMPORT_CONFLICT,
        )
        return
    row.hardware = Hardware.IMPORT
    ids = ", ".join(x for x in (row.mac, row.smbios_guid) if x)
    text = f"{row.destination} is not on the site: it will be imported ({ids})"
    if others:
        named = ", ".join(f"{r.name} {r.describe()}" for r in others.values())
        text += f", taking over the record of {named} (--overwrite-existing-record)"
    row.add(Level.NOTE, text, row.column(C.DESTINATION), tag=Tag.TO_IMPORT)


def _users_from_site(rows: list[RowResult], site: Site, users_from: UsersFrom) -> None:
    wanting = [
        r
        for r in rows
        if r.is_open
        and not r.users
        and r.behavior is not None
        and r.behavior.needs_users
        and r.source_resource_id
    ]
    sources = sorted({r.source_resource_id for r in wanting if r.source_resource_id})
    if users_from is UsersFrom.PRIMARY:
        found = site.primary_users(sources) if sources else {}
    else:
        found = {rid: [user] for rid, user in (site.last_logons(sources) if sources else {}).items()}
    for row in wanting:
        users = [u for u in found.get(row.source_resource_id or 0, []) if u]
        if users:
            row.users = list(dict.fromkeys(users))
            row.users_from = users_from
            row.add(
                Level.NOTE,
                f"users from the site ({users_from.value}): {', '.join(row.users)}",
                row.column(C.USERS),
            )
        else:
            row.fail(
                Status.INVALID,
                f"behaviour {row.behavior.label if row.behavior else ''} needs users, and the site knows no "
                f"{users_from.value} of {row.source}: add them to the sheet",
                row.column(C.USERS),
            )


def _pick(
    row: RowResult,
    name: str,
    given: int | None,
    field: str,
    by_name: dict[str, list[Record]],
    by_id: dict[int, Record],
    site: str,
) -> Record | None:
    column = row.column(field)
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
            tag=Tag.NOT_ON_SITE,
            column=column,
            text=f"{name} is not on site {site}, or not visible to this account (security scopes): check "
            "the spelling and the account's scopes"
            + (
                "; a new computer can be imported: add its MAC address or SMBIOS GUID to the sheet"
                if field == C.DESTINATION
                else ""
            ),
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
            + f"; put the right one in the {row.column(id_field)} column "
            "(or remove the duplicate record in the console)",
            column,
        )
    return None
