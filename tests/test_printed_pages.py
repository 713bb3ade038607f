"""The reports as LibreOffice prints them, measured on the PDF: text size, rows on a page, what
stands on which page. Needs LibreOffice Calc, poppler's pdftotext and the Carlito font (Calibri's
metrics), which .ci/run installs; skipped, with the reason, where any is missing.

pdftotext -bbox gives every word's box; with Carlito a box is about 1.3 times the type size, so
a word box of 10 points or more is text of about 8 points or more.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from importer.site.demo.builder import create_site
from tests.support.helpers import SAMPLES, invoke

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")


def _carlito() -> bool:
    listed = subprocess.run(["fc-list", ":family=Carlito"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


pytestmark = [
    pytest.mark.skipif(
        SOFFICE is None, reason="LibreOffice is not installed (apt-get install libreoffice-calc)"
    ),
    pytest.mark.skipif(
        PDFTOTEXT is None, reason="pdftotext is not installed (apt-get install poppler-utils)"
    ),
    pytest.mark.skipif(
        shutil.which("fc-list") is None or not _carlito(),
        reason="the Carlito font is not installed (apt-get install fonts-crosextra-carlito)",
    ),
]
SMALLEST_BOX = 10.0  # points: 8-point Carlito and more
BAND = 34.0  # points from the top and bottom edges: the page header and footer
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


@dataclass
class Page:
    width: float
    height: float
    words: list[tuple[float, float, float, float, str]]

    def band(self, top: bool) -> str:
        """The text of the page header (top) or footer."""
        edge = [w for w in self.words if (w[3] < BAND if top else w[1] > self.height - BAND)]
        return " ".join(w[4] for w in edge)

    @property
    def body(self) -> list[tuple[float, float, float, float, str]]:
        return [w for w in self.words if w[1] >= BAND and w[3] <= self.height - BAND]

    @property
    def text(self) -> str:
        return " ".join(w[4] for w in self.body)

    def line_of(self, word: str) -> str:
        """The line of the body a word stands on, left to right (the first line: "")."""
        top = min(w[1] for w in self.body)
        [y] = [w[1] for w in self.body if w[4] == word] if word else [top]
        return " ".join(w[4] for w in sorted(self.body) if abs(w[1] - y) < 2)

    def first_column(self, word: str) -> int:
        """How many table rows the page holds: the sheet's name in the first column."""
        return sum(1 for w in self.body if w[4] == word and w[0] < 60)


def pages(pdf: Path) -> list[Page]:
    out = subprocess.run([str(PDFTOTEXT), "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True)
    found = []
    for chunk in out.stdout.split("<page ")[1:]:
        size = re.match(r'width="([\d.]+)" height="([\d.]+)"', chunk)
        assert size is not None
        words = [(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in WORD.findall(chunk)]
        found.append(Page(float(size[1]), float(size[2]), words))
    return found


def big_wave(folder: Path, count: int) -> tuple[Path, Path]:
    """A site of `count` old and new computers and a wave of their pairs, as a team sends it: a
    few rows with a mistake (no users for behaviour 2, an unknown computer), some users written
    as user@domain (a note each)."""
    inventory, wave = folder / "inventory.csv", folder / "wave.csv"
    with inventory.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Name", "ResourceID", "Domain", "Client"])
        for i in range(count):
            writer.writerow([f"OLD{i:05d}", 16777217 + 2 * i, "CONTOSO", 1])
            writer.writerow([f"NEW{i:05d}", 16777218 + 2 * i, "CONTOSO", 0])
    with wave.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Source", "Destination", "Behavior", "Users", "Ticket"])
        for i in range(count):
            behavior = i % 3
            users = "" if behavior == 0 or i % 40 == 11 else f"CONTOSO\\user{i}"
            users = f"user{i}@contoso.com" if i % 25 == 7 else users
            source = f"GONE{i:05d}" if i % 50 == 13 else f"OLD{i:05d}"
            writer.writerow([source, f"NEW{i:05d}", str(behavior), users, f"CHG-{i}"])
    site = folder / "big.db"
    create_site(site, inventory)
    return wave, site


def test_run_reports_print_readable_on_a4_and_letter(tmp_path: Path, site_path: Path) -> None:
    letter_site = tmp_path / "letter-site.db"
    shutil.copy(site_path, letter_site)
    reports = tmp_path / "reports"
    a4, letter, big = reports / "a4.xlsx", reports / "letter.xlsx", reports / "big.xlsx"
    made = invoke(
        "run", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--report", a4, "--json", tmp_path / "a4.json"
    )
    assert made.exit_code == 3, made.output
    made = invoke(
        "run", SAMPLES / "wave-01.xlsx", "--demo", letter_site, "--report", letter, "--paper", "letter"
    )
    assert made.exit_code == 3, made.output
    wave, site = big_wave(tmp_path, 2000)
    made = invoke("run", wave, "--demo", site, "--report", big)
    assert made.exit_code == 3, made.output
    pdfs = tmp_path / "pdf"
    subprocess.run(  # one LibreOffice for the three, with a profile of its own
        [
            str(SOFFICE),
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(pdfs),
            str(a4),
            str(letter),
            str(big),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    run_id = json.loads((tmp_path / "a4.json").read_text(encoding="utf-8"))["summary"]["run_id"]

    # The 12-row report: the Summary, Needs attention and Results, a page each.
    printed = pages(pdfs / "a4.pdf")
    assert [p.band(top=True).split()[-1] for p in printed] == ["Summary", "attention", "Results"]
    assert [(round(p.width), round(p.height)) for p in printed] == [(842, 595)] * 3  # A4 landscape
    assert [p.band(top=False) for p in printed] == [
        f"wave-01.xlsx Run {run_id} Page {n} of 3" for n in (1, 2, 3)
    ]
    summary, attention, results = printed
    assert summary.text.startswith("Computer association import 12 rows: 6 created, 2 exist, 2 invalid")
    assert "Rows by status" in summary.text  # the chart
    assert summary.line_of(run_id) == f"Run ID {run_id}"
    assert attention.first_column("Wave") == 4  # its four rows, on a page of their own
    # the header, "Source computer" and "Destination computer" wrapped in two lines
    assert results.line_of("") == "Sheet Row Source Destination Status Messages Behaviour Users sent"
    assert results.first_column("Wave") == 12
    assert "live records" in results.text and "CONTOSO\\alice.w" in results.text  # messages and users
    words = {w[4] for p in printed for w in p.body}
    assert words & {"ResourceID", "from", "Ticket", "INC-1001"} == set()  # on screen only
    assert min(w[3] - w[1] for w in results.body) >= SMALLEST_BOX

    on_letter = pages(pdfs / "letter.pdf")
    assert [(round(p.width), round(p.height)) for p in on_letter] == [(792, 612)] * 3
    assert min(w[3] - w[1] for w in on_letter[2].body) >= SMALLEST_BOX

    # 2,000 rows: every full page of Results holds 25 to 50 rows at a readable size.
    printed = pages(pdfs / "big.pdf")
    results_pages = [p for p in printed if p.band(top=True).endswith("Results")]
    rows = [p.first_column("wave.csv") for p in results_pages]
    assert sum(rows) == 2000
    assert all(25 <= n <= 50 for n in rows[:-1]), rows
    assert min(w[3] - w[1] for p in results_pages for w in p.body) >= SMALLEST_BOX
    assert printed[0].band(top=True).endswith("Summary") and "2,000 rows:" in printed[0].text
