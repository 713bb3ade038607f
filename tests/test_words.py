"""The closing lines say what happened, in the words `status` uses, and nothing that is no longer
true: counts read as English, the default behaviour is named only when a row took it, an
import is told in the past once done, and every path printed is absolute."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.helpers import SAMPLES, invoke, sheet


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_second_run_says_how_many_exist(tmp_path: Path, site_path: Path) -> None:
    wave = SAMPLES / "wave-01.xlsx"
    first = invoke("run", wave, "--demo", site_path, "--report", tmp_path / "1.xlsx")
    assert "Imported 12 rows: 6 created, 2 exist, 2 invalid, 2 unresolved\n" in first.output
    again = invoke("run", wave, "--demo", site_path, "--report", tmp_path / "2.xlsx")
    assert "Imported 12 rows: 8 exist, 2 invalid, 2 unresolved\n" in again.output


def test_one_existing_pair_is_one_that_exists(tmp_path: Path, site_path: Path) -> None:
    path = sheet(tmp_path, "Source,Destination,Behavior,Users\nCON-PC0001,CON-NB0001,2,CONTOSO\\alice.w\n")
    done = invoke("run", path, "--demo", site_path, "--report", tmp_path / "r.xlsx")
    assert "Imported 1 row: 1 exists\n" in done.output


def test_the_default_behaviour_is_named_only_when_a_row_takes_it(tmp_path: Path, site_path: Path) -> None:
    every = sheet(tmp_path, "Source,Destination,Behavior\nCON-PC0003,CON-NB0003,0\nCON-PC0004,CON-NB0004,0\n")
    some = sheet(
        tmp_path, "Source,Destination,Behavior\nCON-PC0003,CON-NB0003,0\nCON-PC0004,CON-NB0004,\n", "s.csv"
    )
    none = sheet(tmp_path, "Source,Destination\nCON-PC0003,CON-NB0003\nCON-PC0004,CON-NB0004\n", "n.csv")
    told = "take the default, 0 (capture and restore all user accounts); --behavior sets another\n"
    for command in ("validate", "run"):
        site = ("--demo", site_path, "--dry-run") if command == "run" else ()
        said = {}
        for path, name in ((every, "every"), (some, "some"), (none, "none")):
            out = tmp_path / f"{command}-{name}.json"
            done = invoke(
                command, path, *site, "--behavior", "0", "--json", out, "--report", out.with_suffix(".xlsx")
            )
            assert done.exit_code == 0, done.output
            said[name] = (re.findall(r"^Behaviour: .*$", done.output, re.MULTILINE), _json(out)["summary"])
        assert said["every"][0] == []
        assert said["some"][0] == [
            "Behaviour: 1 row gives none and takes the default, " + told.split(", ", 1)[1].strip()
        ]
        assert said["none"][0] == ["Behaviour: 2 rows give none and " + told.strip()]
        summaries = {name: s for name, (_, s) in said.items()}
        assert [summaries[n]["rows_with_default_behavior"] for n in ("every", "some", "none")] == [0, 1, 2]
        assert summaries["every"]["default_behavior_text"] == "not used: every row gives its behaviour"


def test_a_run_counts_the_computers_it_imported_and_the_memberships_it_added(
    tmp_path: Path, site_path: Path
) -> None:
    out = tmp_path / "r.json"
    done = invoke(
        "run", SAMPLES / "wave-04-new-hardware.xlsx", "--demo", site_path, "--users-from", "primary",
        "--json", out, "--report", tmp_path / "r.xlsx",
    )  # fmt: skip
    assert "Imported 6 rows: 4 created, 1 unresolved, 1 conflict\n" in done.output
    assert "Also: 4 computers imported, 4 collection memberships added\n" in done.output
    rows = _json(out)["rows"]
    assert isinstance(rows, list)
    texts = [m["text"] for r in rows for m in r["messages"]]
    assert not [t for t in texts if "will be imported" in t]  # the import is done: said in the past
    imported = [t for t in texts if "was imported by this run (ResourceID " in t]
    assert len(imported) == 4


def test_a_dry_run_still_says_it_will_import(tmp_path: Path, site_path: Path) -> None:
    out = tmp_path / "r.json"
    invoke(
        "run", SAMPLES / "wave-04-new-hardware.xlsx", "--demo", site_path, "--users-from", "primary",
        "--dry-run", "--json", out, "--report", tmp_path / "r.xlsx",
    )  # fmt: skip
    rows = _json(out)["rows"]
    assert isinstance(rows, list)
    assert len([m for r in rows for m in r["messages"] if "it will be imported" in m["text"]]) == 4


def test_undo_keeps_the_runs_word_for_rows_that_never_reached_the_site(
    tmp_path: Path, site_path: Path
) -> None:
    run_json = tmp_path / "run.json"
    invoke(
        "run", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--json", run_json, "--report", tmp_path / "r.xlsx"
    )  # fmt: skip
    run_id = _json(run_json)["summary"]["run_id"]
    out = tmp_path / "undo.json"
    done = invoke("undo", run_id, "--demo", site_path, "--json", out, "--report", tmp_path / "u.xlsx")
    assert done.exit_code == 0, done.output  # the rows the run left invalid are nothing undo must do
    assert "Undone: 12 rows: 6 deleted, 2 skipped, 2 invalid, 2 unresolved\n" in done.output
    rows = _json(out)["rows"]
    assert isinstance(rows, list)
    assert [(r["row"], r["status"]) for r in rows if r["status"] in ("invalid", "unresolved")] == [
        (12, "unresolved"),
        (13, "unresolved"),
        (14, "invalid"),
        (15, "invalid"),
    ]


def test_each_command_titles_its_summary_and_prints_absolute_paths(
    tmp_path: Path, site_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = sheet(tmp_path, "Source,Destination,Behavior\nCON-PC0003,CON-NB0003,0\n")
    titles = {
        "validate": invoke("validate", path.name, "--report", "v.xlsx").output,
        "dry run": invoke("run", path.name, "--demo", site_path, "--dry-run", "--report", "d.xlsx").output,
        "run": invoke("run", path.name, "--demo", site_path, "--report", "r.xlsx").output,
        "status": invoke("status", path.name, "--demo", site_path, "--report", "s.xlsx").output,
    }
    assert "Validated 1 row: 1 valid\n" in titles["validate"]
    assert "Planned (dry run, nothing changed): 1 row: 1 planned\n" in titles["dry run"]
    assert "Imported 1 row: 1 created\n" in titles["run"]
    assert "Status of 1 row: 1 not started" in titles["status"]
    for name, output in titles.items():
        [report] = re.findall(r"^Report: (.+)$", output, re.MULTILINE)
        assert Path(report).is_absolute() and Path(report).is_file(), name
    assert "Site DEM" not in titles["status"]  # said once, on its "Read at" line
