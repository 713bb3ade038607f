"""python bench/measure.py -m module ARGS... | -c CODE ARGS... | script ARGS...: run it in this
process, then print its peak RSS and its children's. Only the standard library is imported
first, so a command's start-up is measured as a user's shell would see it (bench/run.py
imports far more). The repository is not put on sys.path: what is installed is measured."""

from __future__ import annotations

import resource
import runpy
import sys
from pathlib import Path

PEAK = "BENCH-PEAK-RSS-KB "
READER = "BENCH-READER-RSS-KB "


def own_peak_mb() -> float:
    """This process's peak RSS. ru_maxrss would not do: a forked child starts with its
    parent's high-water mark; VmHWM belongs to the process image and restarts at exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(argv: list[str]) -> None:
    """Run `-m module ...`, `-c code ...` or `script ...` in this process, then print its peak RSS."""
    code = 0
    try:
        if argv[0] == "-m":
            sys.argv = [argv[1], *argv[2:]]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        elif argv[0] == "-c":
            sys.argv = ["-c", *argv[2:]]
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.argv = argv
            runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        print(f"{PEAK}{own_peak_mb() * 1024:.0f}", flush=True)
        # The largest child's (a guarded reader, if the command forks one). A forked child's
        # high-water mark starts at its parent's at fork time.
        print(f"{READER}{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}", flush=True)
    sys.exit(code)


if __name__ == "__main__":
    measure(sys.argv[1:])
