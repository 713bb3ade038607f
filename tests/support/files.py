"""Files of every kind a user may give as a wave, written on the fly (no binary is committed):
workbooks in each format python-calamine reads, encrypted and rights-managed Office files,
Excel 2.0-4.0 worksheets, XML Spreadsheet 2003, web pages, damaged packages."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

from tests.support.cfb import compound_file

HEADER = ["Source", "Destination", "Behavior"]
ROWS = [["CON-PC0003", "CON-NB0003", "0"], ["CON-PC0004", "CON-NB0004", "0"]]


def wave_xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Wave"
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    book.save(path)
    return path


def wave_xls(path: Path) -> Path:
    """An Excel 97-2003 (BIFF8) workbook, as xlwt writes it."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Wave")
    for r, row in enumerate([HEADER, *ROWS]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))
    return path


_ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Wave">{rows}</table:table>
</office:spreadsheet></office:body></office:document-content>"""
_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{encryption}</manifest:file-entry>
</manifest:manifest>"""
_ODS_ENCRYPTION = (
    '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AAAA">'
    '<manifest:algorithm manifest:algorithm-name="Blowfish CFB" manifest:initialisation-vector="AAAA"/>'
    '<manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:iteration-count="1024" '
    'manifest:salt="AAAA"/></manifest:encryption-data>'
)


def wave_ods(path: Path, encrypted: bool = False) -> Path:
    """An OpenDocument spreadsheet as LibreOffice lays it out: mimetype first and stored."""
    cells = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
            for v in row
        )
        + "</table:table-row>"
        for row in [HEADER, *ROWS]
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", _ODS_CONTENT.format(rows=cells))
        archive.writestr(
            "META-INF/manifest.xml", _ODS_MANIFEST.format(encryption=_ODS_ENCRYPTION if encrypted else "")
        )
    return path


def encrypted_xlsx(path: Path, password: str = "Wave-2026!") -> Path:
    """A wave workbook encrypted as Excel's Encrypt with Password does (ECMA-376 agile)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = wave_xlsx(path.with_name(f"plain-{path.name}"))
    with plain.open("rb") as source, path.open("wb") as out:
        OOXMLFile(source).encrypt(password, out)
    plain.unlink()
    return path


def rights_managed_xlsx(path: Path) -> Path:
    """The container a sensitivity label with encryption (IRM) leaves: a DRM data space."""
    path.write_bytes(
        compound_file(
            {
                "\x06DataSpaces/Version": b"\x3c\0\0\0",
                "\x06DataSpaces/DataSpaceMap": b"\x08\0\0\0",
                "\x06DataSpaces/DataSpaceInfo/DRMEncryptedDataSpace": b"\x08\0\0\0",
                "\x06DataSpaces/TransformInfo/DRMEncryptedTransform/\x06Primary": b"\x58\0\0\0",
                "EncryptedPackage": b"\x10\0\0\0\0\0\0\0" + bytes(range(256)) * 8,
            }
        )
    )
    return path


def biff(*records: tuple[int, bytes]) -> bytes:
    return b"".join(struct.pack("<HH", opcode, len(body)) + body for opcode, body in records)


def _rc4_verifier(password: str, salt: bytes, verifier: bytes) -> bytes:
    """The encrypted verifier and its hash of RC4 encryption (MS-OFFCRYPTO 2.3.6), block 0."""
    from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
    from cryptography.hazmat.primitives.ciphers import Cipher

    truncated = hashlib.md5(password.encode("utf-16-le")).digest()[:5]
    intermediate = hashlib.md5((truncated + salt) * 16).digest()[:5]
    key = hashlib.md5(intermediate + struct.pack("<I", 0)).digest()[:16]
    encryptor = Cipher(ARC4(key), mode=None).encryptor()
    return encryptor.update(verifier) + encryptor.update(hashlib.md5(verifier).digest())


def password_xls(path: Path, password: str = "Wave-2026!") -> Path:
    """An .xls encrypted with `password`: its Workbook stream's BOF, then FILEPASS (RC4) with
    the password's verifier ("VelvetSweatshop" is the one Excel uses on its own)."""
    bof = struct.pack("<HHHHII", 0x0600, 0x0005, 0x2775, 0x07CD, 0, 0)
    salt, verifier = bytes(range(16)), bytes(range(100, 116))
    filepass = struct.pack("<HHH", 1, 1, 1) + salt + _rc4_verifier(password, salt, verifier)
    workbook = biff((0x0809, bof), (0x002F, filepass), (0x000A, b""))
    path.write_bytes(compound_file({"Workbook": workbook, "\x05SummaryInformation": b"\xfe\xff"}))
    return path


def word_doc(path: Path) -> Path:
    path.write_bytes(compound_file({"WordDocument": b"\xec\xa5\xc1\x00", "1Table": b"\0"}))
    return path


def old_excel(path: Path, version: int) -> Path:
    """An Excel 2.x, 3.0 or 4.0 worksheet (BIFF2/3/4): BOF, one label cell, EOF."""
    opcode = {2: 0x0009, 3: 0x0209, 4: 0x0409}[version]
    bof = struct.pack("<HH", 0x0002, 0x0010) if version == 2 else struct.pack("<HHH", 0, 0x0010, 0)
    text = b"Source"
    label = (
        (0x0004, struct.pack("<HH3sB", 0, 0, b"\0\0\0", len(text)) + text)
        if version == 2
        else (0x0204, struct.pack("<HHHH", 0, 0, 0, len(text)) + text)
    )
    path.write_bytes(biff((opcode, bof), label, (0x000A, b"")))
    return path


SPREADSHEETML = """<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="Wave"><Table>
  <Row><Cell><Data ss:Type="String">Source</Data></Cell><Cell><Data ss:Type="String">Destination</Data></Cell></Row>
 </Table></Worksheet>
</Workbook>
"""

WEB_PAGE = """<html xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta name=ProgId content=Excel.Sheet></head>
<body><table><tr><td>Source</td><td>Destination</td></tr><tr><td>CON-PC0003</td><td>CON-NB0003</td></tr></table></body>
</html>
"""


def rezip(source: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """`source`'s parts, each changed (None leaves the part out)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = change(item.filename, old.read(item.filename))
            if data is not None:
                new.writestr(item.filename, data)
    return target


def zip_archive(path: Path) -> Path:
    """A zip archive of the wave as CSV, as a mail gateway or a download leaves it."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("wave.csv", "Source,Destination\nCON-PC0003,CON-NB0003\n")
    return path


def truncated(path: Path) -> Path:
    data = wave_xlsx(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def bad_crc(path: Path) -> Path:
    """A package whose sheet part fails its CRC check, as a bit flipped in a copy leaves it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(wave_xlsx(path)) as old, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as new:
        for item in old.infolist():
            new.writestr(item.filename, old.read(item.filename))
    data = bytearray(buffer.getvalue())
    at = data.find(b"CON-PC0003")
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    return path
