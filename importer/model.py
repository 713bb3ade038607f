"""Plain data shared by the stages: input rows, messages, statuses and row results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from importer.columns import FIELD_TITLES
from importer.status import Status

if TYPE_CHECKING:  # pandas is imported where a frame is made, not by every command's start
    import pandas as pd

__all__ = [
    "Behavior",
    "Cell",
    "Hardware",
    "InputRow",
    "Level",
    "Message",
    "Part",
    "RowResult",
    "Status",
    "StoreState",
    "Tag",
    "Typed",
    "UserRow",
    "UsersFrom",
    "WaveInput",
]


class Typed(str):
    """The text of a cell that held a typed value rather than text: `kind` says which
    ("number", "boolean", "error", "formula"), so a check can say "12.5 is a number" instead
    of judging it as a name. Compares and serialises as its text."""

    kind: str

    def __new__(cls, text: str, kind: str) -> Typed:
        obj = super().__new__(cls, text)
        obj.kind = kind
        return obj

    def __reduce__(self) -> tuple[type[Typed], tuple[str, str]]:
        return (Typed, (str(self), self.kind))


class UsersFrom(StrEnum):
    SHEET = "sheet"
    USERS_SHEET = "users sheet"
    PRIMARY = "primary user"
    LAST_LOGON = "last logon"


class Hardware(StrEnum):
    """The destination computer's record on the site."""

    KNOWN = "already known"
    IMPORT = "to import"  # planned: not on the site, MAC or GUID given
    IMPORTED = "imported by this run"
    NOT_IMPORTED = "not imported"


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class Tag(StrEnum):
    """What a message is about, for code that must recognise it (never by its wording)."""

    ALREADY_ON_SITE = "already-on-site"
    IMPORT_CONFLICT = "import-conflict"  # another record holds the new computer's MAC or GUID
    NOT_ON_SITE = "not-on-site"


@dataclass(frozen=True)
class Message:
    level: Level
    text: str
    column: str | None = None
    tag: Tag | None = None

    def render(self) -> str:
        where = f"{self.column}: " if self.column else ""
        return f"{self.level.value.upper()} {where}{self.text}"

    def as_dict(self) -> dict[str, str | None]:
        return {"level": self.level.value, "column": self.column, "text": self.text}


class Behavior(IntEnum):
    """SMS_StateMigration.MigrationBehavior."""

    CAPTURE_AND_RESTORE_ALL = 0
    CAPTURE_ALL_RESTORE_SPECIFIED = 1
    CAPTURE_AND_RESTORE_SPECIFIED = 2

    @classmethod
    def of(cls, value: int | None) -> Behavior | None:
        """The behaviour a site or a journal holds; None when it is none of the three."""
        return cls(value) if value in (0, 1, 2) else None

    @property
    def needs_users(self) -> bool:
        return self is not Behavior.CAPTURE_AND_RESTORE_ALL

    @property
    def cmdlet_name(self) -> str:
        return _CMDLET_NAMES[self]

    @property
    def label(self) -> str:
        return f"{self.value} ({_CONSOLE_LABELS[self]})"


_CMDLET_NAMES = {
    Behavior.CAPTURE_AND_RESTORE_ALL: "CaptureAndRestoreAllUserAccounts",
    Behavior.CAPTURE_ALL_RESTORE_SPECIFIED: "CaptureAllUserAccountsAndRestoreSpecifiedAccounts",
    Behavior.CAPTURE_AND_RESTORE_SPECIFIED: "CaptureAndRestoreSpecifiedUserAccounts",
}
_CONSOLE_LABELS = {
    Behavior.CAPTURE_AND_RESTORE_ALL: "capture and restore all user accounts",
    Behavior.CAPTURE_ALL_RESTORE_SPECIFIED: ("capture all user accounts and restore specified accounts"),
    Behavior.CAPTURE_AND_RESTORE_SPECIFIED: "capture and restore specified user accounts",
}


@dataclass(frozen=True)
class Cell:
    """Where a value came from, so every message can point at it."""

    sheet: str
    row: int
    column: str  # the header as the user wrote it
    text: str


@dataclass(frozen=True, slots=True)
class InputRow:
    """One data row of a pairs sheet, every cell as the user typed it."""

    sheet: str
    row: int
    values: dict[str, str]  # original header -> text, all columns including unknown ones
    columns: Mapping[str, str]  # canonical field -> its header; one mapping shared by a sheet's rows


@dataclass(frozen=True)
class UserRow:
    """One row of a separate users sheet or file: a source computer and one or more users."""

    sheet: str
    row: int
    source: Cell
    users: Cell
    destination: Cell | None = None
    values: dict[str, str] = field(default_factory=dict)  # every cell of the row, by header


@dataclass
class Part:
    """The rows of one pairs sheet in the wave's frame, and what its columns mean."""

    sheet: str
    start: int  # first position in the wave's frame
    stop: int
    fields: dict[str, str]  # canonical field -> the user's header
    headers: list[str]  # the sheet's own headers, made unique


@dataclass
class WaveInput:
    """The wave as read: one frame row per pair row, its sheet and row number as the index."""

    path: str
    sha256: str
    frame: pd.DataFrame | None  # columns: the headers; string[pyarrow]; NA where a sheet lacks one
    user_rows: list[UserRow]
    columns: list[str]  # original headers of the pairs sheets, first-seen order
    notes: list[str] = field(default_factory=list)  # sheets skipped and similar
    parts: list[Part] = field(default_factory=list)
    typed: dict[tuple[int, str], Typed] = field(default_factory=dict)  # (position, header) -> cell

    @property
    def row_count(self) -> int:
        return 0 if self.frame is None else len(self.frame)

    def field(self, name: str) -> pd.Series:
        """The cells of a canonical field on every row, by position ("" where a sheet lacks it)."""
        import pandas as pd

        assert self.frame is not None
        headers = {part.fields.get(name) for part in self.parts}
        if len(headers) == 1 and None not in headers:
            return self.frame[headers.pop()].reset_index(drop=True)
        pieces = []
        for part in self.parts:
            header = part.fields.get(name)
            if header is None:
                pieces.append(pd.Series([""] * (part.stop - part.start), dtype="string[pyarrow]"))
            else:
                pieces.append(self.frame[header].iloc[part.start : part.stop])
        if not pieces:
            return pd.Series([], dtype="string[pyarrow]")
        return pd.concat(pieces, ignore_index=True)

    def cell(self, position: int, header: str) -> str:
        """One cell as typed (a `Typed` one as such)."""
        typed = self.typed.get((position, header)) if self.typed else None
        if typed is not None:
            return typed
        assert self.frame is not None
        value = self.frame[header].iat[position]
        return "" if value is None or value is _na() else str(value)

    def part_of(self, position: int) -> Part:
        for part in self.parts:
            if part.start <= position < part.stop:
                return part
        raise IndexError(position)

    def cells(self, positions: Sequence[int], names: Sequence[str]) -> list[list[str | None]]:
        """The cells at frame `positions` under `names`, column by column; None where the row's
        sheet has no such column."""
        if self.frame is None or not len(positions):
            return [[None] * len(positions) for _ in names]
        picked = self.frame.iloc[list(positions)]
        out: list[list[str | None]] = []
        for name in names:
            if name not in picked.columns:
                out.append([None] * len(positions))
                continue
            column: list[str | None] = picked[name].tolist()
            out.append([None if v is _na() else v for v in column])
        return out

    @property
    def rows(self) -> list[InputRow]:
        """Every pair row as its own object: for small waves and tests; stages read `frame`."""
        out = []
        for part in self.parts:
            headers = part.headers
            columns = self.cells(range(part.start, part.stop), headers)
            for i, position in enumerate(range(part.start, part.stop)):
                values = {h: self.cell(position, h) if (position, h) in self.typed else (c[i] or "")
                          for h, c in zip(headers, columns, strict=True)}
                out.append(InputRow(part.sheet, self.row_number(position), values, part.fields))
        return out

    def row_number(self, position: int) -> int:
        assert self.frame is not None
        return int(self.frame.index[position][1])


def _na() -> object:
    import pandas as pd

    return pd.NA


@dataclass(frozen=True)
class StoreState:
    """Where an association's user state is, as the site says (`cmassoc status`)."""

    migration_status: str  # not started, in progress, completed
    migration_type: str  # side by side, in place
    captured: dt.datetime | None = None  # StoreCreationDate
    restored: dt.datetime | None = None  # StoreReleaseDate
    deleted: dt.datetime | None = None  # StoreDeletionDate
    store_path: str = ""


class RowResult:
    """One input row travelling through the pipeline; each stage fills in its part.

    A row of a pairs sheet keeps its cells in the wave's frame (`index`, its position there);
    a row from elsewhere (a users-sheet row, a journal) holds its own `values`."""

    __slots__ = (
        "_values",
        "behavior",
        "collections",
        "destination",
        "given_restore_resource_id",
        "given_source_resource_id",
        "hardware",
        "headers",
        "index",
        "joined",
        "mac",
        "membership",
        "messages",
        "replaces",
        "restore_resource_id",
        "row",
        "seq",
        "sheet",
        "smbios_guid",
        "source",
        "source_resource_id",
        "status",
        "store",
        "users",
        "users_from",
    )

    def __init__(
        self,
        sheet: str,
        row: int,
        values: dict[str, str] | None = None,
        source: str | None = None,
        destination: str | None = None,
        behavior: Behavior | None = None,
        users: Sequence[str] = (),
        source_resource_id: int | None = None,
        restore_resource_id: int | None = None,
        given_source_resource_id: int | None = None,  # from a ResourceID column: verified
        given_restore_resource_id: int | None = None,
        status: Status | None = None,
        messages: Sequence[Message] = (),
        mac: str | None = None,  # new hardware: the destination's MAC and GUID, to import it
        smbios_guid: str | None = None,
        collections: Sequence[str] = (),  # IDs or names as given; IDs once planned
        users_from: UsersFrom | None = None,  # where the users came from
        hardware: Hardware | None = None,  # the new computer: known, to import, imported...
        membership: Sequence[str] = (),  # per collection: what happened
        joined: Sequence[str] = (),  # CollectionIDs this run added a direct rule to
        store: StoreState | None = None,  # `cmassoc status`: what the site says of the user state
        replaces: tuple[int, tuple[str, ...]] | None = None,  # --update: the version on the site now
        headers: Mapping[str, str] | None = None,  # field -> the user's own header
        index: int = -1,  # the row's position in the wave's frame, -1 when it holds its own values
    ) -> None:
        self.sheet = sheet
        self.row = row
        self._values = values
        self.source = source
        self.destination = destination
        self.behavior = behavior
        # The lists most rows leave empty share one empty tuple: a million rows, no million lists.
        self.users: list[str] = list(users)
        self.source_resource_id = source_resource_id
        self.restore_resource_id = restore_resource_id
        self.given_source_resource_id = given_source_resource_id
        self.given_restore_resource_id = given_restore_resource_id
        self.status = status
        self.messages: Sequence[Message] = list(messages) if messages else _EMPTY
        self.mac = mac
        self.smbios_guid = smbios_guid
        self.collections: Sequence[str] = list(collections) if collections else _EMPTY
        self.users_from = users_from
        self.hardware = hardware
        self.membership: Sequence[str] = list(membership) if membership else _EMPTY
        self.joined: Sequence[str] = list(joined) if joined else _EMPTY
        self.store = store
        self.replaces = replaces
        self.headers: Mapping[str, str] = headers if headers is not None else _NO_HEADERS
        self.index = index
        self.seq = -1  # the row's place in its run's journal (set when the run attaches it)

    @classmethod
    def of_sheet(
        cls,
        sheet: str,
        row: int,
        index: int,
        headers: Mapping[str, str],
        source: str | None,
        destination: str | None,
        behavior: Behavior | None,
        users: list[str] | None,
        messages: list[Message] | None,
    ) -> RowResult:
        """A checked row of a pairs sheet, as validation makes them by the hundred thousand:
        every slot set at once, without __init__'s keywords (half the cost)."""
        self = _new_row(cls)
        self.sheet, self.row, self.index, self.headers = sheet, row, index, headers
        self.source, self.destination, self.behavior = source, destination, behavior
        self.users = users if users is not None else []
        self.users_from = UsersFrom.SHEET if users is not None else None
        self.messages = messages or _EMPTY
        self._values = self.status = self.store = self.replaces = self.hardware = None
        self.source_resource_id = self.restore_resource_id = None
        self.given_source_resource_id = self.given_restore_resource_id = None
        self.mac = self.smbios_guid = None
        self.collections = self.membership = self.joined = _EMPTY
        self.seq = -1
        return self

    def __repr__(self) -> str:
        return f"RowResult({self.where}, {self.source} -> {self.destination}, {self.status})"

    @property
    def values(self) -> dict[str, str]:
        """The cells a row holds itself (a pairs sheet's row: none; see `carried_cells`)."""
        return self._values if self._values is not None else {}

    def column(self, name: str) -> str:
        """The user's header for a field (messages name it as the user wrote it)."""
        return self.headers.get(name) or FIELD_TITLES[name]

    @property
    def where(self) -> str:
        return f"{self.sheet} row {self.row}"

    @property
    def is_open(self) -> bool:
        """Still on its way: no stage has given it a final bad status."""
        return self.status is None or self.status in (Status.PLANNED, Status.VALID)

    def add(self, level: Level, text: str, column: str | None = None, tag: Tag | None = None) -> None:
        self.extend((Message(level, text, column, tag),))

    def extend(self, messages: Sequence[Message]) -> None:
        if messages:
            self.messages = [*self.messages, *messages]

    def fail(self, status: Status, text: str, column: str | None = None) -> None:
        self.status = status
        self.add(Level.ERROR, text, column)

    @property
    def has_errors(self) -> bool:
        return any(m.level is Level.ERROR for m in self.messages)


def carried_cells(wave: WaveInput, rows: Sequence[RowResult], names: Sequence[str]) -> list[list[str | None]]:
    """The cells of `rows` under the user's headers `names`, column by column (None where a
    row's sheet has no such column): what a report carries over from the input."""
    out: list[list[str | None]] = [[None] * len(rows) for _ in names]
    framed = [i for i, r in enumerate(rows) if r.index >= 0]
    if framed:
        picked = wave.cells([rows[i].index for i in framed], names)
        for column, cells in zip(out, picked, strict=True):
            for i, cell in zip(framed, cells, strict=True):
                column[i] = cell
        if wave.typed:  # a typed cell reads as the text it showed
            for n, name in enumerate(names):
                for i in framed:
                    typed = wave.typed.get((rows[i].index, name))
                    if typed is not None:
                        out[n][i] = str(typed)
    if len(framed) < len(rows):
        for i, row in enumerate(rows):
            if row.index < 0:
                values = row.values
                for column, name in zip(out, names, strict=True):
                    column[i] = values.get(name)
    return out


def carried_values(wave: WaveInput, rows: Sequence[RowResult], chunk: int = 8192) -> Iterator[dict[str, str]]:
    """Each row's own cells by header, as the journal keeps them (a chunk of rows at a time)."""
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        names = wave.columns
        columns = carried_cells(wave, part, names)
        for i, row in enumerate(part):
            if row.index < 0:
                yield row.values
            else:
                yield {n: c[i] or "" for n, c in zip(names, columns, strict=True) if c[i] is not None}


def carried_columns(wave: WaveInput, rows: Sequence[RowResult]) -> list[str]:
    """The pairs sheets' headers, then any header only a users-sheet row has."""
    columns = list(wave.columns)
    seen = set(columns)
    for row in rows:
        if row.index >= 0:
            continue  # a pairs sheet's own columns: in wave.columns already
        for name in row.values:
            if name not in seen:
                seen.add(name)
                columns.append(name)
    return columns


_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_EMPTY: Any = ()
_new_row = object.__new__
SOURCE_FIELD, DESTINATION_FIELD = "source", "destination"
