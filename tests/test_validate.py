from __future__ import annotations

from pathlib import Path

from importer import messages as M
from importer.check.validate import validate
from importer.messages import Code
from importer.model import Behavior, Level, RowResult, Status
from importer.read.wave import read_wave


def check(
    tmp_path: Path,
    text: str,
    users: str | None = None,
    behavior: Behavior = Behavior.CAPTURE_AND_RESTORE_SPECIFIED,
) -> list[RowResult]:
    path = tmp_path / "wave.csv"
    path.write_text(text, encoding="utf-8")
    users_path = None
    if users is not None:
        users_path = tmp_path / "users.csv"
        users_path.write_text(users, encoding="utf-8")
    return list(validate(read_wave(path, users_path), behavior))


def errors(row: RowResult) -> list[Code]:
    return [m.code for m in row.messages if m.level is Level.ERROR]


def texts(row: RowResult) -> str:
    return "\n".join(m.text for m in row.messages)


def test_every_problem_of_a_row_is_reported(tmp_path: Path) -> None:
    [row] = check(tmp_path, "Source,Destination,Behavior,Users\nBAD NAME,,7,nodomain\n")
    assert row.status is Status.INVALID
    said = [(m.column, m.code) for m in row.messages if m.level is Level.ERROR]
    # (the behaviour's message is coded by the columns change: its code is not asserted yet)
    assert [(column, code) for column, code in said if column != "Behavior"] == [
        ("Source", M.NAME_BAD_CHARACTERS),
        ("Destination", M.NAME_EMPTY),
        ("Users", M.USER_NO_DOMAIN),
    ]
    assert [column for column, _ in said] == ["Source", "Destination", "Behavior", "Users"]


def test_default_behaviour_applies_only_to_empty_cells(tmp_path: Path) -> None:
    rows = check(
        tmp_path,
        "Source,Destination,Behavior,Users\nPC1,NB1,,\nPC2,NB2,2,CONTOSO\\a\n",
        behavior=Behavior.CAPTURE_AND_RESTORE_ALL,
    )
    assert [r.behavior for r in rows] == [
        Behavior.CAPTURE_AND_RESTORE_ALL,
        Behavior.CAPTURE_AND_RESTORE_SPECIFIED,
    ]
    assert [r.status for r in rows] == [None, None]


def test_behaviour_1_and_2_need_users_and_0_ignores_them(tmp_path: Path) -> None:
    rows = check(
        tmp_path,
        "Source,Destination,Behavior,Users\nPC1,NB1,1,\nPC2,NB2,2,\nPC3,NB3,0,CONTOSO\\a\n",
    )
    assert [r.status for r in rows] == [Status.INVALID, Status.INVALID, None]
    assert rows[2].users == []
    assert [(m.level, m.code) for m in rows[2].messages] == [(Level.WARNING, M.USERS_NOT_SENT)]
    assert [errors(r) for r in rows[:2]] == [[M.BEHAVIOUR_NEEDS_USERS]] * 2


def test_in_place_pair_is_an_error(tmp_path: Path) -> None:
    [row] = check(tmp_path, "Source,Destination,Behavior\nPC1,pc1.contoso.com,0\n")
    assert row.status is Status.INVALID
    assert errors(row) == [M.SAME_COMPUTER_TWICE]


def test_repeated_identical_pair_keeps_the_first(tmp_path: Path) -> None:
    rows = check(tmp_path, "Source,Destination,Behavior\nPC1,NB1,0\npc1,nb1,0\nPC1,NB1,0\n")
    assert [r.status for r in rows] == [None, Status.INVALID, Status.INVALID]
    assert [errors(r) for r in rows] == [[], [M.PAIR_REPEATED], [M.PAIR_REPEATED]]
    assert "wave.csv row 2" in texts(rows[1])  # the row it repeats


def test_repeated_pair_with_different_users_invalidates_all(tmp_path: Path) -> None:
    rows = check(tmp_path, "Source,Destination,Users\nPC1,NB1,CONTOSO\\a\nPC1,NB1,CONTOSO\\b\n")
    assert [r.status for r in rows] == [Status.INVALID, Status.INVALID]
    assert [errors(r) for r in rows] == [[M.PAIR_REPEATED_DIFFERENTLY]] * 2


def test_destination_with_two_sources(tmp_path: Path) -> None:
    rows = check(tmp_path, "Source,Destination,Behavior\nPC1,NB1,0\nPC2,NB1,0\nPC3,NB3,0\n")
    assert [r.status for r in rows] == [Status.INVALID, Status.INVALID, None]
    assert [errors(r) for r in rows] == [[M.DESTINATION_HAS_ANOTHER_SOURCE]] * 2 + [[]]
    assert "wave.csv row 3" in texts(rows[0])  # the row it meets


def test_behaviour_2_source_with_two_destinations(tmp_path: Path) -> None:
    rows = check(
        tmp_path,
        "Source,Destination,Behavior,Users\n"
        "PC1,NB1,2,CONTOSO\\a\nPC1,NB2,0,\n"  # one of them is behaviour 2: both rows wrong
        "PC2,NB3,1,CONTOSO\\b\nPC2,NB4,0,\n",  # behaviours 0 and 1 may fan out
    )
    assert [r.status for r in rows] == [Status.INVALID, Status.INVALID, None, None]
    assert [errors(r) for r in rows] == [[M.SOURCE_HAS_ANOTHER_DESTINATION]] * 2 + [[], []]


def test_users_from_a_separate_file_are_merged_by_source(tmp_path: Path) -> None:
    rows = check(
        tmp_path,
        "Source,Destination,Behavior,Users\nPC1,NB1,2,CONTOSO\\a\nPC2,NB2,2,\n",
        users="Source,User\nPC1,CONTOSO\\b\npc1.contoso.com,contoso\\A\nPC2,c@contoso.com\nPC9,CONTOSO\\z\nPC2,bad\n",
    )
    assert rows[0].users == ["CONTOSO\\a", "CONTOSO\\b"]
    assert rows[0].status is None
    assert rows[1].users == ["CONTOSO\\c"]
    assert rows[1].status is Status.INVALID  # the bad entry is an error of the pair it belongs to
    assert rows[1].messages[-1].column == "User (users.csv row 6)"
    orphan = rows[2]
    assert (orphan.sheet, orphan.row, orphan.status) == ("users.csv", 5, Status.INVALID)
    assert errors(orphan) == [M.USER_ROW_WITHOUT_PAIR]
    assert orphan.source == "PC9"
    assert len(rows) == 3


def test_users_rows_with_a_destination_match_that_pair_only(tmp_path: Path) -> None:
    rows = check(
        tmp_path,
        "Source,Destination,Behavior\nPC1,NB1,1\nPC1,NB2,1\n",
        users="Source,Destination,User\nPC1,NB1,CONTOSO\\a\nPC1,NB2,CONTOSO\\b\n",
    )
    assert [r.users for r in rows] == [["CONTOSO\\a"], ["CONTOSO\\b"]]
