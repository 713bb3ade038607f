"""Progress on stderr: bars in a terminal, plain lines in a log that never stall silently."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from importer.job import Job, Wiring, execute
from importer.model import UsersFrom
from importer.progress import BarProgress, PlainProgress, progress_for
from importer.results import RunOptions, RunResult
from importer.site.demo.provider import DemoSite
from importer.site.provider import CallResult, MethodCall, ProviderInfo, Query, QueryResult
from importer.site.retry import RetryPolicy
from tests.support.helpers import SAMPLES, sheet

PATIENCE = 30.0  # seconds a test waits for a line before it fails: generous, never a measure


def test_plain_lines_when_stderr_is_not_a_terminal() -> None:
    sink = io.StringIO()
    progress = progress_for(Console(file=sink, force_terminal=False), every_seconds=3600)
    assert isinstance(progress, PlainProgress)
    progress.start("Resolving names", 100)
    for _ in range(100):
        progress.advance(1)
    progress.finish()
    lines = sink.getvalue().splitlines()
    assert lines[0] == "cmassoc: Resolving names: 100 pairs to do"
    steps = [
        re.fullmatch(r"cmassoc: Resolving names: (\d+) of 100 pairs, (\S+) elapsed, about (\S+) left", ln)
        for ln in lines[1:-1]
    ]
    assert [m.group(1) if m else ln for m, ln in zip(steps, lines[1:-1], strict=True)] == [
        str(n) for n in range(10, 101, 10)
    ]
    assert {m.group(2) for m in steps if m} == {"0:00:00"}
    assert steps[-1] and steps[-1].group(3) == "0:00:00"  # nothing left at 100 %
    assert lines[-1].startswith("cmassoc: Resolving names: done, 100 in ")
    assert "\x1b" not in sink.getvalue() and "\r" not in sink.getvalue()  # no control characters


class Log(io.StringIO):
    """A log file the timer thread writes to while the test waits for its lines."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()

    def write(self, text: str) -> int:
        with self.changed:
            written = super().write(text)
            self.changed.notify_all()
        return written

    def lines(self) -> list[str]:
        with self.changed:
            return self.getvalue().splitlines()

    def wait_for(self, count: int) -> bool:
        """Until the log has `count` lines or more."""
        with self.changed:
            return self.changed.wait_for(lambda: len(self.getvalue().splitlines()) >= count, PATIENCE)


def _timers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "cmassoc-progress"]


def test_a_line_comes_every_interval_while_nothing_finishes_and_stops_with_the_stage() -> None:
    log = Log()
    progress = PlainProgress(log, every_seconds=0.05)
    progress.start("Resolving names", 5000)
    assert log.wait_for(4)  # the start line and three from the timer: nothing advanced meanwhile
    waiting = log.lines()[1:4]
    for line in waiting:
        assert re.fullmatch(
            r"cmassoc: Resolving names: 0 of 5,000 pairs, \d+:\d\d:\d\d elapsed, time left not known yet",
            line,
        ), line
    progress.advance(1200)  # past 10 %: a line at once, with an estimate from now on
    shown = len(log.lines())
    assert re.fullmatch(
        r"cmassoc: Resolving names: 1,200 of 5,000 pairs, \d+:\d\d:\d\d elapsed, about \d+:\d\d:\d\d left",
        log.lines()[-1],
    )
    assert log.wait_for(shown + 2)
    assert "1,200 of 5,000 pairs" in log.lines()[-1] and " left" in log.lines()[-1]
    progress.finish()
    assert _timers() == []  # joined: no line can come after the stage's last
    lines = log.lines()
    assert re.fullmatch(
        r"cmassoc: Resolving names: stopped at 1,200 of 5,000 pairs after \d+\.\d s", lines[-1]
    )
    progress.start("Creating associations", 2, "pairs")
    progress.advance(2)
    progress.finish()
    assert _timers() == []
    assert log.lines()[len(lines)] == "cmassoc: Creating associations: 2 pairs to do"
    assert log.lines()[-1].startswith("cmassoc: Creating associations: done, 2 in ")


class Gated:
    """The demo site, but each round trip waits until the log shows a new line: the stage's
    thread is inside the round trip, so that line can only come from the timer."""

    def __init__(self, site: DemoSite, log: Log) -> None:
        self.site, self.log = site, log
        self.round_trips = 0

    @property
    def info(self) -> ProviderInfo:
        return self.site.info

    def _wait(self) -> None:
        self.round_trips += 1
        assert self.log.wait_for(len(self.log.lines()) + 1), (
            f"no progress line during round trip {self.round_trips}"
        )

    def query(self, queries: Sequence[Query]) -> list[QueryResult]:
        self._wait()
        return self.site.query(queries)

    def call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
        self._wait()
        return self.site.call(calls)

    def close(self) -> None:
        self.site.close()


def _logged(job: Job, site_path: Path) -> tuple[RunResult, dict[str, list[str]]]:
    """A job on the gated demo site: its result, and its log's lines by stage, in order."""
    log = Log()
    provider = Gated(DemoSite(site_path), log)
    outcome = execute(job, Wiring(lambda: provider, PlainProgress(log, every_seconds=0.05)))
    assert outcome.result is not None and outcome.result.stopped_by is None, outcome.result
    assert provider.round_trips > 0
    assert _timers() == []  # every stage's timer ended with its stage
    stages: dict[str, list[str]] = {}
    for line in log.lines():
        stage, _, rest = line.removeprefix("cmassoc: ").partition(": ")
        stages.setdefault(stage, []).append(rest)
    for stage, said in stages.items():  # nothing of a stage after its end
        assert said[0].endswith(" to do") and said[-1].startswith("done, "), (stage, said)
        assert all(" elapsed, " in line for line in said[1:-1]), (stage, said)
    return outcome.result, stages


OPTIONS = RunOptions(retry=RetryPolicy(wait_first=0, wait_max=0))


def test_every_stage_of_run_status_and_undo_keeps_the_log_going(tmp_path: Path, site_path: Path) -> None:
    options = replace(OPTIONS, users_from=UsersFrom.PRIMARY)
    journal = tmp_path / "journal.db"
    run, stages = _logged(
        Job("run", options, SAMPLES / "wave-04-new-hardware.xlsx", journal=journal), site_path
    )
    assert list(stages) == [
        "Resolving names",
        "Reading existing associations",
        "Reading collections",
        "Checking readiness",
        "Creating associations",  # computers are imported and join their collections batch by batch
    ]
    assert stages["Creating associations"][-1].startswith("done, 4 in ")
    _, stages = _logged(Job("status", options, journal=journal, run_id=run.run_id), site_path)
    assert list(stages) == ["Reading migration status"]
    _, stages = _logged(Job("undo", options, journal=journal, run_id=run.run_id), site_path)
    assert list(stages) == [
        "Reading the run's associations",
        "Deleting associations",
        "Removing collection rules",
        "Deleting imported computers",
    ]
    assert stages["Removing collection rules"][0] == "4 rules to do"


def test_joining_an_existing_pair_and_putting_back_a_replaced_one_keep_it_going_too(
    tmp_path: Path, site_path: Path
) -> None:
    journal = tmp_path / "journal.db"
    first = sheet(tmp_path, "Source,Destination,Behavior\nCON-PC0003,CON-NB0003,0\n", "first.csv")
    _logged(Job("run", OPTIONS, first, journal=journal), site_path)
    joined = sheet(tmp_path, "Source,Destination,Behavior,Collection\nCON-PC0003,CON-NB0003,0,DEM00010\n")
    _, stages = _logged(Job("run", OPTIONS, joined, journal=journal), site_path)
    assert list(stages)[-2:] == ["Creating associations", "Adding computers to collections"]
    assert stages["Creating associations"] == ["0 pairs to do", stages["Creating associations"][-1]]
    changed = sheet(
        tmp_path, "Source,Destination,Behavior,Users\nCON-PC0003,CON-NB0003,2,CONTOSO\\ann\n", "u.csv"
    )
    update = replace(OPTIONS, update=True)
    replaced, _ = _logged(Job("run", update, changed, journal=journal), site_path)
    _, stages = _logged(Job("undo", OPTIONS, journal=journal, run_id=replaced.run_id), site_path)
    assert list(stages) == [
        "Reading the run's associations",
        "Deleting associations",
        "Putting back replaced associations",
    ]


def test_progress_bar_on_a_terminal_one_bar_per_stage() -> None:
    sink = io.StringIO()
    progress = progress_for(Console(file=sink, force_terminal=True, width=120))
    assert isinstance(progress, BarProgress)
    progress.start("Resolving names", 3)
    progress.advance(3)
    progress.start("Creating associations", 4)
    progress.advance(4)
    progress.finish()
    text = sink.getvalue()
    first, second = text.split("Creating associations", 1)
    assert "3/3" in first.rsplit("Resolving names", 1)[1]  # the finished stage's line stays, complete
    assert "Resolving names" not in second  # ... and is not drawn again with the next one
    assert "4/4" in second.rsplit("Creating associations", 1)[-1]


def test_debug_goes_anywhere_and_keeps_the_exit_status(tmp_path: object) -> None:
    from tests.support.helpers import SAMPLES, invoke

    plain = invoke("validate", SAMPLES / "wave-mistakes.xlsx", "--report", f"{tmp_path}/a.xlsx")
    debug = invoke("validate", SAMPLES / "wave-mistakes.xlsx", "--report", f"{tmp_path}/b.xlsx", "--debug")
    assert plain.exit_code == debug.exit_code == 3
    missing = invoke("validate", f"{tmp_path}/nowhere.csv", "--debug")
    assert missing.exit_code == 2 and "no such file" in missing.output
    assert "Traceback" in missing.output  # the details --debug is for


def test_summary_goes_to_stdout_and_a_dry_run_says_planned(tmp_path: object, site_path: object) -> None:
    from click.testing import CliRunner

    from importer.cli import cli
    from tests.support.helpers import SAMPLES

    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(SAMPLES / "wave-03.csv"),
            "--demo",
            str(site_path),
            "--dry-run",
            "--report",
            f"{tmp_path}/r.xlsx",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Planned (dry run, nothing changed): 5 rows: 5 planned" in result.stdout
    assert "Imported" not in result.output
