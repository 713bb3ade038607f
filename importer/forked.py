"""Work done in a forked child while this process goes on: the second core for a report.

Linux only (`can_fork`): elsewhere the caller does the work itself. The child sees this
process's memory by copy-on-write, so the rows need not be sent; only its answer comes back,
pickled, through a pipe. A child is for a command, never the library or the web server:
a fork copies only the thread that calls it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform.startswith("linux")


class Forked(Generic[T]):
    """`work()` in a forked child (`started` says whether one runs); `result()` is its answer,
    or None when it raised, died or never ran; `close()` stops one no longer wanted."""

    def __init__(self, work: Callable[[], T], nice: int = 0) -> None:
        self.pid = 0
        self.reader = -1
        if not can_fork():
            return
        self.reader, writer = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()  # or the child could write again what this process had buffered
        self.pid = os.fork()
        if self.pid == 0:  # the child: no return from here, no cleanup of the parent's state
            code = 1
            try:
                os.close(self.reader)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it kills us
                if nice:
                    with contextlib.suppress(OSError):
                        os.nice(nice)
                data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(writer, "wb") as fh:
                    fh.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(writer)

    @property
    def started(self) -> bool:
        return self.pid != 0

    def result(self) -> T | None:
        """Waits for the child and returns its answer (None if it had none to give)."""
        if not self.pid:
            return None
        with os.fdopen(self.reader, "rb") as fh:
            data = fh.read()
        self.reader = -1
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if status != 0 or not data:
            return None
        try:
            answer: T = pickle.loads(data)
        except Exception:
            return None
        return answer

    def close(self) -> None:
        """Stops a child whose answer is no longer wanted (an error or Ctrl-C here)."""
        if self.reader >= 0:
            with contextlib.suppress(OSError):
                os.close(self.reader)
            self.reader = -1
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = 0
