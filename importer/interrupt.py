"""Ctrl-C during creation: finish the batch in flight, then stop; a second Ctrl-C stops at once."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def graceful_interrupt(announce: Callable[[str], None]) -> Iterator[Callable[[], bool]]:
    """Yields `stop_requested()`. Outside the main thread (tests) it changes nothing."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested.is_set
        return

    def handler(_signum: int, _frame: FrameType | None) -> None:
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()
        announce("Stopping after the batch in flight (Ctrl-C again to stop at once).")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield requested.is_set
    finally:
        signal.signal(signal.SIGINT, previous)
