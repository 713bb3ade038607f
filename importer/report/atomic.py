"""Reports appear whole or not at all: written beside the target, then renamed over it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from importer import messages as M
from importer.errors import ReportError


@contextlib.contextmanager
def replace_atomically(path: Path) -> Iterator[Path]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ReportError(
            f"cannot write the report '{path}': {exc.strerror}.", code=M.REPORT_NOT_WRITTEN
        ) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except PermissionError as exc:
        raise ReportError(
            f"cannot write the report '{path}': {exc.strerror}.",
            "Close it in Excel, or choose another path with --report.",
            code=M.REPORT_NOT_WRITTEN,
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
