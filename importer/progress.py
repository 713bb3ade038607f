"""Progress on stderr: a bar per stage in a terminal, plain lines elsewhere (a scheduled task,
`| tee`), nothing at all for library callers.

A stage that talks to the site may wait a long time on one round trip (a slow provider, a
retry's back-off) with nothing finished: the bar's clock keeps running in a terminal, and the
plain lines come from a timer thread at least every HEARTBEAT_SECONDS, so a log never stalls
silently.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # rich's bar is imported when a terminal shows one, not at start-up
    from rich.console import Console
    from rich.progress import Progress as RichBar
    from rich.progress import TaskID


HEARTBEAT_SECONDS = 10.0  # the longest a log goes without a progress line during a stage


class Progress(Protocol):
    def start(self, stage: str, total: int, unit: str = "pairs") -> None: ...

    def advance(self, amount: int) -> None: ...

    def finish(self) -> None: ...


@contextmanager
def stage(progress: Progress, name: str, total: int, unit: str = "pairs") -> Iterator[Progress]:
    """A stage's progress, from its start to its end however it ends (an error or Ctrl-C too:
    the plain mode's timer stops with it)."""
    progress.start(name, total, unit)
    try:
        yield progress
    finally:
        progress.finish()


class NoProgress:
    def start(self, stage: str, total: int, unit: str = "pairs") -> None:
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

    def start(self, stage: str, total: int, unit: str = "pairs") -> None:  # noqa: ARG002 (N/M says it)
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
    """For a log: plain lines, no control characters. A stage's start, a line per 10 % done, and
    one at least every `every_seconds` even while nothing finishes (from a timer thread that lives
    as long as the stage), then its end. Each says the stage, done of total, elapsed and time left:
    `Resolving names: 1,200 of 5,000 pairs, 0:00:30 elapsed, about 0:01:35 left`."""

    def __init__(self, stream: IO[str], every_seconds: float = HEARTBEAT_SECONDS) -> None:
        self.stream = stream
        self.every = every_seconds
        self._lock = threading.Lock()  # the timer and the stage's own thread both write lines
        self._stage = self._unit = ""
        self._total = self._done = self._next_share = 0
        self._started = self._last = 0.0
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    def start(self, stage: str, total: int, unit: str = "pairs") -> None:
        self.finish()
        with self._lock:
            self._stage, self._unit, self._total, self._done = stage, unit, total, 0
            self._started = self._last = time.monotonic()
            self._next_share = 10
            self._say(f"{stage}: {total:,} {unit} to do")
            self._stop = threading.Event()
        self._timer = threading.Thread(
            target=self._beat, args=(self._stop,), name="cmassoc-progress", daemon=True
        )
        self._timer.start()

    def advance(self, amount: int) -> None:
        with self._lock:
            if not self._stage:
                return
            self._done += amount
            share = 100 * self._done // self._total if self._total else 100
            if share >= self._next_share:
                self._line()
                while self._next_share <= share:
                    self._next_share += 10

    def finish(self) -> None:
        with self._lock:
            if self._stage:
                took = time.monotonic() - self._started
                if self._done >= self._total:
                    self._say(f"{self._stage}: done, {self._done:,} in {took:.1f} s")
                else:
                    self._say(
                        f"{self._stage}: stopped at {self._done:,} of {self._total:,} {self._unit} "
                        f"after {took:.1f} s"
                    )
                self._stage = ""
            self._stop.set()  # under the lock: the timer, holding it next, sees the stage is over
        timer, self._timer = self._timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.join()

    def _beat(self, stop: threading.Event) -> None:
        """The timer: a line whenever `every` seconds passed without one."""
        while True:
            with self._lock:
                wait = self._last + self.every - time.monotonic()
            if stop.wait(max(wait, 0.0)):
                return
            with self._lock:
                if stop.is_set():
                    return
                if time.monotonic() - self._last >= self.every:
                    self._line()

    def _line(self) -> None:
        """Done of total, elapsed and time left (called with the lock held)."""
        now = time.monotonic()
        elapsed = now - self._started
        if self._done > 0:
            left = f"about {_clock(elapsed / self._done * max(self._total - self._done, 0))} left"
        else:
            left = "time left not known yet"
        done = f"{self._done:,} of {self._total:,} {self._unit}"
        self._say(f"{self._stage}: {done}, {_clock(elapsed)} elapsed, {left}")
        self._last = now

    def _say(self, text: str) -> None:
        try:
            self.stream.write(f"cmassoc: {text}\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass


def _clock(seconds: float) -> str:
    """0:01:35: hours, minutes and seconds, as a log reader reads a duration."""
    return str(dt.timedelta(seconds=round(seconds)))


def progress_for(console: Console, every_seconds: float = HEARTBEAT_SECONDS) -> Progress:
    if console.is_terminal:
        return BarProgress(console)
    return PlainProgress(console.file, every_seconds)
