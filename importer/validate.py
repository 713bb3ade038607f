"""Check every cell and every sheet-level rule; every problem of every row is reported.

The cell checks are column operations on the wave's frame: a cell that matches the plain
form (a NetBIOS name, DOMAIN\\user accounts, a behaviour digit) is settled by the column's
regular expression, and only the others go through the parsers one by one, which give the
messages. The sheet rules find recurring pairs and computers with `duplicated` and counts,
then word their messages row by row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from importer import columns as C
from importer import rules
from importer.limits import EXCEL_MAX_CELL
from importer.model import (
    Behavior,
    Level,
    Message,
    Part,
    RowResult,
    Status,
    Typed,
    UserRow,
    UsersFrom,
    WaveInput,
)
from importer.names import (
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

# The plain forms, in the regular-expression dialect Arrow's string kernels run (RE2: no
# look-ahead): a NetBIOS name of letters, digits and inner hyphens, with a letter somewhere;
# a users cell of DOMAIN\user accounts separated by ; or , (and at most one space).
_PLAIN_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?"
_USER = r"[A-Za-z0-9][A-Za-z0-9-]{0,14}\\[A-Za-z0-9_-](?:[A-Za-z0-9._-]{0,18}[A-Za-z0-9_-])?"
_PLAIN_USERS = f"{_USER}(?:[;,] ?{_USER})*"
_USER_SEPARATOR = r"[;,] ?"


def validate(
    wave: WaveInput,
    default_behavior: Behavior,
    users_from_site: bool = False,
    collections: Sequence[str] = (),
) -> list[RowResult]:
    """Rows in input order; a row with any error has status `invalid`, the rest are open.

    With `users_from_site`, rows of behaviour 1/2 without users wait for the site to give
    them (resolve); `collections` apply to every row, beside any Collection column."""
    results: list[RowResult] = []
    for part in wave.parts:
        results.extend(_PartCheck(wave, part, default_behavior, collections).rows)
    orphans = _attach_user_rows(results, wave.user_rows)
    for result in results:
        _check_behavior_users(result, users_from_site)
    _check_sheet_rules(results)
    if any(part.fields.keys() & {C.MAC, C.SMBIOS_GUID} for part in wave.parts):
        _check_hardware_ids(results)
    for result in results:
        if result.messages and result.has_errors:
            result.status = Status.INVALID
    return results + orphans


class _PartCheck:
    """The cell checks of one pairs sheet, a column at a time."""

    def __init__(self, wave: WaveInput, part: Part, default: Behavior, every: Sequence[str]) -> None:
        assert wave.frame is not None
        self.part = part
        self.frame = wave.frame.iloc[part.start : part.stop]
        self.count = count = part.stop - part.start
        self.typed: dict[str, dict[int, Typed]] = defaultdict(dict)
        for (position, header), typed in wave.typed.items():
            if part.start <= position < part.stop:
                self.typed[header][position - part.start] = typed
        self.messages: dict[int, list[Message]] = {}
        self.skipped = self._overlong()
        sources = self._names(C.SOURCE)
        destinations = self._names(C.DESTINATION)
        behaviors = self._behaviors(default)
        users, from_sheet = self._users()
        source_ids = self._ids(C.SOURCE_ID)
        restore_ids = self._ids(C.RESTORE_ID)
        hardware = bool(every) or bool(part.fields.keys() & {C.MAC, C.SMBIOS_GUID, C.COLLECTION})
        numbers = self.frame.index.get_level_values("row").tolist()
        sheet, headers, messages = part.sheet, part.fields, self.messages
        self.rows = [
            RowResult(
                sheet,
                numbers[i],
                source=sources[i],
                destination=destinations[i],
                behavior=behaviors[i],
                users=users[i] or (),
                users_from=UsersFrom.SHEET if from_sheet[i] else None,
                messages=messages.get(i, ()),
                given_source_resource_id=source_ids[i] if source_ids else None,
                given_restore_resource_id=restore_ids[i] if restore_ids else None,
                headers=headers,
                index=part.start + i,
            )
            for i in range(count)
        ]
        if hardware:
            self._hardware(every)

    def _column(self, fld: str) -> tuple[str, pd.Series] | None:
        header = self.part.fields.get(fld)
        if header is None:
            return None
        return header, self.frame[header].fillna("").reset_index(drop=True)

    def _cell(self, header: str, i: int, cells: list[str]) -> str:
        """The cell as typed: a `Typed` one as such."""
        return self.typed[header].get(i, cells[i]) if header in self.typed else cells[i]

    def _extend(self, i: int, messages: Sequence[Message]) -> None:
        if messages:
            self.messages.setdefault(i, []).extend(messages)

    def _overlong(self) -> dict[str, set[int]]:
        """Cells longer than Excel allows are errors, and are not checked further."""
        skipped: dict[str, set[int]] = {}
        for header in self.part.headers:
            lengths = self.frame[header].str.len().fillna(0).to_numpy(dtype=np.int64)
            for i in np.flatnonzero(lengths > EXCEL_MAX_CELL).tolist():
                self._extend(
                    i,
                    [
                        Message(
                            Level.ERROR,
                            f"{int(lengths[i]):,} characters, more than a cell can hold "
                            f"({EXCEL_MAX_CELL:,}): check what was pasted here",
                            header,
                        )
                    ],
                )
                skipped.setdefault(header, set()).add(i)
        return skipped

    def _unusual(self, header: str, plain: pd.Series) -> list[int]:
        """Rows whose cell is not of the plain form, or typed: each goes through its parser."""
        odd = set(np.flatnonzero(~plain.fillna(False).to_numpy(dtype=bool)).tolist())
        odd.update(self.typed.get(header, {}))
        return sorted(odd - self.skipped.get(header, set()))

    def _names(self, fld: str) -> list[str | None]:
        header, cells = self._column(fld) or ("", pd.Series([""] * self.count, dtype="string[pyarrow]"))
        plain = cells.str.fullmatch(_PLAIN_NAME) & cells.str.contains("[A-Za-z]")
        out: list[str | None] = list(cells.str.upper().tolist())
        texts: list[str] = cells.tolist()
        for i in self.skipped.get(header, ()):
            out[i] = None
        for i in self._unusual(header, plain):
            parsed = parse_computer_name(self._cell(header, i, texts), header)
            self._extend(i, parsed.messages)
            out[i] = parsed.value
        return out

    def _behaviors(self, default: Behavior) -> list[Behavior | None]:
        """Each distinct cell is parsed once (a wave has a handful of them)."""
        found = self._column(C.BEHAVIOR)
        if found is None:
            return [default] * self.count
        header, cells = found
        texts: list[str] = cells.tolist()
        typed = self.typed.get(header, {})
        known = {t: _behavior(t, header, default) for t in set(texts)}
        out: list[Behavior | None] = [known[t].value for t in texts]
        skipped = self.skipped.get(header, set())
        wrong = {t for t, parsed in known.items() if parsed.messages}
        for i, text in enumerate(texts):
            if i in skipped:
                out[i] = default
            elif i in typed:
                parsed = _behavior(typed[i], header, default)
                self._extend(i, parsed.messages)
                out[i] = parsed.value
            elif text in wrong:
                self._extend(i, known[text].messages)
        return out

    def _users(self) -> tuple[list[list[str] | None], list[bool]]:
        """Per row: its accounts (None: no users cell) and whether the cell had text."""
        found = self._column(C.USERS)
        if found is None:
            return [None] * self.count, [False] * self.count
        header, cells = found
        plain = cells.str.fullmatch(_PLAIN_USERS)
        blank = (cells.str.strip() == "").to_numpy(dtype=bool)
        parts: list[list[str] | None] = list(cells.str.split(_USER_SEPARATOR, regex=True).tolist())
        out: list[list[str] | None] = [None] * self.count
        texts: list[str] = cells.tolist()
        odd = set(self._unusual(header, plain))
        for i, accounts in enumerate(parts):
            if blank[i] or i in odd or i in self.skipped.get(header, ()) or accounts is None:
                continue
            users = [f"{d.upper()}\\{u}" for d, _, u in (a.partition("\\") for a in accounts)]
            if len(users) > 1 and len({u.casefold() for u in users}) < len(users):
                odd.add(i)  # listed twice: the parser says so
                continue
            out[i] = users
        for i in sorted(odd):
            if blank[i] and i not in self.typed.get(header, {}):
                continue
            parsed = parse_users([(self._cell(header, i, texts), header)])
            self._extend(i, parsed.messages)
            out[i] = list(parsed.value or [])
        filled = [o is not None for o in out]
        return out, filled

    def _ids(self, fld: str) -> list[int | None] | None:
        found = self._column(fld)
        if found is None:
            return None
        header, cells = found
        texts: list[str] = cells.tolist()
        skipped = self.skipped.get(header, set())
        out: list[int | None] = [None] * self.count
        for i in np.flatnonzero((cells.str.strip() != "").to_numpy(dtype=bool)).tolist():
            if i not in skipped:
                parsed = parse_resource_id(self._cell(header, i, texts), header)
                self._extend(i, parsed.messages)
                out[i] = parsed.value
        return out

    def _hardware(self, every: Sequence[str]) -> None:
        """New-hardware columns are rare and per row (as before, an over-long cell here is
        also parsed: its own message says what is wrong with it)."""
        columns = {fld: self._column(fld) for fld in (C.MAC, C.SMBIOS_GUID, C.COLLECTION)}
        texts = {fld: (found[0], found[1].tolist()) for fld, found in columns.items() if found is not None}
        for i, result in enumerate(self.rows):
            if C.MAC in texts and texts[C.MAC][1][i].strip():
                header = texts[C.MAC][0]
                result.mac = _take(result, parse_mac(self._cell(header, i, texts[C.MAC][1]), header))
            if C.SMBIOS_GUID in texts and texts[C.SMBIOS_GUID][1][i].strip():
                header = texts[C.SMBIOS_GUID][0]
                cell = self._cell(header, i, texts[C.SMBIOS_GUID][1])
                result.smbios_guid = _take(result, parse_smbios_guid(cell, header))
            named = list(every)
            if C.COLLECTION in texts and texts[C.COLLECTION][1][i].strip():
                header = texts[C.COLLECTION][0]
                cell = self._cell(header, i, texts[C.COLLECTION][1])
                given: list[str] | None = _take(result, parse_collections(cell, header))
                named += given or []
            result.collections = list(dict.fromkeys(named))


def _behavior(text: str, header: str, default: Behavior) -> Parsed[Behavior]:
    return parse_behavior(text, header) if text.strip() else Parsed(default)


def _take(result: RowResult, parsed: Parsed[T]) -> T | None:
    if parsed.messages:
        result.extend(parsed.messages)
    return parsed.value


def _attach_user_rows(results: list[RowResult], user_rows: list[UserRow]) -> list[RowResult]:
    """Merge users given on a separate sheet or file; rows that match no pair are reported
    (returned, as rows of their own)."""
    if not user_rows:
        return []
    by_source: dict[str, list[RowResult]] = defaultdict(list)
    for result in results:
        if result.source:
            by_source[result.source].append(result)
    extra: dict[int, list[tuple[str, str]]] = defaultdict(list)
    orphans: list[RowResult] = []
    for user_row in user_rows:
        probe = RowResult(sheet=user_row.sheet, row=user_row.row, values=dict(user_row.values))
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
    """A behaviour that needs users has some; one that takes every account names none."""
    behavior, count = result.behavior, len(result.users)
    if behavior is None or behavior.needs_users == bool(count):
        return
    if behavior.needs_users and users_from_site:
        return  # the site is asked for them after the names are resolved
    users_column = result.column(C.USERS)
    if any(m.level is Level.ERROR and m.column == users_column for m in result.messages):
        return  # the users cell has its own message already: one is enough
    if behavior.needs_users:
        result.add(
            Level.ERROR,
            f"behaviour {behavior.label} needs at least one user (DOMAIN\\user): "
            "add users, or use behaviour 0 to capture and restore all accounts",
            users_column,
        )
    else:
        result.add(
            Level.WARNING,
            f"behaviour {behavior.label} migrates every account: the {count} user(s) listed are not sent",
            users_column,
        )
        result.users = []


def _check_sheet_rules(results: list[RowResult]) -> None:
    """Rows whose pair or computers recur: found with `duplicated` and counts over the names,
    then worded row by row."""
    named = [r for r in results if r.source and r.destination]
    if not named:
        return
    for result in named:
        if result.source == result.destination:
            result.add(
                Level.ERROR,
                f"source and destination are both {result.source}: that is an in-place "
                "association, which ConfigMgr creates itself; give the new computer's name",
                result.column(C.DESTINATION),
            )
    pairs = pd.DataFrame(
        {"source": [r.source for r in named], "destination": [r.destination for r in named]},
        dtype="string[pyarrow]",
    )
    repeated = pairs.duplicated(keep=False).to_numpy(dtype=bool)
    groups: dict[tuple[str, str], list[RowResult]] = defaultdict(list)
    for i in np.flatnonzero(repeated).tolist():
        result = named[i]
        groups[(result.source or "", result.destination or "")].append(result)
    for group in groups.values():
        _flag_repeats(group)
    firsts = ~pairs.duplicated(keep="first").to_numpy(dtype=bool)
    unique = pairs[firsts]
    counts = pd.concat([unique["source"], unique["destination"]]).value_counts()
    crowded = (
        unique["source"].map(counts).to_numpy(dtype=np.int64)
        + unique["destination"].map(counts).to_numpy(dtype=np.int64)
    ) > 2
    _shared_computers([named[i] for i in _positions(firsts)[crowded].tolist()])


def _positions(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    return np.flatnonzero(mask)


def _shared_computers(shared: list[RowResult]) -> None:
    """ConfigMgr's rules between the (first rows of the) pairs that share a computer."""
    touching: dict[str, list[RowResult]] = defaultdict(list)
    for result in shared:
        touching[result.source or ""].append(result)
        touching[result.destination or ""].append(result)
    for result in shared:
        near = _unique(touching[result.source or ""] + touching[result.destination or ""])
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
