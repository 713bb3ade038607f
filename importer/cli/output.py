"""What the commands show: one-line notices and the summary on stderr, reports on disk."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from importer.errors import ReportError
from importer.results import RunResult


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def announce(text: str) -> None:
    stderr().print(f"cmassoc: {text}", markup=False)


def default_report_path(sheet: Path, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return sheet.with_name(f"{sheet.stem}-report-{stamp}.xlsx")


def write_reports(result: RunResult, default: Path, report: Path | None, json_path: Path | None) -> Path:
    """The Excel report (to a temporary folder if its place cannot be written) and any JSON."""
    from importer.report.json_report import write_json, write_json_to
    from importer.report.xlsx_report import write_xlsx

    report = report or default
    try:
        write_xlsx(result, report)
    except ReportError as exc:
        # The work is done; losing its report would be worse than putting it elsewhere.
        fallback = Path(tempfile.gettempdir()) / default.name
        announce(f"{exc} Writing it to {fallback} instead.")
        write_xlsx(result, fallback)
        report = fallback
    if json_path is not None:
        if str(json_path) == "-":
            write_json_to(result, sys.stdout)
        else:
            write_json(result, json_path)
    return report


def print_summary(result: RunResult, report: Path) -> None:
    err = stderr()
    what = {"validate": "Checked", "undo": "Undo:", "run": "Imported"}[result.command]
    if result.options.dry_run and result.command != "validate":
        what = f"{what} (dry run, nothing changed)"
    counts = ", ".join(f"{n} {s.value}" for s, n in result.counts().items() if n)
    err.print(f"{what} {len(result.rows)} rows: {counts or 'nothing'}", markup=False)
    if result.wave.rows and result.command == "run" and result.provider is not None:
        err.print(
            f"Site {result.provider.site_code} ({result.provider.kind}); rows without a behaviour "
            f"used {result.options.default_behavior.label}",
            markup=False,
        )
    if result.stopped_by:
        err.print(f"Stopped early: {result.stopped_by}", markup=False)
    if result.run_id and result.command == "run":
        err.print(f"Run ID: {result.run_id} (journal {result.journal_path})", markup=False)
    err.print(f"Report: {report}", markup=False)
