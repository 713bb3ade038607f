from __future__ import annotations

import io

from rich.console import Console

from importer.progress import BarProgress, NoProgress, progress_for


def test_progress_is_silent_when_stderr_is_not_a_terminal() -> None:
    sink = io.StringIO()
    progress = progress_for(Console(file=sink, force_terminal=False))
    assert isinstance(progress, NoProgress)
    progress.start("Resolving names", 10)
    progress.advance(10)
    progress.finish()
    assert sink.getvalue() == ""


def test_progress_bar_on_a_terminal() -> None:
    sink = io.StringIO()
    progress = progress_for(Console(file=sink, force_terminal=True, width=100))
    assert isinstance(progress, BarProgress)
    progress.start("Creating associations", 4)
    progress.advance(4)
    progress.finish()
    assert "Creating associations" in sink.getvalue()
    assert "4/4" in sink.getvalue()
