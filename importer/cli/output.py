"""What the commands show: one-line notices and the summary on stderr, reports on disk."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from rich.console import Console

from importer.errors import InputError, ReportError
from importer.results import RunResult

_CONSOLE: Console | None = None


def stderr() -> Console:
    """One console for stderr, so a notice printed during a progress bar appears above it."""
    global _CONSOLE
    if _CONSOLE is None or _CONSOLE.file is not sys.stderr:
        _CONSOLE = Console(stderr=True, highlight=False, soft_wrap=True)
    return _CONSOLE


def announce(text: str) -> None:
    stderr().print(f"cmassoc: {text}", markup=False)


class _Out:
    """print() to stdout, through click (a closed or broken stdout costs the lines, no more)."""

    def print(self, text: str, markup: bool = False) -> None:  # noqa: ARG002 (Console's signature)
        import click

        with contextlib.suppress(OSError, ValueError):
            click.echo(text)


def default_report_path(sheet: Path, now: dt.datetime | None = None, kind: str = "report") -> Path:
    """<sheet>-report-<time>.xlsx next to the sheet; -2, -3... when that name is taken (two
    commands in the same second never write over each other)."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return unique_path(sheet.with_name(f"{sheet.stem}-{kind}-{stamp}.xlsx"))


def unique_path(path: Path) -> Path:
    if not path.exists() and not path.with_suffix(".json").exists():
        return path
    number = 2
    while True:
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        if not candidate.exists() and not candidate.with_suffix(".json").exists():
            return candidate
        number += 1


def refuse_overwriting(inputs: dict[str, Path | None], outputs: dict[str, Path | None]) -> None:
    """--report or --json must never name an input (the sheet, the users file, the journal)."""
    for out_name, out in outputs.items():
        if out is None or str(out) == "-":
            continue
        for in_name, given in inputs.items():
            if given is not None and given.exists() and _same(out, given):
                raise InputError(
                    f"{out_name} {out} is the {in_name}: cmassoc never writes over its input.",
                    f"Choose another path for {out_name}.",
                )


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and a.samefile(b))
    except OSError:
        return False


def write_reports(result: RunResult, default: Path, report: Path | None, json_path: Path | None) -> Path:
    """The Excel report (to a temporary folder if its place cannot be written) and any JSON."""
    from importer.report.excel_report import write_xlsx
    from importer.report.json_report import write_json, write_json_to

    report = report or default
    for target in (report, json_path):
        if target is not None and str(target) != "-" and not target.parent.exists():
            announce(f"creating the folder {target.parent} for {target.name}")
    try:
        write_xlsx(result, report)
    except ReportError as exc:
        # The work is done; losing its report would be worse than putting it elsewhere.
        fallback = Path(tempfile.gettempdir()) / default.name
        announce(f"{exc} Writing it to {fallback} instead.")
        write_xlsx(result, fallback)
        report = fallback
    if json_path is not None and str(json_path) != "-":
        write_json(result, json_path)
    elif json_path is not None:
        _json_to_stdout(result, write_json_to)
    return report


def _json_to_stdout(result: RunResult, write: Callable[[RunResult, TextIO], None]) -> None:
    """`--json -`: a reader that leaves early or a closed stdout costs the JSON, not the run's
    exit status, and never a traceback or "Exception ignored" at exit."""
    stream = sys.stdout
    if stream is None:
        announce("the JSON was not written: standard output is closed.")
        return
    try:
        write(result, stream)
        stream.flush()
    except BrokenPipeError:
        announce("the JSON was cut short: the program reading standard output stopped reading.")
        _silence(stream)
    except (OSError, ValueError) as exc:
        announce(f"the JSON could not be written to standard output ({exc}).")
        _silence(stream)


def _silence(stream: TextIO) -> None:
    """Point the broken stdout at the null device, so the interpreter's last flush succeeds."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        sys.stdout = None


def print_summary(result: RunResult, report: Path, json_to_stdout: bool = False) -> None:
    """The closing lines, on stdout (so `> log.txt` keeps them), unless the JSON is there."""
    err = stderr() if json_to_stdout else _Out()
    for note in result.wave.notes:
        if note.startswith("WARNING"):
            announce(note)
    what = {"validate": "Checked", "undo": "Undo:", "run": "Imported", "status": "Status of"}[result.command]
    if result.options.dry_run and result.command != "validate":
        what = (
            "Planned (dry run, nothing changed):"
            if result.command == "run"
            else f"{what} (dry run, nothing changed)"
        )
    err.print(f"{what} {result.tally()}", markup=False)
    if result.wave.row_count and result.command == "run" and result.provider is not None:
        err.print(
            f"Site {result.provider.site_code} ({result.provider.kind}); rows without a behaviour "
            f"used {result.options.default_behavior.label}",
            markup=False,
        )
    if result.stopped_by:
        err.print(f"Stopped early: {result.stopped_by}", markup=False)
    if result.command == "status" and result.finished is not None:
        site = result.provider.site_code if result.provider else "?"
        err.print(f"Read at {result.finished:%Y-%m-%d %H:%M %Z} from site {site}", markup=False)
    if result.run_id and result.command == "run":
        err.print(f"Run ID: {result.run_id} (journal {result.journal_path})", markup=False)
    err.print(f"Report: {report}", markup=False)
