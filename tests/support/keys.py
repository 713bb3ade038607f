"""What the recovery-key tests share: the password they use, the keys a demo site holds (read
straight from its file), and an encrypted workbook opened as Excel would, after its password."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

KEYS_PASSWORD = "keys-password-for-tests"  # 12 characters or more


def site_keys(site_path: Path) -> dict[tuple[int, int], str]:
    """Every association's key, as the demo site keeps it."""
    with sqlite3.connect(site_path) as db:
        rows = db.execute(
            "SELECT SourceClientResourceID, RestoreClientResourceID, RecoveryKey FROM associations"
        ).fetchall()
    return {(int(s), int(r)): str(k) for s, r, k in rows if k}


def open_encrypted(path: Path, password: str = KEYS_PASSWORD) -> Any:
    """The workbook inside an encrypted file, opened with openpyxl after msoffcrypto decrypts it."""
    import msoffcrypto
    import openpyxl

    with path.open("rb") as handle:
        office = msoffcrypto.OfficeFile(handle)
        office.load_key(password=password, verify_password=True)
        plain = io.BytesIO()
        office.decrypt(plain)
    return openpyxl.load_workbook(plain)


def key_rows(path: Path, password: str = KEYS_PASSWORD) -> list[dict[str, Any]]:
    """The rows of the Recovery keys sheet, by header."""
    sheet = open_encrypted(path, password)["Recovery keys"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def capture(site_path: Path, source_id: int, restore_id: int, status: int = 1) -> str:
    """Give an association a stored state, as a task sequence's capture would; its store path."""
    path = f"\\\\SMP01\\SMPSTORED_{source_id:08X}$\\{restore_id:08X}"
    with sqlite3.connect(site_path) as db:
        db.execute(
            "UPDATE associations SET MigrationStatus = ?, StoreCreationDate = '20261201080000.000000+000', "
            "StorePath = ? WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
            (status, path, source_id, restore_id),
        )
    return path
