from __future__ import annotations

import pytest

from importer import messages as M
from importer.check.names import parse_computer_name, parse_user, parse_users
from importer.check.values import parse_behavior, parse_resource_id
from importer.messages import Code
from importer.model import Behavior, Level, Message


def levels(messages: list) -> list[Level]:  # type: ignore[type-arg]
    return [m.level for m in messages]


def coded(messages: list[Message]) -> list[tuple[Level, Code]]:
    return [(m.level, m.code) for m in messages]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PC0042", "PC0042"),
        ("  pc0042 ", "PC0042"),
        ("con-pc0042.contoso.com", "CON-PC0042"),
        ("PC0042$", "PC0042"),
        ("\u00a0PC0042\u00a0", "PC0042"),
        ("PC\u200b0042", "PC0042"),
        ("ABCDEFGHIJKLMNO", "ABCDEFGHIJKLMNO"),
        ("0PC123", "0PC123"),
    ],
)
def test_computer_names_accepted(text: str, expected: str) -> None:
    parsed = parse_computer_name(text, "Source")
    assert parsed.value == expected
    assert Level.ERROR not in levels(parsed.messages)


def test_fqdn_and_invisible_characters_leave_a_note() -> None:
    assert coded(parse_computer_name("pc1.contoso.com", "Source").messages) == [
        (Level.NOTE, M.NAME_DNS_SHORTENED)
    ]
    assert coded(parse_computer_name("PC\u200b1", "Source").messages) == [
        (Level.NOTE, M.INVISIBLE_CHARACTERS_REMOVED)
    ]
    assert parse_computer_name("PC1", "Source").messages == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", M.NAME_EMPTY),
        ("   ", M.NAME_EMPTY),
        ("CON PC01", M.NAME_BAD_CHARACTERS),
        ("PC\u00a001", M.NBSP_INSIDE),
        ("ABCDEFGHIJKLMNOP", M.NAME_TOO_LONG),
        ("CONTOSO\\PC01", M.NAME_WITH_DOMAIN),
        ("PC*01", M.NAME_BAD_CHARACTERS),
        ("bad..name", M.NAME_NOT_DNS),
        ("=cmd|' /C calc'!A0", M.NAME_BAD_CHARACTERS),
        ("00123", M.NAME_ALL_DIGITS),  # Windows refuses them (KB244412)
        ("12345", M.NAME_ALL_DIGITS),
    ],
)
def test_computer_names_rejected_with_reason(text: str, code: Code) -> None:
    parsed = parse_computer_name(text, "Source")
    assert parsed.value is None
    assert [(m.level, m.column, m.code) for m in parsed.messages] == [(Level.ERROR, "Source", code)]


def test_odd_but_legal_netbios_name_warns() -> None:
    parsed = parse_computer_name("PC_01", "Source")
    assert parsed.value == "PC_01"
    assert coded(parsed.messages) == [(Level.WARNING, M.NAME_NOT_DNS_HOST)]


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        ("CONTOSO\\jdoe", "CONTOSO\\jdoe", False),
        ("contoso\\jdoe", "CONTOSO\\jdoe", False),
        ("jdoe@contoso.com", "CONTOSO\\jdoe", True),
        ("PC0042\\localadmin", "PC0042\\localadmin", False),
    ],
)
def test_users_accepted(text: str, expected: str, note: bool) -> None:
    parsed = parse_user(text, "Users")
    assert parsed.value == expected
    assert coded(parsed.messages) == ([(Level.NOTE, M.USER_UPN_CONVERTED)] if note else [])


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("jdoe", M.USER_NO_DOMAIN),
        ("A\\B\\C", M.USER_SEVERAL_BACKSLASHES),
        ("\\jdoe", M.USER_PART_MISSING),
        ("CONTOSO\\", M.USER_PART_MISSING),
        ("CONTOSO\\" + "x" * 21, M.USER_BAD_LOGON_NAME),
        ("CONTOSO\\a:b", M.USER_BAD_LOGON_NAME),
        ("CONTOSO DOMAIN\\jdoe", M.USER_BAD_DOMAIN),
        ("CONTOSO/ulla.t", M.USER_SLASH_WRONG_WAY),
        ("a/b/c", M.USER_NO_DOMAIN),
    ],
)
def test_users_rejected(text: str, code: Code) -> None:
    parsed = parse_user(text, "Users")
    assert parsed.value is None
    assert coded(parsed.messages) == [(Level.ERROR, code)]


def test_a_slash_the_wrong_way_round_offers_the_account_as_it_should_be_written() -> None:
    [said] = parse_user("CONTOSO/ulla.t", "Users").messages
    assert "'CONTOSO\\ulla.t'" in said.text  # the suggestion itself is the point


def test_user_lists_split_and_deduplicate() -> None:
    parsed = parse_users([("CONTOSO\\a; CONTOSO\\b,CONTOSO\\c\nCONTOSO\\A\r\n", "Users")])
    assert parsed.value == ["CONTOSO\\a", "CONTOSO\\b", "CONTOSO\\c"]
    assert coded(parsed.messages) == [(Level.NOTE, M.USER_LISTED_TWICE)]


def test_user_lists_keep_good_entries_and_report_bad_ones() -> None:
    parsed = parse_users([("CONTOSO\\a;nodomain", "Users")])
    assert parsed.value == ["CONTOSO\\a"]
    assert coded(parsed.messages) == [(Level.ERROR, M.USER_NO_DOMAIN)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", Behavior.CAPTURE_AND_RESTORE_ALL),
        (" 1 ", Behavior.CAPTURE_ALL_RESTORE_SPECIFIED),
        ("2", Behavior.CAPTURE_AND_RESTORE_SPECIFIED),
        ("CaptureAndRestoreAllUserAccounts", Behavior.CAPTURE_AND_RESTORE_ALL),
        ("CaptureAllUserAccountsAndRestoreSpecifiedAccounts", Behavior.CAPTURE_ALL_RESTORE_SPECIFIED),
        ("CaptureAndRestoreSpecifiedUserAccounts", Behavior.CAPTURE_AND_RESTORE_SPECIFIED),
        ("Capture and restore specified user accounts", Behavior.CAPTURE_AND_RESTORE_SPECIFIED),
        ("capture all user accounts and restore specified accounts", Behavior.CAPTURE_ALL_RESTORE_SPECIFIED),
        ("CAPTUREANDRESTOREALL", Behavior.CAPTURE_AND_RESTORE_ALL),
        ("CAPTUREALLRESTORESPECIFIED", Behavior.CAPTURE_ALL_RESTORE_SPECIFIED),
        ("CAPTUREANDRESTORESPECIFIED", Behavior.CAPTURE_AND_RESTORE_SPECIFIED),
    ],
)
def test_behaviour_names(text: str, expected: Behavior) -> None:
    assert parse_behavior(text, "Behavior").value is expected


@pytest.mark.parametrize("text", ["3", "-1", "two", "2.5", "Capture"])
def test_behaviour_rejected(text: str) -> None:
    parsed = parse_behavior(text, "Behavior")
    assert parsed.value is None
    assert "not a migration behaviour" in parsed.messages[0].text


@pytest.mark.parametrize(("text", "expected"), [("16777220", 16777220), (" 42 ", 42)])
def test_resource_ids(text: str, expected: int) -> None:
    assert parse_resource_id(text, "SourceResourceID").value == expected


@pytest.mark.parametrize("text", ["0", "-5", "abc", "4294967296", "1e5"])
def test_resource_ids_rejected(text: str) -> None:
    parsed = parse_resource_id(text, "SourceResourceID")
    assert parsed.value is None
    assert coded(parsed.messages) == [(Level.ERROR, M.RESOURCE_ID_INVALID)]
