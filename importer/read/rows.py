"""Rows of a pairs sheet that are not pairs: a footer under the table, the template's example."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from importer.check.names import PLAIN_NAME
from importer.model import WaveInput
from importer.model import fields as C
from importer.read import aliases
from importer.read.header import Header
from importer.read.sheet import Sheet


def drop_example(
    sheet: Sheet, header: Header, rows: npt.NDArray[np.int64], wave: WaveInput
) -> npt.NDArray[np.int64]:
    """The template's example row, left as it is, is not a pair."""
    if C.SOURCE not in header.fields or C.DESTINATION not in header.fields or not len(rows):
        return rows
    sources = sheet.frame[header.fields[C.SOURCE]].iloc[rows].str.strip().str.upper()
    destinations = sheet.frame[header.fields[C.DESTINATION]].iloc[rows].str.strip().str.upper()
    same = (sources == aliases.EXAMPLE_ROW[0]) & (destinations == aliases.EXAMPLE_ROW[1])
    example = same.fillna(False).to_numpy(dtype=bool)
    if not example.any():
        return rows
    wave.notes.append(f"{sheet.where}: the template's example row was left as it is: ignored")
    return rows[~example]


def drop_footer(sheet: Sheet, rows: npt.NDArray[np.int64], wave: WaveInput) -> npt.NDArray[np.int64]:
    """A last row with one filled cell that is no computer name ("Total: 10 machines") is a
    footer, not a pair: skipped, with a note."""
    while len(rows):
        last = int(rows[-1])
        filled = [v.strip() for v in sheet.row(last) if v.strip()]
        if len(filled) != 1 or PLAIN_NAME.fullmatch(filled[0]):
            return rows
        rows = rows[:-1]
        wave.notes.append(
            f"{sheet.where} row {last + 1} ('{filled[0][:60]}') read as a footer, not a pair: skipped"
        )
    return rows
