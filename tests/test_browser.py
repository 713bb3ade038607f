"""`cmassoc serve` in a real browser: the distribution's Chromium, driven by Playwright (which
never downloads a browser here). Signs in, uploads the sample wave, sees its invalid rows,
dry-runs, runs, watches the progress finish, downloads the report and opens it; saves
screenshots of the main pages for README (docs/screenshots)."""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from importer.site.demo.provider import DemoSite
from importer.web.app import build_app
from importer.web.auth import hash_password
from importer.web.config import WebConfig
from importer.web.store import Role, Store
from importer.web.worker import Worker
from tests.support.helpers import ROOT, SAMPLES

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), None)
# README's screenshots are refreshed by running this test with CMASSOC_SCREENSHOTS=1.
SHOTS = ROOT / "docs" / "screenshots"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium here (Debian: apt-get install chromium); .ci/run installs it"
)


@pytest.fixture
def server(tmp_path: Path, site_path: Path) -> Iterator[str]:
    import uvicorn

    store = Store(tmp_path / "data")
    store.add_user("otto", Role.OPERATOR, hash_password("operator-password-1"))
    worker = Worker(store, lambda: DemoSite(site_path, latency=0.3)).start()
    app = build_app(WebConfig(store, worker, "demo site demo-site.db"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if uv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(10)
    worker.stop()
    store.close()


def test_a_team_member_runs_a_wave_in_chromium(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = SHOTS if os.environ.get("CMASSOC_SCREENSHOTS") == "1" else tmp_path / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server + "/")
        expect(page.locator("h1")).to_have_text("Sign in")
        page.screenshot(path=shots / "login.png")
        page.fill("#name", "otto")
        page.fill("#password", "operator-password-1")
        page.click("text=Sign in >> nth=-1")
        expect(page.locator("h1")).to_have_text("Waves")

        page.click("header >> text=Upload")
        page.set_input_files("#sheet", str(SAMPLES / "wave-01.xlsx"))
        page.screenshot(path=shots / "upload.png")
        page.click("text=Upload and check")
        expect(page.locator("h2").first).to_contain_text("12 rows: 10 valid, 2 invalid")
        page.click("text=invalid (2)")
        expect(page.locator("#rows .s-invalid")).to_have_count(2)
        page.screenshot(path=shots / "wave.png", full_page=True)

        page.click("text=Dry run")
        expect(page.locator("#outcome")).to_contain_text("planned", timeout=30_000)
        page.click("text=the rows")
        page.click("text=Run…")
        expect(page.locator("button.danger")).to_contain_text("association(s) now")
        page.screenshot(path=shots / "run-confirm.png")
        page.click("button.danger")
        # Live progress (the shipped script polls and reloads the page once the job is over).
        expect(page.locator("#progress")).to_be_visible()
        expect(page.locator("#stage")).not_to_have_text("waiting", timeout=20_000)
        page.screenshot(path=shots / "run-progress.png")
        expect(page.locator("#outcome")).to_contain_text("created", timeout=60_000)
        page.screenshot(path=shots / "run-done.png")
        with page.expect_download() as download_info:
            page.click("text=Excel report")
        saved = tmp_path / "report.xlsx"
        download_info.value.save_as(saved)
        book = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()), read_only=True)
        statuses = [r[4] for r in book["Results"].iter_rows(min_row=2, values_only=True) if len(r) > 4]
        # the sample wave on the sample site: two pairs there already, six made, two names the
        # site cannot resolve (two live records; none), two rows the check refused
        assert statuses == ["exists"] * 2 + ["created"] * 6 + ["unresolved"] * 2 + ["invalid"] * 2

        page.goto(server + "/")
        expect(page.locator("table")).to_contain_text("wave-01.xlsx")
        page.screenshot(path=shots / "waves.png")
        browser.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
