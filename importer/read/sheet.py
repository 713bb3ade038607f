"""One sheet as read: a pandas DataFrame of Arrow-backed strings, every cell as typed.

Column labels are positions (0 is column A), row i is spreadsheet row i + 1, and an empty
cell is "". The few cells that held a typed value where text is usual (a number with a
fraction, TRUE/FALSE, an error, a formula never calculated) read as their text in the frame
and are listed in `typed`, so a check can say "12.5 is a number" instead of judging it as a
name. A sheet is built a chunk of rows at a time (`SheetBuilder`), so no Python object per
cell outlives its chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from importer.model import Typed

CHUNK_ROWS = 65536  # rows turned into Arrow arrays at a time
TEXT = pa.large_string()


def text_series(cells: pa.ChunkedArray[Any] | pa.Array[Any]) -> pd.Series:
    """Arrow text as a pandas string column (pandas' string dtype on pyarrow), not copied."""
    if isinstance(cells, pa.Array):
        cells = pa.chunked_array([cells], type=cells.type)
    return pd.Series(pd.arrays.ArrowStringArray(cells), copy=False)


@dataclass
class Sheet:
    name: str
    frame: pd.DataFrame  # columns 0..width-1, string[pyarrow]; "" for an empty cell
    file: str = ""
    typed: dict[tuple[int, int], Typed] = field(default_factory=dict)  # (row, column) -> the cell

    @property
    def width(self) -> int:
        return len(self.frame.columns)

    @property
    def height(self) -> int:
        return len(self.frame)

    @property
    def where(self) -> str:
        return f"'{self.file}'" if self.file == self.name else f"'{self.file}' sheet '{self.name}'"

    def cell(self, index: int, col: int) -> str:
        typed = self.typed.get((index, col)) if self.typed else None
        if typed is not None:
            return typed
        value = self.frame.iat[index, col]
        return "" if value is pd.NA else str(value)

    def row(self, index: int) -> list[str]:
        """Row `index` (0-based) as its cells, trailing empty cells left out."""
        cells = [self.cell(index, col) for col in range(self.width)]
        while cells and not cells[-1]:
            cells.pop()
        return cells

    def head(self, count: int) -> list[list[str]]:
        return [self.row(i) for i in range(min(count, self.height))]

    def filled_rows(self, first: int) -> npt.NDArray[np.int64]:
        """Indexes from `first` on of rows with a cell that is not blank (whitespace is blank)."""
        if first >= self.height:
            return np.zeros(0, dtype=np.int64)
        part = self.frame.iloc[first:]
        filled = np.zeros(len(part), dtype=bool)
        for col in part.columns:
            filled |= part[col].str.strip().str.len().fillna(0).to_numpy(dtype=np.int64) > 0
        for index, _col in self.typed:
            if index >= first:
                filled[index - first] = True
        return np.flatnonzero(filled) + first

    def is_blank(self) -> bool:
        return len(self.filled_rows(0)) == 0


class SheetBuilder:
    """A sheet built a chunk of rows at a time. Rows may be ragged (a CSV); cells that are not
    `str` are converted by `convert`, and those it makes `Typed` are remembered as such."""

    def __init__(self, convert: Callable[[object], str] = str) -> None:
        self._convert = convert
        self._chunks: list[list[pa.Array[Any]]] = []  # per column, its chunks
        self.typed: dict[tuple[int, int], Typed] = {}
        self.height = 0

    @property
    def width(self) -> int:
        return len(self._chunks)

    def add(self, rows: Sequence[Sequence[object]]) -> None:
        if not rows:
            return
        width = max(map(len, rows))
        if min(map(len, rows)) != width:
            rows = [list(r) + [""] * (width - len(r)) for r in rows]
        while len(self._chunks) < width:  # a new column: empty on the rows before this chunk
            self._chunks.append([_empty(self.height)] if self.height else [])
        for col in range(len(self._chunks)):
            cells = list(map(itemgetter(col), rows)) if col < width else [""] * len(rows)
            self._chunks[col].append(self._array(col, cells))
        self.height += len(rows)

    def _array(self, col: int, cells: list[object]) -> pa.Array[Any]:
        try:  # the usual column, text only: Arrow refuses any other type (and None is null)
            array = pa.array(cells, type=TEXT)
            if not array.null_count:
                return array
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
        texts = [c if type(c) is str else self._convert(c) for c in cells]
        for i, text in enumerate(texts):
            if isinstance(text, Typed):
                self.typed[(self.height + i, col)] = text
        return pa.array([str(t) if type(t) is not str else t for t in texts], type=TEXT)

    def pad(self, rows: int, columns: int) -> None:
        """`rows` empty rows above what was added, `columns` empty columns before it (a reader
        that starts at the first used cell, not at A1)."""
        if rows > 0:
            for chunks in self._chunks:
                chunks.insert(0, _empty(rows))
            self.typed = {(r + rows, c): t for (r, c), t in self.typed.items()}
            self.height += rows
        if columns > 0:
            self._chunks[:0] = [[_empty(self.height)] for _ in range(columns)]
            self.typed = {(r, c + columns): t for (r, c), t in self.typed.items()}

    def batches(self) -> list[pa.Array[Any]]:
        """Each column as one array (the chunks are given up)."""
        out = [pa.concat_arrays(chunks) if chunks else _empty(0) for chunks in self._chunks]
        self._chunks = []
        return out

    def sheet(self, name: str, file: str = "") -> Sheet:
        return sheet_of(name, self.batches(), self.typed, file)


def sheet_of(
    name: str, columns: list[pa.Array[Any]], typed: dict[tuple[int, int], Typed], file: str = ""
) -> Sheet:
    frame = pd.DataFrame({i: text_series(column) for i, column in enumerate(columns)})
    return Sheet(name, frame, file, typed)


def _empty(count: int) -> pa.Array[Any]:
    return pa.array([""] * count, type=TEXT) if count < 1024 else pa.repeat("", count).cast(TEXT)


__all__ = ["CHUNK_ROWS", "Sheet", "SheetBuilder", "sheet_of", "text_series"]
