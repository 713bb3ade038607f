"""The checked wave: validation's results as columns beside the wave's frame.

Position i here is position i of the wave's frame. What every row has (names, behaviour,
accounts) is a column; what few rows have (messages, users from a users sheet, new-hardware
details, given ResourceIDs) is kept by position. A row object (`RowResult`) is made only when
asked for: the stages that talk to the site take them all (`materialize`), a reporter a chunk
at a time, so a validated wave of a million rows holds no million objects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from itertools import repeat
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from importer.model import Behavior, Level, Message, RowResult, Status, UsersFrom, WaveInput

CHUNK = 8192  # rows made into objects at a time when a reader walks them all
_BEHAVIORS: list[Behavior | None] = [*Behavior, None]  # code -1 is "none"


class Checked(Sequence[RowResult]):
    """Every row of the wave, checked, then the users-sheet rows that match no pair."""

    def __init__(self, wave: WaveInput) -> None:
        self.wave = wave
        count = wave.row_count
        self.pairs = count  # rows of pairs sheets; the orphans follow
        self.numbers: npt.NDArray[np.int64] = (
            np.asarray(wave.frame.index.get_level_values("row"), dtype=np.int64)
            if wave.frame is not None
            else np.zeros(0, np.int64)
        )
        self.sources: pd.Series = pd.Series([None] * count, dtype="string[pyarrow]")
        self.destinations: pd.Series = pd.Series([None] * count, dtype="string[pyarrow]")
        self.behaviors: npt.NDArray[np.int8] = np.full(count, -1, dtype=np.int8)
        self.users: pa.ChunkedArray[Any] = pa.chunked_array([pa.nulls(count, pa.list_(pa.large_string()))])
        self.messages: dict[int, list[Message]] = {}
        self.own_users: dict[int, list[str] | None] = {}  # accounts that differ from the column's
        self.users_from: dict[int, UsersFrom | None] = {}  # where that is not the sheet's cell
        self.rare: dict[int, dict[str, Any]] = {}  # attribute -> value, for the rows that have any
        self.orphans: list[RowResult] = []
        self.open_status: Status | None = None  # what a row without errors reads as
        self.defaulted = 0  # pair rows that give no behaviour and take the default

    # -- filled in by validation ---------------------------------------------------

    def set_rare(self, position: int, attribute: str, value: Any) -> None:
        self.rare.setdefault(position, {})[attribute] = value

    def extend(self, position: int, messages: Sequence[Message]) -> None:
        if messages:
            self.messages.setdefault(position, []).extend(messages)

    def account_counts(self) -> npt.NDArray[np.int64]:
        """How many accounts each row has."""
        counts = pa.compute.list_value_length(self.users).fill_null(0).to_numpy()
        out = np.asarray(counts, dtype=np.int64).copy()
        for position, users in self.own_users.items():
            out[position] = len(users or ())
        return out

    def take_messages(self, probe: RowResult) -> None:
        """The messages a rule gave a row object made for it go back into the columns."""
        if probe.messages:
            self.messages[probe.index] = list(probe.messages)

    def take_back(self, probe: RowResult) -> None:
        """What a rule did to a row object made for it (messages, accounts) goes back."""
        position = probe.index
        self.take_messages(probe)
        self.users_from[position] = probe.users_from
        self.own_users[position] = list(probe.users) if probe.users or probe.users_from else None

    # -- read -------------------------------------------------------------------------

    def invalid(self) -> set[int]:
        return {p for p, found in self.messages.items() if any(m.level is Level.ERROR for m in found)}

    def status_counts(self) -> Counter[Status | None]:
        """Rows per status, without making the rows."""
        bad = len(self.invalid())
        counted: Counter[Status | None] = Counter({Status.INVALID: bad, self.open_status: self.pairs - bad})
        counted.update(o.status for o in self.orphans)
        return counted

    def rows_with(self, statuses: Collection[Status]) -> Iterator[RowResult]:
        """The rows whose status is one of these, in order, made a chunk at a time (a report's
        Needs attention sheet: the few invalid rows of a large wave without making the rest)."""
        wanted, bad = set(statuses), self.invalid()
        if self.open_status in wanted:
            positions = [p for p in range(self.pairs) if Status.INVALID in wanted or p not in bad]
        else:
            positions = sorted(bad) if Status.INVALID in wanted else []
        for start in range(0, len(positions), CHUNK):
            part = positions[start : start + CHUNK]
            low, high = part[0], part[-1] + 1
            if len(part) * 4 >= high - low:  # dense: made as one span, the others dropped
                span = self._rows(low, high)
                yield from (span[p - low] for p in part)
            else:
                yield from (self._rows(p, p + 1)[0] for p in part)
        yield from (row for row in self.orphans if row.status in wanted)

    def __len__(self) -> int:
        return self.pairs + len(self.orphans)

    @overload
    def __getitem__(self, index: int) -> RowResult: ...
    @overload
    def __getitem__(self, index: slice) -> list[RowResult]: ...
    def __getitem__(self, index: int | slice) -> RowResult | list[RowResult]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._rows(start, stop)
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._rows(index, index + 1)[0]

    def __iter__(self) -> Iterator[RowResult]:
        for start in range(0, len(self), CHUNK):
            yield from self._rows(start, min(start + CHUNK, len(self)))

    def materialize(self) -> list[RowResult]:
        """Every row as its own object, for the stages that fill them in."""
        return self._rows(0, len(self))

    def rows_at(self, positions: Sequence[int]) -> list[RowResult]:
        """The rows at these positions (a rule's few, or all of a sheet of repeats)."""
        if len(positions) > 64 and len(positions) * 8 > len(self):
            every = self._rows(0, len(self))
            return [every[p] for p in positions]
        return [self[p] for p in positions]

    def _rows(self, start: int, stop: int) -> list[RowResult]:
        out: list[RowResult] = []
        end = min(stop, self.pairs)
        if start < end:
            for part in self.wave.parts:
                first, last = max(start, part.start), min(end, part.stop)
                if first < last:
                    out.extend(self._part_rows(part.sheet, part.fields, first, last))
        if stop > self.pairs:
            out.extend(self.orphans[max(start - self.pairs, 0) : stop - self.pairs])
        return out

    def _part_rows(self, sheet: str, headers: dict[str, str], start: int, stop: int) -> list[RowResult]:
        sources = pa.array(self.sources.array[start:stop]).to_pylist()
        destinations = pa.array(self.destinations.array[start:stop]).to_pylist()
        users: list[list[str] | None] = self.users[start:stop].to_pylist()
        behaviors = [_BEHAVIORS[b] for b in self.behaviors[start:stop].tolist()]
        messages = self.messages
        rows = list(
            map(
                RowResult.of_sheet,
                repeat(sheet),
                self.numbers[start:stop].tolist(),
                range(start, stop),
                repeat(headers),
                sources,
                destinations,
                behaviors,
                [self.own_users.get(p, u) if p in self.own_users else u for p, u in enumerate(users, start)]
                if self.own_users
                else users,
                [messages.get(p) for p in range(start, stop)] if messages else repeat(None),
            )
        )
        status = self.open_status
        if status is not None:
            for row in rows:
                row.status = status
        for position in messages.keys() & range(start, stop) if messages else ():
            row = rows[position - start]
            if row.has_errors:
                row.status = Status.INVALID
        for position in self.users_from.keys() & range(start, stop):
            rows[position - start].users_from = self.users_from[position]
        for position in self.rare.keys() & range(start, stop):
            for attribute, value in self.rare[position].items():
                setattr(rows[position - start], attribute, value)
        return rows


__all__ = ["CHUNK", "Checked"]
