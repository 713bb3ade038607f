"""Regenerate the sample wave sheets and the demo inventory.

    python samples/make_samples.py

The demo inventory is written twice on purpose: samples/ for people to read and
importer/demo/data/ so an installed cmassoc can build its demo site; a test
checks that the two are identical.
"""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
PACKAGE_DATA = HERE.parent / "importer" / "site" / "demo" / "data"
FIRST_ID = 16777217
INVENTORY_HEADERS = (
    "Name",
    "ResourceID",
    "Domain",
    "Obsolete",
    "Active",
    "Client",
    "Decommissioned",
    "MAC",
    "SMBIOSGUID",
    "CreationDate",
    "PrimaryUsers",
    "LastLogonUser",
    "LastActiveDaysAgo",
    "AssignedSite",
)


def _computer(rid: int, name: str, **flags: object) -> dict[str, object]:
    guid = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}-{rid}")).upper()
    mac = "00:15:5D:" + ":".join(f"{(rid >> s) & 0xFF:02X}" for s in (16, 8, 0))
    row: dict[str, object] = {
        "Name": name,
        "ResourceID": rid,
        "Domain": "CONTOSO",
        "Obsolete": 0,
        "Active": 1,
        "Client": 1,
        "Decommissioned": 0,
        "MAC": mac,
        "SMBIOSGUID": guid,
        "CreationDate": f"2021-{(rid % 12) + 1:02d}-{(rid % 27) + 1:02d} 08:00:00",
        "PrimaryUsers": "",
        "LastLogonUser": "",
        "LastActiveDaysAgo": "",  # empty: a client active today, no client never
        "AssignedSite": "",  # empty: a client is assigned to the demo site itself
    }
    row.update(flags)
    return row


# Old computers whose users the site knows: primary users (user device affinity), last logon.
# Wave 01's CON-PC0003 lists carol.d, whom the site never saw there (readiness warns).
PRIMARY_USERS = {
    3: "CONTOSO\\bob.m",
    6: "CONTOSO\\erin.t",
    26: "CONTOSO\\yara.h",
    27: "CONTOSO\\zack.i;CONTOSO\\amy.j",
    38: "CONTOSO\\ben.k",
    39: "CONTOSO\\cleo.l",
}
LAST_LOGON = {
    3: "CONTOSO\\bob.m",
    4: "CONTOSO\\dan.r",
    6: "CONTOSO\\frank.o",
    26: "CONTOSO\\yara.h",
    28: "CONTOSO\\dina.m",
    38: "CONTOSO\\ben.k",
    40: "CONTOSO\\eli.n",
}


# Readiness in the samples: wave 01's CON-PC0005 has not been seen for 40 days, its CON-PC0008
# is assigned to another primary site; wave 03's CON-PC0034 is marked inactive by the site itself
# (ClientActiveStatus 0) though seen 9 days ago.
CLIENT_FLAGS: dict[int, dict[str, object]] = {
    5: {"LastActiveDaysAgo": 40},
    8: {"AssignedSite": "PR2"},
    34: {"Active": 0, "LastActiveDaysAgo": 9},
}


def inventory() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    rid = FIRST_ID
    for n in range(1, 41):  # old laptops and desktops with clients
        rows.append(
            _computer(
                rid,
                f"CON-PC{n:04d}",
                PrimaryUsers=PRIMARY_USERS.get(n, ""),
                LastLogonUser=LAST_LOGON.get(n, ""),
                **CLIENT_FLAGS.get(n, {}),
            )
        )
        rid += 1
    for n in range(1, 41):  # new hardware imported ahead of the refresh: no client yet
        rows.append(_computer(rid, f"CON-NB{n:04d}", Active=0, Client=0, CreationDate="2026-11-02 09:30:00"))
        rid += 1
    specials = [
        # reimaged: the old record is obsolete, the live one is newer
        _computer(rid, "CON-PC0007", Obsolete=1, Active=0, CreationDate="2019-05-04 10:00:00"),
        # two live records for one name (re-imported, a workgroup duplicate)
        _computer(rid + 1, "CON-PC0013", Domain="WORKGROUP", CreationDate="2024-02-01 12:00:00"),
        # only retired records
        _computer(rid + 2, "CON-PC0098", Decommissioned=1, Active=0),
        _computer(rid + 3, "CON-PC0099", Obsolete=1, Active=0),
        # a source without a ConfigMgr client
        _computer(rid + 4, "CON-KIOSK01", Client=0),
        _computer(rid + 5, "CON-NB0099", Active=0, Client=0),
    ]
    return rows + specials


def _id(name: str) -> int:
    for row in inventory():
        if row["Name"] == name and not row["Obsolete"]:
            return int(str(row["ResourceID"]))
    raise KeyError(name)


def existing_associations() -> list[dict[str, object]]:
    return [
        {
            "SourceResourceID": _id("CON-PC0001"),
            "RestoreResourceID": _id("CON-NB0001"),
            "Behavior": 2,
            "Users": "CONTOSO\\alice.w",
            "Status": 0,
        },
        {
            "SourceResourceID": _id("CON-PC0002"),
            "RestoreResourceID": _id("CON-NB0002"),
            "Behavior": 0,
            "Users": "",
            "Status": 0,
        },
        {
            "SourceResourceID": _id("CON-PC0030"),
            "RestoreResourceID": _id("CON-NB0030"),
            "Behavior": 2,
            "Users": "CONTOSO\\omar.k",
            "Status": 1,
        },
        {
            "SourceResourceID": _id("CON-PC0031"),
            "RestoreResourceID": _id("CON-NB0031"),
            "Behavior": 1,
            "Users": "CONTOSO\\lee.c;CONTOSO\\svc-scan",
            "Status": 0,
        },
    ]


def _write_csv(path: Path, rows: list[dict[str, object]], headers: tuple[str, ...]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=headers, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


WAVE_01 = [  # one sheet, users in a column, a title above the header
    ("CON-PC0001", "CON-NB0001", "2", "CONTOSO\\alice.w", "INC-1001"),  # exists
    ("CON-PC0002", "CON-NB0002", "CaptureAndRestoreAllUserAccounts", "", "INC-1002"),  # exists
    ("CON-PC0003", "CON-NB0003", "", "CONTOSO\\bob.m; CONTOSO\\carol.d", "INC-1003"),
    ("con-pc0004.contoso.com", "CON-NB0004", "1", "dan.r@contoso.com", "INC-1004"),
    ("CON-PC0005", "CON-NB0005", "0", "", "INC-1005"),
    ("CON-PC0006", "CON-NB0006", "2", "CONTOSO\\erin.t\nCONTOSO\\frank.o", "INC-1006"),
    ("CON-PC0007", "CON-NB0007", "2", "CONTOSO\\gina.p", "INC-1007"),  # obsolete twin ignored
    ("CON-PC0008", "CON-NB0008", "Capture and restore specified user accounts", "CONTOSO\\hal.j", "INC-1008"),
    ("CON-PC0013", "CON-NB0013", "2", "CONTOSO\\ivy.s", "INC-1013"),  # two live records
    ("CON-PC0077", "CON-NB0014", "2", "CONTOSO\\jon.b", "INC-1014"),  # not on the site
    ("CON-PC0009", "CON-NB0009", "2", "", "INC-1009"),  # behaviour 2 without users
    ("CON-PC0010", "CON-PC0010", "0", "", "INC-1010"),  # in-place
]

WAVE_02_PAIRS = [  # pairs sheet + users sheet
    ("CON-PC0021", "CON-NB0021", "2"),
    ("CON-PC0022", "CON-NB0022", "2"),
    ("CON-PC0023", "CON-NB0023", "1"),
    ("CON-PC0024", "CON-NB0024", "0"),
    ("CON-PC0025", "CON-NB0025", "2"),
    ("CON-PC0030", "CON-NB0032", "2"),  # PC0030 already has a behaviour-2 association
]
WAVE_02_USERS = [
    ("CON-PC0021", "CONTOSO\\kim.l"),
    ("CON-PC0021", "CONTOSO\\kim.l"),  # listed twice: kept once
    ("CON-PC0022", "CONTOSO\\leo.n"),
    ("CON-PC0022", "CONTOSO\\mia.q"),
    ("CON-PC0023", "CONTOSO\\ned.u"),
    ("CON-PC0025", "CONTOSO\\ola.v"),
    ("CON-PC0030", "CONTOSO\\omar.k"),
    ("CON-PC0026", "CONTOSO\\pat.x"),  # no such pair in the sheet
]

WAVE_03 = [  # csv, semicolons, UTF-8 with BOM, as a European Excel saves it
    ("CON-PC0033", "CON-NB0033", "2", "CONTOSO\\quinn.a,CONTOSO\\rosa.b"),
    ("CON-PC0034", "CON-NB0034", "2", "CONTOSO\\sam.c"),
    ("CON-PC0035", "CON-NB0035", "0", ""),
    ("CON-PC0036", "CON-NB0036", "1", "CONTOSO\\tess.d"),
    ("CON-KIOSK01", "CON-NB0037", "0", ""),  # source without client: warning
]

MISTAKES = [  # one mistake of every kind
    ("CON-PC0011", "CON-NB0011", "2", "CONTOSO\\uma.e", "fine"),
    ("CON-PC0011", "CON-NB0011", "2", "CONTOSO\\uma.e", "the same pair again"),
    ("CON-PC0012", "CON-NB0010", "0", "", "destination used twice"),
    ("CON-PC0014", "CON-NB0010", "0", "", "destination used twice"),
    ("CON-PC0015", "CON-NB0015", "2", "CONTOSO\\vic.f", "behaviour 2 source twice"),
    ("CON-PC0015", "CON-NB0016", "2", "CONTOSO\\vic.f", "behaviour 2 source twice"),
    ("CON PC0017", "CON-NB0017", "0", "", "space in a name"),
    ("CON-PC0018-OLD-LAPTOP", "CON-NB0018", "0", "", "name too long"),
    ("CON-PC0019", "", "0", "", "destination missing"),
    ("CON-PC0020", "CON-NB0020", "3", "", "no such behaviour"),
    ("CON-PC0027", "CON-NB0027", "2", "wendy", "user without domain"),
    ("CON-PC0028", "CON-NB0028", "1", "", "behaviour 1 without users"),
    ("CON-PC0029\u00a0", "CON-NB0029\u200b", "0", "CONTOSO\\xavier.g", "invisible characters; users ignored"),
    ("CON-PC0098", "CON-NB0038", "0", "", "only a decommissioned record"),
    ("CON-PC0099", "CON-NB0039", "0", "", "only an obsolete record"),
    ("=cmd|' /C calc'!A0", "CON-NB0040", "0", "", "formula injection attempt"),
]


def _mac(n: int) -> str:
    return f"00:1A:2B:3C:{n // 256:02X}:{n % 256:02X}"


def _guid(n: int) -> str:
    return f"4C4C4544-0042-3510-8052-{n:012X}"


# New hardware from the vendor's shipping list: unknown to the site, imported by the run.
WAVE_04 = [
    ("CON-PC0038", "CON-NB0101", "5CG1101", _mac(101), _guid(101), "Windows 11 Deployment", "2", ""),
    (
        "CON-PC0039",
        "CON-NB0102",
        "5CG1102",
        _mac(102).replace(":", "-").lower(),
        _guid(102),
        "Windows 11 Deployment",
        "2",
        "",
    ),
    (
        "CON-PC0026",
        "CON-NB0103",
        "5CG1103",
        _mac(103).replace(":", ""),
        "{" + _guid(103).lower() + "}",
        "DEM00010",
        "2",
        "",
    ),
    ("CON-PC0027", "CON-NB0104", "5CG1104", "", _guid(104), "Windows 11 Deployment", "1", ""),
    (
        "CON-PC0028",
        "CON-NB0105",
        "5CG1105",
        "00:15:5D:00:00:50",
        _guid(105),
        "Windows 11 Deployment",
        "0",
        "",
    ),
    ("CON-PC0029", "CON-NB0106", "5CG1106", "", "", "Windows 11 Deployment", "0", ""),
]
WIZARD = [  # the console's Import Computer Information file, without its header
    ("CON-NB0111", _guid(111), _mac(111), "CON-PC0016"),
    ("CON-NB0112", _guid(112), _mac(112), "CON-PC0017"),
    ("CON-NB0113", "", _mac(113), "CON-PC0018"),
]


def _sheet(
    workbook: Workbook,
    title: str,
    headers: tuple[str, ...],
    rows: list[tuple[str, ...]],
    banner: str | None = None,
) -> None:
    sheet = workbook.create_sheet(title)
    if banner:
        sheet.append([banner])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for column in "ABCDE":
        sheet.column_dimensions[column].width = 24
    for row_cells in sheet.iter_rows(min_row=sheet.max_row - len(rows) + 1):
        for cell in row_cells:
            cell.data_type = "s"  # keep "=..." and digits as typed text


def build_inventory() -> None:
    """The demo inventory and its associations, in samples/ and in the package."""
    PACKAGE_DATA.mkdir(parents=True, exist_ok=True)
    for folder in (HERE, PACKAGE_DATA):
        _write_csv(folder / "demo-inventory.csv", inventory(), INVENTORY_HEADERS)
        _write_csv(
            folder / "demo-associations.csv",
            existing_associations(),
            ("SourceResourceID", "RestoreResourceID", "Behavior", "Users", "Status"),
        )


def build() -> None:
    build_inventory()

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        "Wave 01",
        ("Old Computer", "New Computer", "Migration Behavior", "User Names", "Ticket"),
        WAVE_01,
        banner="Contoso refresh - wave 01 (Building A)",
    )
    wb.save(HERE / "wave-01.xlsx")

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "Pairs", ("Source", "Destination", "Behavior"), WAVE_02_PAIRS)
    _sheet(wb, "Users", ("Source", "User"), WAVE_02_USERS)
    wb.save(HERE / "wave-02-users-sheet.xlsx")

    with (HERE / "wave-03.csv").open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(("SourceComputer", "DestinationComputer", "MigrationBehavior", "MigrationUserName"))
        writer.writerows(WAVE_03)

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "Associations", ("Source", "Destination", "Behavior", "Users", "What is wrong"), MISTAKES)
    wb.save(HERE / "wave-mistakes.xlsx")

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        "New hardware",
        (
            "Old Computer",
            "New Computer",
            "Serial",
            "MAC Address",
            "SMBIOS GUID",
            "Collection",
            "Behavior",
            "Users",
        ),
        WAVE_04,
        banner="Contoso refresh - wave 04: new laptops from the vendor's shipping list",
    )
    wb.save(HERE / "wave-04-new-hardware.xlsx")

    with (HERE / "import-wizard.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(WIZARD)


if __name__ == "__main__":
    build()
