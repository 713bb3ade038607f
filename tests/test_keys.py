"""`cmassoc keys` (issue 27, points 1 and 2): every pair's recovery key, store path, dates and
LoadState line, or why it has none; written only into a workbook encrypted as Excel's "Encrypt
with Password" does, with a password that is never a flag; and the key nowhere else."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import msoffcrypto
import pytest
from click.testing import CliRunner

from importer import messages
from importer.cli import Context, cli
from importer.environment import Environment
from importer.errors import InputError
from importer.report import keybook
from tests.support.helpers import SAMPLES, ids_by_name, invoke, sheet
from tests.support.keys import KEYS_PASSWORD, capture, key_rows, open_encrypted, site_keys

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # a compound file, as Excel's encrypted workbooks are
LOADSTATE = 'loadstate "{path}" /i:migapp.xml /i:migdocs.xml /v:13 /decrypt /keyfile:key.txt'


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CMASSOC_KEYS_PASSWORD", KEYS_PASSWORD)
    return KEYS_PASSWORD


def ran(tmp_path: Path, site_path: Path, wave: Path = SAMPLES / "wave-01.xlsx") -> Path:
    """The wave run on the site; its JSON report."""
    out = tmp_path / "run.json"
    done = invoke("run", wave, "--demo", site_path, "--json", out, "--report", tmp_path / "run.xlsx")
    assert done.exit_code == 3, done.output  # wave-01 holds two invalid and two unresolved rows
    return out


def pair(site_path: Path, source: str, destination: str) -> tuple[int, int]:
    ids = ids_by_name(site_path)
    return ids[source], ids[destination]


@pytest.mark.usefixtures("password")
def test_each_pair_gets_its_key_or_says_why_not(tmp_path: Path, site_path: Path) -> None:
    ran(tmp_path, site_path)
    captured = pair(site_path, "CON-PC0003", "CON-NB0003")
    store = capture(site_path, *captured)
    gone, keyless = pair(site_path, "CON-PC0004", "CON-NB0004"), pair(site_path, "CON-PC0005", "CON-NB0005")
    with sqlite3.connect(site_path) as db:
        db.execute("DELETE FROM associations WHERE SourceClientResourceID = ?", (gone[0],))
        db.execute(
            "UPDATE associations SET RecoveryKey = NULL WHERE SourceClientResourceID = ?", (keyless[0],)
        )
    keys = site_keys(site_path)
    out = tmp_path / "keys.xlsx"
    done = invoke("keys", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--out", out)
    assert done.exit_code == 0, done.output
    assert (
        "Recovery keys of 12 pairs: 6 with a key, 1 no key yet, 1 no association, 4 not looked up"
        in done.output
    )
    rows = key_rows(out)
    assert [r["Row"] for r in rows] == list(range(4, 16))
    notes = {r["Source"]: str(r["Note"]).split(" ", 1)[0] for r in rows}
    assert notes == {
        "CON-PC0001": "CMA410",
        "CON-PC0002": "CMA410",
        "CON-PC0003": "CMA410",
        "CON-PC0004": "CMA411",
        "CON-PC0005": "CMA412",
        "CON-PC0006": "CMA410",
        "CON-PC0007": "CMA410",
        "CON-PC0008": "CMA410",
        "CON-PC0013": "CMA414",
        "CON-PC0077": "CMA414",
        "CON-PC0009": "CMA414",
        "CON-PC0010": "CMA414",
    }
    by_source = {r["Source"]: r for r in rows}
    done_row = by_source["CON-PC0003"]
    assert done_row["Recovery key"] == keys[captured]
    assert len(done_row["Recovery key"]) == 256
    assert done_row["Store path (StorePath)"] == store
    assert done_row["Restore by hand"] == LOADSTATE.format(path=store)
    assert "/key:" not in done_row["Restore by hand"]
    assert done_row["Migration status"] == "in progress"
    stored = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC).astimezone().replace(tzinfo=None)
    assert done_row["State stored (StoreCreationDate)"] == stored
    assert done_row["State restored (StoreReleaseDate)"] is None
    # Not captured yet: the key, and no LoadState line (there is no store to restore from).
    first = by_source["CON-PC0001"]
    assert first["Recovery key"] == keys[pair(site_path, "CON-PC0001", "CON-NB0001")]
    assert first["Restore by hand"] is None and first["Store path (StorePath)"] is None
    for source in ("CON-PC0004", "CON-PC0005", "CON-PC0013", "CON-PC0009"):
        assert by_source[source]["Recovery key"] is None
    assert "no association on the site" in by_source["CON-PC0004"]["Note"]
    assert "returned 1 and no key" in by_source["CON-PC0005"]["Note"]
    assert by_source["CON-PC0013"]["Note"].startswith("CMA414 unresolved")
    how = "\n".join(str(c) for (c,) in open_encrypted(out)["How to restore"].iter_rows(values_only=True) if c)
    assert "not documented" in how and "/decrypt:AES_256" in how and "3DES" in how
    assert "/keyfile:" in how and "never /key:" in how


@pytest.mark.usefixtures("password")
def test_a_run_and_its_report_name_the_same_pairs(tmp_path: Path, site_path: Path) -> None:
    report = ran(tmp_path, site_path)
    run_id = json.loads(report.read_text(encoding="utf-8"))["summary"]["run_id"]
    by_report, by_run = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert invoke("keys", report, "--demo", site_path, "--out", by_report).exit_code == 0
    assert invoke("keys", run_id, "--demo", site_path, "--out", by_run).exit_code == 0
    first, second = key_rows(by_report), key_rows(by_run)
    assert [(r["Source"], r["Recovery key"]) for r in first] == [
        (r["Source"], r["Recovery key"]) for r in second
    ]
    assert sum(r["Recovery key"] is not None for r in first) == 8


@pytest.mark.usefixtures("password")
def test_the_workbook_is_encrypted_as_excel_does_and_holds_no_key_in_clear(
    tmp_path: Path, site_path: Path
) -> None:
    ran(tmp_path, site_path)
    out = tmp_path / "keys.xlsx"
    assert invoke("keys", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--out", out).exit_code == 0
    data = out.read_bytes()
    assert data.startswith(OLE_MAGIC) and not zipfile.is_zipfile(out)  # an OLE package, not a bare xlsx
    with out.open("rb") as handle:
        office = msoffcrypto.OfficeFile(handle)
        assert office.is_encrypted()
        with pytest.raises(msoffcrypto.exceptions.InvalidKeyError):
            office.load_key(password="not-the-password", verify_password=True)
    for key in site_keys(site_path).values():
        assert key.encode() not in data and key.encode("utf-16-le") not in data
    assert len(key_rows(out)) == 12


@pytest.mark.usefixtures("password")
def test_no_clear_file_is_ever_written(
    tmp_path: Path, site_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workbook is built in memory: no temporary file of XlsxWriter's (constant_memory's
    included), and the one file made beside the target holds the encrypted bytes it becomes."""
    ran(tmp_path, site_path)

    def refused(*_args: object, **_kwargs: object) -> Any:
        raise AssertionError("a temporary file was asked for")

    for name in ("TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile", "mkdtemp"):
        monkeypatch.setattr(tempfile, name, refused)
    made: list[Path] = []
    real = tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real(*args, **kwargs)
        made.append(Path(name))
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    out = tmp_path / "deep" / "keys.xlsx"
    done = invoke("keys", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--out", out)
    assert done.exit_code == 0, done.output
    assert [p.parent for p in made] == [out.parent]  # the encrypted bytes' own, renamed to out
    assert sorted(p.name for p in out.parent.iterdir()) == ["keys.xlsx"]
    assert out.read_bytes().startswith(OLE_MAGIC)
    monkeypatch.setattr(tempfile, "mkstemp", refused)
    plain = keybook.workbook_bytes([], [("What", "nothing")])  # in memory only
    assert zipfile.is_zipfile(io.BytesIO(plain))


def test_the_password_is_long_and_never_a_flag(
    tmp_path: Path, site_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "keys.xlsx"
    wave = SAMPLES / "wave-03.csv"
    monkeypatch.setenv("CMASSOC_KEYS_PASSWORD", "short-pass")
    short = invoke("keys", wave, "--demo", site_path, "--out", out)
    assert short.exit_code == 2 and "shorter than 12 characters" in short.output
    monkeypatch.delenv("CMASSOC_KEYS_PASSWORD")
    none = invoke("keys", wave, "--demo", site_path, "--out", out)  # no terminal to ask in
    assert none.exit_code == 2 and "no password" in none.output and "CMASSOC_KEYS_PASSWORD" in none.output
    flag = invoke("keys", wave, "--demo", site_path, "--out", out, "--password", KEYS_PASSWORD)
    assert flag.exit_code == 2 and "No such option" in flag.output
    assert not out.exists()
    with pytest.raises(InputError) as short_error:
        keybook.check_password("eleven-char", "x")
    assert short_error.value.code is messages.KEYS_SHORT_PASSWORD
    with pytest.raises(InputError) as no_error:
        keybook.check_password(None, "x")
    assert no_error.value.code is messages.KEYS_NO_PASSWORD
    not_xlsx = invoke("keys", wave, "--demo", site_path, "--out", tmp_path / "keys.csv")
    assert not_xlsx.exit_code == 2 and ".xlsx" in not_xlsx.output


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_terminal_the_password_is_asked_twice(tmp_path: Path, site_path: Path) -> None:
    out = tmp_path / "keys.xlsx"
    env = Environment({}, stdin=_Terminal())
    typed = f"{KEYS_PASSWORD}\nnot-the-same-password\n{KEYS_PASSWORD}\n{KEYS_PASSWORD}\n"
    done = CliRunner().invoke(
        cli,
        ["keys", str(SAMPLES / "wave-03.csv"), "--demo", str(site_path), "--out", str(out)],
        input=typed,
        obj=Context(env),
    )
    assert done.exit_code == 0, done.output
    assert done.stderr.count("Password for the recovery keys in keys.xlsx") == 2  # asked again
    assert "do not match" in done.stderr
    assert KEYS_PASSWORD not in done.output
    assert key_rows(out)  # opens with the password typed


@pytest.mark.usefixtures("password")
def test_a_key_appears_nowhere_else(
    tmp_path: Path, site_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Not on the console (--debug too), in a log, a report, the JSON, the journal or an error."""
    caplog.set_level(logging.DEBUG)
    report = ran(tmp_path, site_path)
    capture(site_path, *pair(site_path, "CON-PC0003", "CON-NB0003"))
    outputs = []
    runs: list[list[str | Path]] = [
        ["keys", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--out", tmp_path / "k.xlsx", "--debug"],
        ["keys", report, "--demo", site_path, "--out", tmp_path / "k2.xlsx", "--debug"],
        [
            "status",
            report,
            "--demo",
            site_path,
            "--json",
            tmp_path / "s.json",
            "--report",
            tmp_path / "s.xlsx",
        ],
        ["demo-site", "show", site_path, "--json"],
        ["keys", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--out", tmp_path / "bad.csv"],
    ]
    for args in runs:
        outputs.append(invoke(*args).output)
    texts = [*outputs, caplog.text, (tmp_path / "s.json").read_text(encoding="utf-8")]
    texts += [_cells(tmp_path / name) for name in ("run.xlsx", "s.xlsx")]
    journal = (tmp_path / "journal.db").read_bytes()
    keys = site_keys(site_path)
    assert len(keys) == 10
    for key in keys.values():
        assert all(key not in text for text in texts)
        assert key.encode() not in journal


def _cells(path: Path) -> str:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(str(c) for s in book.worksheets for row in s.iter_rows(values_only=True) for c in row)


def test_a_key_never_prints_even_by_mistake() -> None:
    from importer.site.recovery import KeyReading, RecoveryKey

    key = RecoveryKey("k9jKO5dD8yz7+/secret")
    reading = KeyReading(key=key)
    for shown in (repr(key), str(key), f"{key}", repr(reading), str([reading])):
        assert "secret" not in shown
    assert key.reveal() == "k9jKO5dD8yz7+/secret" and len(key) == 20
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(key)


@pytest.mark.usefixtures("password")
def test_invalid_rows_say_so_and_a_sheet_without_pairs_on_the_site_still_writes(
    tmp_path: Path, site_path: Path
) -> None:
    wave = sheet(tmp_path, "Source,Destination,Behavior\nCON-PC0020,CON-NB0020,0\nCON-PC0021,CON-PC0021,0\n")
    out = tmp_path / "keys.xlsx"
    done = invoke("keys", wave, "--demo", site_path, "--out", out)
    assert done.exit_code == 0, done.output
    assert "Recovery keys of 2 pairs: 1 no association, 1 not looked up" in done.output
    assert [str(r["Note"])[:6] for r in key_rows(out)] == ["CMA411", "CMA414"]
