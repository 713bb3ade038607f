from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from importer.errors import InputError
from importer.model import fields as C
from importer.read.files import decode_csv_bytes, detect_delimiter
from importer.read.wave import read_wave


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_csv_rows_keep_their_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "wave.csv"
    path.write_text(
        "Wave 7 - Building B\n"  # a title above the header
        "\n"
        "Old Computer,New Computer,Users,Ticket\n"
        'PC1,NB1,"CONTOSO\\a\nCONTOSO\\b",T-1\n'  # a multi-line cell is one row
        ",,,\n"  # empty rows are skipped but counted
        "PC2,NB2,CONTOSO\\c,T-2\n",
        encoding="utf-8",
    )
    wave = read_wave(path)
    assert [(r.sheet, r.row) for r in wave.rows] == [("wave.csv", 4), ("wave.csv", 6)]
    first = wave.rows[0]
    assert first.values[first.columns[C.SOURCE]] == "PC1"
    assert first.values[first.columns[C.USERS]] == "CONTOSO\\a\nCONTOSO\\b"
    assert first.values["Ticket"] == "T-1"  # unknown columns are kept
    assert wave.columns == ["Old Computer", "New Computer", "Users", "Ticket"]


def test_csv_text_is_kept_exactly_as_typed(tmp_path: Path) -> None:
    path = tmp_path / "wave.csv"
    path.write_text("Source,Destination,Note\n00123,NA,2024-01-05\n", encoding="utf-8")
    row = read_wave(path).rows[0]
    assert row.values == {"Source": "00123", "Destination": "NA", "Note": "2024-01-05"}


@pytest.mark.parametrize(
    ("encoding", "prefix", "label"),
    [
        ("utf-8", b"", "UTF-8"),
        ("utf-8", b"\xef\xbb\xbf", "UTF-8 (with BOM)"),
        ("utf-16-le", b"\xff\xfe", "UTF-16 (Unicode text)"),
        ("cp1252", b"", "Windows-1252 (ANSI)"),
    ],
)
def test_csv_encodings(tmp_path: Path, encoding: str, prefix: bytes, label: str) -> None:
    text = "Source\tDestination\tNotes\nPC1\tNB1\tJérôme’s desk\n"
    path = tmp_path / "wave.txt"
    path.write_bytes(prefix + text.encode(encoding))
    wave = read_wave(path)
    assert wave.rows[0].values["Notes"] == "Jérôme’s desk"
    assert wave.notes == [
        f"'wave.txt' read as {label}, columns separated by tabs",
        "1 column not read, carried into the report as it is: 'wave.txt' column C 'Notes'",
    ]


def test_powershell_export_csv_type_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "wave.csv"
    path.write_text(
        '#TYPE System.Management.Automation.PSCustomObject\n"SourceName","RestoreName"\n"PC1","NB1"\n',
        encoding="utf-8",
    )
    wave = read_wave(path)
    assert [(r.row, r.values[r.columns[C.SOURCE]]) for r in wave.rows] == [(3, "PC1")]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("Source,Destination,Users\nPC1,NB1,A\\a;A\\b;A\\c;A\\d\n", ","),
        ('Source;Destination;Users\nPC1;NB1;"A\\a,A\\b"\n', ";"),
        ("Source\tDestination\nPC1\tNB1\n", "\t"),
        ("Title; with; semicolons\nSource,Destination\nPC1,NB1\n", ","),
    ],
)
def test_delimiter_detection(text: str, delimiter: str) -> None:
    assert detect_delimiter(text) == delimiter


def test_utf16_without_bom_is_recognised() -> None:
    text, label = decode_csv_bytes("Source,Destination\n".encode("utf-16-le"))
    assert text.startswith("Source")
    assert "UTF-16" in label


def test_xlsx_cells_read_as_text_as_the_user_sees_them(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "wave.xlsx",
        {
            "Pairs": [
                ["Contoso wave 3"],
                [],
                ["Source", "Destination", "Date", "Count", "Flag", "Text"],
                ["00123", 123456, dt.datetime(2024, 1, 5), 1.5, True, "NA"],
                [],
                ["PC2", "NB2", dt.datetime(2024, 1, 5, 13, 30), 7.0, False, "=not a formula"],
            ]
        },
    )
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["Pairs"].row_dimensions[6].hidden = True  # hidden rows are still read
    book["Pairs"]["F6"].data_type = "s"
    book.save(path)
    wave = read_wave(path)
    assert [r.row for r in wave.rows] == [4, 6]
    assert wave.rows[0].values == {
        "Source": "00123",
        "Destination": "123456",
        "Date": "2024-01-05",
        "Count": "1.5",
        "Flag": "TRUE",
        "Text": "NA",
    }
    assert wave.rows[1].values["Date"] == "2024-01-05 13:30:00"
    assert wave.rows[1].values["Count"] == "7"
    assert wave.rows[1].values["Text"] == "=not a formula"


def test_xlsx_users_sheet_and_several_pair_sheets(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "wave.xlsx",
        {
            "Read me": [["Fill in the sheets"], ["nothing here is data"]],
            "Site A": [["Source", "Destination"], ["PC1", "NB1"]],
            "Site B": [["Old", "New", "Room"], ["PC2", "NB2", "2.14"]],
            "User accounts": [["Computer", "User Name"], ["PC1", "CONTOSO\\a"], ["PC2", "CONTOSO\\b"]],
        },
    )
    wave = read_wave(path)
    assert [(r.sheet, r.row) for r in wave.rows] == [("Site A", 2), ("Site B", 2)]
    assert [(u.sheet, u.row, u.source.text, u.users.text) for u in wave.user_rows] == [
        ("User accounts", 2, "PC1", "CONTOSO\\a"),
        ("User accounts", 3, "PC2", "CONTOSO\\b"),
    ]
    assert wave.columns == ["Source", "Destination", "Old", "New", "Room"]
    assert wave.notes == [
        "sheet 'Read me' skipped: no header with source and destination (or, on a users sheet, source "
        "and users) columns",
        "1 column not read, carried into the report as it is: 'wave.xlsx' sheet 'Site B' column C 'Room'",
    ]


def test_separate_users_file(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("Source,Destination\nPC1,NB1\n", encoding="utf-8")
    users = tmp_path / "users.csv"
    users.write_text("SourceComputer;MigrationUserName\nPC1;CONTOSO\\a\n", encoding="utf-8")
    wave = read_wave(pairs, users)
    assert [(u.sheet, u.row, u.users.text) for u in wave.user_rows] == [("users.csv", 2, "CONTOSO\\a")]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("wave.csv", "Computer;Something\nPC1;NB1\n", "no header row with a source and a destination"),
        ("wave.csv", "Source,Old Computer,Destination\nA,B,C\n", "both mean Source"),
        ("wave.pdf", "x", "unknown file type"),
        # text named .xlsx is read as the text it is (with a notice): refused for its rows
        ("wave.xlsx", "this is not a zip file", "the first rows hold 'this is not a zip file'"),
    ],
)
def test_unusable_files_raise_one_clear_error(tmp_path: Path, name: str, content: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_wave(path)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_wave(tmp_path / "nope.xlsx")


def test_users_file_without_user_column(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("Source,Destination\nPC1,NB1\n", encoding="utf-8")
    users = tmp_path / "users.csv"
    users.write_text("Source,Something\nPC1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="user column"):
        read_wave(pairs, users)
