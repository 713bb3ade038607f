"""The reporters a job writes its result with, behind one small protocol.

A reporter takes a finished `RunResult` and writes it somewhere, saying where it went. The
Excel and JSON reports are the two kinds today; a job is given the list it should write.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from importer.errors import ReportError
from importer.report.pages import DEFAULT_PAPER, Paper
from importer.results import RunResult

STDOUT = Path("-")


class Reporter(Protocol):
    def write(self, result: RunResult) -> Path | None:
        """Write the report; where it went (None: nowhere a person opens, such as stdout)."""
        ...


def _say_nothing(_text: str) -> None:
    return None


@dataclass(frozen=True)
class ExcelReport:
    """The Excel report people review. If its place cannot be written, the work is done and
    its report would be lost: it goes to the temporary folder instead, and that is said."""

    path: Path
    announce: Callable[[str], None] = field(default=_say_nothing, compare=False)
    fallback_name: str | None = None  # the name it takes in the temporary folder (default: its own)
    paper: Paper = DEFAULT_PAPER  # what its pages are laid out for

    def write(self, result: RunResult) -> Path:
        from importer.report.excel_report import write_xlsx

        if not self.path.parent.exists():
            self.announce(f"creating the folder {self.path.parent} for {self.path.name}")
        try:
            write_xlsx(result, self.path, self.paper)
        except ReportError as exc:
            fallback = Path(tempfile.gettempdir()) / (self.fallback_name or self.path.name)
            self.announce(f"{exc} Writing it to {fallback} instead.")
            write_xlsx(result, fallback, self.paper)
            return fallback
        return self.path


@dataclass(frozen=True)
class JsonReport:
    """The JSON report for scripts, to a file or (`STDOUT`) to standard output."""

    path: Path
    announce: Callable[[str], None] = field(default=_say_nothing, compare=False)

    def write(self, result: RunResult) -> Path | None:
        from importer.report.json_report import write_json, write_json_to

        if self.path != STDOUT:
            if not self.path.parent.exists():
                self.announce(f"creating the folder {self.path.parent} for {self.path.name}")
            write_json(result, self.path)
            return self.path
        stream = sys.stdout
        if stream is None:
            self.announce("the JSON was not written: standard output is closed.")
            return None
        try:
            write_json_to(result, stream)
            stream.flush()
        except BrokenPipeError:
            self.announce("the JSON was cut short: the program reading standard output stopped reading.")
            _silence(stream)
        except (OSError, ValueError) as exc:
            self.announce(f"the JSON could not be written to standard output ({exc}).")
            _silence(stream)
        return None


def _silence(stream: object) -> None:
    """Point a broken stdout at the null device, so the interpreter's last flush succeeds (a
    reader that left early costs the JSON, never a traceback at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())  # type: ignore[attr-defined]
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        sys.stdout = None


def write_reports(result: RunResult, reporters: Sequence[Reporter]) -> list[Path | None]:
    """Every report of a result, in order; where each went."""
    return [reporter.write(result) for reporter in reporters]


__all__ = ["STDOUT", "ExcelReport", "JsonReport", "Reporter", "write_reports"]
