from __future__ import annotations

import pytest

from importer.check.names import parse_computer_name, parse_user, parse_users
from importer.check.values import parse_behavior, parse_resource_id
from importer.model import Behavior, Level


def levels(messages: list) -> list[Level]:  # type: ignore[type-arg]
    return [m.level for m in messages]


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
    assert levels(parse_computer_name("pc1.contoso.com", "Source").messages) == [Level.NOTE]
    assert levels(parse_computer_name("PC\u200b1", "Source").messages) == [Level.NOTE]
    assert parse_computer_name("PC1", "Source").messages == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("CON PC01", "space"),
        ("PC\u00a001", "non-breaking space"),
        ("ABCDEFGHIJKLMNOP", "16 characters"),
        ("CONTOSO\\PC01", "DOMAIN\\NAME"),
        ("PC*01", "'*'"),
        ("bad..name", "DNS name"),
        ("=cmd|' /C calc'!A0", "cannot have"),
        ("00123", "is all digits, which a computer name cannot be"),  # Windows refuses them (KB244412)
        ("12345", "is all digits, which a computer name cannot be"),
    ],
)
def test_computer_names_rejected_with_reason(text: str, fragment: str) -> None:
    parsed = parse_computer_name(text, "Source")
    assert parsed.value is None
    errors = [m for m in parsed.messages if m.level is Level.ERROR]
    assert len(errors) == 1
    assert fragment in errors[0].text
    assert errors[0].column == "Source"


def test_odd_but_legal_netbios_name_warns() -> None:
    parsed = parse_computer_name("PC_01", "Source")
    assert parsed.value == "PC_01"
    assert levels(parsed.messages) == [Level.WARNING]


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
    assert levels(parsed.messages) == ([Level.NOTE] if note else [])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("jdoe", "add the domain"),
        ("A\\B\\C", "single backslash"),
        ("\\jdoe", "both parts"),
        ("CONTOSO\\", "both parts"),
        ("CONTOSO\\" + "x" * 21, "logon name"),
        ("CONTOSO\\a:b", "logon name"),
        ("CONTOSO DOMAIN\\jdoe", "NetBIOS domain"),
        # the slash the wrong way round: said so, with the account as it should be written
        ("CONTOSO/ulla.t", "'CONTOSO/ulla.t': the slash is the wrong way round; write 'CONTOSO\\ulla.t'"),
        ("a/b/c", "add the domain"),
    ],
)
def test_users_rejected(text: str, fragment: str) -> None:
    parsed = parse_user(text, "Users")
    assert parsed.value is None
    assert fragment in parsed.messages[-1].text


def test_user_lists_split_and_deduplicate() -> None:
    parsed = parse_users([("CONTOSO\\a; CONTOSO\\b,CONTOSO\\c\nCONTOSO\\A\r\n", "Users")])
    assert parsed.value == ["CONTOSO\\a", "CONTOSO\\b", "CONTOSO\\c"]
    assert levels(parsed.messages) == [Level.NOTE]
    assert "listed twice" in parsed.messages[0].text


def test_user_lists_keep_good_entries_and_report_bad_ones() -> None:
    parsed = parse_users([("CONTOSO\\a;nodomain", "Users")])
    assert parsed.value == ["CONTOSO\\a"]
    assert levels(parsed.messages) == [Level.ERROR]


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
    assert parsed.messages[0].level is Level.ERROR
