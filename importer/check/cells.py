"""The cell checks of one pairs sheet, a column at a time.

A cell of the plain form (a NetBIOS name, DOMAIN\\user accounts, a behaviour digit) is settled
by its column's regular expression, run by Arrow's string kernels; the others go through the
parsers one by one, which give the messages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from importer import messages as M
from importer.check.checked import Checked
from importer.check.names import PLAIN_NAME_FORM, Parsed, parse_computer_name, parse_users, plain_user_pattern
from importer.check.values import (
    parse_behavior,
    parse_collections,
    parse_mac,
    parse_resource_id,
    parse_smbios_guid,
)
from importer.limits import EXCEL_MAX_CELL
from importer.model import (
    Behavior,
    Level,
    Message,
    Part,
    Typed,
    WaveInput,
)
from importer.model import fields as C

# The plain forms, in the regular-expression dialect Arrow's string kernels run (RE2: no
# look-ahead): a name of the plain shape (plain when it holds a letter); a users cell of plain
# DOMAIN\user accounts separated by ; or , (and at most one space).
_USER = plain_user_pattern()
_PLAIN_USERS = f"{_USER}(?:[;,] ?{_USER})*"
_USER_SEPARATOR = r"[;,] ?"
_LOWER_DOMAIN = r"(?:^|[;,] ?)[^\\;,]*[a-z][^\\;,]*\\"  # a domain with a small letter


class PartCheck:
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
                            code=M.CELL_TOO_LONG,
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
        plain = cells.str.fullmatch(PLAIN_NAME_FORM) & cells.str.contains("[A-Za-z]")
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
            self.checked.defaulted += self.count
            return np.full(self.count, int(default), dtype=np.int8)
        header, cells = found
        texts: list[str] = cells.tolist()
        typed = self.typed.get(header, {})
        known = {t: _behavior(t, header, default) for t in set(texts)}
        blank = {t for t in known if not t.strip()}
        if blank:
            self.checked.defaulted += sum(1 for i, t in enumerate(texts) if t in blank and i not in typed)
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
    flat = pc.list_flatten(accounts).cast(pa.large_string())
    codes, _ = pd.factorize(pd.Series(pd.arrays.ArrowStringArray(flat)))  # type: ignore[arg-type]
    keys = np.sort(rows.astype(np.int64) * (int(codes.max()) + 2) + codes)
    twins = keys[1:][keys[1:] == keys[:-1]]
    return sorted(set((twins // (int(codes.max()) + 2)).tolist()))


def _behavior(text: str, header: str, default: Behavior) -> Parsed[Behavior]:
    return parse_behavior(text, header) if text.strip() else Parsed(default)
