"""Ctrl-C: at once while only reading; while creating or deleting, after the batch in flight.

A second Ctrl-C always stops at once (the journal still knows which batch was in flight).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from importer import messages as M


class Interrupts:
    def __init__(self, announce: Callable[[str], None] = lambda _text: None) -> None:
        self._announce = announce
        self._requested = threading.Event()
        self._deferring = False

    def stop_requested(self) -> bool:
        return self._requested.is_set()

    @contextmanager
    def deferred(self) -> Iterator[Callable[[], bool]]:
        """While changing the site: a Ctrl-C waits for the batch in flight."""
        self._deferring = True
        try:
            yield self.stop_requested
        finally:
            self._deferring = False

    def handle(self, _signum: int, _frame: FrameType | None) -> None:
        if self._requested.is_set() or not self._deferring:
            raise KeyboardInterrupt
        self._requested.set()
        self._announce(
            M.Notice(
                M.STOPPING_AFTER_BATCH, "Stopping after the batch in flight (Ctrl-C again to stop at once)."
            )
        )


@contextmanager
def graceful_interrupt(announce: Callable[[str], None]) -> Iterator[Interrupts]:
    """Installs the handler for the block. Outside the main thread (tests) it changes nothing."""
    interrupts = Interrupts(announce)
    if threading.current_thread() is not threading.main_thread():
        yield interrupts
        return
    previous = signal.signal(signal.SIGINT, interrupts.handle)
    try:
        yield interrupts
    finally:
        signal.signal(signal.SIGINT, previous)
