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
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from importer.check import rules
from importer.check.checked import Checked
from importer.check.names import (
    Parsed,
    parse_behavior,
    parse_collections,
    parse_computer_name,
    parse_mac,
    parse_resource_id,
    parse_smbios_guid,
    parse_users,
)
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
from importer.model import fields as C
from importer.read.sheet import text_series

T = TypeVar("T")

# The plain forms, in the regular-expression dialect Arrow's string kernels run (RE2: no
# look-ahead): a NetBIOS name of letters, digits and inner hyphens, with a letter somewhere;
# a users cell of DOMAIN\user accounts separated by ; or , (and at most one space).
_PLAIN_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?"
_USER = r"[A-Za-z0-9][A-Za-z0-9-]{0,14}\\[A-Za-z0-9_-](?:[A-Za-z0-9._-]{0,18}[A-Za-z0-9_-])?"
_PLAIN_USERS = f"{_USER}(?:[;,] ?{_USER})*"
_USER_SEPARATOR = r"[;,] ?"
_LOWER_DOMAIN = r"(?:^|[;,] ?)[^\\;,]*[a-z][^\\;,]*\\"  # a domain with a small letter


def validate(
    wave: WaveInput,
    default_behavior: Behavior,
    users_from_site: bool = False,
    collections: Sequence[str] = (),
) -> Checked:
    """Every row in input order, then the users-sheet rows that match no pair; a row with any
    error is `invalid`, the rest are open (`Checked.open_status`).

    With `users_from_site`, rows of behaviour 1/2 without users wait for the site to give
    them (resolve); `collections` apply to every row, beside any Collection column."""
    checked = Checked(wave)
    sources, destinations, users = [], [], []
    for part in wave.parts:
        check = _PartCheck(wave, part, checked, default_behavior, collections)
        sources.append(check.sources)
        destinations.append(check.destinations)
        users.extend(check.users.chunks)
    if wave.parts:
        checked.sources = pd.concat(sources, ignore_index=True)
        checked.destinations = pd.concat(destinations, ignore_index=True)
        checked.users = pa.chunked_array(users, type=pa.list_(pa.large_string()))  # type: ignore[call-overload]
    _attach_user_rows(checked, wave.user_rows)
    counts = checked.account_counts()
    needs = np.isin(checked.behaviors, [int(b) for b in Behavior if b.needs_users])
    given = checked.behaviors >= 0
    for probe in checked.rows_at(np.flatnonzero(given & (needs != (counts > 0))).tolist()):
        _check_behavior_users(probe, users_from_site)
        checked.take_back(probe)
    if wave.parts:
        _check_sheet_rules(checked)
    if any(part.fields.keys() & {C.MAC, C.SMBIOS_GUID} for part in wave.parts):
        _check_hardware_ids(checked)
    return checked


class _PartCheck:
    """The cell checks of one pairs sheet, a column at a time."""

    def __init__(
        self, wave: WaveInput, part: Part, checked: Checked, default: Behavior, every: Sequence[str]
    ) -> None:
        assert wave.frame is not None
        self.part = part
        self.checked = checked
        self.frame = wave.frame.iloc[part.start : part.stop]
        self.count = part.stop - part.start
        self.typed: dict[str, dict[int, Typed]] = defaultdict(dict)
        for (position, header), typed in wave.typed.items():
            if part.start <= position < part.stop:
                self.typed[header][position - part.start] = typed
        self.skipped = self._overlong()
        self.sources = self._names(C.SOURCE)
        self.destinations = self._names(C.DESTINATION)
        checked.behaviors[part.start : part.stop] = self._behaviors(default)
        self.users = self._users()
        self._ids(C.SOURCE_ID, "given_source_resource_id")
        self._ids(C.RESTORE_ID, "given_restore_resource_id")
        if every or part.fields.keys() & {C.MAC, C.SMBIOS_GUID, C.COLLECTION}:
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
        self.checked.extend(self.part.start + i, messages)

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

    def _names(self, fld: str) -> pd.Series:
        """The names as ConfigMgr spells them (NA where a cell gives none)."""
        header, cells = self._column(fld) or ("", pd.Series([""] * self.count, dtype="string[pyarrow]"))
        plain = cells.str.fullmatch(_PLAIN_NAME) & cells.str.contains("[A-Za-z]")
        names = cells.str.upper()
        texts: list[str] | None = None
        changed: dict[int, str | None] = dict.fromkeys(self.skipped.get(header, ()))
        for i in self._unusual(header, plain):
            texts = texts if texts is not None else cells.tolist()
            parsed = parse_computer_name(self._cell(header, i, texts), header)
            self._extend(i, parsed.messages)
            changed[i] = parsed.value
        if changed:
            names = names.copy()
            where = list(changed)
            names.iloc[where] = pd.Series(list(changed.values()), dtype="string[pyarrow]")
        return names

    def _behaviors(self, default: Behavior) -> npt.NDArray[np.int8]:
        """Each distinct cell is parsed once (a wave has a handful of them); -1: none."""
        found = self._column(C.BEHAVIOR)
        if found is None:
            return np.full(self.count, int(default), dtype=np.int8)
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
        return np.array([-1 if b is None else int(b) for b in out], dtype=np.int8)

    def _users(self) -> pa.ChunkedArray[Any]:
        """Each row's accounts (null where the row has no users cell or a blank one); a cell
        that is not plain goes through the parser, and its accounts are kept apart."""
        found = self._column(C.USERS)
        lists = pa.list_(pa.large_string())
        if found is None:
            return pa.chunked_array([pa.nulls(self.count, lists)])
        header, cells = found
        arrow = pa.chunked_array([pa.array(cells.array)])
        plain = cells.str.fullmatch(_PLAIN_USERS)
        blank = (cells.str.strip() == "").to_numpy(dtype=bool)
        typed = self.typed.get(header, {})
        empty = blank.copy()
        for i in typed:
            empty[i] = False
        for i in self.skipped.get(header, ()):
            empty[i] = True
        split = pc.split_pattern_regex(arrow, _USER_SEPARATOR)  # type: ignore[call-overload]
        accounts = pc.if_else(pa.array(empty), pa.nulls(self.count, lists), split)
        odd = set(self._unusual(header, plain))
        odd.update(_repeating(pc.split_pattern_regex(pc.utf8_lower(arrow), _USER_SEPARATOR)))
        odd -= set(np.flatnonzero(empty).tolist())
        lower = pc.match_substring_regex(arrow, _LOWER_DOMAIN).to_numpy(zero_copy_only=False)
        start = self.part.start
        for i in set(np.flatnonzero(lower & ~empty).tolist()) - odd:  # the domain is sent in capitals
            row: list[str] = accounts[i].as_py() or []
            parts = (a.partition("\\") for a in row)
            self.checked.own_users[start + i] = [f"{d.upper()}\\{u}" for d, _, u in parts]
        texts: list[str] = cells.tolist() if odd else []
        for i in sorted(odd):
            parsed = parse_users([(self._cell(header, i, texts), header)])
            self._extend(i, parsed.messages)
            self.checked.own_users[start + i] = list(parsed.value or [])
        chunked: pa.ChunkedArray[Any] = accounts
        return chunked

    def _ids(self, fld: str, attribute: str) -> None:
        """The ResourceIDs given (a rare column)."""
        found = self._column(fld)
        if found is None:
            return
        header, cells = found
        texts: list[str] = cells.tolist()
        skipped = self.skipped.get(header, set())
        given = set(np.flatnonzero((cells.str.strip() != "").to_numpy(dtype=bool)).tolist())
        for i in sorted(given | self.typed.get(header, {}).keys()):  # an error cell reads as ""
            if i not in skipped:
                parsed = parse_resource_id(self._cell(header, i, texts), header)
                self._extend(i, parsed.messages)
                self.checked.set_rare(self.part.start + i, attribute, parsed.value)

    def _hardware(self, every: Sequence[str]) -> None:
        """New-hardware columns are rare and per row (as before, an over-long cell here is
        also parsed: its own message says what is wrong with it)."""
        columns = {fld: self._column(fld) for fld in (C.MAC, C.SMBIOS_GUID, C.COLLECTION)}
        texts = {fld: (found[0], found[1].tolist()) for fld, found in columns.items() if found is not None}
        for header, cells in texts.values():  # an error cell reads as "": its typed text stands in
            for i, typed in self.typed.get(header, {}).items():
                cells[i] = typed
        parsers = {C.MAC: ("mac", parse_mac), C.SMBIOS_GUID: ("smbios_guid", parse_smbios_guid)}
        for i in range(self.count):
            position = self.part.start + i
            for fld, (attribute, parse) in parsers.items():
                if fld in texts and texts[fld][1][i].strip():
                    header, cells = texts[fld]
                    parsed = parse(self._cell(header, i, cells), header)
                    self._extend(i, parsed.messages)
                    self.checked.set_rare(position, attribute, parsed.value)
            named = list(every)
            if C.COLLECTION in texts and texts[C.COLLECTION][1][i].strip():
                header, cells = texts[C.COLLECTION]
                given = parse_collections(self._cell(header, i, cells), header)
                self._extend(i, given.messages)
                named += given.value or []
            if named:
                self.checked.set_rare(position, "collections", list(dict.fromkeys(named)))


def _repeating(accounts: pa.ListArray[Any] | pa.ChunkedArray[Any]) -> list[int]:
    """The rows whose (lower-cased) accounts list one twice: each account's row and its code
    among all accounts, sorted, so that a repeat sits beside its twin."""
    rows = pc.list_parent_indices(accounts).to_numpy()
    if not len(rows):
        return []
    codes, _ = pd.factorize(text_series(pc.list_flatten(accounts).cast(pa.large_string())))
    keys = np.sort(rows.astype(np.int64) * (int(codes.max()) + 2) + codes)
    twins = keys[1:][keys[1:] == keys[:-1]]
    return sorted(set((twins // (int(codes.max()) + 2)).tolist()))


def _behavior(text: str, header: str, default: Behavior) -> Parsed[Behavior]:
    return parse_behavior(text, header) if text.strip() else Parsed(default)


def _take(result: RowResult, parsed: Parsed[T]) -> T | None:
    if parsed.messages:
        result.extend(parsed.messages)
    return parsed.value


def _attach_user_rows(checked: Checked, user_rows: list[UserRow]) -> None:
    """Merge users given on a separate sheet or file; rows that match no pair are reported
    (as rows of their own, after the pairs)."""
    if not user_rows:
        return
    wanted: list[tuple[UserRow, RowResult, str | None, str | None]] = []
    for user_row in user_rows:
        probe = RowResult(sheet=user_row.sheet, row=user_row.row, values=dict(user_row.values))
        source = _take(probe, parse_computer_name(user_row.source.text, user_row.source.column))
        destination = None
        if user_row.destination is not None and user_row.destination.text.strip():
            destination = _take(
                probe, parse_computer_name(user_row.destination.text, user_row.destination.column)
            )
        wanted.append((user_row, probe, source, destination))
    names = {source for _, _, source, _ in wanted if source}
    by_source: dict[str, list[RowResult]] = defaultdict(list)
    matching = np.flatnonzero(checked.sources.isin(names).fillna(False).to_numpy(dtype=bool)).tolist()
    for row in checked.rows_at(matching):
        by_source[row.source or ""].append(row)
    extra: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for user_row, probe, source, destination in wanted:
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
            checked.orphans.append(probe)
            continue
        where = f"{user_row.users.column} ({user_row.sheet} row {user_row.row})"
        for target in targets:
            extra[target.index].append((user_row.users.text, where))
    for rows in by_source.values():
        for result in rows:
            cells = extra.get(result.index)
            if not cells:
                continue
            own = [(u, "") for u in result.users]
            parsed = parse_users(own + cells)
            result.extend(parsed.messages)
            result.users = parsed.value or []
            result.users_from = UsersFrom.USERS_SHEET if not own else UsersFrom.SHEET
            checked.take_back(result)


def _check_hardware_ids(checked: Checked) -> None:
    """One MAC address or SMBIOS GUID belongs to one new computer."""
    given = [p for p, rare in sorted(checked.rare.items()) if rare.keys() & {"mac", "smbios_guid"}]
    rows = checked.rows_at(given)
    for attribute, name in (("mac", C.MAC), ("smbios_guid", C.SMBIOS_GUID)):
        owners: dict[str, dict[str, list[RowResult]]] = defaultdict(lambda: defaultdict(list))
        for result in rows:
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
                    checked.messages[result.index] = list(result.messages)


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


def _check_sheet_rules(checked: Checked) -> None:
    """Rows whose pair or computers recur: found with `duplicated` and counts over the names
    columns, then worded on row objects made for just those rows."""
    pairs = pd.DataFrame({"source": checked.sources, "destination": checked.destinations})
    named = pairs.notna().all(axis=1).to_numpy(dtype=bool)
    same = (pairs["source"] == pairs["destination"]).fillna(False).to_numpy(dtype=bool)
    for result in checked.rows_at(np.flatnonzero(named & same).tolist()):
        result.add(
            Level.ERROR,
            f"source and destination are both {result.source}: that is an in-place "
            "association, which ConfigMgr creates itself; give the new computer's name",
            result.column(C.DESTINATION),
        )
        checked.messages[result.index] = list(result.messages)
    index = np.flatnonzero(named)
    both = pairs.iloc[index]
    groups: dict[tuple[str, str], list[RowResult]] = defaultdict(list)
    for result in checked.rows_at(index[both.duplicated(keep=False).to_numpy(dtype=bool)].tolist()):
        groups[(result.source or "", result.destination or "")].append(result)
    for group in groups.values():
        _flag_repeats(group)
        for result in group:
            checked.messages[result.index] = list(result.messages)
    first = ~both.duplicated(keep="first").to_numpy(dtype=bool)
    unique = both[first]
    codes, _ = pd.factorize(pd.concat([unique["source"], unique["destination"]], ignore_index=True))
    uses = np.bincount(codes)[codes]  # how many distinct pairs name each computer
    crowded = uses[: len(unique)] + uses[len(unique) :] > 2
    shared = checked.rows_at(index[first][crowded].tolist())
    _shared_computers(shared)
    for result in shared:
        if result.messages:
            checked.messages[result.index] = list(result.messages)


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
