"""The guarded reader child: how it starts, from a command and from a threaded server."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from importer.read import guard
from importer.read.wave import read_wave

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "wave-01.xlsx"


def _rows(path: Path) -> list[tuple[str, int, dict[str, str]]]:
    return [(r.sheet, r.row, r.values) for r in read_wave(path).rows]


def test_a_single_threaded_command_forks_its_reader() -> None:
    code = "from importer.read import guard; print(guard.start_method())"
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert said.stdout.strip() == "fork"


def test_a_threaded_process_never_forks_its_reader() -> None:
    with ThreadPoolExecutor(1) as pool:
        method = pool.submit(guard.start_method).result()
        rows = pool.submit(_rows, SAMPLE).result()
    assert method == "forkserver"
    assert rows == _rows(SAMPLE)
    assert len(rows) == 12
    assert rows[0][:2] == ("Wave 01", 4)
