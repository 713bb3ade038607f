"""Generated wave sheets and inventories for the benchmarks (standard library only, so the
sheets do not depend on the core being measured).

The .xlsx is written the way Excel writes it (every text cell a shared string), not the
way openpyxl does, so the readers are measured on what users really send.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = ["Source", "Destination", "Behavior", "Users", "Ticket"]
LETTERS = "ABCDE"  # HEADER's column letters
FIRST_ID = 16777217


def pair_rows(count: int) -> list[list[str]]:
    """Behaviour 0, 1, 2 in turn; one or two DOMAIN\\user accounts on behaviours 1 and 2."""
    rows = []
    for i in range(count):
        behavior = i % 3
        users = "" if behavior == 0 else f"CONTOSO\\user{i};CONTOSO\\svc{i % 50}"
        rows.append([f"OLD{i:07d}", f"NEW{i:07d}", str(behavior), users, f"CHG-{i}"])
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *rows])


def write_inventory(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Name", "ResourceID", "Domain", "Client"])
        for i in range(count):
            writer.writerow([f"OLD{i:07d}", FIRST_ID + 2 * i, "CONTOSO", 1])
            writer.writerow([f"NEW{i:07d}", FIRST_ID + 2 * i + 1, "CONTOSO", 0])


def write_xlsx(path: Path, rows: list[list[str]], sheet: str = "Wave") -> None:
    strings: dict[str, int] = {}

    def sid(text: str) -> int:
        return strings.setdefault(text, len(strings))

    body = []
    for number, row in enumerate([HEADER, *rows], start=1):
        cells = "".join(
            f'<c r="{LETTERS[c]}{number}" t="s"><v>{sid(v)}</v></c>' for c, v in enumerate(row) if v
        )
        body.append(f'<row r="{number}">{cells}</row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    shared = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            head + f'<workbook {ns} xmlns:r="{rel}"><sheets>'
            f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            head + f"<worksheet {ns}><sheetData>{''.join(body)}</sheetData></worksheet>",
        )
        z.writestr(
            "xl/sharedStrings.xml",
            head + f'<sst {ns} count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>',
        )
