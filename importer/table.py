"""A sheet held column by column, each column one string: no object per cell.

A 1,048,576-row sheet has five million cells; as Python strings they cost about 60 bytes
each before their text. Here a column is its cells joined by NUL (which no cell of an
.xlsx can hold, and a CSV cell holding one is kept apart) plus an array of where each
cell starts: about the text's own size plus four bytes per cell. The joined text also lets
a check run one regular expression over a whole column instead of one call per cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from importer import columns as C

SEP = "\x00"
CHUNK_ROWS = 65536  # rows read into Python objects at a time while a sheet becomes columns


class Column:
    """Cell i is text[starts[i] : starts[i + 1] - 1]; `typed` holds the few cells that are
    `Typed` (a number with a fraction, TRUE/FALSE, an error or a formula), and `odd` cells
    that held the separator itself."""

    __slots__ = ("odd", "starts", "text", "typed")

    def __init__(
        self,
        text: str,
        starts: npt.NDArray[np.int64],
        typed: dict[int, str] | None = None,
        odd: dict[int, str] | None = None,
    ) -> None:
        self.text = text
        self.starts = starts
        self.typed = typed or {}
        self.odd = odd or {}

    @classmethod
    def of(cls, cells: Sequence[str]) -> Column:
        """From cell texts (Typed cells are kept as such)."""
        if not cells:
            return cls("", np.zeros(1, dtype=np.int64))
        builder = ColumnBuilder(convert=lambda typed: typed)  # type: ignore[arg-type,return-value]
        builder.add([[c] for c in cells])
        [column] = builder.columns()
        return column

    @classmethod
    def empty(cls, count: int) -> Column:
        """`count` empty cells."""
        return cls(SEP * max(count - 1, 0), np.arange(count + 1, dtype=np.int64))

    @classmethod
    def joined(cls, parts: Iterable[tuple[str, npt.NDArray[np.int64]]]) -> Column:
        """From chunks as the reader sends them: (text, cell lengths)."""
        texts, lengths = [], []
        for text, length in parts:
            texts.append(text)
            lengths.append(length)
        every = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
        starts = np.zeros(len(every) + 1, dtype=np.int64)
        np.cumsum(every + 1, out=starts[1:])
        return cls(SEP.join(texts), starts)

    def shifted(self, count: int) -> Column:
        """The column with `count` empty cells before its first."""
        starts = np.concatenate([np.arange(count, dtype=np.int64), self.starts + count])
        return Column(
            SEP * count + self.text,
            starts,
            {i + count: c for i, c in self.typed.items()},
            {i + count: c for i, c in self.odd.items()},
        )

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, index: int) -> str:
        if self.typed or self.odd:
            special = self.typed.get(index)
            if special is None:
                special = self.odd.get(index)
            if special is not None:
                return special
        return self.text[self.starts[index] : self.starts[index + 1] - 1]

    def plain(self) -> bool:
        """No Typed cell and no cell holding the separator: the joined text says it all."""
        return not self.typed and not self.odd

    def span(self, first: int, end: int) -> str:
        """Cells first..end-1 joined by SEP (meaningful for plain columns)."""
        if end <= first:
            return ""
        return self.text[self.starts[first] : self.starts[end] - 1]

    def cells(self, first: int, end: int) -> list[str]:
        """Cells first..end-1 as a list (a transient one: the column keeps no list)."""
        if end <= first:
            return []
        out = self.span(first, end).split(SEP) if not self.odd else [self[i] for i in range(first, end)]
        for index, special in self.typed.items():
            if first <= index < end:
                out[index - first] = special
        return out

    def take(self, indexes: npt.NDArray[np.int64]) -> list[str]:
        """The cells at `indexes` (ascending), as a list."""
        if not len(indexes):
            return []
        first, last = int(indexes[0]), int(indexes[-1]) + 1
        every = self.cells(first, min(last, len(self)))
        every += [""] * (last - first - len(every))
        if last - first == len(indexes):
            return every
        return [every[i] for i in (indexes - first).tolist()]

    def lengths(self) -> npt.NDArray[np.int64]:
        return np.diff(self.starts) - 1


def _lengths(text: str, cells: Sequence[str]) -> npt.NDArray[np.int64]:
    """The cells' lengths (`text` is `cells` joined by SEP)."""
    if not text.isascii():
        return np.fromiter(map(len, cells), np.int64, len(cells))
    return ascii_lengths(text.encode("ascii"))


def ascii_lengths(data: bytes) -> npt.NDArray[np.int64]:
    """The lengths of the cells of ASCII text joined by SEP, from where the separators sit in
    its bytes (one pass in C instead of a call per cell)."""
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 0)
    return np.diff(ends, prepend=-1, append=len(data)) - 1


class ColumnBuilder:
    """Columns built a chunk of rows at a time, so that no object per cell outlives its chunk.
    Rows may be ragged (a CSV); typed cells (not `str`) are converted by `convert`."""

    def __init__(self, convert: Callable[[object], str] = str) -> None:
        self._convert = convert
        self._parts: list[list[tuple[str, npt.NDArray[np.int64]]]] = []
        self._typed: list[dict[int, str]] = []
        self._odd: list[dict[int, str]] = []
        self.height = 0

    def add(self, rows: Sequence[Sequence[object]]) -> None:
        if not rows:
            return
        width = max(map(len, rows))
        if min(map(len, rows)) != width:
            rows = [list(r) + [""] * (width - len(r)) for r in rows]
        while len(self._parts) < width:  # a new column: empty on the rows before this chunk
            self._parts.append(
                [(SEP * (self.height - 1), np.zeros(self.height, np.int64))] if self.height else []
            )
            self._typed.append({})
            self._odd.append({})
        for index in range(len(self._parts)):
            self._add_cells(index, list(map(itemgetter(index), rows)) if index < width else [""] * len(rows))
        self.height += len(rows)

    def _add_cells(self, index: int, cells: Sequence[Any]) -> None:
        done = self.height
        column: Sequence[str] = cells
        try:
            text = SEP.join(column)  # the usual column: text only, converted by nothing
        except TypeError:
            convert = self._convert
            column = [v if type(v) is str else convert(v) for v in cells]
            self._typed[index].update((done + i, v) for i, v in enumerate(column) if type(v) is not str)
            text = SEP.join(column)
        if text.count(SEP) != len(column) - 1:  # a cell holds the separator itself
            self._odd[index].update((done + i, v) for i, v in enumerate(column) if SEP in v)
            column = ["" if SEP in v else v for v in column]
            text = SEP.join(column)
        self._parts[index].append((text, _lengths(text, column)))

    def columns(self) -> list[Column]:
        out = []
        for parts, typed, odd in zip(self._parts, self._typed, self._odd, strict=True):
            column = Column.joined(parts)
            column.typed, column.odd = typed, odd
            out.append(column)
        self._parts = []
        return out


class Table:
    """A sheet: `width` columns of `height` cells; row r (0-based) is spreadsheet row r + 1."""

    __slots__ = ("columns", "file", "height", "name")

    def __init__(self, name: str, columns: list[Column], file: str = "") -> None:
        self.name = name
        self.file = file
        self.columns = columns
        self.height = max((len(c) for c in columns), default=0)

    @classmethod
    def of_rows(cls, name: str, rows: Sequence[Sequence[str]], file: str = "") -> Table:
        builder = ColumnBuilder(convert=lambda typed: typed)  # type: ignore[arg-type,return-value]
        for start in range(0, len(rows), CHUNK_ROWS):
            builder.add(rows[start : start + CHUNK_ROWS])
        return cls(name, builder.columns(), file)

    @property
    def width(self) -> int:
        return len(self.columns)

    @property
    def where(self) -> str:
        return f"'{self.file}'" if self.file == self.name else f"'{self.file}' sheet '{self.name}'"

    def row(self, index: int) -> list[str]:
        """Row `index` (0-based) as its cells, trailing empty cells left out."""
        cells = [c[index] if index < len(c) else "" for c in self.columns]
        while cells and not cells[-1]:
            cells.pop()
        return cells

    def head(self, count: int) -> list[list[str]]:
        return [self.row(i) for i in range(min(count, self.height))]

    def filled_rows(self, first: int) -> npt.NDArray[np.int64]:
        """Indexes from `first` on of rows with a cell that is not blank (whitespace is blank)."""
        if first >= self.height:
            return np.zeros(0, dtype=np.int64)
        filled = np.zeros(self.height - first, dtype=bool)
        for column in self.columns:
            end = len(column)
            if end <= first:
                continue
            if _has_blank(column.span(first, end)):
                nonblank = np.fromiter((bool(c.strip()) for c in column.cells(first, end)), bool, end - first)
            else:
                nonblank = column.lengths()[first:] > 0
            for index in column.odd:
                if index >= first:
                    nonblank[index - first] = True
            filled[: end - first] |= nonblank
        return np.flatnonzero(filled) + first

    def is_blank(self) -> bool:
        return len(self.filled_rows(0)) == 0


def _has_blank(span: str) -> bool:
    """A cell of whitespace only, in a joined column (\\s never matches the separator); the
    rest of the cells searched from their separator, a literal the search skips to."""
    return bool(_BLANK_FIRST.match(span) or _BLANK_REST.search(span))


_BLANK_FIRST = re.compile(r"\s+(?=\x00|\Z)")
_BLANK_REST = re.compile(r"\x00\s+(?=\x00|\Z)")


class Block:
    """The data rows of one pairs sheet: where they are, and what their columns mean.

    Rows (RowResult) keep a reference to their block and read their cells from it."""

    __slots__ = ("_chunk", "_first", "_where", "columns", "fields", "names", "rows", "table")

    CHUNK = 4096  # rows are mostly read in order: a chunk of each column is split at once

    def __init__(
        self,
        table: Table,
        names: list[str],
        fields: dict[str, int],
        rows: npt.NDArray[np.int64],
    ) -> None:
        self.table = table
        self.names = names  # the header's names, made unique, one per column
        self.fields = fields  # canonical field -> column index
        self.columns = {fld: names[col] for fld, col in fields.items()}  # field -> header
        self.rows = rows  # 0-based indexes of the data rows in `table`
        self._first = -1
        self._chunk: list[list[str]] = []
        self._where: dict[int, tuple[Sequence[str], list[int]]] = {}

    @property
    def sheet(self) -> str:
        return self.table.name

    def _cells(self, index: int) -> list[list[str]]:
        """The columns' cells of the chunk holding row `index` (0-based): reading rows in order
        splits each column once per chunk instead of slicing one cell at a time."""
        first = index - index % self.CHUNK
        if first != self._first:
            end = min(first + self.CHUNK, self.table.height)
            self._chunk = [c.cells(first, min(end, len(c))) for c in self.table.columns]
            self._first = first
        return self._chunk

    def values(self, row: int) -> dict[str, str]:
        """The cells of spreadsheet row `row`, by header."""
        index = row - 1
        offset = index % self.CHUNK
        chunk = self._cells(index)
        return {
            name: chunk[c][offset] if c < len(chunk) and offset < len(chunk[c]) else ""
            for c, name in enumerate(self.names)
        }

    def pick(self, row: int, names: Sequence[str]) -> list[str | None]:
        """The cells of spreadsheet row `row` under `names` (None where this sheet has no such
        column), without building the row's dict."""
        index = row - 1
        offset = index % self.CHUNK
        chunk = self._cells(index)
        key = id(names)
        where = self._where.get(key)
        if where is None or where[0] is not names:
            position = {name: c for c, name in enumerate(self.names)}
            where = self._where[key] = (names, [position.get(n, -1) for n in names])
        return [
            chunk[c][offset] if 0 <= c < len(chunk) and offset < len(chunk[c]) else (None if c < 0 else "")
            for c in where[1]
        ]

    def cell(self, field: str, row: int) -> str:
        index = row - 1
        column = self._cells(index)[self.fields[field]]
        offset = index % self.CHUNK
        return column[offset] if offset < len(column) else ""

    def name(self, field: str, row: int) -> str | None:
        """A plain computer name (validation derives only those) as ConfigMgr spells it."""
        return self.cell(field, row).upper()

    def users(self, row: int) -> list[str]:
        """A plain users cell (validation derives only those: DOMAIN\\user accounts, each once,
        separated by ; or ,) as the accounts ConfigMgr is sent: the domain in capitals."""
        text = self.cell(C.USERS, row)
        parts = text.split(";") if "," not in text and " " not in text else USER_PARTS.split(text)
        return [f"{d.upper()}\\{u}" for d, _, u in (p.partition("\\") for p in parts)]

    # -- many rows at once (the reports) ----------------------------------------------

    def _at(self, col: int, rows: Sequence[int]) -> list[str]:
        """Column `col`'s cells on spreadsheet rows `rows` ("" beyond the column)."""
        if col >= self.table.width:
            return [""] * len(rows)
        column = self.table.columns[col]
        indexes = np.asarray(rows, dtype=np.int64) - 1
        if len(indexes) > 1 and not bool(np.all(indexes[1:] > indexes[:-1])):
            return [column[i] if i < len(column) else "" for i in indexes.tolist()]
        return column.take(indexes)

    def pick_rows(self, rows: Sequence[int], names: Sequence[str]) -> list[list[str | None]]:
        """pick() for many rows: the cells under `names`, column by column."""
        position = {name: c for c, name in enumerate(self.names)}
        none: list[str | None] = [None] * len(rows)
        return [self._at(position[n], rows) if n in position else none for n in names]  # type: ignore[misc]

    def names_of(self, field: str, rows: Sequence[int]) -> list[str]:
        """name() for many rows."""
        return list(map(str.upper, self._at(self.fields[field], rows)))

    def users_lines(self, rows: Sequence[int]) -> list[str]:
        """users() for many rows, each row's accounts joined by a line break."""
        text = SEP.join(self._at(self.fields[C.USERS], rows))  # plain: ; or , and at most one space
        text = text.replace("; ", "\n").replace(";", "\n").replace(", ", "\n").replace(",", "\n")
        if _LOWER_DOMAIN.search(text):
            text = _DOMAIN.sub(lambda m: m.group().upper(), text)
        return text.split(SEP)

    def take(self, field: str) -> list[str]:
        """The field's cells on the data rows, in order (a transient list)."""
        return self.table.columns[self.fields[field]].take(self.rows)

    def span(self, field: str) -> str | None:
        """The field's cells on the data rows joined by SEP, when that is exact: the rows are
        contiguous and no cell is typed or holds the separator."""
        column = self.table.columns[self.fields[field]]
        if not len(self.rows) or not column.plain():
            return None
        first, last = int(self.rows[0]), int(self.rows[-1])
        if last - first + 1 != len(self.rows):
            return None
        return column.span(first, last + 1)


USER_PARTS = re.compile(r"[;,] ?")
# In a column of plain users cells whose accounts are one per line: a domain (what comes
# before a backslash) with a small letter in it, found by the letter and what follows it up
# to the backslash (a user name never reaches one); then every domain, to write in capitals.
_LOWER_DOMAIN = re.compile(r"[a-z][A-Za-z0-9-]*+\\")
_DOMAIN = re.compile(r"[^\\\x00\n]+(?=\\)")


__all__ = ["CHUNK_ROWS", "SEP", "USER_PARTS", "Block", "Column", "ColumnBuilder", "Table", "ascii_lengths"]
