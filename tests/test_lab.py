"""Opt-in: a dry run against a real SMS Provider. Set CMASSOC_LAB_SERVER, CMASSOC_LAB_SITE_CODE,
CMASSOC_USERNAME and CMASSOC_PASSWORD (optionally CMASSOC_LAB_AUTH, CMASSOC_LAB_CA_BUNDLE and
CMASSOC_LAB_SHEET, a wave of lab computers). Nothing is created: it runs with --dry-run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, invoke

LAB = os.environ.get("CMASSOC_LAB_SERVER")

pytestmark = [pytest.mark.lab, pytest.mark.skipif(not LAB, reason="CMASSOC_LAB_SERVER is not set")]


def test_dry_run_against_the_lab(tmp_path: Path) -> None:
    sheet = os.environ.get("CMASSOC_LAB_SHEET") or str(SAMPLES / "wave-03.csv")
    args = [
        "run",
        sheet,
        "--server",
        str(LAB),
        "--site-code",
        os.environ["CMASSOC_LAB_SITE_CODE"],
        "--auth",
        os.environ.get("CMASSOC_LAB_AUTH", "ntlm"),
        "--dry-run",
        "--json",
        str(tmp_path / "lab.json"),
        "--report",
        str(tmp_path / "lab.xlsx"),
    ]
    if os.environ.get("CMASSOC_LAB_CA_BUNDLE"):
        args += ["--ca-bundle", os.environ["CMASSOC_LAB_CA_BUNDLE"]]
    result = invoke(*args)
    assert result.exit_code in (0, 3), result.output
    rows = json.loads((tmp_path / "lab.json").read_text())["rows"]
    assert rows
    assert {r["status"] for r in rows} <= {"planned", "exists", "invalid", "unresolved", "failed"}
