"""Plain data shared by the stages: input rows, messages, statuses and row results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from itertools import compress, groupby, repeat
from operator import attrgetter, is_
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

from importer.columns import FIELD_TITLES
from importer.status import Status

if TYPE_CHECKING:
    from importer.table import Block

V = TypeVar("V")

__all__ = [
    "Behavior",
    "Cell",
    "Hardware",
    "InputRow",
    "Level",
    "Message",
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
class WaveInput:
    path: str
    sha256: str
    blocks: list[Block]  # the pairs sheets' data rows, held column by column
    user_rows: list[UserRow]
    columns: list[str]  # original headers of the pairs sheets, first-seen order
    notes: list[str] = field(default_factory=list)  # sheets skipped and similar

    @property
    def row_count(self) -> int:
        return sum(len(b.rows) for b in self.blocks)

    @property
    def rows(self) -> list[InputRow]:
        """Every pair row as its own object: for small waves and tests; stages read `blocks`."""
        return [
            InputRow(block.sheet, index + 1, block.values(index + 1), block.columns)
            for block in self.blocks
            for index in block.rows.tolist()
        ]


@dataclass(frozen=True)
class StoreState:
    """Where an association's user state is, as the site says (`cmassoc status`)."""

    migration_status: str  # not started, in progress, completed
    migration_type: str  # side by side, in place
    captured: dt.datetime | None = None  # StoreCreationDate
    restored: dt.datetime | None = None  # StoreReleaseDate
    deleted: dt.datetime | None = None  # StoreDeletionDate
    store_path: str = ""


class _Derived:
    """Marks a RowResult attribute that is read from the row's cells when asked for."""

    __slots__ = ()


DERIVED: Any = _Derived()


class RowSource(Protocol):
    """Where a row's cells live (a sheet held column by column) and what its plain cells mean."""

    columns: Mapping[str, str]  # field -> the user's header
    names: list[str]  # every column's header

    def values(self, row: int) -> dict[str, str]: ...
    def pick(self, row: int, names: Sequence[str]) -> list[str | None]: ...
    def cell(self, field: str, row: int) -> str: ...
    def name(self, field: str, row: int) -> str | None: ...
    def users(self, row: int) -> list[str]: ...
    def pick_rows(self, rows: Sequence[int], names: Sequence[str]) -> list[list[str | None]]: ...
    def names_of(self, field: str, rows: Sequence[int]) -> list[str]: ...
    def users_lines(self, rows: Sequence[int]) -> list[str]: ...


class _Rare(Generic[V]):
    """An attribute most rows never set: kept in the row's `_more` dict, created on first set."""

    def __init__(self, default: V, listed: bool = False) -> None:
        self.default = default
        self.listed = listed  # a list: stored as a list, empty means not stored
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, row: None, owner: type) -> _Rare[V]: ...
    @overload
    def __get__(self, row: RowResult, owner: type) -> V: ...
    def __get__(self, row: RowResult | None, owner: type) -> V | _Rare[V]:
        if row is None:
            return self
        more = row._more
        if more is None:
            return self.default
        value: V = more.get(self.name, self.default)
        return value

    def __set__(self, row: RowResult, value: V) -> None:
        stored: Any = value
        if self.listed:
            stored = list(value) if value else None  # type: ignore[call-overload]
        more = row._more
        if stored is None or stored is self.default:
            if more is not None:
                more.pop(self.name, None)
            return
        if more is None:
            row._more = more = {}
        more[self.name] = stored


class RowResult:
    """One input row travelling through the pipeline; each stage fills in its part.

    A row of a 1,048,576-row sheet must stay small: its cells stay in the sheet's column
    store (`block`), read when asked for, and its computer names and users are derived from
    those cells until a stage sets them. What few rows have (new hardware, collections, the
    site's user state...) lives in a dict created for the rows that have it."""

    __slots__ = (
        "_destination",
        "_messages",
        "_more",
        "_source",
        "_users",
        "_values",
        "behavior",
        "block",
        "restore_resource_id",
        "row",
        "seq",
        "sheet",
        "source_resource_id",
        "status",
        "users_from",
    )

    given_source_resource_id = _Rare[int | None](None)  # from a ResourceID column: verified
    given_restore_resource_id = _Rare[int | None](None)
    mac = _Rare[str | None](None)  # new hardware: the destination's MAC and GUID, to import it
    smbios_guid = _Rare[str | None](None)
    collections = _Rare[Sequence[str]]((), listed=True)  # IDs or names as given; IDs once planned
    hardware = _Rare[Hardware | None](None)  # the new computer: known, to import, imported...
    membership = _Rare[Sequence[str]]((), listed=True)  # per collection: what happened
    joined = _Rare[Sequence[str]]((), listed=True)  # CollectionIDs this run added a direct rule to
    store = _Rare[StoreState | None](None)  # `cmassoc status`: what the site says of the user state
    replaces = _Rare[tuple[int, tuple[str, ...]] | None](None)  # --update: the version on the site now

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
        given_source_resource_id: int | None = None,
        given_restore_resource_id: int | None = None,
        status: Status | None = None,
        messages: Sequence[Message] = (),
        mac: str | None = None,
        smbios_guid: str | None = None,
        collections: Sequence[str] = (),
        users_from: UsersFrom | None = None,  # where the users came from
        hardware: Hardware | None = None,
        membership: Sequence[str] = (),
        joined: Sequence[str] = (),
        store: StoreState | None = None,
        replaces: tuple[int, tuple[str, ...]] | None = None,
        headers: Mapping[str, str] | None = None,  # field -> the user's own header
        block: RowSource | None = None,  # the sheet's cells, when `values` is not given
    ) -> None:
        self.sheet = sheet
        self.row = row
        self._values = values
        self.block = block
        self._source = source
        self._destination = destination
        self.behavior = behavior
        self._users = users if users is DERIVED else (list(users) if users else _NONE)
        self.source_resource_id = source_resource_id
        self.restore_resource_id = restore_resource_id
        self.status = status
        self._messages = list(messages) if messages else _NONE
        self.users_from = users_from
        self._more: dict[str, Any] | None = None
        self.seq = -1  # the row's place in its run's journal (set when the run attaches it)
        if (
            given_source_resource_id is not None
            or given_restore_resource_id is not None
            or mac is not None
            or smbios_guid is not None
            or collections
            or hardware is not None
            or membership
            or joined
            or store is not None
            or replaces is not None
            or (headers and (block is None or headers is not block.columns))
        ):
            self.given_source_resource_id = given_source_resource_id
            self.given_restore_resource_id = given_restore_resource_id
            self.mac = mac
            self.smbios_guid = smbios_guid
            self.collections = collections
            self.hardware = hardware
            self.membership = membership
            self.joined = joined
            self.store = store
            self.replaces = replaces
            if headers and (block is None or headers is not block.columns):
                self._more = {**(self._more or {}), "headers": headers}

    @classmethod
    def of_sheet(
        cls,
        sheet: str,
        row: int,
        block: RowSource,
        source: str | None,
        destination: str | None,
        behavior: Behavior | None,
        users: Sequence[str] | None,
        users_from: UsersFrom | None,
        messages: Sequence[Message],
    ) -> RowResult:
        """A checked row of a pairs sheet, as validation makes a million of them: every slot
        set at once, without __init__'s general case (a third of the cost). `source`,
        `destination` and `users` may be DERIVED; `messages` is a list or ()."""
        result = _new_row(cls)
        result.sheet = sheet
        result.row = row
        result._values = None
        result.block = block
        result._source = source
        result._destination = destination
        result.behavior = behavior
        result._users = users if users is DERIVED else (list(users) if users else _NONE)
        result.source_resource_id = None
        result.restore_resource_id = None
        result.status = None
        result._messages = messages if messages else _NONE
        result.users_from = users_from
        result._more = None
        result.seq = -1
        return result

    def __repr__(self) -> str:
        return f"RowResult({self.where}, {self.source} -> {self.destination}, {self.status})"

    @property
    def extras(self) -> Mapping[str, Any]:
        """What few rows have (new hardware, collections, store state...), by attribute name:
        one read for a reporter instead of one per attribute."""
        return self._more if self._more is not None else _NO_HEADERS

    @property
    def headers(self) -> Mapping[str, str]:
        """Field -> the user's own header (a pairs sheet's rows share their sheet's)."""
        more = self._more
        if more is not None and "headers" in more:
            headers: Mapping[str, str] = more["headers"]
            return headers
        return self.block.columns if self.block is not None else _NO_HEADERS

    @property
    def values(self) -> dict[str, str]:
        """Every cell of the row as the user typed it, by header."""
        if self._values is not None:
            return self._values
        return self.block.values(self.row) if self.block is not None else {}

    def cells(self, names: Sequence[str]) -> list[str | None]:
        """The row's cells under `names`, None where it has no such column."""
        if self._values is None and self.block is not None:
            return self.block.pick(self.row, names)
        values = self.values
        return [values.get(name) for name in names]

    @property
    def source(self) -> str | None:
        value = self._source
        return self.block.name(SOURCE_FIELD, self.row) if value is DERIVED and self.block else value

    @source.setter
    def source(self, value: str | None) -> None:
        self._source = value

    @property
    def destination(self) -> str | None:
        value = self._destination
        return self.block.name(DESTINATION_FIELD, self.row) if value is DERIVED and self.block else value

    @destination.setter
    def destination(self, value: str | None) -> None:
        self._destination = value

    @property
    def users(self) -> list[str]:
        value = self._users
        if value is DERIVED and self.block is not None:
            return self.block.users(self.row)
        return value if value is not _NONE else []

    @users.setter
    def users(self, value: Sequence[str]) -> None:
        self._users = list(value) if value else _NONE

    @property
    def messages(self) -> Sequence[Message]:
        return self._messages

    @messages.setter
    def messages(self, value: Sequence[Message]) -> None:
        self._messages = list(value) if value else _NONE

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
            if self._messages is _NONE:
                self._messages = []
            self._messages.extend(messages)

    def fail(self, status: Status, text: str, column: str | None = None) -> None:
        self.status = status
        self.add(Level.ERROR, text, column)

    @property
    def has_errors(self) -> bool:
        return any(m.level is Level.ERROR for m in self._messages)


def _block_runs(rows: Sequence[RowResult]) -> Iterator[tuple[int, int, RowSource | None]]:
    """(start, end, block) of the runs of consecutive rows with the same block."""
    start = 0
    for block, group in groupby(map(attrgetter("block"), rows)):
        end = start + len(list(group))
        yield start, end, block
        start = end


def cell_runs(rows: Sequence[RowResult]) -> list[tuple[int, int, RowSource | None]]:
    """(start, end, block) of the runs of consecutive rows whose cells all live in one block,
    so that a report reads a column of them at once; block None: rows that hold their own."""
    out: list[tuple[int, int, RowSource | None]] = []
    for start, end, block in _block_runs(rows):
        if block is not None and all(map(is_, map(attrgetter("_values"), rows[start:end]), repeat(None))):
            out.append((start, end, block))
        else:
            out.extend((i, i + 1, None) for i in range(start, end))
    return out


def cells_of(rows: Sequence[RowResult], names: Sequence[str]) -> list[list[str | None]]:
    """row.cells(names) of every row, column by column."""
    columns: list[list[str | None]] = [[None] * len(rows) for _ in names]
    for start, end, block in cell_runs(rows):
        if block is not None:
            picked = block.pick_rows(list(map(attrgetter("row"), rows[start:end])), names)
        else:
            picked = [[cell] for cell in rows[start].cells(names)]
        for column, cells in zip(columns, picked, strict=True):
            column[start:end] = cells
    return columns


def _derived(rows: Sequence[RowResult], values: list[Any]) -> Iterator[tuple[RowSource, range | list[int]]]:
    """Per run of rows of one block: the block, and where in `rows` the rows whose `values`
    entry is DERIVED are (a range when all of the run's are)."""
    for start, end, block in _block_runs(rows):
        if block is not None:
            marked = list(map(is_, values[start:end], repeat(DERIVED)))
            if all(marked):
                yield block, range(start, end)
            elif any(marked):
                yield block, list(compress(range(start, end), marked))


def _numbers(rows: Sequence[RowResult], where: range | list[int]) -> list[int]:
    if isinstance(where, range):
        return list(map(attrgetter("row"), rows[where.start : where.stop]))
    return [rows[i].row for i in where]


def _put(out: list[Any], where: range | list[int], found: list[Any]) -> None:
    if isinstance(where, range):
        out[where.start : where.stop] = found
    else:
        for i, value in zip(where, found, strict=True):
            out[i] = value


def names_of(rows: Sequence[RowResult], field: str) -> list[str | None]:
    """row.source (field "source") or row.destination of every row."""
    values: list[Any] = list(map(attrgetter("_source" if field == SOURCE_FIELD else "_destination"), rows))
    for block, where in _derived(rows, values):
        _put(values, where, block.names_of(field, _numbers(rows, where)))
    return values


def users_text(
    rows: Sequence[RowResult],
    own: Callable[[Sequence[str]], str | None] = "\n".join,
    plain: Callable[[str], str] | None = None,
) -> list[str | None]:
    """The users of every row as text: own(users) for a row that holds its list; for a row
    whose users are read from its plain cell, its accounts one per line (through `plain`).
    Such accounts are DOMAIN\\user of letters, digits and . _ - only."""
    values: list[Any] = list(map(attrgetter("_users"), rows))
    none = own(())
    out: list[str | None] = ["" if v is DERIVED else (own(v) if v else none) for v in values]
    for block, where in _derived(rows, values):
        lines = block.users_lines(_numbers(rows, where))
        _put(out, where, list(map(plain, lines)) if plain else lines)
    return out


_NONE: Any = ()  # the empty list a row shares until it has something of its own
_new_row = object.__new__
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
SOURCE_FIELD, DESTINATION_FIELD = "source", "destination"


def carried_cells(wave: WaveInput, rows: Sequence[RowResult], names: Sequence[str]) -> list[list[str | None]]:
    """The cells of `rows` under the user's headers `names`, column by column (None where a
    row's sheet has no such column): what a report carries over from the input."""
    del wave  # the rows know their cells today; the wave frame will hold them
    return cells_of(rows, names)


def carried_columns(wave: WaveInput, rows: Sequence[RowResult]) -> list[str]:
    """The pairs sheets' headers, then any header only a users-sheet row has."""
    columns = list(wave.columns)
    seen = set(columns)
    for row in rows:
        if row.block is not None:
            continue  # a pairs sheet's own columns: in wave.columns already
        for name in row.values:
            if name not in seen:
                seen.add(name)
                columns.append(name)
    return columns
