from __future__ import annotations

from pathlib import Path

from importer.check.validate import validate
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


def errors(row: RowResult) -> list[str]:
    return [m.text for m in row.messages if m.level is Level.ERROR]


def test_every_problem_of_a_row_is_reported(tmp_path: Path) -> None:
    [row] = check(tmp_path, "Source,Destination,Behavior,Users\nBAD NAME,,7,nodomain\n")
    assert row.status is Status.INVALID
    texts = errors(row)
    assert len(texts) == 4, texts
    columns = {m.column for m in row.messages if m.level is Level.ERROR}
    assert columns == {"Source", "Destination", "Behavior", "Users"}


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
    assert [m.level for m in rows[2].messages] == [Level.WARNING]


def test_in_place_pair_is_an_error(tmp_path: Path) -> None:
    [row] = check(tmp_path, "Source,Destination,Behavior\nPC1,pc1.contoso.com,0\n")
    assert row.status is Status.INVALID
    assert "in-place" in errors(row)[0]


def test_repeated_identical_pair_keeps_the_first(tmp_path: Path) -> None:
    rows = check(tmp_path, "Source,Destination,Behavior\nPC1,NB1,0\npc1,nb1,0\nPC1,NB1,0\n")
    assert [r.status for r in rows] == [None, Status.INVALID, Status.INVALID]
    assert "repeats the pair of wave.csv row 2" in errors(rows[1])[0]


def test_repeated_pair_with_different_users_invalidates_all(tmp_path: Path) -> None:
    rows = check(tmp_path, "Source,Destination,Users\nPC1,NB1,CONTOSO\\a\nPC1,NB1,CONTOSO\\b\n")
    assert [r.status for r in rows] == [Status.INVALID, Status.INVALID]
    assert "different" in errors(rows[0])[0]


def test_destination_with_two_sources(tmp_path: Path) -> None:
    rows = check(tmp_path, "Source,Destination,Behavior\nPC1,NB1,0\nPC2,NB1,0\nPC3,NB3,0\n")
    assert [r.status for r in rows] == [Status.INVALID, Status.INVALID, None]
    assert "only one source" in errors(rows[0])[0]
    assert "wave.csv row 3" in errors(rows[0])[0]


def test_behaviour_2_source_with_two_destinations(tmp_path: Path) -> None:
    rows = check(
        tmp_path,
        "Source,Destination,Behavior,Users\n"
        "PC1,NB1,2,CONTOSO\\a\nPC1,NB2,0,\n"  # one of them is behaviour 2: both rows wrong
        "PC2,NB3,1,CONTOSO\\b\nPC2,NB4,0,\n",  # behaviours 0 and 1 may fan out
    )
    assert [r.status for r in rows] == [Status.INVALID, Status.INVALID, None, None]
    assert "behaviour 2" in errors(rows[0])[0]


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
    assert "no row of the pairs sheet has source PC9" in errors(orphan)[0]
    assert len(rows) == 3


def test_users_rows_with_a_destination_match_that_pair_only(tmp_path: Path) -> None:
    rows = check(
        tmp_path,
        "Source,Destination,Behavior\nPC1,NB1,1\nPC1,NB2,1\n",
        users="Source,Destination,User\nPC1,NB1,CONTOSO\\a\nPC1,NB2,CONTOSO\\b\n",
    )
    assert [r.users for r in rows] == [["CONTOSO\\a"], ["CONTOSO\\b"]]
