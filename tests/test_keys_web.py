"""`cmassoc serve` and recovery keys (issue 27, point 2): the web never shows a key and offers no
keys workbook; it has no password to ask, so an undo there that meets an association whose
capture has started deletes nothing and says why."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from importer.site.demo.provider import DemoSite
from importer.web.app import build_app
from importer.web.auth import hash_password
from importer.web.config import WebConfig
from importer.web.store import Role, Store
from importer.web.worker import Worker
from tests.support.helpers import association_keys, ids_by_name
from tests.support.keys import capture, site_keys
from tests.test_web import PASSWORDS, finished, login, upload


@pytest.fixture
def client(tmp_path: Path, site_path: Path) -> Iterator[TestClient]:
    store = Store(tmp_path / "data")
    store.add_user("otto", Role.OPERATOR, hash_password(PASSWORDS["otto"]))
    store.add_user("pia", Role.PLANNER, hash_password(PASSWORDS["pia"]))
    worker = Worker(store, lambda: DemoSite(site_path)).start()
    app = build_app(WebConfig(store, worker, f"demo site {site_path.name}"))
    with TestClient(app, base_url="http://testserver") as web:
        yield web
    worker.stop()
    store.close()


def test_the_web_never_shows_a_key_and_deletes_nothing_it_cannot_keep(
    client: TestClient, site_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    csrf = login(client, "otto")
    wave_id = upload(client, csrf)
    ran = client.post(f"/waves/{wave_id}/run", data={"csrf": csrf, "confirm": "yes"})
    assert "6 created" in finished(client, str(ran.url))
    ids = ids_by_name(site_path)
    capture(site_path, ids["CON-PC0003"], ids["CON-NB0003"], status=0)  # a stored state, status 0
    status = client.post(f"/waves/{wave_id}/status", data={"csrf": csrf})
    pages = [finished(client, str(status.url))]
    before = association_keys(site_path)
    run_id = re.search(r"\b(\d{8}-\d{6}-[0-9a-f]{4})\b", client.get(f"/waves/{wave_id}").text)
    assert run_id
    undo = client.post(
        f"/waves/{wave_id}/undo", data={"csrf": csrf, "run": run_id.group(1), "confirm": "yes"}
    )
    page = finished(client, str(undo.url))
    assert "nothing was deleted" in page and "command line" in page
    assert association_keys(site_path) == before
    pages += [
        page,
        client.get(f"/waves/{wave_id}").text,
        client.get(f"/waves/{wave_id}?status=not%20sent").text,
    ]
    links = set(re.findall(r'href="(/waves/[0-9a-f]{32}/reports/[^"]+)"', pages[-2]))
    assert len(links) == 8  # the Excel and JSON reports of the check, run, status and undo
    for link in links:
        body = client.get(link).content
        pages.append(_cells(body) if link.endswith(".xlsx") else body.decode("utf-8"))
    assert client.get(f"/waves/{wave_id}/keys").status_code == 404  # no keys workbook on the web
    keys = site_keys(site_path)
    assert len(keys) == 10
    for key in keys.values():
        assert all(key not in text for text in pages) and key not in caplog.text


def _cells(data: bytes) -> str:
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(c) for s in book.worksheets for row in s.iter_rows(values_only=True) for c in row)
