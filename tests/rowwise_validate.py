"""The row-at-a-time validator cmassoc had before issue 14, kept as the reference that the
column-wise one (importer/validate.py) is compared with: same statuses, values and messages."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from importer import columns as C
from importer import rules
from importer.gcpause import gc_paused
from importer.limits import EXCEL_MAX_CELL
from importer.model import Behavior, InputRow, Level, RowResult, Status, UserRow, UsersFrom, WaveInput
from importer.names import (
    PLAIN_NAME,
    Parsed,
    parse_behavior,
    parse_collections,
    parse_computer_name,
    parse_mac,
    parse_resource_id,
    parse_smbios_guid,
    parse_users,
)

T = TypeVar("T")
_Columns = tuple[str, str, str | None, str | None, str | None, str | None]


@gc_paused
def validate(
    wave: WaveInput,
    default_behavior: Behavior,
    users_from_site: bool = False,
    collections: Sequence[str] = (),
) -> list[RowResult]:
    """Rows in input order; a row with any error has status `invalid`, the rest are open.

    With `users_from_site`, rows of behaviour 1/2 without users wait for the site to give
    them (resolve); `collections` apply to every row, beside any Collection column."""
    per_sheet: dict[int, _Columns] = {}  # the rows of one sheet share one columns mapping
    hardware: dict[int, tuple[str | None, str | None, str | None]] = {}
    results = []
    for row in wave.rows:
        columns = per_sheet.get(id(row.columns))
        if columns is None:
            columns = per_sheet[id(row.columns)] = _columns_of(row.columns)
            hardware[id(row.columns)] = (
                row.columns.get(C.MAC),
                row.columns.get(C.SMBIOS_GUID),
                row.columns.get(C.COLLECTION),
            )
        result = _check_row(row, columns, default_behavior)
        mac, guid, collection = hardware[id(row.columns)]
        if mac is not None or guid is not None or collection is not None or collections:
            _check_hardware(result, mac, guid, collection, collections)
        results.append(result)
    orphans = _attach_user_rows(results, wave.user_rows)
    for result in results:
        _check_behavior_users(result, users_from_site)
    _check_sheet_rules(results)
    _check_hardware_ids(results)
    for result in results:
        if result.has_errors:
            result.status = Status.INVALID
    return results + orphans


def _take(result: RowResult, parsed: Parsed[T]) -> T | None:
    if parsed.messages:
        result.extend(parsed.messages)
    return parsed.value


def _check_row(row: InputRow, columns: _Columns, default_behavior: Behavior) -> RowResult:
    text = row.values
    src, dst, behavior, users, source_id, restore_id = columns
    result = RowResult(sheet=row.sheet, row=row.row, values=text, headers=row.columns)
    if len("".join(text.values())) > EXCEL_MAX_CELL:  # one C-level pass; rarely true
        text = _without_overlong(result, text)
    # Plain names are settled inline: this runs for every row of a 100k-row wave.
    source, destination = text[src], text[dst]
    if type(source) is str and PLAIN_NAME.fullmatch(source):
        result.source = source.upper()
    elif source is not _SKIP:
        result.source = _take(result, parse_computer_name(source, src))
    if type(destination) is str and PLAIN_NAME.fullmatch(destination):
        result.destination = destination.upper()
    elif destination is not _SKIP:
        result.destination = _take(result, parse_computer_name(destination, dst))
    if behavior is not None and text[behavior].strip():
        result.behavior = _take(result, parse_behavior(text[behavior], behavior))
    else:
        result.behavior = default_behavior
    if users is not None and text[users].strip():
        parsed_users: list[str] | None = _take(result, parse_users([(text[users], users)]))
        result.users = parsed_users or []
        result.users_from = UsersFrom.SHEET
    if source_id is not None and text[source_id].strip():
        result.given_source_resource_id = _take(result, parse_resource_id(text[source_id], source_id))
    if restore_id is not None and text[restore_id].strip():
        result.given_restore_resource_id = _take(result, parse_resource_id(text[restore_id], restore_id))
    return result


class _Skipped(str):
    """Stands for a cell already reported (too long): every check below passes over it."""


_SKIP = _Skipped("")


def _without_overlong(result: RowResult, text: dict[str, str]) -> dict[str, str]:
    """Cells longer than Excel allows are errors, and are not checked further."""
    kept = dict(text)
    for column, value in text.items():
        if len(value) > EXCEL_MAX_CELL:
            result.add(
                Level.ERROR,
                f"{len(value):,} characters, more than a cell can hold ({EXCEL_MAX_CELL:,}): "
                "check what was pasted here",
                column,
            )
            kept[column] = _SKIP
    return kept


def _columns_of(columns: Mapping[str, str]) -> _Columns:
    """The headers of the fields a row is checked on (None where the sheet has no such column)."""
    return (
        columns[C.SOURCE],
        columns[C.DESTINATION],
        columns.get(C.BEHAVIOR),
        columns.get(C.USERS),
        columns.get(C.SOURCE_ID),
        columns.get(C.RESTORE_ID),
    )


def _attach_user_rows(results: list[RowResult], user_rows: list[UserRow]) -> list[RowResult]:
    """Merge users given on a separate sheet or file; rows that match no pair are reported."""
    if not user_rows:
        return []
    by_source: dict[str, list[RowResult]] = defaultdict(list)
    for result in results:
        if result.source:
            by_source[result.source].append(result)
    extra: dict[int, list[tuple[str, str]]] = defaultdict(list)
    orphans: list[RowResult] = []
    for user_row in user_rows:
        values = dict(user_row.values)
        probe = RowResult(sheet=user_row.sheet, row=user_row.row, values=values)
        source = _take(probe, parse_computer_name(user_row.source.text, user_row.source.column))
        destination = None
        if user_row.destination is not None and user_row.destination.text.strip():
            destination = _take(
                probe, parse_computer_name(user_row.destination.text, user_row.destination.column)
            )
        targets = [
            r for r in by_source.get(source or "", []) if destination is None or r.destination == destination
        ]
        if probe.has_errors or not targets:
            if not probe.has_errors:
                pair = f"{source} -> {destination}" if destination else f"source {source}"
                probe.add(
                    Level.ERROR,
                    f"no row of the pairs sheet has {pair}: add the pair or remove this user row",
                )
            probe.source, probe.destination = source, destination
            probe.status = Status.INVALID
            orphans.append(probe)
            continue
        where = f"{user_row.users.column} ({user_row.sheet} row {user_row.row})"
        for target in targets:
            extra[id(target)].append((user_row.users.text, where))
    for result in results:
        cells = extra.get(id(result))
        if not cells:
            continue
        own = [(u, "") for u in result.users]
        parsed = parse_users(own + cells)
        result.extend(parsed.messages)
        result.users = parsed.value or []
        result.users_from = UsersFrom.USERS_SHEET if not own else UsersFrom.SHEET
    return orphans


def _check_hardware(
    result: RowResult, mac: str | None, guid: str | None, collection: str | None, every: Sequence[str]
) -> None:
    text = result.values
    if mac is not None and text[mac].strip():
        result.mac = _take(result, parse_mac(text[mac], mac))
    if guid is not None and text[guid].strip():
        result.smbios_guid = _take(result, parse_smbios_guid(text[guid], guid))
    named = list(every)
    if collection is not None and text[collection].strip():
        given: list[str] | None = _take(result, parse_collections(text[collection], collection))
        named += given or []
    result.collections = list(dict.fromkeys(named))


def _check_hardware_ids(results: list[RowResult]) -> None:
    """One MAC address or SMBIOS GUID belongs to one new computer."""
    for attribute, name in (("mac", C.MAC), ("smbios_guid", C.SMBIOS_GUID)):
        owners: dict[str, dict[str, list[RowResult]]] = defaultdict(lambda: defaultdict(list))
        for result in results:
            value = getattr(result, attribute)
            if value and result.destination:
                owners[value][result.destination].append(result)
        for value, by_computer in owners.items():
            if len(by_computer) < 2:
                continue
            names = ", ".join(sorted(by_computer))
            for group in by_computer.values():
                for result in group:
                    result.add(
                        Level.ERROR,
                        f"{value} is given for several new computers ({names}): each has its own",
                        result.column(name),
                    )


def _check_behavior_users(result: RowResult, users_from_site: bool) -> None:
    if result.behavior is None:
        return
    if result.behavior.needs_users and not result.users and users_from_site:
        return  # the site is asked for them after the names are resolved
    users_column = result.column(C.USERS)
    if any(m.level is Level.ERROR and m.column == users_column for m in result.messages):
        return  # the users cell has its own message already: one is enough
    if result.behavior.needs_users and not result.users:
        result.add(
            Level.ERROR,
            f"behaviour {result.behavior.label} needs at least one user (DOMAIN\\user): "
            "add users, or use behaviour 0 to capture and restore all accounts",
            result.column(C.USERS),
        )
    elif not result.behavior.needs_users and result.users:
        result.add(
            Level.WARNING,
            f"behaviour {result.behavior.label} migrates every account: the "
            f"{len(result.users)} user(s) listed are not sent",
            result.column(C.USERS),
        )
        result.users = []


def _check_sheet_rules(results: list[RowResult]) -> None:
    named = [r for r in results if r.source and r.destination]
    for result in named:
        if result.source == result.destination:
            result.add(
                Level.ERROR,
                f"source and destination are both {result.source}: that is an in-place "
                "association, which ConfigMgr creates itself; give the new computer's name",
                result.column(C.DESTINATION),
            )
    # Counting first keeps a 100k-row sheet fast: only rows whose computers recur are examined.
    keys = [(r.source or "", r.destination or "") for r in named]
    pair_count = Counter(keys)
    firsts: dict[tuple[str, str], RowResult] = {}
    repeats: dict[tuple[str, str], list[RowResult]] = defaultdict(list)
    for key, result in zip(keys, named, strict=True):
        if key not in firsts:
            firsts[key] = result
        if pair_count[key] > 1:
            repeats[key].append(result)
    for group in repeats.values():
        _flag_repeats(group)
    name_count = Counter(s for s, _ in firsts)
    name_count.update(d for _, d in firsts)
    shared = [(key, result) for key, result in firsts.items() if name_count[key[0]] + name_count[key[1]] > 2]
    touching: dict[str, list[RowResult]] = defaultdict(list)
    for (source, destination), result in shared:
        touching[source].append(result)
        touching[destination].append(result)
    for (source, destination), result in shared:
        near = _unique(touching[source] + touching[destination])
        others = (_pair(n) for n in near if n is not result)
        for text in rules.violations(_pair(result), others):
            result.add(Level.ERROR, text)


def _flag_repeats(group: list[RowResult]) -> None:
    first = group[0]
    same = all(
        r.behavior == first.behavior
        and sorted(u.casefold() for u in r.users) == sorted(u.casefold() for u in first.users)
        for r in group[1:]
    )
    if same:
        for repeat in group[1:]:
            repeat.add(
                Level.ERROR,
                f"repeats the pair of {first.where}; only that row is imported: delete this one",
            )
        return
    rows = ", ".join(r.where for r in group)
    for result in group:
        result.add(
            Level.ERROR,
            f"the pair {first.source} -> {first.destination} is in {rows} with different "
            "behaviours or users: keep one row (merge the users into it)",
        )


def _pair(result: RowResult) -> rules.Pair:
    return rules.Pair(result.source or "", result.destination or "", result.behavior, result.where)


def _unique(items: Iterable[RowResult]) -> list[RowResult]:
    seen: dict[int, RowResult] = {}
    for item in items:
        seen.setdefault(id(item), item)
    return list(seen.values())
