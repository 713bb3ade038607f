"""The command line, checked through the site itself (sqlite-utils style)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from importer.cli import cli
from importer.cli.output import default_report_path
from tests.support.helpers import SAMPLES, association_keys, ids_by_name, invoke, site_snapshot


def statuses(json_path: Path) -> list[str]:
    return [r["status"] for r in json.loads(json_path.read_text(encoding="utf-8"))["rows"]]


def test_sample_wave_on_the_demo_site(tmp_path: Path, site_path: Path) -> None:
    before = association_keys(site_path)
    report, out = tmp_path / "r.xlsx", tmp_path / "r.json"
    result = invoke("run", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--report", report, "--json", out)
    assert result.exit_code == 3, result.output
    got = statuses(out)
    assert got.count("created") == 6
    assert {"created", "exists", "invalid", "unresolved"} == set(got)
    assert f"Report: {report}" in result.output
    created = [r for r in json.loads(out.read_text())["rows"] if r["status"] == "created"]
    after = association_keys(site_path)
    assert sorted(after) == sorted(
        before + [(r["source_resource_id"], r["restore_resource_id"]) for r in created]
    )
    ids = ids_by_name(site_path)
    assert (ids["CON-PC0004"], ids["CON-NB0004"]) in after
    assert load_workbook(report)["Results"].max_row == len(got) + 1

    again = invoke("run", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--json", out, "--report", report)
    assert again.exit_code == 3
    assert statuses(out).count("created") == 0
    assert statuses(out).count("exists") == 8
    assert association_keys(site_path) == after


def test_users_sheet_and_csv_samples(tmp_path: Path, site_path: Path) -> None:
    out = tmp_path / "r.json"
    result = invoke(
        "run",
        SAMPLES / "wave-02-users-sheet.xlsx",
        "--demo",
        site_path,
        "--report",
        tmp_path / "r.xlsx",
        "--json",
        out,
    )
    assert result.exit_code == 3
    rows = json.loads(out.read_text())["rows"]
    assert [(r["sheet"], r["status"]) for r in rows] == [("Pairs", "created")] * 5 + [
        ("Pairs", "conflict"),
        ("Users", "invalid"),
    ]
    assert rows[1]["users"] == ["CONTOSO\\leo.n", "CONTOSO\\mia.q"]
    site = site_snapshot(site_path)["associations"]
    assert isinstance(site, list)
    by_pair = {(a["source_name"], a["restore_name"]): a for a in site}
    assert by_pair[("CON-PC0022", "CON-NB0022")]["users"] == ["CONTOSO\\leo.n", "CONTOSO\\mia.q"]

    result = invoke(
        "run", SAMPLES / "wave-03.csv", "--demo", site_path, "--report", tmp_path / "r3.xlsx", "--json", out
    )
    assert result.exit_code == 0, result.output
    assert statuses(out) == ["created"] * 5


def test_dry_run_plans_and_changes_nothing(tmp_path: Path, site_path: Path) -> None:
    before = site_snapshot(site_path)
    out = tmp_path / "r.json"
    result = invoke(
        "run",
        SAMPLES / "wave-03.csv",
        "--demo",
        site_path,
        "--dry-run",
        "--report",
        tmp_path / "r.xlsx",
        "--json",
        out,
    )
    assert result.exit_code == 0
    assert statuses(out) == ["planned"] * 5
    assert site_snapshot(site_path) == before
    assert json.loads(out.read_text())["summary"]["dry_run"] is True


def test_default_demo_site_is_created_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLES / "wave-03.csv", "wave.csv")
    result = CliRunner().invoke(cli, ["run", "wave.csv", "--demo"])
    assert result.exit_code == 0, result.output
    assert Path("demo-site.db").is_file()
    reports = list(Path(".").glob("wave-report-*.xlsx"))
    assert len(reports) == 1
    assert f"Report: {reports[0].absolute()}" in result.output  # paths printed absolute
    assert f"created demo site {tmp_path / 'demo-site.db'} " in result.output
    [journal] = re.findall(r"^Run ID: \S+ \(journal (.+)\)$", result.output, re.MULTILINE)
    assert Path(journal).is_absolute() and Path(journal).is_file()


def test_validate_only(tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    result = invoke(
        "validate", SAMPLES / "wave-mistakes.xlsx", "--json", out, "--report", tmp_path / "v.xlsx"
    )
    assert result.exit_code == 3
    got = statuses(out)
    assert set(got) == {"valid", "invalid"}
    assert got.count("valid") == 4  # rows 2 and 14-16: what is unresolved needs a site to know


def test_behavior_option(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("Source,Destination\nPC1,NB1\n", encoding="utf-8")
    out = tmp_path / "v.json"
    ok = invoke(
        "validate",
        path,
        "--behavior",
        "CaptureAndRestoreAllUserAccounts",
        "--json",
        out,
        "--report",
        tmp_path / "v.xlsx",
    )
    assert ok.exit_code == 0
    assert json.loads(out.read_text())["rows"][0]["behavior"] == 0
    default = invoke("validate", path, "--json", out, "--report", tmp_path / "v.xlsx")
    assert default.exit_code == 3  # behaviour 2 by default, and no users given
    bad = invoke("validate", path, "--behavior", "7")
    assert bad.exit_code == 2
    assert "not a migration behaviour" in bad.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "{missing}", "--demo", "{site}"], "no such file"),
        (["run", "{bad}", "--demo", "{site}"], "no header row with a source and a destination"),
        (["run", "{good}"], "give either --demo"),
        (["run", "{good}", "--server", "sms01"], "--site-code"),
        (["run", "{good}", "--server", "sms01", "--site-code", "ABC"], "needs a user name"),
        (["run", "{good}", "--server", "sms01", "--site-code", "ABCD"], "three letters or digits"),
        (["run", "{good}", "--demo", "{notasite}"], "is not a demo site"),
        (["run", "{good}", "--demo", "{nosite}"], "does not exist"),
        (["undo", "{good}", "--demo", "{site}"], "is neither a report (.xlsx, .json) nor a Run ID"),
        (["undo", "20261123-000000-abcd", "--demo", "{site}"], "is neither in the journal"),
        (["undo", "{missingjson}", "--demo", "{site}"], "no such report"),
        (["validate", "{good}", "--behavior", "7"], "not a migration behaviour"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_and_touches_nothing(
    tmp_path: Path, site_path: Path, args: list[str], fragment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B\n1,2\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("Source,Destination,Behavior\nCON-PC0003,CON-NB0003,0\n", encoding="utf-8")
    notasite = tmp_path / "notasite.db"
    notasite.write_text("hello", encoding="utf-8")
    names = {
        "missing": tmp_path / "missing.xlsx",
        "missingjson": tmp_path / "missing.json",
        "nosite": tmp_path / "nosite.db",
        "bad": bad,
        "good": good,
        "site": site_path,
        "notasite": notasite,
    }
    before = site_snapshot(site_path)
    monkeypatch.delenv("CMASSOC_USERNAME", raising=False)
    monkeypatch.setenv("CMASSOC_PASSWORD", "x")
    result = CliRunner().invoke(cli, [a.format(**names) for a in args])
    assert result.exit_code == 2, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert site_snapshot(site_path) == before
    assert not list(tmp_path.glob("*-report-*.xlsx"))


def test_template_matches_the_shipped_file(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    result = invoke("template", out)
    assert result.exit_code == 0
    written, shipped = (
        load_workbook(out),
        load_workbook(SAMPLES.parent / "templates" / "computer-associations.xlsx"),
    )
    assert written.sheetnames == shipped.sheetnames == ["Instructions", "Associations", "Users"]
    for name in written.sheetnames:
        assert [[c.value for c in r] for r in written[name].iter_rows()] == [
            [c.value for c in r] for r in shipped[name].iter_rows()
        ]
    # The blank template is a valid (empty) wave: validate reads it without error.
    headers = [c.value for c in written["Associations"][1]]
    assert headers == ["Source", "Destination", "Behavior", "Users", "Notes"]


def test_filled_template_is_read(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    invoke("template", out)
    book = load_workbook(out)
    for cell, value in zip(
        ("A2", "B2", "C2", "E2"), ("CON-PC0003", "CON-NB0003", "2", "desk 4"), strict=True
    ):
        book["Associations"][cell] = value
    book["Associations"]["D2"] = None  # typing over the example row: its users go too
    book["Users"]["A2"], book["Users"]["B2"] = "CON-PC0003", "CONTOSO\\a"
    book.save(out)
    js = tmp_path / "v.json"
    result = invoke("validate", out, "--json", js, "--report", tmp_path / "v.xlsx")
    assert result.exit_code == 0, result.output
    [row] = json.loads(js.read_text())["rows"]
    assert (row["sheet"], row["row"], row["users"], row["status"]) == (
        "Associations",
        2,
        ["CONTOSO\\a"],
        "valid",
    )


def test_demo_site_commands(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.csv"
    inventory.write_text("Name,ResourceID\nOLD1,100\nNEW1,200\n", encoding="utf-8")
    path = tmp_path / "mine.db"
    assert invoke("demo-site", "create", path, "--inventory", inventory, "--site-code", "LAB").exit_code == 0
    snap = site_snapshot(path)
    assert snap["site_code"] == "LAB"
    computers = snap["computers"]
    assert isinstance(computers, list)
    assert [c["name"] for c in computers] == ["OLD1", "NEW1"]
    assert snap["associations"] == []
    again = invoke("demo-site", "create", path, "--inventory", inventory)
    assert again.exit_code == 2
    assert "already exists" in again.output
    text = invoke("demo-site", "show", path)
    assert "Site LAB: 2 computers, 0 associations" in text.output


def test_default_report_path_is_next_to_the_input() -> None:
    import datetime as dt

    path = default_report_path(Path("/data/wave 5.xlsx"), dt.datetime(2026, 11, 23, 9, 5, 7))
    assert path == Path("/data/wave 5-report-20261123-090507.xlsx")


def test_packaged_demo_data_is_the_sample_data() -> None:
    data = SAMPLES.parent / "importer" / "site" / "demo" / "data"
    for name in ("demo-inventory.csv", "demo-associations.csv"):
        assert (data / name).read_bytes() == (SAMPLES / name).read_bytes()


def test_json_to_stdout_is_valid_json(tmp_path: Path) -> None:
    result = invoke("validate", SAMPLES / "wave-03.csv", "--json", "-", "--report", tmp_path / "v.xlsx")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [r["status"] for r in data["rows"]] == ["valid"] * 5
    empty = tmp_path / "empty.csv"
    empty.write_text("Source,Destination\n", encoding="utf-8")
    out = tmp_path / "e.json"
    assert invoke("validate", empty, "--json", out, "--report", tmp_path / "e.xlsx").exit_code == 0
    assert json.loads(out.read_text())["rows"] == []


def test_a_report_that_cannot_be_written_there_goes_to_the_temp_folder(
    tmp_path: Path, site_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    spare = tmp_path / "spare"
    spare.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spare))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the report's folder should be", encoding="utf-8")
    result = invoke("run", SAMPLES / "wave-03.csv", "--demo", site_path, "--report", blocker / "r.xlsx")
    assert result.exit_code == 0, result.output  # the work is done; its report is not lost
    [written] = list(spare.glob("wave-03-report-*.xlsx"))
    assert f"Report: {written}" in result.output
    assert "Writing it to" in result.output
    assert load_workbook(written)["Results"].max_row == 6


def test_report_names_never_collide(tmp_path: Path) -> None:
    import datetime as dt

    now = dt.datetime(2026, 11, 23, 9, 5, 7)
    sheet = tmp_path / "wave.csv"
    first = default_report_path(sheet, now)
    first.write_bytes(b"taken")
    second = default_report_path(sheet, now)
    assert second.name == "wave-report-20261123-090507-2.xlsx"
    second.write_bytes(b"taken")
    assert default_report_path(sheet, now).name == "wave-report-20261123-090507-3.xlsx"


@pytest.mark.parametrize("target", ["sheet", "users", "journal"])
def test_outputs_never_write_over_inputs(
    tmp_path: Path, site_path: Path, journal_path: Path, target: str
) -> None:
    sheet = tmp_path / "w.csv"
    sheet.write_text("Source,Destination,Behavior\nCON-PC0003,CON-NB0003,2\n", encoding="utf-8")
    users = tmp_path / "u.csv"
    users.write_text("Source,User\nCON-PC0003,CONTOSO\\a\n", encoding="utf-8")
    journal_path.write_bytes(b"")
    victim = {"sheet": sheet, "users": users, "journal": journal_path}[target]
    before = victim.read_bytes()
    result = invoke("run", sheet, "--users", users, "--demo", site_path, "--report", victim)
    assert result.exit_code == 2, result.output
    assert "cmassoc never writes over its input" in result.output
    assert victim.read_bytes() == before
    again = invoke("validate", sheet, "--users", users, "--json", sheet)
    assert again.exit_code == 2 and sheet.read_bytes() == (
        before if target == "sheet" else sheet.read_bytes()
    )


def test_template_refuses_to_overwrite_or_to_write_another_format(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert invoke("template", out).exit_code == 0
    again = invoke("template", out)
    assert again.exit_code == 2 and "exists already" in again.output
    assert invoke("template", out, "--force").exit_code == 0
    csv_out = invoke("template", tmp_path / "t.csv")
    assert csv_out.exit_code == 2 and "is an .xlsx workbook" in csv_out.output
    assert not (tmp_path / "t.csv").exists()


def test_a_missing_output_folder_is_created_and_said(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "june" / "v.xlsx"
    result = invoke("validate", SAMPLES / "wave-03.csv", "--report", out)
    assert result.exit_code == 0, result.output
    assert f"creating the folder {out.parent}" in result.output
    assert out.is_file()


def test_the_undo_report_keeps_the_original_columns(tmp_path: Path, site_path: Path) -> None:
    out = tmp_path / "r.json"
    made = invoke(
        "run", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx"
    )
    assert made.exit_code == 3, made.output
    undone = invoke(
        "undo", out, "--demo", site_path, "--json", tmp_path / "u.json", "--report", tmp_path / "u.xlsx"
    )
    assert undone.exit_code == 0, undone.output
    rows = json.loads((tmp_path / "u.json").read_text(encoding="utf-8"))["rows"]
    assert rows[2]["values"]["Ticket"] == "INC-1003"
    header = [c.value for c in load_workbook(tmp_path / "u.xlsx")["Results"][1]]
    assert "Ticket" in header and "Old Computer" in header


def test_the_template_guides(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert invoke("template", out).exit_code == 0
    book = load_workbook(out)
    pairs = book["Associations"]
    assert [c.value for c in pairs[2]][:2] == ["EXAMPLE-OLD01", "EXAMPLE-NEW01"]
    assert pairs.column_dimensions["A"].number_format == "@"  # names keep their leading zeros
    lengths = [v for v in pairs.data_validations.dataValidation if v.type == "textLength"]
    assert lengths and lengths[0].formula1 == "15" and "A2:B" in str(lengths[0].sqref)
    info = book["Instructions"]
    assert info.sheet_properties.pageSetUpPr.fitToPage and info.page_setup.fitToWidth == 1
    js = tmp_path / "v.json"
    result = invoke("validate", out, "--json", js, "--report", tmp_path / "v.xlsx")
    assert result.exit_code == 0, result.output
    data = json.loads(js.read_text())
    assert data["rows"] == []
    assert data["summary"]["notes"] == [
        "sheet 'Instructions' skipped: no header with source and destination (or, on a users sheet, "
        "source and users) columns",
        "'t.xlsx' sheet 'Associations': the template's example row was left as it is: ignored",
    ]


def test_demo_site_show_says_where_each_migration_is(site_path: Path) -> None:
    invoke("demo-site", "migrate", site_path, "CON-PC0001", "CON-NB0001", "--captured")
    text = invoke("demo-site", "show", site_path).output
    assert "CON-PC0001 (16777217) -> CON-NB0001 (16777257)" in text and "migration in progress" in text
    assert "migration not started" in text


def test_json_written_beside_the_excel_report_reports_its_failure(tmp_path: Path) -> None:
    """The JSON is written after the Excel report: if it cannot be written, the command says so
    (one line, exit 1) and the Excel report is still there."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    report = tmp_path / "v.xlsx"
    result = invoke("validate", SAMPLES / "wave-01.xlsx", "--report", report, "--json", blocker / "out.json")
    assert result.exit_code == 1, result.output
    assert "cannot write the report" in result.output and "out.json" in result.output
    assert "Traceback" not in result.output
    assert report.exists()
    good = invoke("validate", SAMPLES / "wave-01.xlsx", "--report", report, "--json", tmp_path / "ok.json")
    assert good.exit_code == 3, good.output  # wave-01 has two invalid rows on purpose
    assert json.loads((tmp_path / "ok.json").read_text(encoding="utf-8"))["summary"]["counts"]


def test_one_row_is_one_row(tmp_path: Path) -> None:
    wave = tmp_path / "one.csv"
    wave.write_text("Source,Destination,Behavior\nPC1,NB1,0\n", encoding="utf-8")
    done = invoke("validate", wave, "--report", tmp_path / "r.xlsx")
    assert done.exit_code == 0, done.output
    assert "Validated 1 row: 1 valid\n" in done.output
