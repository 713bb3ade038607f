"""Check every cell and every sheet-level rule; every problem of every row is reported.

The checks run a column at a time: a column whose cells are all plain (the common case) is
settled by one regular expression over its joined text, a column of few distinct values
(behaviours) by one check per value, and only the cells that are not plain are checked one
by one, with the same parsers and the same messages as ever. Rows keep plain names and
users as their cells and derive them when asked (`DERIVED`), so a 1,048,576-row wave holds
no copy of them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from operator import attrgetter, eq
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from importer import columns as C
from importer import rules
from importer.gcpause import gc_paused
from importer.limits import EXCEL_MAX_CELL
from importer.model import (
    DERIVED,
    Behavior,
    Level,
    Message,
    RowResult,
    Status,
    UserRow,
    UsersFrom,
    WaveInput,
)
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
    plain_user_pattern,
)
from importer.table import SEP, USER_PARTS, Block

T = TypeVar("T")

# A whole column of plain names, or of plain users cells, joined by SEP: one match settles it.
# The repeats are possessive (*+): no cell is read twice, so the match keeps no backtracking
# state, which for a million cells would cost hundreds of MB.
_NAMES = re.compile(f"(?:{PLAIN_NAME.pattern}{SEP})*+{PLAIN_NAME.pattern}")
_USER = plain_user_pattern()
_USERS_CELL = f"(?:{_USER}(?:[;,] ?{_USER})*+)?"
_USERS_CELL_RE = re.compile(_USERS_CELL)
_USERS = re.compile(f"(?:{_USERS_CELL}{SEP})*+{_USERS_CELL}")


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
    results: list[RowResult] = []
    hashes = []
    counts: list[int] = []
    for block in wave.blocks:
        checked = _BlockCheck(block, default_behavior, collections)
        results.extend(checked.rows)
        counts.extend(checked.user_counts)
        hashes.append(checked.name_hashes())
    orphans, touched = _attach_user_rows(results, wave.user_rows)
    for index in _unbalanced(results, counts, users_from_site, touched):
        result = results[index]
        count = len(result.users) if id(result) in touched else counts[index]
        _check_behavior_users(result, users_from_site, count)
    _check_sheet_rules(results, hashes)
    if any(block.fields.keys() & {C.MAC, C.SMBIOS_GUID} for block in wave.blocks):
        _check_hardware_ids(results)
    for result in compress(results, map(attrgetter("messages"), results)):  # rows with any
        if result.has_errors:
            result.status = Status.INVALID
    return results + orphans


def _take(result: RowResult, parsed: Parsed[T]) -> T | None:
    if parsed.messages:
        result.extend(parsed.messages)
    return parsed.value


class _BlockCheck:
    """The cell checks of one pairs sheet, a column at a time."""

    def __init__(self, block: Block, default_behavior: Behavior, every: Sequence[str]) -> None:
        self.block = block
        count = len(block.rows)
        numbers = (block.rows + 1).tolist()
        self.messages: dict[int, list[Message]] = {}
        skipped = self._overlong()
        self.sources = self._names(C.SOURCE, skipped)
        self.destinations = self._names(C.DESTINATION, skipped)
        behaviors = self._behaviors(default_behavior, skipped)
        users, self.user_counts, from_sheet = self._users(skipped)
        source_ids = self._ids(C.SOURCE_ID, skipped)
        restore_ids = self._ids(C.RESTORE_ID, skipped)
        sheet = block.sheet
        messages: list[Sequence[Message]] = [()] * count
        for i, found in self.messages.items():
            messages[i] = found
        self.rows: list[RowResult] = list(
            map(
                RowResult.of_sheet,
                repeat(sheet),
                numbers,
                repeat(block),
                self.sources,
                self.destinations,
                behaviors,
                users,
                map(_FROM_SHEET.__getitem__, from_sheet),
                messages,
            )
        )
        if source_ids or restore_ids:
            for result, given_source, given_restore in zip(
                self.rows, source_ids or repeat(None), restore_ids or repeat(None), strict=False
            ):
                result.given_source_resource_id = given_source
                result.given_restore_resource_id = given_restore
        if every or block.fields.keys() & {C.MAC, C.SMBIOS_GUID, C.COLLECTION}:
            self._hardware(every)

    # -- columns ------------------------------------------------------------------

    def _overlong(self) -> dict[str, set[int]]:
        """Cells longer than Excel allows are errors, and are not checked further."""
        block = self.block
        skipped: dict[str, set[int]] = {}
        for col, name in enumerate(block.names):
            if col >= block.table.width:
                continue
            lengths = block.table.columns[col].lengths()
            long = np.flatnonzero(lengths[block.rows] > EXCEL_MAX_CELL)
            for i in long.tolist():
                length = int(lengths[block.rows[i]])
                self._add(
                    i,
                    Message(
                        Level.ERROR,
                        f"{length:,} characters, more than a cell can hold ({EXCEL_MAX_CELL:,}): "
                        "check what was pasted here",
                        name,
                    ),
                )
                skipped.setdefault(name, set()).add(i)
        return skipped

    def _add(self, i: int, message: Message) -> None:
        self.messages.setdefault(i, []).append(message)

    def _extend(self, i: int, messages: Sequence[Message]) -> None:
        if messages:
            self.messages.setdefault(i, []).extend(messages)

    def _names(self, fld: str, skipped: dict[str, set[int]]) -> list[Any]:
        """DERIVED for a plain name (read from the cell when asked), else the parsed name."""
        block = self.block
        header = block.columns[fld]
        count = len(block.rows)
        span = block.span(fld)
        if span is not None and _NAMES.fullmatch(span):
            return [DERIVED] * count
        out: list[Any] = [DERIVED] * count
        skip = skipped.get(header, ())
        for i, text in enumerate(block.take(fld)):
            if i in skip:
                out[i] = None
            elif type(text) is not str or not PLAIN_NAME.fullmatch(text):
                parsed = parse_computer_name(text, header)
                self._extend(i, parsed.messages)
                out[i] = parsed.value
        return out

    def _behaviors(self, default: Behavior, skipped: dict[str, set[int]]) -> list[Behavior | None]:
        """Each distinct cell is parsed once (a wave has a handful of them)."""
        block = self.block
        count = len(block.rows)
        if C.BEHAVIOR not in block.fields:
            return [default] * count
        header = block.columns[C.BEHAVIOR]
        skip = skipped.get(header, ())
        cells = block.take(C.BEHAVIOR)
        if set(map(type, cells)) != {str}:  # a Typed cell compares equal to its text: never shared
            return self._each_behavior(cells, default, header, skip)
        known = {t: parse_behavior(t, header) if t.strip() else Parsed(default) for t in set(cells)}
        out: list[Behavior | None] = list(map({t: p.value for t, p in known.items()}.__getitem__, cells))
        wrong = {t for t, parsed in known.items() if parsed.messages}
        if wrong:
            for i in [i for i, t in enumerate(cells) if t in wrong]:
                if i not in skip:
                    self._extend(i, known[cells[i]].messages)
        for i in skip:
            out[i] = default
        return out

    def _each_behavior(
        self, cells: list[str], default: Behavior, header: str, skip: set[int] | tuple[()]
    ) -> list[Behavior | None]:
        known: dict[str, Parsed[Behavior]] = {}
        out: list[Behavior | None] = [default] * len(cells)
        for i, text in enumerate(cells):
            if i in skip:
                continue
            if type(text) is not str:
                parsed = parse_behavior(text, header) if text.strip() else Parsed(default)
            else:
                parsed = known.get(text)  # type: ignore[assignment]
                if parsed is None:
                    parsed = known[text] = parse_behavior(text, header) if text.strip() else Parsed(default)
            self._extend(i, parsed.messages)
            out[i] = parsed.value
        return out

    def _users(self, skipped: dict[str, set[int]]) -> tuple[list[Any], list[int], list[bool]]:
        """Per row: DERIVED, a parsed list, or None (no users); how many; whether the cell had text."""
        block = self.block
        count = len(block.rows)
        if C.USERS not in block.fields:
            return [None] * count, [0] * count, [False] * count
        header = block.columns[C.USERS]
        skip = skipped.get(header, ())
        cells = block.take(C.USERS)
        span = block.span(C.USERS)
        all_plain = span is not None and _USERS.fullmatch(span) is not None
        if all_plain and span is not None:
            has, many = _account_counts(span, count)
            filled = has.tolist()
            values: list[Any] = list(map(_DERIVED_IF.__getitem__, filled))
            counts = many.tolist()
            doubtful = _repeating(cells, counts, np.flatnonzero(many > 1).tolist())
            for i in skip:
                values[i], counts[i], filled[i] = None, 0, False
        else:
            values, counts, filled = [None] * count, [0] * count, [False] * count
            doubtful = []
            for i, text in enumerate(cells):
                if not text or i in skip:
                    continue
                if type(text) is str and _USERS_CELL_RE.fullmatch(text) and _distinct(text):
                    values[i], counts[i], filled[i] = DERIVED, text.count(";") + text.count(",") + 1, True
                elif text.strip():
                    doubtful.append(i)
        for i in doubtful:
            parsed = parse_users([(cells[i], header)])
            self._extend(i, parsed.messages)
            values[i] = parsed.value or ()
            counts[i] = len(parsed.value or ())
            filled[i] = True
        return values, counts, filled

    def _ids(self, fld: str, skipped: dict[str, set[int]]) -> list[int | None] | None:
        block = self.block
        if fld not in block.fields:
            return None
        header = block.columns[fld]
        skip = skipped.get(header, ())
        out: list[int | None] = [None] * len(block.rows)
        for i, text in enumerate(block.take(fld)):
            if i not in skip and text.strip():
                parsed = parse_resource_id(text, header)
                self._extend(i, parsed.messages)
                out[i] = parsed.value
        return out

    def _hardware(self, every: Sequence[str]) -> None:
        """New-hardware columns are rare and per row (as before, an over-long cell here is
        also parsed: its own message says what is wrong with it)."""
        block = self.block
        fields = block.fields
        mac = block.take(C.MAC) if C.MAC in fields else None
        guid = block.take(C.SMBIOS_GUID) if C.SMBIOS_GUID in fields else None
        collection = block.take(C.COLLECTION) if C.COLLECTION in fields else None
        headers = block.columns
        for i, result in enumerate(self.rows):
            if mac is not None and mac[i].strip():
                result.mac = _take(result, parse_mac(mac[i], headers[C.MAC]))
            if guid is not None and guid[i].strip():
                result.smbios_guid = _take(result, parse_smbios_guid(guid[i], headers[C.SMBIOS_GUID]))
            named = list(every)
            if collection is not None and collection[i].strip():
                given: list[str] | None = _take(
                    result, parse_collections(collection[i], headers[C.COLLECTION])
                )
                named += given or []
            result.collections = list(dict.fromkeys(named))

    # -- for the sheet rules ------------------------------------------------------

    def name_hashes(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """hash() of each row's source and destination as ConfigMgr spells them, and which
        rows have both: the sheet rules compare these first, names only where they meet."""
        named = np.ones(len(self.rows), dtype=bool)
        return (
            self._hashes(C.SOURCE, self.sources, named),
            self._hashes(C.DESTINATION, self.destinations, named),
            named,
        )

    def _hashes(self, fld: str, values: list[Any], named: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        count = len(values)
        span = self.block.span(fld)
        if span is not None and values.count(DERIVED) == count:
            return np.fromiter(map(hash, span.upper().split(SEP)), np.int64, count)
        cells = self.block.take(fld)
        out = np.zeros(count, dtype=np.int64)
        for i, value in enumerate(values):
            if value is DERIVED:
                out[i] = hash(cells[i].upper())
            elif value is None:
                named[i] = False
            else:
                out[i] = hash(value)
        return out


_DERIVED_IF = {True: DERIVED, False: None}
_FROM_SHEET = {True: UsersFrom.SHEET, False: None}


def _account_counts(span: str, count: int) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Which of a plain users column's cells hold anything, and how many accounts each: from
    where the separators sit in the column's bytes (plain cells are ASCII), not cell by cell.
    A megabyte of the column at a time, so that a million rows add no large arrays."""
    has: list[npt.NDArray[np.bool_]] = []
    many: list[npt.NDArray[np.int64]] = []
    start = 0
    while True:
        cut = span.find(SEP, start + _COUNT_STEP)  # the piece ends where a cell ends
        piece = span[start:] if cut < 0 else span[start:cut]
        data = np.frombuffer(piece.encode("ascii"), np.uint8)
        ends = np.flatnonzero(data == 0)
        cells = len(ends) + 1
        filled = np.diff(ends, prepend=-1, append=len(data)) > 1
        marks = np.flatnonzero((data == 59) | (data == 44))  # ; and ,
        has.append(filled)
        many.append(np.bincount(np.searchsorted(ends, marks), minlength=cells) + filled)
        if cut < 0:
            break
        start = cut + 1
    out = np.concatenate(many)
    assert len(out) == count
    return np.concatenate(has), out


_COUNT_STEP = 1 << 20


def _repeating(cells: list[str], counts: list[int], many: list[int]) -> list[int]:
    """Indexes of the plain users cells that list an account twice (case aside), among
    `many`, those with more than one: their accounts are hashed at once, and only cells
    where two hashes meet are compared as text."""
    if not many:
        return []
    text = SEP.join([cells[i] for i in many]).lower()  # plain: ASCII, spaces only after , or ;
    parts = text.replace(" ", "").replace(",", ";").replace(SEP, ";").split(";")
    if len(parts) == 2 * len(many):  # two accounts a cell, the usual: compare them directly
        return [i for i, same in zip(many, map(eq, parts[0::2], parts[1::2]), strict=True) if same]
    owner = np.repeat(np.arange(len(many), dtype=np.uint64), [counts[i] for i in many])
    keys = np.fromiter(map(hash, parts), np.int64, len(parts)).view(np.uint64) ^ (owner * _SPREAD)
    order = np.argsort(keys)  # a cell's two equal accounts give equal keys (others rarely do)
    keys = keys[order]
    same = keys[1:] == keys[:-1]
    if not same.any():
        return []
    suspects = sorted(set(owner[order][1:][same].tolist()))
    return [many[k] for k in suspects if not _distinct(cells[many[k]])]


_SPREAD = np.uint64(0x9E3779B97F4A7C15)  # spreads a cell's number over the key's 64 bits


def _distinct(text: str) -> bool:
    """A plain users cell lists each account once (case-insensitively)."""
    if ";" not in text and "," not in text:
        return True
    parts = USER_PARTS.split(text.casefold())
    return len(set(parts)) == len(parts)


def _unbalanced(
    results: list[RowResult], counts: list[int], users_from_site: bool, touched: set[int]
) -> list[int]:
    """Rows whose behaviour and users may disagree: a behaviour that needs users and has none,
    or one that takes every account and has some (and rows the users sheet changed)."""
    need = np.fromiter(map(_NEEDS.__getitem__, map(attrgetter("behavior"), results)), np.int8, len(results))
    given = np.asarray(counts, dtype=np.int64) > 0
    odd = (need == 0) & given  # takes every account, yet some are named
    if not users_from_site:
        odd |= (need == 1) & ~given  # needs accounts, names none
    found = np.flatnonzero(odd).tolist()
    if not touched:
        return found
    changed = [i for i, result in enumerate(results) if id(result) in touched]
    return sorted(set(found).union(changed))


_NEEDS: dict[Behavior | None, int] = {None: -1, **{b: int(b.needs_users) for b in Behavior}}


def _attach_user_rows(results: list[RowResult], user_rows: list[UserRow]) -> tuple[list[RowResult], set[int]]:
    """Merge users given on a separate sheet or file; rows that match no pair are reported.
    Returns the orphans and the ids of the rows whose users changed."""
    if not user_rows:
        return [], set()
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
    return orphans, set(extra)


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


def _check_behavior_users(result: RowResult, users_from_site: bool, count: int) -> None:
    if result.behavior is None:
        return
    if result.behavior.needs_users and not count and users_from_site:
        return  # the site is asked for them after the names are resolved
    if not result.behavior.needs_users and not count:
        return
    if result.behavior.needs_users and count:
        return
    users_column = result.column(C.USERS)
    if any(m.level is Level.ERROR and m.column == users_column for m in result.messages):
        return  # the users cell has its own message already: one is enough
    if result.behavior.needs_users:
        result.add(
            Level.ERROR,
            f"behaviour {result.behavior.label} needs at least one user (DOMAIN\\user): "
            "add users, or use behaviour 0 to capture and restore all accounts",
            result.column(C.USERS),
        )
    else:
        result.add(
            Level.WARNING,
            f"behaviour {result.behavior.label} migrates every account: the "
            f"{count} user(s) listed are not sent",
            result.column(C.USERS),
        )
        result.users = []


def _check_sheet_rules(
    results: list[RowResult],
    hashes: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]],
) -> None:
    """Rows whose pair or computers recur, found by comparing hashes of the names; only those
    rows (and any hash collision, settled by the names) are looked at one by one."""
    if not results:
        return
    sources = np.concatenate([h[0] for h in hashes]) if hashes else np.zeros(0, np.int64)
    destinations = np.concatenate([h[1] for h in hashes]) if hashes else np.zeros(0, np.int64)
    named = np.concatenate([h[2] for h in hashes]) if hashes else np.zeros(0, bool)
    # The users sheet changes users, never names: the hashes taken before it stay true.
    for i in np.flatnonzero(named & (sources == destinations)).tolist():
        result = results[i]
        if result.source == result.destination:
            result.add(
                Level.ERROR,
                f"source and destination are both {result.source}: that is an in-place "
                "association, which ConfigMgr creates itself; give the new computer's name",
                result.column(C.DESTINATION),
            )
    index = np.flatnonzero(named)
    pairs = sources[index] * np.int64(1_000_003) ^ destinations[index]
    suspects = index[_recurring(pairs)]
    names = np.concatenate([sources[index], destinations[index]])
    crowded = _recurring(names)
    suspects = np.union1d(suspects, index[crowded[: len(index)] | crowded[len(index) :]])
    if len(suspects):
        _exact_sheet_rules([results[i] for i in suspects.tolist()])


def _recurring(values: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Which entries occur more than once."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    order = np.argsort(values)
    ordered = values[order]
    same = ordered[1:] == ordered[:-1]
    repeated = np.zeros(len(values), dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    out = np.zeros(len(values), dtype=bool)
    out[order] = repeated
    return out


def _exact_sheet_rules(named: list[RowResult]) -> None:
    """The rules on the rows that may share a pair or a computer, compared by name (these
    rows are in input order)."""
    keys = [(r.source or "", r.destination or "") for r in named]
    groups: dict[tuple[str, str], list[RowResult]] = defaultdict(list)
    for key, result in zip(keys, named, strict=True):
        groups[key].append(result)
    for group in groups.values():
        if len(group) > 1:
            _flag_repeats(group)
    firsts = {key: group[0] for key, group in groups.items()}
    name_count: dict[str, int] = defaultdict(int)
    for source, destination in firsts:
        name_count[source] += 1
        name_count[destination] += 1
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
