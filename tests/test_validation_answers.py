"""What `cmassoc validate` answers, written out: for each kind of cell and sheet, every row's
status, names, behaviour, users and messages as the JSON report (--json) gives them.

The waves are built here (CSV, or .xlsx where a cell's type matters) and go through the command
line only, so the answers hold whatever the reading and the checks are built on. They replace
the comparison of the column-wise validator with the row-at-a-time one it replaced."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from importer.cli import cli

Row = dict[str, Any]
Said = tuple[str, str | None, str]  # a message: level, column, text

# The messages' texts; {} is what differs from row to row.
B0 = "0 (capture and restore all user accounts)"
B1 = "1 (capture all user accounts and restore specified accounts)"
B2 = "2 (capture and restore specified user accounts)"
NEEDS_USERS = "behaviour {} needs at least one user (DOMAIN\\user): add users, or use behaviour 0 to capture and restore all accounts"
NOT_SENT = "behaviour 0 (capture and restore all user accounts) migrates every account: the {} user(s) listed are not sent"
NOT_A_BEHAVIOUR = "'{}' is not a migration behaviour: use 0 (capture and restore all), 1 (capture all, restore specified) or 2 (capture and restore specified), or the console or New-CMComputerAssociation names"
ALL_OR_SOME = (
    "'all' could mean 0 (capture and restore all user accounts) or 1 (capture all user accounts and restore "
    "specified accounts): write the number or the whole name"
)
DNS_NAME = "'{}' is a DNS name: using its host part '{}'"
AD_ACCOUNT = "'{}' is an Active Directory account name: using '{}'"
ALL_DIGITS = (
    "'{}' is all digits, which a computer name cannot be: check it is not a row number or an asset tag"
)
NOT_DNS_HOST = "'{}' is not a valid DNS host name (only letters, digits and inner hyphens are); ConfigMgr may know it under another name"
EMPTY_NAME = "is empty: type the computer name"
BAD_CHARACTERS = "'{}' contains characters a computer name cannot have ({}): use letters, digits and hyphens"
INNER_NBSP = "'{}' contains a non-breaking space inside the value: retype it without spaces"
TOO_LONG_NAME = (
    "'{}' is {} characters long; computer names have at most 15: check for a typo or a missing separator"
)
DOMAIN_NAME = "'{}' looks like DOMAIN\\NAME: type only the computer name (part after the \\)"
NEITHER = "'{}' is neither a computer name nor a valid DNS name: use the computer's name, e.g. PC0042"
INVISIBLE = "removed invisible characters ({})"
NBSP_AROUND = "removed non-breaking spaces around the value"
NO_DOMAIN = "'{}' is not DOMAIN\\user: add the domain, e.g. CONTOSO\\jdoe"
ONE_BACKSLASH = "'{}' is not DOMAIN\\user: use a single backslash, e.g. CONTOSO\\jdoe"
BOTH_PARTS = "'{}' is not DOMAIN\\user: both parts are needed"
NOT_NETBIOS = "'{}' in '{}' is not a NetBIOS domain (or computer) name (at most 15 characters, no spaces or \\/:*?\"<>|,)"
NOT_LOGON = (
    "'{}' in '{}' is not a logon name (at most 20 characters, none of \"/\\[]:;|=,+*?<>, not ending in a dot)"
)
UPN = "'{}' converted to '{}' (assumes the NetBIOS domain name is {}; write DOMAIN\\user if it differs)"
TWICE = "'{}' is listed twice: kept once"
OVERLONG = "{:,} characters, more than a cell can hold (32,767): check what was pasted here"
NOT_AN_ID = (
    "'{}' is not a ResourceID (a whole number above 0): leave the cell empty to look the computer up by name"
)
NOT_A_MAC = "'{}' is not a MAC address: write six pairs of hex digits, e.g. 00:15:5D:0A:1B:2C"
NOT_A_GUID = "'{}' is not an SMBIOS GUID: 32 hex digits, e.g. 4C4C4544-0042-3510-8052-B8C04F4C4B32"
PLACEHOLDER_GUID = "{} is a placeholder GUID, not a computer's"
SEVERAL_COMPUTERS = "{} is given for several new computers ({}): each has its own"
IN_PLACE = "source and destination are both {}: that is an in-place association, which ConfigMgr creates itself; give the new computer's name"
REPEATS = "repeats the pair of {}; only that row is imported: delete this one"
DIFFERENT = (
    "the pair {} -> {} is in {} with different behaviours or users: keep one row (merge the users into it)"
)
ONE_SOURCE = (
    "destination {} is also the destination of {} ({}): a computer can restore the state of only one source"
)
ONE_ASSOCIATION = "source {} is also associated with {} ({}): with behaviour 2 a source can have only one association (use behaviour 0 or 1 to restore to several computers)"
NO_PAIR = "no row of the pairs sheet has {}: add the pair or remove this user row"


def error(column: str | None, text: str) -> Said:
    return ("error", column, text)


def warning(column: str | None, text: str) -> Said:
    return ("warning", column, text)


def note(column: str | None, text: str) -> Said:
    return ("note", column, text)


@dataclass
class Answer:
    exit_code: int
    summary: dict[str, Any]
    rows: list[Row]


def validate(sheet: Path, *options: str) -> Answer:
    """`cmassoc validate SHEET --json OUT ...` and what its JSON report says."""
    out, report = sheet.parent / "answer.json", sheet.parent / "report.xlsx"
    args = ["validate", str(sheet), "--json", str(out), "--report", str(report)]
    done = CliRunner().invoke(cli, [*args, *options], catch_exceptions=False)
    assert out.is_file(), done.output
    data = json.loads(out.read_text(encoding="utf-8"))
    # 3 exactly when a row is invalid (the callers pin every row's status), else 0
    assert done.exit_code == (3 if any(r["status"] == "invalid" for r in data["rows"]) else 0), done.output
    return Answer(done.exit_code, data["summary"], data["rows"])


def dry_run(sheet: Path, site: Path, *options: str) -> list[Row]:
    """`cmassoc run SHEET --dry-run --demo SITE`: the rows as planned against the demo site."""
    out, report = sheet.parent / "planned.json", sheet.parent / "planned.xlsx"
    args = ["run", str(sheet), "--dry-run", "--demo", str(site), "--json", str(out), "--report", str(report)]
    done = CliRunner().invoke(cli, [*args, *options], catch_exceptions=False)
    assert out.is_file(), done.output
    rows: list[Row] = json.loads(out.read_text(encoding="utf-8"))["rows"]
    # 0 exactly when every row is planned or on the site already, else 3
    assert done.exit_code == (0 if {r["status"] for r in rows} <= {"planned", "exists"} else 3), done.output
    return rows


def csv_wave(tmp_path: Path, header: list[str], *rows: list[str], name: str = "wave.csv") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def xlsx_wave(tmp_path: Path, sheets: dict[str, Sequence[Sequence[object]]], name: str = "wave.xlsx") -> Path:
    """A workbook with these sheets (title: rows) in this order; cells keep their Python types."""
    book = openpyxl.Workbook()
    for index, (title, rows) in enumerate(sheets.items()):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def said(row: Row) -> list[Said]:
    return [(m["level"], m["column"], m["text"]) for m in row["messages"]]


def answer(row: Row) -> tuple[object, ...]:
    """What a row came to: status, source, destination, behaviour, users, messages."""
    return (row["status"], row["source"], row["destination"], row["behavior"], row["users"], said(row))


def placed(row: Row) -> tuple[object, ...]:
    """Where a row is (sheet, row number), then what it came to."""
    return (row["sheet"], row["row"], *answer(row))


PAIRS = ["Source", "Destination", "Behavior", "Users"]


# Computer names -------------------------------------------------------------------------------


def test_plain_names_and_users_are_read_upper_cased(tmp_path: Path) -> None:
    rows = ([f"old-{i}", f"New{i}", "2", f"contoso\\u{i};CONTOSO\\v{i}"] for i in range(200))
    got = validate(csv_wave(tmp_path, PAIRS, *rows))
    assert got.exit_code == 0
    assert [placed(r) for r in got.rows] == [
        ("wave.csv", i + 2, "valid", f"OLD-{i}", f"NEW{i}", 2, [f"CONTOSO\\u{i}", f"CONTOSO\\v{i}"], [])
        for i in range(200)
    ]
    assert {r["users_from"] for r in got.rows} == {"sheet"}


NAME_CASES: list[tuple[str, str | None, list[tuple[str, str]]]] = [
    # the cell as typed; the name read (None: none); the messages on the cell (level, text)
    ("PC7", "PC7", []),
    ("pc-7", "PC-7", []),
    (" PC7 ", "PC7", []),
    ("PC7.contoso.com", "PC7", [("note", DNS_NAME.format("PC7.contoso.com", "PC7"))]),
    ("pc7.Contoso.Com", "PC7", [("note", DNS_NAME.format("pc7.Contoso.Com", "pc7"))]),
    ("PC7$", "PC7", [("note", AD_ACCOUNT.format("PC7$", "PC7"))]),
    ("PC7\u200b", "PC7", [("note", INVISIBLE.format("zero width space"))]),
    ("\ufeffPC7\u00ad", "PC7", [("note", INVISIBLE.format("soft hyphen, zero width no-break space"))]),
    ("\u00a0PC7\u00a0", "PC7", [("note", NBSP_AROUND)]),
    ("12345", None, [("error", ALL_DIGITS.format("12345"))]),
    ("PC_7", "PC_7", [("warning", NOT_DNS_HOST.format("PC_7"))]),
    ("-PC7", "-PC7", [("warning", NOT_DNS_HOST.format("-PC7"))]),
    ("", None, [("error", EMPTY_NAME)]),
    ("   ", None, [("error", EMPTY_NAME)]),
    ("PC 7", None, [("error", BAD_CHARACTERS.format("PC 7", "space"))]),
    ("PC*7", None, [("error", BAD_CHARACTERS.format("PC*7", "'*' (asterisk)"))]),
    ("PC\u00a07", None, [("error", INNER_NBSP.format("PC\u00a07"))]),
    ("AVERYLONGCOMPUTERNAME7", None, [("error", TOO_LONG_NAME.format("AVERYLONGCOMPUTERNAME7", 22))]),
    (
        "X" * 300,
        None,
        [("error", "X" * 60 + "... (300 characters) is not a computer name (at most 15 characters)")],
    ),
    ("CONTOSO\\PC7", None, [("error", DOMAIN_NAME.format("CONTOSO\\PC7"))]),
    ("PC7..contoso", None, [("error", NEITHER.format("PC7..contoso"))]),
    (".PC7", None, [("error", NEITHER.format(".PC7"))]),
]


@pytest.mark.parametrize("column", ["Source", "Destination"])
@pytest.mark.parametrize(("cell", "name", "messages"), NAME_CASES)
def test_computer_name_cells(
    tmp_path: Path, column: str, cell: str, name: str | None, messages: list[tuple[str, str]]
) -> None:
    names: tuple[str | None, str | None]
    if column == "Source":
        pair, names = [cell, "NB1"], (name, "NB1")
    else:
        pair, names = ["PC1", cell], ("PC1", name)
    [row] = validate(csv_wave(tmp_path, PAIRS, [*pair, "0", ""])).rows
    status = "invalid" if any(level == "error" for level, _ in messages) else "valid"
    assert answer(row) == (status, *names, 0, [], [(level, column, text) for level, text in messages])


# Behaviours -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "behaviour", "messages"),
    [
        ("0", 0, [warning("Users", NOT_SENT.format(1))]),
        ("1", 1, []),
        ("2", 2, []),
        (" 2 ", 2, []),
        ("", 2, []),  # the default: 2 unless --behavior says otherwise
        ("   ", 2, []),
        ("CaptureAndRestoreAllUserAccounts", 0, [warning("Users", NOT_SENT.format(1))]),
        ("CaptureAllUserAccountsAndRestoreSpecifiedAccounts", 1, []),
        ("CaptureAndRestoreSpecifiedUserAccounts", 2, []),
        ("capture and restore specified user accounts", 2, []),
        ("Capture all user accounts and restore specified accounts", 1, []),
        ("all users", 0, [warning("Users", NOT_SENT.format(1))]),
        ("0 - All users", 0, [warning("Users", NOT_SENT.format(1))]),
        ("specified users", 2, []),
        ("all", None, [error("Behavior", ALL_OR_SOME)]),  # 0 and 1 both capture all: never guessed
        ("two", None, [error("Behavior", NOT_A_BEHAVIOUR.format("two"))]),
        ("3", None, [error("Behavior", NOT_A_BEHAVIOUR.format("3"))]),
        ("-1", None, [error("Behavior", NOT_A_BEHAVIOUR.format("-1"))]),
        ("2.5", None, [error("Behavior", NOT_A_BEHAVIOUR.format("2.5"))]),
    ],
)
def test_behaviour_cells(tmp_path: Path, cell: str, behaviour: int | None, messages: list[Said]) -> None:
    [row] = validate(csv_wave(tmp_path, PAIRS, ["PC1", "NB1", cell, "CONTOSO\\a"])).rows
    users = [] if behaviour == 0 else ["CONTOSO\\a"]  # behaviour 0 sends none
    status = "invalid" if behaviour is None else "valid"
    assert answer(row) == (status, "PC1", "NB1", behaviour, users, messages)
    assert row["users_from"] == "sheet"


@pytest.mark.parametrize(
    ("option", "default"),
    [
        ([], 2),
        (["--behavior", "0"], 0),
        (["--behaviour", "1"], 1),
        (["--behavior", "CaptureAndRestoreAllUserAccounts"], 0),
    ],
)
def test_the_default_behaviour_fills_empty_cells_only(
    tmp_path: Path, option: list[str], default: int
) -> None:
    sheet = csv_wave(
        tmp_path,
        PAIRS,
        ["PC1", "NB1", "", "CONTOSO\\a"],
        ["PC2", "NB2", "  ", "CONTOSO\\a"],
        ["PC3", "NB3", "2", "CONTOSO\\a"],
        ["PC4", "NB4", "0", ""],
    )
    got = validate(sheet, *option)
    assert [r["behavior"] for r in got.rows] == [default, default, 2, 0]
    assert got.summary["default_behavior"] == default


def test_a_sheet_without_a_behaviour_column_takes_the_default(tmp_path: Path) -> None:
    got = validate(csv_wave(tmp_path, ["Source", "Destination"], ["PC1", "NB1"]), "--behavior", "0")
    assert [answer(r) for r in got.rows] == [("valid", "PC1", "NB1", 0, [], [])]


def test_behaviours_1_and_2_need_users_and_0_sends_none(tmp_path: Path) -> None:
    sheet = csv_wave(
        tmp_path,
        PAIRS,
        ["PC1", "NB1", "1", ""],
        ["PC2", "NB2", "2", ""],
        ["PC3", "NB3", "0", "CONTOSO\\a;CONTOSO\\b"],
        ["PC4", "NB4", "0", ""],
        ["PC5", "NB5", "2", "nodomain"],  # the cell's own message is enough
    )
    got = validate(sheet)
    assert got.exit_code == 3
    assert [answer(r) for r in got.rows] == [
        ("invalid", "PC1", "NB1", 1, [], [error("Users", NEEDS_USERS.format(B1))]),
        ("invalid", "PC2", "NB2", 2, [], [error("Users", NEEDS_USERS.format(B2))]),
        ("valid", "PC3", "NB3", 0, [], [warning("Users", NOT_SENT.format(2))]),
        ("valid", "PC4", "NB4", 0, [], []),
        ("invalid", "PC5", "NB5", 2, [], [error("Users", NO_DOMAIN.format("nodomain"))]),
    ]
    assert [r["users_from"] for r in got.rows] == [None, None, "sheet", None, "sheet"]


@pytest.mark.parametrize("where", ["primary", "last-logon"])
def test_users_from_the_site_leave_rows_without_users_to_the_site(tmp_path: Path, where: str) -> None:
    sheet = csv_wave(
        tmp_path,
        PAIRS,
        ["PC1", "NB1", "1", ""],
        ["PC2", "NB2", "2", ""],
        ["PC3", "NB3", "", ""],
        ["PC4", "NB4", "2", "CONTOSO\\a"],
        ["PC5", "NB5", "0", "CONTOSO\\a"],
        ["PC6", "NB6", "2", "nodomain"],
    )
    got = validate(sheet, "--users-from", where)
    assert [answer(r) for r in got.rows] == [
        ("valid", "PC1", "NB1", 1, [], []),
        ("valid", "PC2", "NB2", 2, [], []),
        ("valid", "PC3", "NB3", 2, [], []),
        ("valid", "PC4", "NB4", 2, ["CONTOSO\\a"], []),
        ("valid", "PC5", "NB5", 0, [], [warning("Users", NOT_SENT.format(1))]),
        ("invalid", "PC6", "NB6", 2, [], [error("Users", NO_DOMAIN.format("nodomain"))]),
    ]
    assert [r["users_from"] for r in got.rows] == [None, None, None, "sheet", "sheet", "sheet"]


# Users cells ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "users", "messages"),
    [
        ("CONTOSO\\u1", ["CONTOSO\\u1"], []),
        ("contoso\\u1", ["CONTOSO\\u1"], []),
        ("CONTOSO\\u1;CONTOSO\\v1", ["CONTOSO\\u1", "CONTOSO\\v1"], []),
        ("contoso\\u1, CONTOSO\\w1", ["CONTOSO\\u1", "CONTOSO\\w1"], []),
        ("CONTOSO\\u1\nCONTOSO\\x1", ["CONTOSO\\u1", "CONTOSO\\x1"], []),
        ("CONTOSO\\u1\r\nCONTOSO\\x1", ["CONTOSO\\u1", "CONTOSO\\x1"], []),
        ("CONTOSO\\u1 ; ; CONTOSO\\v1;", ["CONTOSO\\u1", "CONTOSO\\v1"], []),
        ("CONTOSO\\u1;", ["CONTOSO\\u1"], []),
        (" CONTOSO\\u1", ["CONTOSO\\u1"], []),
        ("CONTOSO\\John Smith", ["CONTOSO\\John Smith"], []),
        ("CONTOSO\\u1;contoso\\U1", ["CONTOSO\\u1"], [("note", TWICE.format("contoso\\U1"))]),
        (
            "u1@contoso.com",
            ["CONTOSO\\u1"],
            [("note", UPN.format("u1@contoso.com", "CONTOSO\\u1", "CONTOSO"))],
        ),
        ("CONTOSO\\u1\u200b", ["CONTOSO\\u1"], [("note", INVISIBLE.format("zero width space"))]),
        ("u1", [], [("error", NO_DOMAIN.format("u1"))]),
        ("CONTOSO\\u1;nodomain", ["CONTOSO\\u1"], [("error", NO_DOMAIN.format("nodomain"))]),
        ("CONTOSO\\\\u1", [], [("error", ONE_BACKSLASH.format("CONTOSO\\\\u1"))]),
        ("CONTOSO\\", [], [("error", BOTH_PARTS.format("CONTOSO\\"))]),
        (
            "LONGERDOMAINNAME\\a",
            [],
            [("error", NOT_NETBIOS.format("LONGERDOMAINNAME", "LONGERDOMAINNAME\\a"))],
        ),
        (
            "CONTOSO\\a21charactersusername",
            [],
            [("error", NOT_LOGON.format("a21charactersusername", "CONTOSO\\a21charactersusername"))],
        ),
        ("CONTOSO\\a.", [], [("error", NOT_LOGON.format("a.", "CONTOSO\\a."))]),
    ],
)
def test_users_cells(tmp_path: Path, cell: str, users: list[str], messages: list[tuple[str, str]]) -> None:
    [row] = validate(csv_wave(tmp_path, PAIRS, ["PC1", "NB1", "2", cell])).rows
    status = "invalid" if any(level == "error" for level, _ in messages) else "valid"
    assert answer(row) == (
        status,
        "PC1",
        "NB1",
        2,
        users,
        [(level, "Users", text) for level, text in messages],
    )
    assert row["users_from"] == "sheet"


@pytest.mark.parametrize("cell", ["", "   "])
def test_an_empty_users_cell_is_no_users(tmp_path: Path, cell: str) -> None:
    [row] = validate(csv_wave(tmp_path, PAIRS, ["PC1", "NB1", "2", cell])).rows
    assert answer(row) == ("invalid", "PC1", "NB1", 2, [], [error("Users", NEEDS_USERS.format(B2))])
    assert row["users_from"] is None


@pytest.mark.parametrize(
    ("cell", "users", "twice"),
    [
        # an account listed twice (case aside) is found wherever it sits among the cell's accounts
        ("CONTOSO\\a;contoso\\A", ["CONTOSO\\a"], ["contoso\\A"]),
        ("X\\a, Y\\b, x\\A", ["X\\a", "Y\\b"], ["x\\A"]),
        ("X\\a,Y\\b;Z\\c, Y\\b", ["X\\a", "Y\\b", "Z\\c"], ["Y\\b"]),
        ("X\\a;X\\a;X\\a", ["X\\a"], ["X\\a", "X\\a"]),
        ("X\\a;Y\\b;x\\a;y\\B", ["X\\a", "Y\\b"], ["x\\a", "y\\B"]),
        # the same user name in two domains is two accounts
        ("x\\a;y\\a", ["X\\a", "Y\\a"], []),
        ("X\\a;X\\b", ["X\\a", "X\\b"], []),
    ],
)
def test_an_account_listed_twice_is_kept_once(
    tmp_path: Path, cell: str, users: list[str], twice: list[str]
) -> None:
    sheet = csv_wave(tmp_path, PAIRS, ["PC1", "NB1", "2", cell], ["PC2", "NB2", "0", cell])
    specified, every = validate(sheet).rows
    notes = [note("Users", TWICE.format(account)) for account in twice]
    assert answer(specified) == ("valid", "PC1", "NB1", 2, users, notes)
    # a behaviour that takes every account still says which were named twice, then sends none
    assert answer(every) == (
        "valid",
        "PC2",
        "NB2",
        0,
        [],
        [*notes, warning("Users", NOT_SENT.format(len(users)))],
    )


# Cells too long for Excel ---------------------------------------------------------------------


def test_cells_longer_than_excel_allows_are_errors_and_not_checked_further(tmp_path: Path) -> None:
    sheet = csv_wave(
        tmp_path,
        [*PAIRS, "Notes"],
        ["X" * 40_000, "NB1", "2", "CONTOSO\\a", "n"],
        ["PC2", "NB2", "2", "CONTOSO\\a;" * 4_000, "y" * 32_768],
        ["PC3", "NB3", "2", "CONTOSO\\a", "z" * 32_767],  # as long as a cell can be: fine
    )
    got = validate(sheet)
    assert [answer(r) for r in got.rows] == [
        ("invalid", None, "NB1", 2, ["CONTOSO\\a"], [error("Source", OVERLONG.format(40_000))]),
        (
            "invalid",
            "PC2",
            "NB2",
            2,
            [],  # no second message for the users a behaviour 2 needs
            [error("Users", OVERLONG.format(40_000)), error("Notes", OVERLONG.format(32_768))],
        ),
        ("valid", "PC3", "NB3", 2, ["CONTOSO\\a"], []),
    ]
    # The report carries each cell cut to what a cell holds, saying how long it was.
    first, second, third = (r["values"] for r in got.rows)
    cut_40000, cut_32768 = " [... cut: 40,000 characters in all]", " [... cut: 32,768 characters in all]"
    assert first["Source"] == "X" * (32_767 - len(cut_40000)) + cut_40000
    assert second["Users"] == ("CONTOSO\\a;" * 4_000)[: 32_767 - len(cut_40000)] + cut_40000
    assert second["Notes"] == "y" * (32_767 - len(cut_32768)) + cut_32768
    assert third["Notes"] == "z" * 32_767


# Typed cells of a workbook --------------------------------------------------------------------

WHAT = {
    "Source": "a computer name",
    "Destination": "a computer name",
    "Behavior": "a migration behaviour",
    "Users": "a user account",
    "SourceResourceID": "a ResourceID",
    "RestoreResourceID": "a ResourceID",
    "MAC Address": "a MAC address",
    "SMBIOS GUID": "an SMBIOS GUID",
    "Collection": "a collection",
}
TYPED = {
    # the cell as openpyxl writes it, and what the message says of it ({what}: see WHAT)
    "number": (
        12.5,
        "'12.5' is a number with a fraction, not {what}: check that the column holds what its header says",
    ),
    "true": (
        True,
        "'TRUE' is a TRUE/FALSE value, not {what}: check that the column holds what its header says",
    ),
    "false": (
        False,
        "'FALSE' is a TRUE/FALSE value, not {what}: check that the column holds what its header says",
    ),
    "error": (
        "#N/A",
        "'#N/A' is an Excel error value, not {what}: fix the formula that gives it, or type the value",
    ),
    "other error": (
        "#DIV/0!",
        "'#DIV/0!' is an Excel error value, not {what}: fix the formula that gives it, or type the value",
    ),
    # openpyxl saves a formula without its value: a formula never calculated
    "formula": (
        "=1+1",
        "is a formula that was never calculated, not {what}: the file was written by a program: open it in Excel and save it, or type the value",
    ),
}
EVERY_COLUMN = [*PAIRS, "SourceResourceID", "RestoreResourceID", "MAC Address", "SMBIOS GUID", "Collection"]


@pytest.mark.parametrize("kind", list(TYPED))
def test_typed_cells_get_a_message_of_their_own(tmp_path: Path, kind: str) -> None:
    value, text = TYPED[kind]

    def row(**cells: object) -> list[object]:
        return [cells.get(column.replace(" ", "_")) for column in EVERY_COLUMN]

    sheet = xlsx_wave(
        tmp_path,
        {
            "Wave": [
                EVERY_COLUMN,
                row(Source=value, Destination="NB1", Behavior=0),
                row(Source="PC2", Destination=value, Behavior=0),
                row(Source="PC3", Destination="NB3", Behavior=value, Users="CONTOSO\\a"),
                row(Source="PC4", Destination="NB4", Behavior=2, Users=value),
                row(
                    Source="PC5",
                    Destination="NB5",
                    Behavior=0,
                    SourceResourceID=value,
                    RestoreResourceID=value,
                    MAC_Address=value,
                    SMBIOS_GUID=value,
                    Collection=value,
                ),
            ]
        },
    )

    def typed(column: str) -> Said:
        return error(column, text.format(what=WHAT[column]))

    # a number in the Behavior column is judged as a behaviour: 0, 1 and 2 are numbers too
    behaviour = error("Behavior", NOT_A_BEHAVIOUR.format("12.5")) if kind == "number" else typed("Behavior")
    hardware = ["SourceResourceID", "RestoreResourceID", "MAC Address", "SMBIOS GUID", "Collection"]
    got = validate(sheet)
    assert [answer(r) for r in got.rows] == [
        ("invalid", None, "NB1", 0, [], [typed("Source")]),
        ("invalid", "PC2", None, 0, [], [typed("Destination")]),
        ("invalid", "PC3", "NB3", None, ["CONTOSO\\a"], [behaviour]),
        ("invalid", "PC4", "NB4", 2, [], [typed("Users")]),  # no second message for the missing users
        ("invalid", "PC5", "NB5", 0, [], [typed(column) for column in hardware]),
    ]
    assert got.rows[3]["users_from"] == "sheet"


def test_whole_number_cells_read_as_their_digits(tmp_path: Path) -> None:
    sheet = xlsx_wave(
        tmp_path,
        {
            "Wave": [
                [*PAIRS, "SourceResourceID", "Notes"],
                ["PC1", "NB1", 2, "CONTOSO\\a", 16777216, 42],
                ["PC2", "NB2", 2.0, "CONTOSO\\a", 16777217.0, 42.0],
                [1234, "NB3", 0, None, None, -3],
                ["PC4", "NB4", 2, 12, None, None],
            ]
        },
    )
    got = validate(sheet)
    assert [answer(r) for r in got.rows] == [
        ("valid", "PC1", "NB1", 2, ["CONTOSO\\a"], []),
        ("valid", "PC2", "NB2", 2, ["CONTOSO\\a"], []),
        ("invalid", None, "NB3", 0, [], [error("Source", ALL_DIGITS.format("1234"))]),
        ("invalid", "PC4", "NB4", 2, [], [error("Users", NO_DOMAIN.format("12"))]),
    ]
    assert [(r["values"]["SourceResourceID"], r["values"]["Notes"]) for r in got.rows] == [
        ("16777216", "42"),
        ("16777217", "42"),
        ("", "-3"),
        ("", ""),
    ]


# ResourceID, MAC address, SMBIOS GUID and Collection columns ----------------------------------


def test_resource_id_cells(tmp_path: Path) -> None:
    sheet = csv_wave(
        tmp_path,
        ["Source", "Destination", "Behavior", "SourceResourceID", "RestoreResourceID"],
        ["PC1", "NB1", "0", "16777216", ""],
        ["PC2", "NB2", "0", "16777216.0", " 16777217 "],
        ["PC3", "NB3", "0", "abc", "0"],
        ["PC4", "NB4", "0", "-5", "99999999999"],
        ["PC5", "NB5", "0", "4294967295", "4294967296"],
        ["PC6", "NB6", "0", "1.5", "0x10"],
    )
    got = validate(sheet)

    def bad(source_id: str | None, restore_id: str | None) -> list[Said]:
        given = [("SourceResourceID", source_id), ("RestoreResourceID", restore_id)]
        return [error(column, NOT_AN_ID.format(text)) for column, text in given if text is not None]

    assert [answer(r) for r in got.rows] == [
        ("valid", "PC1", "NB1", 0, [], []),
        ("valid", "PC2", "NB2", 0, [], []),
        ("invalid", "PC3", "NB3", 0, [], bad("abc", "0")),
        ("invalid", "PC4", "NB4", 0, [], bad("-5", "99999999999")),
        ("invalid", "PC5", "NB5", 0, [], bad(None, "4294967296")),
        ("invalid", "PC6", "NB6", 0, [], bad("1.5", "0x10")),
    ]
    # validate asks no site: the IDs of the computers are not known yet
    assert {(r["source_resource_id"], r["restore_resource_id"]) for r in got.rows} == {(None, None)}


def test_given_resource_ids_are_the_ones_the_site_is_asked_for(tmp_path: Path, site_path: Path) -> None:
    sheet = csv_wave(
        tmp_path,
        ["Source", "Destination", "Behavior", "SourceResourceID", "RestoreResourceID"],
        ["CON-PC0003", "CON-NB0003", "0", "16777219", "16777259.0"],
        ["CON-PC0005", "CON-NB0005", "0", "16777299", ""],
    )
    planned, wrong = dry_run(sheet, site_path)
    assert (planned["status"], planned["source_resource_id"], planned["restore_resource_id"]) == (
        "planned",
        16777219,
        16777259,
    )
    assert said(planned) == []
    assert (wrong["status"], said(wrong)) == (
        "unresolved",
        [
            error(
                "Source", "ResourceID 16777299 belongs to CON-PC0098, not CON-PC0005: fix the name or the ID"
            )
        ],
    )


@pytest.mark.parametrize(
    ("cell", "mac", "problem"),
    [
        ("00:11:22:33:44:0A", "00:11:22:33:44:0A", None),
        ("00-11-22-33-44-0b", "00:11:22:33:44:0B", None),
        ("001122334455", "00:11:22:33:44:55", None),
        ("0011.2233.4455", "00:11:22:33:44:55", None),
        (" 00:11:22:33:44:55 ", "00:11:22:33:44:55", None),
        ("FF:FF:FF:FF:FF:FF", None, "FF:FF:FF:FF:FF:FF is the broadcast address, not a network card's"),
        (
            "00:00:00:00:00:00",
            None,
            "00:00:00:00:00:00 is the all-zero MAC address, which no network card has",
        ),
        (
            "01:00:5E:00:00:01",
            None,
            "01:00:5E:00:00:01 is a multicast address (odd first byte), not a network card's",
        ),
        ("zz", None, NOT_A_MAC.format("zz")),
        ("00:11:22:33:44", None, NOT_A_MAC.format("00:11:22:33:44")),
    ],
)
def test_mac_address_cells(tmp_path: Path, cell: str, mac: str | None, problem: str | None) -> None:
    sheet = csv_wave(
        tmp_path, ["Source", "Destination", "Behavior", "MAC Address"], ["PC1", "NB1", "0", cell]
    )
    [row] = validate(sheet).rows
    messages = [error("MAC Address", problem)] if problem else []
    assert answer(row) == ("invalid" if problem else "valid", "PC1", "NB1", 0, [], messages)
    assert row["mac"] == mac


GUID = "4C4C4544-0042-3510-8052-B3C04F4B0A32"


@pytest.mark.parametrize(
    ("cell", "guid", "problem"),
    [
        (GUID, GUID, None),
        (GUID.lower(), GUID, None),
        ("{" + GUID + "}", GUID, None),
        (GUID.replace("-", ""), GUID, None),
        ("4C4C454400423510 8052B3C04F4B0A32", None, NOT_A_GUID.format("4C4C454400423510 8052B3C04F4B0A32")),
        ("not-a-guid", None, NOT_A_GUID.format("not-a-guid")),
        (
            "00000000-0000-0000-0000-000000000000",
            None,
            PLACEHOLDER_GUID.format("00000000-0000-0000-0000-000000000000"),
        ),
        (
            "ffffffffffffffffffffffffffffffff",
            None,
            PLACEHOLDER_GUID.format("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"),
        ),
    ],
)
def test_smbios_guid_cells(tmp_path: Path, cell: str, guid: str | None, problem: str | None) -> None:
    sheet = csv_wave(
        tmp_path, ["Source", "Destination", "Behavior", "SMBIOS GUID"], ["PC1", "NB1", "0", cell]
    )
    [row] = validate(sheet).rows
    messages = [error("SMBIOS GUID", problem)] if problem else []
    assert answer(row) == ("invalid" if problem else "valid", "PC1", "NB1", 0, [], messages)
    assert row["smbios_guid"] == guid


def test_one_mac_or_guid_belongs_to_one_new_computer(tmp_path: Path) -> None:
    sheet = csv_wave(
        tmp_path,
        ["Source", "Destination", "Behavior", "MAC Address", "SMBIOS GUID"],
        ["PC1", "NB1", "0", "00:11:22:33:44:55", ""],
        ["PC2", "NB2", "0", "001122334455", GUID],
        ["PC3", "NB3", "0", "", GUID.lower()],
        ["PC4", "NB4", "0", "00:11:22:33:44:66", ""],
        ["PC5", "NB4", "0", "00-11-22-33-44-66", ""],  # one new computer in two rows: one MAC, its own
    )
    mac_twice = error("MAC Address", SEVERAL_COMPUTERS.format("00:11:22:33:44:55", "NB1, NB2"))
    guid_twice = error("SMBIOS GUID", SEVERAL_COMPUTERS.format(GUID, "NB2, NB3"))
    got = validate(sheet)
    pc5_too = error(None, ONE_SOURCE.format("NB4", "PC5", "wave.csv row 6"))
    pc4_too = error(None, ONE_SOURCE.format("NB4", "PC4", "wave.csv row 5"))
    assert [(*answer(r), r["mac"], r["smbios_guid"]) for r in got.rows] == [
        ("invalid", "PC1", "NB1", 0, [], [mac_twice], "00:11:22:33:44:55", None),
        ("invalid", "PC2", "NB2", 0, [], [mac_twice, guid_twice], "00:11:22:33:44:55", GUID),
        ("invalid", "PC3", "NB3", 0, [], [guid_twice], None, GUID),
        ("invalid", "PC4", "NB4", 0, [], [pc5_too], "00:11:22:33:44:66", None),
        ("invalid", "PC5", "NB4", 0, [], [pc4_too], "00:11:22:33:44:66", None),
    ]


def test_collection_cells_are_read_without_messages(tmp_path: Path) -> None:
    sheet = csv_wave(
        tmp_path,
        ["Source", "Destination", "Behavior", "Collection"],
        ["PC1", "NB1", "0", "CON00012"],
        ["PC2", "NB2", "0", "All Laptops"],
        ["PC3", "NB3", "0", "con00012;CON00013\nAll Laptops; all laptops ;"],
        ["PC4", "NB4", "0", ""],
    )
    got = validate(sheet, "--collection", "con00099")
    assert [answer(r) for r in got.rows] == [
        ("valid", "PC1", "NB1", 0, [], []),
        ("valid", "PC2", "NB2", 0, [], []),
        ("valid", "PC3", "NB3", 0, [], []),
        ("valid", "PC4", "NB4", 0, [], []),
    ]
    assert got.summary["collections"] == "CON00099"


def test_collections_of_the_option_and_the_cell_once_each(tmp_path: Path, site_path: Path) -> None:
    """--collection first, then the cell's, each once; IDs upper-cased, a cell's repeats found case aside."""
    sheet = csv_wave(
        tmp_path,
        ["Source", "Destination", "Behavior", "Collection"],
        ["CON-PC0003", "CON-NB0003", "0", "dem00010;DEM00010\n dem00010 ;Wave Refresh - Pilot"],
        ["CON-PC0004", "CON-NB0004", "0", ""],
    )
    first, second = dry_run(sheet, site_path, "--collection", "Wave Refresh - Pilot")
    assert (first["status"], first["collections"], said(first)) == (
        "planned",
        ["DEM00011 (Wave Refresh - Pilot): to add", "DEM00010 (Windows 11 Deployment): to add"],
        [],
    )
    assert (second["status"], second["collections"], said(second)) == (
        "planned",
        ["DEM00011 (Wave Refresh - Pilot): to add"],
        [],
    )


# Users on a sheet of their own, or in a file of their own -------------------------------------


def test_a_users_sheet_adds_users_to_the_pairs_of_its_sources(tmp_path: Path) -> None:
    sheet = xlsx_wave(
        tmp_path,
        {
            "Pairs": [
                [*PAIRS, "Notes"],
                ["OLD1", "NEW1", 2, None, "a"],  # users from the users sheet only
                ["OLD2", "NEW2", 2, "CONTOSO\\own", "b"],  # its own and the users sheet's
                ["OLD3", "NEW3", 0, None, "c"],  # behaviour 0: listed, then not sent
                ["OLD4", "NEW4", 1, None, None],
                ["OLD4", "NEW5", 1, None, None],  # a users row naming NEW5 is for this pair only
            ],
            "Users": [
                ["Source", "Destination", "Users"],
                ["old1", None, "CONTOSO\\x;contoso\\y"],
                ["OLD1", None, "CONTOSO\\X"],
                ["OLD2", None, "CONTOSO\\extra"],
                ["OLD3", None, "CONTOSO\\z"],
                ["OLD4", "new5", "CONTOSO\\w"],
                ["OLD4", "NEW9", "CONTOSO\\v"],
                ["NOSUCHPC", None, "CONTOSO\\orphan"],
                ["BAD NAME", None, "CONTOSO\\q"],
                ["OLD2", None, "nodomain"],
            ],
        },
    )
    got = validate(sheet)
    twice = note("Users (Users row 3)", TWICE.format("CONTOSO\\X"))
    no_domain = error("Users (Users row 10)", NO_DOMAIN.format("nodomain"))
    bad_name = error("Source", BAD_CHARACTERS.format("BAD NAME", "space"))
    assert [(*placed(r), r["users_from"]) for r in got.rows] == [
        ("Pairs", 2, "valid", "OLD1", "NEW1", 2, ["CONTOSO\\x", "CONTOSO\\y"], [twice], "users sheet"),
        ("Pairs", 3, "invalid", "OLD2", "NEW2", 2, ["CONTOSO\\own", "CONTOSO\\extra"], [no_domain], "sheet"),
        ("Pairs", 4, "valid", "OLD3", "NEW3", 0, [], [warning("Users", NOT_SENT.format(1))], "users sheet"),
        ("Pairs", 5, "invalid", "OLD4", "NEW4", 1, [], [error("Users", NEEDS_USERS.format(B1))], None),
        ("Pairs", 6, "valid", "OLD4", "NEW5", 1, ["CONTOSO\\w"], [], "users sheet"),
        # users rows that match no pair come after the pairs, as rows of their own
        (
            "Users",
            7,
            "invalid",
            "OLD4",
            "NEW9",
            None,
            [],
            [error(None, NO_PAIR.format("OLD4 -> NEW9"))],
            None,
        ),
        (
            "Users",
            8,
            "invalid",
            "NOSUCHPC",
            None,
            None,
            [],
            [error(None, NO_PAIR.format("source NOSUCHPC"))],
            None,
        ),
        ("Users", 9, "invalid", None, None, None, [], [bad_name], None),
    ]
    assert got.rows[6]["values"] == {"Source": "NOSUCHPC", "Destination": "", "Users": "CONTOSO\\orphan"}


def test_a_separate_users_file(tmp_path: Path) -> None:
    sheet = csv_wave(
        tmp_path, ["Source", "Destination", "Behavior"], ["PC1", "NB1", "2"], ["PC2", "NB2", "2"]
    )
    users = csv_wave(
        tmp_path,
        ["Computer", "User"],
        ["PC1", "CONTOSO\\a"],
        ["pc1", "contoso\\b"],
        ["PC9", "CONTOSO\\c"],
        name="users.csv",
    )
    got = validate(sheet, "--users", str(users))
    assert [(*placed(r), r["users_from"]) for r in got.rows] == [
        ("wave.csv", 2, "valid", "PC1", "NB1", 2, ["CONTOSO\\a", "CONTOSO\\b"], [], "users sheet"),
        ("wave.csv", 3, "invalid", "PC2", "NB2", 2, [], [error("Users", NEEDS_USERS.format(B2))], None),
        ("users.csv", 4, "invalid", "PC9", None, None, [], [error(None, NO_PAIR.format("source PC9"))], None),
    ]
    assert got.rows[2]["values"] == {"Computer": "PC9", "User": "CONTOSO\\c"}


# Rules between rows ---------------------------------------------------------------------------


def test_an_in_place_pair_is_an_error(tmp_path: Path) -> None:
    sheet = csv_wave(tmp_path, PAIRS, ["PC1", "pc1.contoso.com", "0", ""], ["PC2", "PC2", "0", ""])
    fqdn = note("Destination", DNS_NAME.format("pc1.contoso.com", "pc1"))
    assert [answer(r) for r in validate(sheet).rows] == [
        ("invalid", "PC1", "PC1", 0, [], [fqdn, error("Destination", IN_PLACE.format("PC1"))]),
        ("invalid", "PC2", "PC2", 0, [], [error("Destination", IN_PLACE.format("PC2"))]),
    ]


def test_a_repeated_pair_is_imported_once(tmp_path: Path) -> None:
    sheet = csv_wave(
        tmp_path,
        PAIRS,
        ["PC1", "NB1", "0", ""],
        ["pc1", "nb1.contoso.com", "0", ""],
        ["PC1", "NB1", "", ""],  # no behaviour: the default, 0 here (--behavior 0), so the same pair again
        ["PC2", "NB2", "2", "CONTOSO\\a;CONTOSO\\b"],
        ["PC2", "NB2", "2", "contoso\\B, CONTOSO\\A"],  # the same users, in another order and case
    )
    got = validate(sheet, "--behavior", "0")
    fqdn = note("Destination", DNS_NAME.format("nb1.contoso.com", "nb1"))
    assert [answer(r) for r in got.rows] == [
        ("valid", "PC1", "NB1", 0, [], []),
        ("invalid", "PC1", "NB1", 0, [], [fqdn, error(None, REPEATS.format("wave.csv row 2"))]),
        ("invalid", "PC1", "NB1", 0, [], [error(None, REPEATS.format("wave.csv row 2"))]),
        ("valid", "PC2", "NB2", 2, ["CONTOSO\\a", "CONTOSO\\b"], []),
        (
            "invalid",
            "PC2",
            "NB2",
            2,
            ["CONTOSO\\B", "CONTOSO\\A"],
            [error(None, REPEATS.format("wave.csv row 5"))],
        ),
    ]


def test_a_pair_repeated_with_other_users_or_behaviour_is_an_error_on_every_row(tmp_path: Path) -> None:
    sheet = csv_wave(
        tmp_path,
        PAIRS,
        ["PC1", "NB1", "2", "CONTOSO\\a"],
        ["PC1", "NB1", "2", "CONTOSO\\b"],
        ["PC2", "NB2", "1", "CONTOSO\\a"],
        ["PC2", "NB2", "2", "CONTOSO\\a"],
        ["PC2", "NB2", "2", "CONTOSO\\a"],
    )
    one = error(None, DIFFERENT.format("PC1", "NB1", "wave.csv row 2, wave.csv row 3"))
    two = error(None, DIFFERENT.format("PC2", "NB2", "wave.csv row 4, wave.csv row 5, wave.csv row 6"))
    assert [answer(r) for r in validate(sheet).rows] == [
        ("invalid", "PC1", "NB1", 2, ["CONTOSO\\a"], [one]),
        ("invalid", "PC1", "NB1", 2, ["CONTOSO\\b"], [one]),
        ("invalid", "PC2", "NB2", 1, ["CONTOSO\\a"], [two]),
        ("invalid", "PC2", "NB2", 2, ["CONTOSO\\a"], [two]),
        ("invalid", "PC2", "NB2", 2, ["CONTOSO\\a"], [two]),
    ]


def test_association_rules_between_pairs(tmp_path: Path) -> None:
    sheet = csv_wave(
        tmp_path,
        PAIRS,
        ["PC1", "NB1", "2", "CONTOSO\\a"],
        ["PC1", "NB2", "2", "CONTOSO\\a"],  # behaviour 2: one association a source
        ["PC3", "NB3", "0", ""],
        ["PC3", "NB4", "1", "CONTOSO\\a"],  # behaviours 0 and 1: several allowed
        ["PC5", "NB5", "0", ""],
        ["PC6", "NB5", "0", ""],  # one source a destination, whatever the behaviour
        ["PC7", "NB7", "0", ""],
        ["PC7", "NB8", "2", "CONTOSO\\a"],  # behaviour 2 on either side is enough
        ["PC9", "NB9", "0", ""],
        ["NB9", "NB10", "0", ""],  # a destination that is the source of another pair: allowed
    )

    def rule(text: str, *names: str) -> list[Said]:
        return [error(None, text.format(*names))]

    assert [answer(r) for r in validate(sheet).rows] == [
        ("invalid", "PC1", "NB1", 2, ["CONTOSO\\a"], rule(ONE_ASSOCIATION, "PC1", "NB2", "wave.csv row 3")),
        ("invalid", "PC1", "NB2", 2, ["CONTOSO\\a"], rule(ONE_ASSOCIATION, "PC1", "NB1", "wave.csv row 2")),
        ("valid", "PC3", "NB3", 0, [], []),
        ("valid", "PC3", "NB4", 1, ["CONTOSO\\a"], []),
        ("invalid", "PC5", "NB5", 0, [], rule(ONE_SOURCE, "NB5", "PC6", "wave.csv row 7")),
        ("invalid", "PC6", "NB5", 0, [], rule(ONE_SOURCE, "NB5", "PC5", "wave.csv row 6")),
        ("invalid", "PC7", "NB7", 0, [], rule(ONE_ASSOCIATION, "PC7", "NB8", "wave.csv row 9")),
        ("invalid", "PC7", "NB8", 2, ["CONTOSO\\a"], rule(ONE_ASSOCIATION, "PC7", "NB7", "wave.csv row 8")),
        ("valid", "PC9", "NB9", 0, [], []),
        ("valid", "NB9", "NB10", 0, [], []),
    ]


def test_every_problem_of_a_row_is_reported_in_order(tmp_path: Path) -> None:
    sheet = csv_wave(
        tmp_path,
        [*PAIRS, "SourceResourceID", "MAC Address"],
        ["BAD NAME", "nb1.contoso.com", "7", "nodomain", "abc", "zz"],
        ["PC2", "NB1", "0", "", "", ""],
    )
    first, second = validate(sheet).rows
    assert answer(first) == (
        "invalid",
        None,
        "NB1",
        None,
        [],
        [
            error("Source", BAD_CHARACTERS.format("BAD NAME", "space")),
            note("Destination", DNS_NAME.format("nb1.contoso.com", "nb1")),
            error("Behavior", NOT_A_BEHAVIOUR.format("7")),
            error("Users", NO_DOMAIN.format("nodomain")),
            error("SourceResourceID", NOT_AN_ID.format("abc")),
            error("MAC Address", NOT_A_MAC.format("zz")),
        ],
    )
    # a row without a source is no pair: the rules between pairs leave it out
    assert answer(second) == ("valid", "PC2", "NB1", 0, [], [])


# Sheets as people write them ------------------------------------------------------------------


def test_rows_keep_their_sheet_and_row_through_titles_blank_rows_and_a_footer(tmp_path: Path) -> None:
    sheet = xlsx_wave(
        tmp_path,
        {
            "Wave": [
                ["Wave 7 of the refresh"],
                [],
                [*PAIRS, "Notes"],
                ["PC1", "NB1", 0, None, "ticket 1"],
                [],
                ["   ", "", " "],  # whitespace only: blank too
                ["PC2", "NB2", 0, None, "ticket 2"],
                ["Total: 2 machines"],
            ]
        },
    )
    got = validate(sheet)
    assert [placed(r) for r in got.rows] == [
        ("Wave", 4, "valid", "PC1", "NB1", 0, [], []),
        ("Wave", 7, "valid", "PC2", "NB2", 0, [], []),
    ]
    assert [r["values"] for r in got.rows] == [
        {"Source": "PC1", "Destination": "NB1", "Behavior": "0", "Users": "", "Notes": "ticket 1"},
        {"Source": "PC2", "Destination": "NB2", "Behavior": "0", "Users": "", "Notes": "ticket 2"},
    ]
    assert got.summary["notes"] == [
        "Skipped 1 row that is not a pair: 'wave.xlsx' sheet 'Wave' row 8 'Total: 2 machines'",
        "1 column not read, carried into the report as it is: 'wave.xlsx' sheet 'Wave' column E 'Notes'",
    ]


def test_short_and_long_csv_rows(tmp_path: Path) -> None:
    path = tmp_path / "wave.csv"
    path.write_text("Source,Destination,Behavior,Users\nPC1,NB1\nPC2,NB2,0,,extra\n", encoding="utf-8")
    got = validate(path, "--behavior", "0")
    assert [answer(r) for r in got.rows] == [
        ("valid", "PC1", "NB1", 0, [], []),
        ("valid", "PC2", "NB2", 0, [], []),
    ]
    assert [r["values"] for r in got.rows] == [
        {"Source": "PC1", "Destination": "NB1", "Behavior": "", "Users": "", "Column E": ""},
        {"Source": "PC2", "Destination": "NB2", "Behavior": "0", "Users": "", "Column E": "extra"},
    ]


def test_pairs_on_several_sheets_are_checked_together(tmp_path: Path) -> None:
    sheet = xlsx_wave(
        tmp_path,
        {
            "Floor 1": [
                PAIRS,
                ["PC1", "NB1", 2, "CONTOSO\\a;CONTOSO\\b"],
                ["PC3", "NB3", 2, "CONTOSO\\a"],
                ["PC5", "NB5", 0, None],
            ],
            "Floor 2": [
                ["Old computer", "New computer", "Users", "Behaviour", "Desk"],  # other names, another order
                ["PC1", "NB1", "contoso\\B, CONTOSO\\A", 2, "2.14"],
                ["PC3", "NB3", "CONTOSO\\c", 2, "2.15"],
                ["PC6", "NB5", None, 0, "2.16"],
                ["PC7", "NB7", None, 0, "2.17"],
            ],
            "Notes": [["Nothing here is a pair"]],
        },
    )
    got = validate(sheet)
    differ = error(None, DIFFERENT.format("PC3", "NB3", "Floor 1 row 3, Floor 2 row 3"))
    assert [placed(r) for r in got.rows] == [
        ("Floor 1", 2, "valid", "PC1", "NB1", 2, ["CONTOSO\\a", "CONTOSO\\b"], []),
        ("Floor 1", 3, "invalid", "PC3", "NB3", 2, ["CONTOSO\\a"], [differ]),
        (
            "Floor 1",
            4,
            "invalid",
            "PC5",
            "NB5",
            0,
            [],
            [error(None, ONE_SOURCE.format("NB5", "PC6", "Floor 2 row 4"))],
        ),
        (
            "Floor 2",
            2,
            "invalid",
            "PC1",
            "NB1",
            2,
            ["CONTOSO\\B", "CONTOSO\\A"],
            [error(None, REPEATS.format("Floor 1 row 2"))],
        ),
        ("Floor 2", 3, "invalid", "PC3", "NB3", 2, ["CONTOSO\\c"], [differ]),
        (
            "Floor 2",
            4,
            "invalid",
            "PC6",
            "NB5",
            0,
            [],
            [error(None, ONE_SOURCE.format("NB5", "PC5", "Floor 1 row 4"))],
        ),
        ("Floor 2", 5, "valid", "PC7", "NB7", 0, [], []),
    ]
    # each row carries its own sheet's cells under its own headers
    assert got.rows[0]["values"] == {
        "Source": "PC1",
        "Destination": "NB1",
        "Behavior": "2",
        "Users": "CONTOSO\\a;CONTOSO\\b",
    }
    assert got.rows[6]["values"] == {
        "Old computer": "PC7",
        "New computer": "NB7",
        "Users": "",
        "Behaviour": "0",
        "Desk": "2.17",
    }
    assert got.summary["notes"] == [
        "sheet 'Notes' skipped: no header with source and destination (or, on a users sheet, source and users) columns",
        "1 column not read, carried into the report as it is: 'wave.xlsx' sheet 'Floor 2' column E 'Desk'",
    ]


def test_the_exit_status_and_counts_say_whether_every_row_is_valid(tmp_path: Path) -> None:
    good = validate(csv_wave(tmp_path, PAIRS, ["PC1", "NB1", "0", ""]))
    assert (good.exit_code, good.summary["counts"]["valid"], good.summary["counts"]["invalid"]) == (0, 1, 0)
    bad = validate(
        csv_wave(tmp_path, PAIRS, ["PC1", "NB1", "0", ""], ["PC2", "PC2", "0", ""], name="bad.csv")
    )
    assert (bad.exit_code, bad.summary["counts"]["valid"], bad.summary["counts"]["invalid"]) == (3, 1, 1)


REPEAT_PATTERNS = [
    # a users cell ({n}: the row's number), the accounts kept, those listed twice
    ("CONTOSO\\a{n};contoso\\A{n}", ["CONTOSO\\a{n}"], ["contoso\\A{n}"]),
    ("X\\a{n};X\\b{n}", ["X\\a{n}", "X\\b{n}"], []),
    ("x\\a{n}, y\\a{n}", ["X\\a{n}", "Y\\a{n}"], []),
    ("X\\a{n}", ["X\\a{n}"], []),
    ("", [], []),
    ("X\\a{n}, Y\\b{n}, x\\A{n}", ["X\\a{n}", "Y\\b{n}"], ["x\\A{n}"]),
    ("X\\a{n},Y\\b{n};Z\\c{n}, Y\\b{n}", ["X\\a{n}", "Y\\b{n}", "Z\\c{n}"], ["Y\\b{n}"]),
]


@pytest.mark.parametrize("patterns", [3, 7], ids=["at most two accounts a cell", "up to four"])
def test_accounts_listed_twice_are_found_in_every_row_of_a_large_wave(tmp_path: Path, patterns: int) -> None:
    """60,000 rows, a users column of over a megabyte: each row's answer is its own, wherever it sits."""
    count, behaviours = 60_000, ["2", "0", "1", "2", "2"]
    rows = []
    for i in range(count):
        cell, _, _ = REPEAT_PATTERNS[i % patterns]
        rows.append([f"OLD{i}", f"NEW{i}", behaviours[i % 5], cell.format(n=i)])
    assert sum(len(r[3]) for r in rows) > 1 << 20
    got = validate(csv_wave(tmp_path, PAIRS, *rows))
    assert len(got.rows) == count
    for i, row in enumerate(got.rows):
        _, kept, twice = REPEAT_PATTERNS[i % patterns]
        users = [u.format(n=i) for u in kept]
        behaviour = int(behaviours[i % 5])
        messages = [note("Users", TWICE.format(a.format(n=i))) for a in twice]
        if behaviour == 0 and users:
            messages.append(warning("Users", NOT_SENT.format(len(users))))
        elif behaviour != 0 and not users:
            messages.append(error("Users", NEEDS_USERS.format(B1 if behaviour == 1 else B2)))
        status = "valid" if behaviour == 0 or users else "invalid"
        expected = (status, f"OLD{i}", f"NEW{i}", behaviour, users if behaviour else [], messages)
        assert answer(row) == expected, i
