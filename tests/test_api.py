"""The public API: what `importer.__all__` names exists, and the README's example runs."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import importer

ROOT = Path(__file__).resolve().parent.parent


def test_every_public_name_resolves() -> None:
    assert "__version__" in importer.__all__
    for name in importer.__all__:
        assert getattr(importer, name) is not None, name


def test_importing_the_package_brings_no_heavy_library() -> None:
    code = "import sys, importer; print(sorted(m for m in ('pandas', 'pyarrow', 'xlsxwriter') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_readme_example_runs_as_it_says() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use it from Python", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", section, re.S)
    said = io.StringIO()
    with contextlib.redirect_stdout(said), contextlib.chdir(ROOT):
        exec(compile(code, "README.md", "exec"), {})
    lines = said.getvalue().splitlines()
    assert lines[0] == "12 rows: 10 valid, 2 invalid"
    assert lines[-1] == "True"
    assert len(lines) == 4  # the two invalid rows, each with its messages
    promised = re.findall(r"# (.+)$", code, re.M)
    assert promised == ["12 rows: 10 valid, 2 invalid", "True"]
