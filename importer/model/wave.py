"""The wave as read: a pandas DataFrame, one row per pair row, and the cells reports carry."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from importer.model.rows import RowResult
from importer.model.values import InputRow, Typed, UserRow

if TYPE_CHECKING:  # pandas is imported where a frame is made, not by every command's start
    import pandas as pd

__all__ = ["Part", "WaveInput", "carried_cells", "carried_columns", "carried_values"]


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
        assert self.frame is not None or not self.parts
        out = []
        for part in self.parts:
            positions = range(part.start, part.stop)
            columns = self.cells(positions, part.headers)
            for i, position in enumerate(positions):
                values = {
                    h: self.typed[(position, h)] if (position, h) in self.typed else c[i] or ""
                    for h, c in zip(part.headers, columns, strict=True)
                }
                number = int(self.frame.index[position][1])  # type: ignore[union-attr]
                out.append(InputRow(part.sheet, number, values, part.fields))
        return out


def _na() -> object:
    import pandas as pd

    return pd.NA


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
