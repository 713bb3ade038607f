"""The column-wise validator against the row-at-a-time rules it replaced (tests/rowwise_validate.py):
on generated sheets holding every kind of error, both must give every row the same status,
values and messages, in the same order."""

from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pytest

from importer import validate as validate_module
from importer.model import Behavior, RowResult
from importer.read import read_wave
from importer.table import Column, Table
from importer.validate import validate
from tests import rowwise_validate

NAMES = [
    "PC{n}",
    "pc-{n}",
    "PC{n}.contoso.com",
    " PC{n} ",
    "PC {n}",
    "AVERYLONGCOMPUTERNAME{n}",
    "",
    "12345",
    "PC{n}\u200b",
    "PC_{n}",
    "-PC{n}",
]
BEHAVIORS = ["0", "1", "2", "", " 2 ", "two", "3", "CaptureAndRestoreAllUserAccounts", "all", 2, 2.5, True]
USERS = [
    "CONTOSO\\u{n}",
    "CONTOSO\\u{n};CONTOSO\\v{n}",
    "contoso\\u{n}, CONTOSO\\w{n}",
    "CONTOSO\\u{n};contoso\\U{n}",
    "u{n}@contoso.com",
    "u{n}",
    "CONTOSO\\u{n};",
    " CONTOSO\\u{n}",
    "CONTOSO\\\\u{n}",
    "CONTOSO\\u{n}\nCONTOSO\\x{n}",
    "",
    "",
    "   ",
    12,
]
IDS = ["", "", "16777{n}", "abc", "0", "-5", "99999999999"]
MACS = ["", "00:11:22:33:44:{h}", "00-11-22-33-44-{h}", "FF:FF:FF:FF:FF:FF", "zz", "001122334455"]
GUIDS = ["", "4C4C4544-0042-3510-8052-B3C04F4B{h}32", "not-a-guid"]
COLLECTIONS = ["", "CON00012", "All Laptops", "CON00012;CON00013"]


def _row(rng: random.Random, n: int) -> list[object]:
    if rng.random() < 0.5:  # a clean row, as most are
        return [f"CLEAN{n}", f"NEWCLEAN{n}", "1", f"CONTOSO\\u{n};CONTOSO\\v{n}", "", "", "", "", "", ""]
    pick = rng.choice
    odd = rng.random() < 0.3  # one row in three of the rest has odd hardware and ID cells
    source = pick(NAMES).format(n=n % 97)
    destination = pick(NAMES).format(n=(n * 7) % 89) if rng.random() < 0.5 else source
    if rng.random() < 0.6:
        source, destination = f"OLD{n % 150}", f"NEW{(n * 3) % 160}"  # repeats, chains, conflicts
    if rng.random() < 0.02:
        source = "X" * 40_000  # longer than a cell can hold
    users = pick(USERS)
    return [
        source,
        destination,
        pick(BEHAVIORS),
        users.format(n=n % 40) if isinstance(users, str) else users,
        pick(IDS).format(n=n % 100) if odd else "",
        pick(IDS).format(n=n % 100) if odd else "",
        pick(MACS).format(h=f"{n % 16:02X}") if odd else "",
        pick(GUIDS).format(h=f"{n % 16:02X}") if odd else "",
        pick(COLLECTIONS) if odd else "",
        f"ticket {n}",
    ]


HEADER = [
    "Source",
    "Destination",
    "Behavior",
    "Users",
    "SourceResourceID",
    "RestoreResourceID",
    "MAC Address",
    "SMBIOS GUID",
    "Collection",
    "Notes",
]


def _workbook(path: Path, seed: int, count: int) -> Path:
    rng = random.Random(seed)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Wave"
    sheet.append(["Wave 7 of the refresh"])
    sheet.append([])
    sheet.append(HEADER)
    for n in range(count):
        if rng.random() < 0.03:
            sheet.append([])  # blank rows inside the data
        elif rng.random() < 0.02:
            sheet.append(["   ", "", " "])  # whitespace only: blank too
        else:
            sheet.append(_row(rng, n))
    sheet.cell(row=10, column=3).value = "=1+1"  # a formula never calculated: read as empty
    users = book.create_sheet("Users")
    users.append(["Source", "Users"])
    for n in range(0, 300, 7):
        users.append([f"OLD{n % 150}", f"CONTOSO\\extra{n}"])
    users.append(["NOSUCHPC", "CONTOSO\\orphan"])
    sheet.append(["Total: many"])  # a footer
    book.save(path)
    return path


def _facts(row: RowResult) -> tuple[object, ...]:
    return (
        row.sheet,
        row.row,
        row.status,
        row.source,
        row.destination,
        row.behavior,
        list(row.users),
        row.users_from,
        row.given_source_resource_id,
        row.given_restore_resource_id,
        row.mac,
        row.smbios_guid,
        list(row.collections),
        [(m.level, m.column, m.text, m.tag) for m in row.messages],
        dict(row.values),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("users_from_site", [False, True])
def test_columnwise_matches_rowwise(tmp_path: Path, seed: int, users_from_site: bool) -> None:
    path = _workbook(tmp_path / "wave.xlsx", seed, 1500)
    wave = read_wave(path)
    default = Behavior.CAPTURE_AND_RESTORE_SPECIFIED if seed % 2 else Behavior.CAPTURE_AND_RESTORE_ALL
    extra = ("CON00099",) if seed == 3 else ()
    ours = validate(wave, default, users_from_site, extra)
    theirs = rowwise_validate.validate(wave, default, users_from_site, extra)
    assert len(ours) == len(theirs) > 1400
    statuses = {r.status for r in ours}
    assert len(statuses) == 2  # invalid rows and open ones: the sheet exercised both
    kinds = {m.text.split(":")[0][:25] for r in ours for m in r.messages}
    assert len(kinds) > 30  # many kinds of message, not one repeated
    for mine, reference in zip(ours, theirs, strict=True):
        assert _facts(mine) == _facts(reference), mine.where


def test_plain_wave_rows_hold_no_copies(tmp_path: Path) -> None:
    """Plain names and users are read from the sheet when asked, not stored per row."""
    path = tmp_path / "plain.csv"
    path.write_text(
        "Source,Destination,Behavior,Users\n"
        + "".join(f"old{i},NEW{i},2,contoso\\u{i};CONTOSO\\v{i}\n" for i in range(200)),
        encoding="utf-8",
    )
    rows = validate(read_wave(path), Behavior.CAPTURE_AND_RESTORE_ALL)
    assert rows[5].source == "OLD5" and rows[5].users == ["CONTOSO\\u5", "CONTOSO\\v5"]
    assert rows[5]._source is not None and not isinstance(rows[5]._source, str)
    assert rows[5]._values is None
    rows[5].source = "OTHER"  # a stage that sets a value owns it from then on
    assert rows[5].source == "OTHER" and rows[6].source == "OLD6"


def test_column_store_round_trips_awkward_cells() -> None:
    cells = ["", "a", "\x00inside", "ü\u200b", "x" * 70_000, "", "line\nbreak"]
    column = Column.of(cells)
    assert [column[i] for i in range(len(cells))] == cells
    assert column.cells(0, len(cells)) == cells
    assert Column.empty(3).cells(0, 3) == ["", "", ""] and len(Column.empty(0)) == 0
    table = Table.of_rows("t", [["a", "b"], [], ["", "", "c"], ["  ", "\t"], ["d"]])
    assert table.width == 3 and table.height == 5
    assert table.filled_rows(0).tolist() == [0, 2, 4]
    assert table.row(2) == ["", "", "c"]


@pytest.mark.parametrize(("most", "step"), [(2, 1 << 20), (3, 1 << 20), (3, 40)])
def test_plain_users_column_finds_repeats_as_the_row_rules_do(
    tmp_path: Path, most: int, step: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A users column of plain cells only is checked at once: an account listed twice in a
    cell (case aside) must still be found, wherever it sits among the cell's accounts (two
    accounts a cell, the usual, are compared directly; more go through hashes). Accounts are
    counted a piece of the column at a time (`step` characters): the pieces must not
    matter, nor must a behaviour that takes every account and yet names some."""
    monkeypatch.setattr(validate_module, "_COUNT_STEP", step)
    repeats = [
        "CONTOSO\\a{n};contoso\\A{n}",
        "X\\a{n}, Y\\b{n}, x\\A{n}",
        "X\\a{n},Y\\b{n};Z\\c{n}, Y\\b{n}",
        "X\\a{n}",
        "X\\a{n};X\\b{n}",
        "x\\a{n};y\\a{n}",
        "",
    ]
    repeats = [r for r in repeats if r.count("\\") <= most]
    rng = random.Random(7)
    path = tmp_path / "plain.csv"
    path.write_text(
        "Source,Destination,Behavior,Users\n"
        + "".join(
            f'OLD{i},NEW{i},{rng.choice([0, 1, 2, 2])},"{rng.choice(repeats).format(n=i % 5)}"\n'
            for i in range(600)
        ),
        encoding="utf-8",
    )
    wave = read_wave(path)
    ours = validate(wave, Behavior.CAPTURE_AND_RESTORE_SPECIFIED)
    theirs = rowwise_validate.validate(wave, Behavior.CAPTURE_AND_RESTORE_SPECIFIED)
    assert sum(1 for r in ours if any("listed twice" in m.text for m in r.messages)) > 40
    for mine, reference in zip(ours, theirs, strict=True):
        assert _facts(mine) == _facts(reference), mine.where
