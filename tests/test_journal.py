"""Nothing lost, nothing twice: killed runs resume, Ctrl-C stops cleanly, undo takes a run back."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from importer import messages as M
from importer.journal.listener import JournalRun
from importer.journal.records import RowState, RunKind, RunState
from importer.journal.storage import Journal
from tests.support.helpers import (
    ROOT,
    SETUP_SENDS,
    association_keys,
    error_codes,
    invoke,
    notice_codes,
    remote_args,
    site_snapshot,
)
from tests.support.wsman_endpoint import Endpoint, Fault

FREE = [n for n in range(3, 30) if n != 13]  # sample computers with no association yet


def wave(tmp_path: Path, count: int = 25, extra: str = "") -> Path:
    sheet = tmp_path / "wave.csv"
    sheet.write_text(
        "Source,Destination,Behavior,Users\n"
        + extra
        + "".join(f"CON-PC{n:04d},CON-NB{n:04d},2,CONTOSO\\u{n}\n" for n in FREE[:count]),
        encoding="utf-8",
    )
    return sheet


def associations(path: Path) -> list[dict]:  # type: ignore[type-arg]
    items = site_snapshot(path)["associations"]
    assert isinstance(items, list)
    return [{k: v for k, v in a.items() if k != "created"} for a in items]


def count(site: Path) -> int:
    with sqlite3.connect(site) as db:
        return int(db.execute("SELECT COUNT(*) FROM associations").fetchone()[0])


def start(args: list[str | Path], **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "importer", *[str(a) for a in args]],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for(predicate, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def rows_of(path: Path) -> list[dict]:  # type: ignore[type-arg]
    rows: list[dict] = json.loads(path.read_text(encoding="utf-8"))["rows"]  # type: ignore[type-arg]
    return rows


def check_resumed(site_path: Path, result_json: Path, before: list[dict], n: int) -> None:  # type: ignore[type-arg]
    rows = rows_of(result_json)
    assert [(r["sheet"], r["row"]) for r in rows] == [
        ("wave.csv", i) for i in range(2, 2 + n)
    ]  # each row once
    assert [r["status"] for r in rows] == ["created"] * n
    keys = association_keys(site_path)
    assert len(keys) == len(before) + n


@pytest.mark.parametrize("kill_at", [1, 5, 10, 20])
def test_sigkill_then_resume_then_undo_on_the_demo_site(
    tmp_path: Path, site_path: Path, kill_at: int
) -> None:
    before = associations(site_path)
    sheet = wave(tmp_path)
    proc = start(
        ["run", sheet, "--demo", site_path, "--batch-size", "5", "--report", tmp_path / "r0.xlsx"],
        CMASSOC_DEMO_LATENCY="0.4",
    )
    wait_for(lambda: count(site_path) >= len(before) + kill_at)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(association_keys(site_path)) < len(before) + 25  # really stopped part way

    out = tmp_path / "r1.json"
    resumed = invoke(
        "run",
        sheet,
        "--demo",
        site_path,
        "--batch-size",
        "5",
        "--json",
        out,
        "--report",
        tmp_path / "r1.xlsx",
    )
    assert resumed.exit_code == 0, resumed.output
    assert ("note", M.RUN_CONTINUED.code) in notice_codes(resumed.output)
    check_resumed(site_path, out, before, 25)

    undone = invoke(
        "undo", out, "--demo", site_path, "--json", tmp_path / "u.json", "--report", tmp_path / "u.xlsx"
    )
    assert undone.exit_code == 0, undone.output
    assert [r["status"] for r in rows_of(tmp_path / "u.json")] == ["deleted"] * 25
    assert associations(site_path) == before


def test_sigkill_then_resume_over_winrm(tmp_path: Path, site_path: Path, endpoint: Endpoint) -> None:
    before = associations(site_path)
    sheet = wave(tmp_path)
    # A long hold after the server has done the work of one creation batch: killed there,
    # the client never learns that batch's outcome.
    endpoint.faults = [Fault("Send", "pass") for _ in range(SETUP_SENDS + 1)] + [
        Fault("Send", "hold", seconds=30)
    ]
    args = ["run", sheet, *remote_args(endpoint), "--batch-size", "5"]
    proc = start([*args, "--report", tmp_path / "r0.xlsx"])
    wait_for(lambda: count(site_path) >= len(before) + 10)
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert count(site_path) == len(before) + 10
    journal = Journal(Path(os.environ["CMASSOC_JOURNAL"]))
    [run] = journal.runs()
    states = [r.state for r in journal.rows(run.run_id)]
    journal.close()
    assert (
        states.count(RowState.CREATED) == 5 and states.count(RowState.SENDING) == 5
    )  # the unknown batch is recognisable

    out = tmp_path / "r1.json"
    resumed = invoke(*args, "--json", out, "--report", tmp_path / "r1.xlsx")
    assert resumed.exit_code == 0, resumed.output
    check_resumed(site_path, out, before, 25)
    notes = [m["code"] for r in rows_of(out) for m in r["messages"]]
    assert notes.count(M.FOUND_AFTER_STOP.code) == 5  # the batch in flight, found on the site

    undone = invoke(
        "undo", out, *remote_args(endpoint), "--json", tmp_path / "u.json", "--report", tmp_path / "u.xlsx"
    )
    assert undone.exit_code == 0, undone.output
    assert associations(site_path) == before


def sending(journal_path: Path) -> int:
    """How many rows the run's journal has as sent, their outcome not known yet."""
    try:
        with sqlite3.connect(journal_path) as db:
            return int(db.execute("SELECT COUNT(*) FROM rows WHERE state = 'sending'").fetchone()[0])
    except sqlite3.OperationalError:  # the run has not made its journal yet
        return 0


def test_ctrl_c_finishes_the_batch_in_flight(tmp_path: Path, site_path: Path, journal_path: Path) -> None:
    before = associations(site_path)
    sheet = wave(tmp_path)
    out = tmp_path / "r0.json"
    # Held here, the site's write lock keeps the first batch in flight (a writer waits up to
    # SQLite's 5 s for it; reads go on): Ctrl-C comes while that batch is surely being sent.
    lock = sqlite3.connect(site_path, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        proc = start(
            [
                "run",
                sheet,
                "--demo",
                site_path,
                "--batch-size",
                "5",
                "--json",
                out,
                "--report",
                tmp_path / "r0.xlsx",
            ]
        )
        wait_for(lambda: sending(journal_path) == 5)
        proc.send_signal(signal.SIGINT)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 130, output
    assert f"cmassoc: {M.STOPPING_AFTER_BATCH} " in output
    rows = rows_of(out)
    # the batch in flight when Ctrl-C came was finished, and no other was sent
    assert [r["status"] for r in rows] == ["created"] * 5 + ["not sent"] * 20
    last = [r["messages"][-1] for r in rows[5:]]
    assert [(m["code"], "interrupted" in m["text"]) for m in last] == [(M.NOT_SENT.code, True)] * 20
    assert count(site_path) == len(before) + 5
    assert (tmp_path / "r0.xlsx").is_file()

    resumed = invoke(
        "run", sheet, "--demo", site_path, "--json", tmp_path / "r1.json", "--report", tmp_path / "r1.xlsx"
    )
    assert resumed.exit_code == 0, resumed.output
    check_resumed(site_path, tmp_path / "r1.json", before, 25)


def test_undo_never_touches_what_existed_before(tmp_path: Path, site_path: Path) -> None:
    before = associations(site_path)
    # CON-PC0001 -> CON-NB0001 was on the site already: the run says exists, undo must keep it.
    sheet = wave(tmp_path, 3, extra="CON-PC0001,CON-NB0001,2,CONTOSO\\alice.w\n")
    out = tmp_path / "r.json"
    assert (
        invoke("run", sheet, "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx").exit_code
        == 0
    )
    assert [r["status"] for r in rows_of(out)] == ["exists", "created", "created", "created"]

    dry = invoke(
        "undo",
        tmp_path / "r.xlsx",
        "--demo",
        site_path,
        "--dry-run",
        "--json",
        tmp_path / "d.json",
        "--report",
        tmp_path / "d.xlsx",
    )
    assert dry.exit_code == 0, dry.output
    assert [r["status"] for r in rows_of(tmp_path / "d.json")] == ["skipped", "planned", "planned", "planned"]
    assert len(associations(site_path)) == len(before) + 3

    real = invoke(
        "undo", out, "--demo", site_path, "--json", tmp_path / "u.json", "--report", tmp_path / "u.xlsx"
    )
    assert real.exit_code == 0, real.output
    assert [r["status"] for r in rows_of(tmp_path / "u.json")] == ["skipped", "deleted", "deleted", "deleted"]
    assert associations(site_path) == before
    again = invoke(
        "undo", out, "--demo", site_path, "--json", tmp_path / "u2.json", "--report", tmp_path / "u2.xlsx"
    )
    assert again.exit_code == 0
    assert [r["status"] for r in rows_of(tmp_path / "u2.json")] == ["skipped", "absent", "absent", "absent"]


def test_undo_keeps_associations_whose_capture_started(
    tmp_path: Path, site_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMASSOC_KEYS_PASSWORD", "escrow-password-1")  # --force keeps the key first
    before = associations(site_path)
    out = tmp_path / "r.json"
    setup = invoke(
        "run", wave(tmp_path, 2), "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx"
    )
    assert setup.exit_code == 0, setup.output
    first = rows_of(out)[0]
    with sqlite3.connect(site_path) as db:
        db.execute(
            "UPDATE associations SET MigrationStatus = 1 WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
            (first["source_resource_id"], first["restore_resource_id"]),
        )
    kept = invoke(
        "undo", out, "--demo", site_path, "--json", tmp_path / "u.json", "--report", tmp_path / "u.xlsx"
    )
    assert kept.exit_code == 3
    statuses = [r["status"] for r in rows_of(tmp_path / "u.json")]
    assert statuses == ["kept", "deleted"]
    kept_said = rows_of(tmp_path / "u.json")[0]["messages"][-1]
    assert kept_said["code"] == M.UNDO_CAPTURE_STARTED.code and "in progress" in kept_said["text"]
    forced = invoke(
        "undo",
        out,
        "--demo",
        site_path,
        "--force",
        "--json",
        tmp_path / "f.json",
        "--report",
        tmp_path / "f.xlsx",
    )
    assert forced.exit_code == 0
    assert [r["status"] for r in rows_of(tmp_path / "f.json")] == ["deleted", "absent"]
    assert len(associations(site_path)) == len(before)


def test_resume_refuses_a_changed_sheet(tmp_path: Path, site_path: Path) -> None:
    sheet = wave(tmp_path, 2)
    out = tmp_path / "r.json"
    setup = invoke("run", sheet, "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx")
    assert setup.exit_code == 0, setup.output
    run_id = json.loads(out.read_text())["summary"]["run_id"]
    sheet.write_text(sheet.read_text() + "CON-PC0020,CON-NB0020,0,\n", encoding="utf-8")
    result = invoke("run", sheet, "--demo", site_path, "--resume", run_id)
    assert result.exit_code == 2
    assert error_codes(result.output) == [M.RUN_OF_ANOTHER_SHEET.code]


def test_dry_runs_are_not_journaled_and_finished_runs_not_resumed(
    tmp_path: Path, site_path: Path, journal_path: Path
) -> None:
    sheet = wave(tmp_path, 2)
    dry = invoke("run", sheet, "--demo", site_path, "--dry-run", "--report", tmp_path / "d.xlsx")
    assert dry.exit_code == 0, dry.output
    assert not journal_path.exists()
    first = invoke("run", sheet, "--demo", site_path, "--report", tmp_path / "1.xlsx")
    second = invoke("run", sheet, "--demo", site_path, "--report", tmp_path / "2.xlsx")
    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    assert M.RUN_CONTINUED.code not in first.output + second.output
    journal = Journal(journal_path)
    assert [r.state for r in journal.runs()] == [RunState.FINISHED, RunState.FINISHED]
    journal.close()


@pytest.mark.parametrize("fault", ["before", "after"])
def test_undo_reconciles_a_lost_delete(
    tmp_path: Path, site_path: Path, journal_path: Path, fault: str
) -> None:
    from importer.after.undo import UndoOptions, undo_run
    from importer.results import RunOptions
    from importer.site.demo.provider import DemoSite
    from importer.site.gateway import build_site
    from importer.site.retry import RetryPolicy
    from tests.support.flaky import FlakyProvider

    before = associations(site_path)
    out = tmp_path / "r.json"
    setup = invoke(
        "run", wave(tmp_path, 6), "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx"
    )
    assert setup.exit_code == 0, setup.output
    run_id = json.loads(out.read_text())["summary"]["run_id"]
    journal = Journal(journal_path)
    site = DemoSite(site_path)
    flaky = FlakyProvider(site, faults=[None, fault])
    options = UndoOptions(RunOptions(batch_size=3, retry=RetryPolicy(attempts=3, wait_first=0, wait_max=0)))
    result = undo_run(journal, journal.run(run_id), build_site(flaky, options.run), options)
    site.close()
    journal.close()
    assert [r.status.value for r in result.rows if r.status] == ["deleted"] * 6
    assert flaky.call_batches == ([3, 3, 3] if fault == "before" else [3, 3])
    assert associations(site_path) == before


def test_ctrl_c_while_only_reading_stops_at_once() -> None:
    from importer.interrupt import Interrupts

    interrupts = Interrupts()
    with pytest.raises(KeyboardInterrupt):
        interrupts.handle(2, None)  # nothing is being changed: stop now
    with interrupts.deferred() as stop_requested:
        interrupts.handle(2, None)  # creating: finish the batch first
        assert stop_requested()
        with pytest.raises(KeyboardInterrupt):
            interrupts.handle(2, None)  # a second Ctrl-C: now


def test_resume_refuses_another_site(tmp_path: Path, site_path: Path) -> None:
    sheet = wave(tmp_path, 2)
    out = tmp_path / "r.json"
    setup = invoke("run", sheet, "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx")
    assert setup.exit_code == 0, setup.output
    run_id = json.loads(out.read_text())["summary"]["run_id"]
    other = tmp_path / "lab.db"
    assert invoke("demo-site", "create", other, "--site-code", "LAB").exit_code == 0
    before = associations(other)
    result = invoke("run", sheet, "--demo", other, "--resume", run_id, "--report", tmp_path / "x.xlsx")
    assert result.exit_code == 2, result.output
    assert error_codes(result.output) == [M.RUN_ON_ANOTHER_SITE.code]
    assert run_id in result.output
    assert associations(other) == before


def test_an_undo_cannot_be_undone_or_resumed(tmp_path: Path, site_path: Path, journal_path: Path) -> None:
    sheet = wave(tmp_path, 2)
    out = tmp_path / "r.json"
    setup = invoke("run", sheet, "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx")
    assert setup.exit_code == 0, setup.output
    undone = invoke("undo", out, "--demo", site_path, "--report", tmp_path / "u.xlsx")
    assert undone.exit_code == 0, undone.output
    journal = Journal(journal_path)
    [undo] = [r for r in journal.runs() if r.kind is RunKind.UNDO]
    journal.close()
    after = associations(site_path)
    again = invoke("undo", undo.run_id, "--demo", site_path, "--report", tmp_path / "u2.xlsx")
    assert again.exit_code == 2, again.output
    assert error_codes(again.output) == [M.RUN_IS_AN_UNDO.code]
    resumed = invoke(
        "run", sheet, "--demo", site_path, "--resume", undo.run_id, "--report", tmp_path / "x.xlsx"
    )
    assert resumed.exit_code == 2, resumed.output
    assert error_codes(resumed.output) == [M.RUN_IS_AN_UNDO.code]
    assert associations(site_path) == after


def test_resume_recognises_the_exists_note_by_its_tag_not_its_words() -> None:
    from importer.journal.records import RowRecord
    from importer.model import Level, RowResult, Status, Tag

    def row(text: str, tag: Tag | None) -> RowResult:
        result = RowResult("wave.csv", 2, {}, "CON-PC0003", "CON-NB0003", status=Status.EXISTS)
        result.add(Level.NOTE, text, tag=tag, code=M.ALREADY_ON_SITE if tag else M.CREATED_BY_ANOTHER)
        return result

    tagged = row("reworded: this pair is on the site", Tag.ALREADY_ON_SITE)
    untagged = row("already on the site (a note of someone else's)", None)
    previous = [
        RowRecord(i, "wave.csv", 2, "CON-PC0003", "CON-NB0003", 1, 2, 2, [], RowState.CREATED, "")
        for i in range(2)
    ]

    class NoJournal:
        pass

    run = JournalRun(NoJournal(), "run-1", previous)  # type: ignore[arg-type]
    run.overlay([tagged, untagged])
    assert [r.status for r in (tagged, untagged)] == [Status.CREATED, Status.CREATED]
    assert [m.code for m in tagged.messages] == [M.CREATED_BEFORE_STOP]  # the tag's note, replaced
    assert [m.code for m in untagged.messages] == [M.CREATED_BY_ANOTHER, M.CREATED_BEFORE_STOP]


def test_two_runs_in_one_second_never_share_an_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stamp is to the second and the random part 16 bits: a journal draws again rather
    than meet an ID it holds (which would refuse the run)."""
    import secrets

    drawn = iter(["beef", "beef", "beef", "cafe"])
    monkeypatch.setattr(secrets, "token_hex", lambda _n: next(drawn))
    journal = Journal(tmp_path / "j.db")
    try:
        first = journal.start_run(RunKind.RUN, "w.csv", "0" * 64, "DEM", "demo: x", {})
        second = journal.start_run(RunKind.RUN, "w.csv", "0" * 64, "DEM", "demo: x", {})
    finally:
        journal.close()
    assert first.endswith("-beef") and second.endswith("-cafe")  # the two repeats drawn again
