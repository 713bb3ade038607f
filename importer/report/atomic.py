"""Reports appear whole or not at all: written beside the target, then renamed over it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from importer import messages as M
from importer.errors import ReportError
from importer.messages import Code


@contextlib.contextmanager
def replace_atomically(
    path: Path,
    what: str = "the report ",
    code: Code = M.REPORT_NOT_WRITTEN,
    hint: str = "Close it in Excel, or choose another path with --report.",
    failing: type[OSError] = PermissionError,
) -> Iterator[Path]:
    """A temporary file beside `path` (mode 0600, as mkstemp makes it) that replaces `path`
    when the block ends; `failing` errors, there or in the block, become one ReportError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ReportError(f"cannot write {what}'{path}': {exc.strerror or exc}.", code=code) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except failing as exc:
        raise ReportError(f"cannot write {what}'{path}': {exc.strerror or exc}.", hint, code=code) from exc
    finally:
        tmp.unlink(missing_ok=True)
