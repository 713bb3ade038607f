"""Progress on stderr: a bar per stage in a terminal, plain lines elsewhere (a scheduled task,
`| tee`), nothing at all for library callers."""

from __future__ import annotations

import functools
import time
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # rich's bar is imported when a terminal shows one, not at start-up
    from rich.console import Console
    from rich.progress import Progress as RichBar
    from rich.progress import TaskID


class Progress(Protocol):
    def start(self, stage: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def finish(self) -> None:
        pass


@functools.cache
def _rate_column() -> Any:
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")

    return Rate


class BarProgress:
    """One rich bar per stage: count, rate, time remaining. A finished stage's line stays as it
    was and is never drawn again; messages printed on the same console appear above the bar."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar: RichBar | None = None
        self._task: TaskID | None = None

    def start(self, stage: str, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichBar

        self.finish()
        self._bar = RichBar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _rate_column()(),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(stage, total=total)

    def advance(self, amount: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, amount)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._task = None


class PlainProgress:
    """For a log: one plain line per stage step (every 10 % or 30 s), no control characters."""

    def __init__(self, stream: IO[str], every_seconds: float = 30.0) -> None:
        self.stream = stream
        self.every = every_seconds
        self._stage = ""
        self._total = self._done = self._next_share = 0
        self._started = self._last = 0.0

    def start(self, stage: str, total: int) -> None:
        self.finish()
        self._stage, self._total, self._done = stage, total, 0
        self._started = self._last = time.monotonic()
        self._next_share = 10
        self._say(f"{stage}: {total:,} to do")

    def advance(self, amount: int) -> None:
        if not self._stage:
            return
        self._done += amount
        share = 100 * self._done // self._total if self._total else 100
        now = time.monotonic()
        if share >= self._next_share or now - self._last >= self.every:
            rate = self._done / max(now - self._started, 1e-6)
            self._say(f"{self._stage}: {self._done:,}/{self._total:,} ({share}%), {rate:,.0f}/s")
            self._last = now
            while self._next_share <= share:
                self._next_share += 10

    def finish(self) -> None:
        if self._stage:
            self._say(f"{self._stage}: done, {self._done:,} in {time.monotonic() - self._started:.1f} s")
            self._stage = ""

    def _say(self, text: str) -> None:
        try:
            self.stream.write(f"cmassoc: {text}\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass


def progress_for(console: Console) -> Progress:
    if console.is_terminal:
        return BarProgress(console)
    return PlainProgress(console.file)
