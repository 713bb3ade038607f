from __future__ import annotations

import io

from rich.console import Console

from importer.progress import BarProgress, PlainProgress, progress_for


def test_plain_lines_when_stderr_is_not_a_terminal() -> None:
    sink = io.StringIO()
    progress = progress_for(Console(file=sink, force_terminal=False))
    assert isinstance(progress, PlainProgress)
    progress.start("Resolving names", 100)
    for _ in range(100):
        progress.advance(1)
    progress.finish()
    lines = sink.getvalue().splitlines()
    assert lines[0] == "cmassoc: Resolving names: 100 to do"
    assert [ln.split(": ", 2)[2].split(" ")[0] for ln in lines[1:-1]] == [
        f"{n}/100" for n in range(10, 101, 10)
    ]
    assert lines[-1].startswith("cmassoc: Resolving names: done, 100 in ")
    assert "\x1b" not in sink.getvalue() and "\r" not in sink.getvalue()  # no control characters


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
