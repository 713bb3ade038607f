"""What the commands show: one-line notices and the summary on stderr, the reports they write."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from importer import InputError, RunResult, messages
from importer.job import Outcome, Wiring
from importer.messages import Code, notice_line
from importer.report.pages import DEFAULT_PAPER, Paper

if TYPE_CHECKING:
    from rich.console import Console

    from importer.report.reporters import Reporter
    from importer.site.provider import Provider

_CONSOLE: Console | None = None


@dataclass(frozen=True)
class OutputOptions:
    """--report, --json and --paper: where a command's reports go, and on what paper."""

    report: Path | None = None
    json_path: Path | None = None
    paper: Paper = DEFAULT_PAPER


def stderr() -> Console:
    """One console for stderr, so a notice printed during a progress bar appears above it."""
    global _CONSOLE
    if _CONSOLE is None or _CONSOLE.file is not sys.stderr:
        from rich.console import Console  # the first notice or progress bar pays for it

        _CONSOLE = Console(stderr=True, highlight=False, soft_wrap=True)
    return _CONSOLE


def announce(text: str) -> None:
    """One line on stderr; a notice with its code first ("cmassoc: CMA354 continuing run ...")."""
    stderr().print(f"cmassoc: {notice_line(text)}", markup=False)


def error_line(code: Code | None, text: str) -> str:
    """An error as the console shows it: "cmassoc: error: CMA612 ..." (the code, when it has one)."""
    return f"cmassoc: error: {code} {text}" if code else f"cmassoc: error: {text}"


def usage_error(code: Code, text: str) -> click.UsageError:
    """A wrong use of the command's options, with its code (click prints it under the usage)."""
    return click.UsageError(f"{code}: {text}")


def bad_parameter(code: Code | None, text: str, param_hint: str | None = None) -> click.BadParameter:
    """A wrong option or argument value, with its code."""
    return click.BadParameter(f"{code}: {text}" if code else text, param_hint=param_hint)


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
                    code=messages.OUTPUT_IS_INPUT,
                )


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and a.samefile(b))
    except OSError:
        return False


def reporters(
    default: Path | Callable[[RunResult], Path],
    report: Path | None,
    json_path: Path | None,
    paper: Paper = DEFAULT_PAPER,
) -> Callable[[RunResult], list[Reporter]]:
    """The command's reporters: the Excel report (--report, else its default place, which may be
    named after the result's run; laid out for `paper`) and the JSON (--json; `-` is standard
    output)."""
    from importer.report.reporters import STDOUT, ExcelReport, JsonReport

    def made(result: RunResult) -> list[Reporter]:
        named = default(result) if callable(default) else default
        out: list[Reporter] = [ExcelReport(report or named, announce, named.name, paper)]
        if json_path is not None:
            out.append(JsonReport(STDOUT if str(json_path) == "-" else json_path, announce))
        return out

    return made


def wiring(
    default: Path | Callable[[RunResult], Path],
    output: OutputOptions,
    connect: Callable[[], Provider] | None = None,
    interruptible: bool = False,
    index: Path | None = None,
) -> Wiring:
    """How a command's job reaches the world: its site, progress and notices on stderr, its
    reports, Ctrl-C after the batch in flight, the index of runs it records its run in."""
    from importer.interrupt import graceful_interrupt
    from importer.progress import progress_for

    return Wiring(
        connect=connect,
        progress=progress_for(stderr()) if connect is not None else None,
        announce=announce,
        reporters=reporters(default, output.report, output.json_path, output.paper),
        interrupts=(lambda: graceful_interrupt(announce)) if interruptible else None,
        index=index,
    )


def finish(outcome: Outcome, output: OutputOptions) -> None:
    """The closing lines, and the exit status the result says."""
    result = outcome.result
    assert result is not None
    report = outcome.written[0] if outcome.written and outcome.written[0] is not None else Path("-")
    print_summary(result, report, str(output.json_path) == "-")
    click.get_current_context().exit(int(result.exit_status))


def print_summary(result: RunResult, report: Path, json_to_stdout: bool = False) -> None:
    """The closing lines, on stdout (so `> log.txt` keeps them), unless the JSON is there."""
    err = stderr() if json_to_stdout else _Out()
    for note in result.wave.notes:
        code = getattr(note, "code", None)
        if code is messages.UNREAD_COLUMNS or code is messages.ROWS_NOT_PAIRS or note.startswith("WARNING"):
            announce(note)
    err.print(f"{summary_title(result)} {result.tally()}", markup=False)
    extra = result.site_changes()
    if extra:
        err.print(f"Also: {extra}", markup=False)
    if result.command == "run":
        for line in readiness_lines(result):
            err.print(line, markup=False)
    if result.provider is not None and result.command in ("run", "undo"):
        err.print(f"Site {result.provider.site_code} ({result.provider.kind})", markup=False)
    if result.defaulted and result.command in ("run", "validate"):
        rows = "1 row gives" if result.defaulted == 1 else f"{result.defaulted:,} rows give"
        err.print(
            f"Behaviour: {rows} none and {'takes' if result.defaulted == 1 else 'take'} the default, "
            f"{result.options.default_behavior.label}; --behavior sets another",
            markup=False,
        )
    if result.stopped_by:
        code = f"{result.stopped_code} " if result.stopped_code else ""
        err.print(f"Stopped early: {code}{result.stopped_by}", markup=False)
    if result.command == "status" and result.finished is not None:
        site = result.provider.site_code if result.provider else "?"
        err.print(f"Read at {result.finished:%Y-%m-%d %H:%M %Z} from site {site}", markup=False)
    if result.escrow_path:
        escrow = Path(result.escrow_path).absolute()
        err.print(f"Escrow: {escrow} (recovery keys kept before deleting, encrypted)", markup=False)
    if result.run_id and result.command == "run":
        journal = Path(result.journal_path).absolute() if result.journal_path else None
        err.print(f"Run ID: {result.run_id} (journal {journal})", markup=False)
    err.print(f"Report: {report if str(report) == '-' else report.absolute()}", markup=False)


def readiness_lines(result: RunResult) -> list[str]:
    """The run's readiness in a few lines: pairs per warning, and what the site lacks."""
    from importer.messages import CATALOG

    lines = []
    counts = result.readiness_counts()
    if counts:
        pairs = sum(1 for row in result.rows if row.readiness)
        kinds = "; ".join(f"{CATALOG[code].title} ({code}): {n:,}" for code, n in counts.items())
        lines.append(f"Readiness: {pairs:,} {'pair' if pairs == 1 else 'pairs'} with warnings: {kinds}")
    for item in result.site_readiness or ():
        lines.append(f"Readiness: {item.code} {item.text}")
    return lines


def summary_title(result: RunResult) -> str:
    """Each command's summary says what the command did."""
    dry = result.options.dry_run and result.command != "validate"
    if result.command == "run":
        return "Planned (dry run, nothing changed):" if dry else "Imported"
    title = {"validate": "Validated", "undo": "Undone:", "status": "Status of", "cleanup": "Cleaned up:"}[
        result.command
    ]
    return f"{title} (dry run, nothing changed)" if dry else title
