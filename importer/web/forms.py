"""What a browser sends, checked before anything acts on it: the upload form's sheet,
behaviour, run options and columns (--map and --ignore-column, as lines), the uploaded files
themselves (their kind and size, saved under names of our own), and the page a sign-in may go
on to.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from importer.check.values import COLLECTION_ID, parse_behavior
from importer.job import Job
from importer.model.fields import FIELD_TITLES
from importer.read.aliases import mapping_entry
from importer.results import DEFAULT_INACTIVE_DAYS
from importer.web.store import Store
from importer.web.worker import USERS_FROM

_SUFFIXES = {".xlsx", ".xlsm", ".csv", ".txt", ".tsv"}


@dataclass(frozen=True)
class UploadForm:
    """A wave's upload form, its fields checked before either file is saved (the files are
    checked as they are saved)."""

    sheet: UploadFile
    behavior: int
    options: dict[str, Any]
    users: UploadFile | None


def upload_form(form: Any) -> UploadForm:
    sheet = form.get("sheet")
    if not isinstance(sheet, UploadFile) or not sheet.filename:
        raise HTTPException(400, "choose the wave's sheet (.xlsx or .csv)")
    parsed = parse_behavior(str(form.get("behavior", "2")), None)
    if parsed.value is None:
        raise HTTPException(400, "choose a behaviour: 0, 1 or 2")
    options = wave_options(form)
    users = form.get("users")
    return UploadForm(
        sheet,
        int(parsed.value),
        options,
        users if isinstance(users, UploadFile) and users.filename else None,
    )


def wave_options(form: Any) -> dict[str, Any]:
    """The run options an upload chose, as stored with the wave (checked here, once)."""
    users_from = str(form.get("users_from", ""))
    if users_from not in USERS_FROM:
        raise HTTPException(400, "users from: the sheet, primary or last-logon")
    days = str(form.get("inactive_days", "") or DEFAULT_INACTIVE_DAYS).strip()
    if not days.isdigit() or not 1 <= int(days) <= 3650:
        raise HTTPException(400, "inactive after: a number of days from 1 to 3650")
    return {
        "users_from": users_from,
        "collections": _collections(form, "collections"),
        "overwrite_existing_record": form.get("overwrite_existing_record") == "yes",
        "update": form.get("update") == "yes",
        "inactive_days": int(days),
        "strict_readiness": form.get("strict_readiness") == "yes",
        "copy_collections": form.get("copy_collections") == "yes",
        "skip_collections": _collections(form, "skip_collections"),
        **column_options(form),
    }


def cleanup_days(form: Any) -> int:
    """Cleanup's --restored-before: pairs restored more than this many days ago go."""
    days = str(form.get("days", "") or Job.restored_before).strip()
    if not days.isdigit() or not 1 <= int(days) <= 3650:
        raise HTTPException(400, "restored more than: a number of days from 1 to 3650")
    return int(days)


def _lines(form: Any, name: str, extra: str) -> list[str]:
    """A text area's lines, and the line a choice button added (the upload page's two ways on
    after a column stopped the sheet)."""
    text = f"{str(form.get(name, ''))[:4000]}\n{str(form.get(extra, ''))[:300]}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 20 or any(len(line) > 300 or not line.isprintable() for line in lines):
        raise HTTPException(400, f"{name}: at most 20 lines of at most 300 characters")
    return list(dict.fromkeys(lines))


def column_options(form: Any) -> dict[str, Any]:
    """Which column is which (FIELD=Header lines, as --map) and which to leave unread (headers,
    as --ignore-column)."""
    mapping: dict[str, str] = {}
    for line in _lines(form, "map", "add_map"):
        entry = mapping_entry(line)
        if entry is None:
            fields = ", ".join(FIELD_TITLES.values())
            raise HTTPException(
                400, f"'{line[:80]}': write FIELD=Header, e.g. Behavior=USMT behaviour ({fields})"
            )
        mapping[entry[0]] = entry[1]
    return {
        "mapping": mapping,
        "ignore": [h.strip('"').strip() for h in _lines(form, "ignore", "add_ignore")],
    }


def _collections(form: Any, name: str) -> list[str]:
    refs = [r.strip() for r in str(form.get(name, ""))[:2000].split(";") if r.strip()]
    if any(len(r) > 256 or not r.isprintable() for r in refs) or len(refs) > 20:
        raise HTTPException(400, f"{name.replace('_', ' ')}: at most 20 names or IDs, separated by ;")
    return [r.upper() if COLLECTION_ID.match(r) else r for r in dict.fromkeys(refs)]


async def save_upload(store: Store, upload: UploadFile, limit: int) -> str:
    """The upload written to the store under a random name; its own name never names a file."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in _SUFFIXES:
        raise HTTPException(400, f"'{upload.filename}': not a wave sheet (.xlsx or .csv)")
    stored = f"{secrets.token_hex(16)}{suffix}"
    path = store.path("uploads", stored)
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise HTTPException(413, f"the upload is larger than {limit >> 20} MB")
            out.write(chunk)
    return stored


def local_target(target: str | None) -> str:
    """Only a path on this server may follow a sign-in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
