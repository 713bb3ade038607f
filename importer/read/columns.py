"""The columns a pairs sheet has but the header does not read, judged by their header and values.

A column that looks like migration behaviours or user accounts stops the job before anything is
sent (the rows would silently take the default behaviour, or lose users), naming the column
and the two ways on: read it with --map, or say it is something else with --ignore-column.
Columns the tool knows (SMS_StateMigration's own properties, the console's, our export's and
reports') are carried without a word; every other column with values is named in one notice.

Each column is judged with Arrow's string kernels on the whole column (a handful of passes),
so the check costs little beside the read even on a 100,000-row wave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from importer import messages
from importer.check.values import says_behavior_in_words
from importer.errors import InputError
from importer.messages import Code
from importer.model import fields as C
from importer.model.fields import column_letter
from importer.read import aliases

# DOMAIN\user and user@domain.tld, one or several to a cell (as a Users column holds them).
_DOMAIN_USER = r"[A-Za-z0-9][A-Za-z0-9.-]{0,14}\\[^\\/:*?\"<>|;,\s][^\\/:*?\"<>|;,\r\n]*"
_UPN = r"[^@\s;,\\/]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"


def _list_of(one: str) -> str:
    return rf"^{one}(?:\s*[;,\r\n]\s*{one})*$"


_WORDS = {C.BEHAVIOR: "behaviour", C.USERS: "users"}
_DISTINCT_LIMIT = 32  # a behaviour column holds a handful of distinct cells; a name column many


@dataclass(frozen=True)
class Column:
    """One unread column of one sheet, and what its filled cells hold."""

    where: str  # the sheet, as messages name it
    index: int
    header: str
    filled: int  # cells that are not blank
    distinct: tuple[str, ...] = ()  # its distinct cells, when there are few
    domain_users: int = 0  # cells of DOMAIN\user accounts
    upns: int = 0  # cells of user@domain accounts
    example: str = ""  # the first filled cell

    @property
    def name(self) -> str:
        return f"column {column_letter(self.index)} '{self.header}'"

    @property
    def digits(self) -> bool:
        return bool(self.distinct) and set(self.distinct) <= {"0", "1", "2"}

    @property
    def behavior_words(self) -> bool:
        """Every cell 0, 1, 2 or a behaviour in words (an ambiguous one too), one at least in words."""
        words = [says_behavior_in_words(t) for t in self.distinct]
        return any(words) and all(
            w or t in ("0", "1", "2") for w, t in zip(words, self.distinct, strict=True)
        )


class UnreadColumnsError(InputError):
    """Columns that look meaningful and are not read: the job stops before anything is sent.
    `columns` holds each one's header and the field --map would read it as."""

    def __init__(self, text: str, hint: str, code: Code, columns: list[tuple[str, str]]) -> None:
        super().__init__(text, hint, code=code)
        self.columns = columns


def survey(where: str, headers: Sequence[str], indexes: Sequence[int], piece: pd.DataFrame) -> list[Column]:
    """The unread columns `indexes` of one sheet's rows `piece` (headers as made unique), with
    what their cells hold; empty columns are left out."""
    out = []
    for index in indexes:
        header = headers[index]
        if index >= piece.shape[1]:
            continue
        arrow = pa.chunked_array([pa.array(piece.iloc[:, index].array)])
        text = pc.utf8_trim_whitespace(arrow)
        values = pc.filter(text, pc.greater(pc.utf8_length(text), pa.scalar(0)))  # nulls dropped
        filled = len(values)
        if not filled:
            continue
        few: tuple[str, ...] = ()
        if pc.count_distinct(values).as_py() <= _DISTINCT_LIMIT:
            few = tuple(sorted(str(v) for v in pc.unique(values).to_pylist()))
        out.append(
            Column(
                where,
                index,
                header,
                filled,
                few,
                _count(values, _list_of(_DOMAIN_USER)),
                _count(values, _list_of(_UPN)),
                str(values[0].as_py()),
            )
        )
    return out


def _count(values: pa.ChunkedArray[Any], pattern: str) -> int:
    return len(pc.filter(values, pc.match_substring_regex(values, pattern)))


def judge(column: Column, reads_behavior: bool, reads_users: bool) -> tuple[Code, str] | None:
    """Whether one unread column stops the wave (its code and the field to --map), None if not.
    A column known to be carried never stops; a column of 0 to 2 stops when no behaviour
    column is read (every row would take the default) or its header is about behaviours."""
    key = aliases.squash(column.header)
    if key == aliases.MIGRATION_TYPE:
        stops = column.digits and not reads_behavior
        return (messages.MIGRATION_TYPE_COLUMN, C.BEHAVIOR) if stops else None
    if key in aliases.KNOWN_COLUMNS:
        return None
    about_behavior = any(w in key for w in aliases.BEHAVIOR_WORDS)
    about_users = any(w in key for w in aliases.USERS_WORDS)
    if (
        column.behavior_words
        or (column.digits and (about_behavior or not reads_behavior))
        or (about_behavior and not reads_behavior)
    ):
        return messages.UNREAD_BEHAVIOR_COLUMN, C.BEHAVIOR
    accounts = column.domain_users * 2 >= column.filled or (
        column.upns * 2 >= column.filled and (about_users or not reads_users)
    )
    if accounts or (about_users and not reads_users):
        return messages.UNREAD_USERS_COLUMN, C.USERS
    return None


def is_listed(column: Column) -> bool:
    """A column neither known nor stopping is named in the notice."""
    key = aliases.squash(column.header)
    return key not in aliases.KNOWN_COLUMNS and key != aliases.MIGRATION_TYPE


def _holds(column: Column) -> str:
    if len(column.distinct) == 1:
        return f"holds '{column.distinct[0][:40]}' on every filled row ({column.filled:,})"
    if column.distinct and len(column.distinct) <= 4:
        shown = " and ".join(", ".join(f"'{v[:40]}'" for v in column.distinct).rsplit(", ", 1))
        return f"holds {shown} ({column.filled:,} filled rows)"
    return f"holds '{column.example[:40]}' and more ({column.filled:,} filled rows)"


def stop_text(column: Column, code: Code) -> str:
    """One column's part of the stop: what it holds, why that matters."""
    if code is messages.MIGRATION_TYPE_COLUMN:
        return (
            f"{column.where} {column.name} {_holds(column)} but is not read, and the sheet has no behaviour "
            "column: SMS_StateMigration.MigrationType is how the site stored the user state (1 side-by-side, "
            "2 in-place), set by ConfigMgr; the migration behaviour is 0 capture and restore all user "
            "accounts, 1 capture all and restore specified accounts, 2 capture and restore specified "
            "accounts (default 2 for every row)"
        )
    if code is messages.UNREAD_BEHAVIOR_COLUMN:
        return (
            f"{column.where} {column.name} {_holds(column)} and looks like the migration behaviour, but is "
            "not read: every row would take the default behaviour instead"
        )
    return (
        f"{column.where} {column.name} {_holds(column)} and looks like user accounts, but is not read: "
        "those users would not be migrated"
    )


def refuse(stops: list[tuple[Column, Code, str]]) -> UnreadColumnsError:
    """One error for every column that stops the wave, each with its two ways on."""
    ways = []
    for column, code, fld in stops:
        read = f'--map {C.FIELD_TITLES[fld]}="{column.header}"'
        leave = f'--ignore-column "{column.header}"'
        if code is messages.MIGRATION_TYPE_COLUMN:
            ways.append(
                f"if '{column.header}' is the behaviour, {read}; if it is the site's migration type, {leave}"
            )
        else:
            ways.append(
                f"read '{column.header}' as the {_WORDS[fld]}: {read}; or, if it is something else, "
                f"leave it out: {leave}"
            )
    text = "; also ".join(stop_text(c, code) for c, code, _ in stops) + ". Nothing was done."
    hint = "To go on, " + "; and ".join(ways) + "."
    columns = [(c.header, C.FIELD_TITLES[f]) for c, _, f in stops]
    return UnreadColumnsError(text, hint, stops[0][1], columns)


def notice_text(listed: list[tuple[Column, bool]]) -> str:
    """The one notice naming every other unread column with values."""
    parts = [f"{c.where} {c.name}{' (--ignore-column)' if ignored else ''}" for c, ignored in listed]
    return (
        f"{len(parts)} column{'s' if len(parts) > 1 else ''} not read, carried into the report as "
        f"{'they are' if len(parts) > 1 else 'it is'}: " + ", ".join(parts)
    )


__all__ = ["Column", "UnreadColumnsError", "is_listed", "judge", "notice_text", "refuse", "survey"]
