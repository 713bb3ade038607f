"""`cmassoc serve` over HTTP: every route and role, and the attacks it must refuse."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from starlette.testclient import TestClient

from importer import messages as M
from importer.site.demo.provider import DemoSite
from importer.web.app import build_app
from importer.web.auth import hash_password
from importer.web.config import WebConfig
from importer.web.middleware import COOKIE
from importer.web.store import Role, Store
from importer.web.worker import Worker
from tests.support.helpers import ROOT, SAMPLES, error_codes, invoke, site_snapshot

PASSWORDS = {"vera": "viewer-password-1", "pia": "planner-password-1", "otto": "operator-password-1"}


@pytest.fixture
def web(tmp_path: Path, site_path: Path) -> Iterator[tuple[TestClient, Store, Worker]]:
    store = Store(tmp_path / "data")
    for name, role in (("vera", Role.VIEWER), ("pia", Role.PLANNER), ("otto", Role.OPERATOR)):
        store.add_user(name, role, hash_password(PASSWORDS[name]))
    worker = Worker(store, lambda: DemoSite(site_path)).start()
    app = build_app(WebConfig(store, worker, f"demo site {site_path.name}", upload_limit=2 * 1024 * 1024))
    with TestClient(app, base_url="http://testserver") as client:
        yield client, store, worker
    worker.stop()
    store.close()


def login(client: TestClient, name: str) -> str:
    """Sign in; the CSRF token of the new session."""
    client.cookies.clear()
    answer = client.post("/login", data={"name": name, "password": PASSWORDS[name], "next": "/"})
    assert answer.status_code == 200, answer.text  # followed to the waves page
    return csrf_of(client.get("/").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def upload(client: TestClient, csrf: str, path: Path = SAMPLES / "wave-01.xlsx") -> str:
    answer = client.post(
        "/upload",
        data={"csrf": csrf, "behavior": "2"},
        files={"sheet": (path.name, path.read_bytes(), "application/octet-stream")},
    )
    assert answer.status_code == 200, answer.text
    wave = re.search(r"/waves/([0-9a-f]{32})", str(answer.url))
    assert wave, answer.url
    return wave.group(1)


def finished(client: TestClient, job_url: str) -> str:
    """The job page once the job is over."""
    job = job_url.rstrip("/")
    for _ in range(200):
        state: dict[str, object] = client.get(f"{job}/state").json()
        if state["state"] in ("done", "failed"):
            page: str = client.get(job).text
            return page
        time.sleep(0.05)
    raise AssertionError("the job never finished")


def test_pages_need_a_sign_in(web: tuple[TestClient, Store, Worker]) -> None:
    client, _, _ = web
    for path in ("/", "/upload", "/waves/" + "0" * 32, "/jobs/" + "0" * 32):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
    page = client.get("/login")
    assert page.status_code == 200 and "Sign in" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_sign_in_sets_a_strict_cookie_and_wrong_passwords_are_rate_limited(
    web: tuple[TestClient, Store, Worker],
) -> None:
    client, _, _ = web
    answer = client.post(
        "/login", data={"name": "vera", "password": PASSWORDS["vera"]}, follow_redirects=False
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    client.cookies.clear()
    for _ in range(5):
        assert client.post("/login", data={"name": "pia", "password": "wrong"}).status_code == 401
    blocked = client.post("/login", data={"name": "pia", "password": PASSWORDS["pia"]})
    assert blocked.status_code == 429 and "Too many" in blocked.text
    assert client.post("/login", data={"name": "nobody", "password": "x"}).status_code == 401


def test_upload_checks_the_wave_and_shows_its_invalid_rows(web: tuple[TestClient, Store, Worker]) -> None:
    client, store, _ = web
    csrf = login(client, "pia")
    wave_id = upload(client, csrf)
    page = client.get(f"/waves/{wave_id}")
    assert "12 rows: 10 valid, 2 invalid" in page.text
    # row 11 gives no behaviour: the page says which one it took, as the console does
    assert "1 row without a behaviour took 2 (capture and restore specified user accounts)" in page.text
    invalid = client.get(f"/waves/{wave_id}?status=invalid")
    assert invalid.text.count('class="status s-invalid"') == 2
    # each message with its level and code: a behaviour 2 without users, an in-place pair
    assert re.findall(r'(ERROR|WARNING|NOTE) <span class="code">(CMA[0-9]{3})</span>', invalid.text) == [
        ("ERROR", M.BEHAVIOUR_NEEDS_USERS.code),
        ("ERROR", M.SAME_COMPUTER_TWICE.code),
    ]
    [wave] = store.waves()
    assert (wave.uploaded_by, wave.rows, wave.name) == ("pia", 12, "wave-01.xlsx")
    stored = store.path("uploads", wave.stored)
    assert stored.name != "wave-01.xlsx" and stored.read_bytes() == (SAMPLES / "wave-01.xlsx").read_bytes()
    listing = client.get("/")
    assert "wave-01.xlsx" in listing.text and "pia" in listing.text


def test_a_report_written_before_codes_still_shows_its_messages(
    web: tuple[TestClient, Store, Worker],
) -> None:
    """A wave's report from release 0.1.0 has messages without codes: the page shows them as it did."""
    client, store, _ = web
    csrf = login(client, "pia")
    wave_id = upload(client, csrf)
    [validated] = store.actions(wave_id)
    assert validated.json
    old = ROOT / "tests" / "fixtures" / "release-0.1.0" / "validate-report.json"
    store.path("reports", validated.json).write_bytes(old.read_bytes())
    page = client.get(f"/waves/{wave_id}?status=invalid")
    assert page.status_code == 200
    assert 'class="code"' not in page.text
    assert re.findall(r"(ERROR) (User Names|New Computer): ", page.text) == [
        ("ERROR", "User Names"),
        ("ERROR", "New Computer"),
    ]


def test_the_report_downloads_as_an_attachment_and_opens(web: tuple[TestClient, Store, Worker]) -> None:
    client, store, _ = web
    wave_id = upload(client, login(client, "pia"))
    [action] = [a for a in store.actions(wave_id) if a.xlsx]
    answer = client.get(f"/waves/{wave_id}/reports/{action.id}.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment;")
    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    assert "Results" in book.sheetnames
    sheet = client.get(f"/waves/{wave_id}/sheet")
    assert sheet.headers["content-disposition"].startswith("attachment;")
    assert sheet.headers["content-type"] == "application/octet-stream"


def test_dry_run_then_run_then_undo(web: tuple[TestClient, Store, Worker], site_path: Path) -> None:
    client, store, _ = web
    before = site_snapshot(site_path)["associations"]
    wave_id = upload(client, login(client, "pia"))
    csrf = login(client, "pia")
    job = client.post(f"/waves/{wave_id}/dry-run", data={"csrf": csrf})
    assert "/jobs/" in str(job.url)
    page = finished(client, str(job.url))
    assert "Done" in page and "planned" in page
    assert site_snapshot(site_path)["associations"] == before  # a dry run changes nothing
    assert client.get(f"/waves/{wave_id}/run").status_code == 403  # a planner does not run
    csrf = login(client, "otto")
    confirm = client.get(f"/waves/{wave_id}/run")
    planned = next(a.planned for a in store.actions(wave_id) if a.kind == "dry run")
    assert planned and f"Create {planned} association(s) now" in confirm.text
    job = client.post(f"/waves/{wave_id}/run", data={"csrf": csrf, "confirm": "yes"})
    page = finished(client, str(job.url))
    assert f"{planned} created" in page
    run = next(a for a in store.actions(wave_id) if a.kind == "run")
    assert run.user == "otto" and run.run_id
    created = site_snapshot(site_path)["associations"]
    assert isinstance(created, list) and isinstance(before, list) and len(created) == len(before) + planned
    xlsx = client.get(f"/waves/{wave_id}/reports/{run.id}.xlsx")
    summary = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)["Summary"]
    run_by = [r[1] for r in summary.iter_rows(values_only=True) if len(r) > 1 and r[0] == "Run by"]
    assert run_by and "otto" in str(run_by[0]), run_by
    preview = client.post(f"/waves/{wave_id}/undo", data={"csrf": csrf, "run": run.run_id, "confirm": "no"})
    assert "Done" in finished(client, str(preview.url))
    assert site_snapshot(site_path)["associations"] == created  # a preview changes nothing
    undone = client.post(f"/waves/{wave_id}/undo", data={"csrf": csrf, "run": run.run_id, "confirm": "yes"})
    assert "deleted" in finished(client, str(undone.url))
    assert site_snapshot(site_path)["associations"] == before
    history = client.get(f"/waves/{wave_id}").text
    for kind in ("validate", "dry run", "run", "undo preview", "undo"):
        assert f">{kind}</a>" in history
    assert run.run_id in history


def test_status_on_the_site(web: tuple[TestClient, Store, Worker]) -> None:
    client, _, _ = web
    csrf = login(client, "pia")
    wave_id = upload(client, csrf)
    job = client.post(f"/waves/{wave_id}/status", data={"csrf": csrf})
    assert "Done" in finished(client, str(job.url))
    page = client.get(f"/waves/{wave_id}").text
    assert "<th>Migration</th>" in page and "<th>Captured</th>" in page
    assert "not started" in page  # the sample site's existing pair, as the site says


def test_roles(web: tuple[TestClient, Store, Worker]) -> None:
    client, _, _ = web
    wave_id = upload(client, login(client, "pia"))
    csrf = login(client, "vera")
    assert client.get(f"/waves/{wave_id}").status_code == 200  # a viewer sees
    assert client.get("/upload").status_code == 403
    for path in (f"/waves/{wave_id}/dry-run", f"/waves/{wave_id}/status", "/upload"):
        assert client.post(path, data={"csrf": csrf}).status_code == 403, path
    assert client.post(f"/waves/{wave_id}/run", data={"csrf": csrf, "confirm": "yes"}).status_code == 403
    assert (
        client.post(f"/waves/{wave_id}/undo", data={"csrf": csrf, "run": "x", "confirm": "yes"}).status_code
        == 403
    )


def test_attacks_are_refused(web: tuple[TestClient, Store, Worker], tmp_path: Path) -> None:
    client, store, _ = web
    csrf = login(client, "otto")
    wave_id = upload(client, csrf)
    # A cross-site POST (another Origin), and one without the CSRF token.
    other = client.post(
        f"/waves/{wave_id}/dry-run", data={"csrf": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert other.status_code == 403
    assert client.post(f"/waves/{wave_id}/dry-run", data={}).status_code == 403
    assert client.post(f"/waves/{wave_id}/dry-run", data={"csrf": "forged"}).status_code == 403
    # A forged run ID, a forged job, another wave's report, path traversal.
    assert (
        client.post(
            f"/waves/{wave_id}/undo", data={"csrf": csrf, "run": "20990101-000000-dead", "confirm": "yes"}
        ).status_code
        == 404
    )
    assert client.get("/jobs/" + "a" * 32).status_code == 404
    assert client.get("/jobs/../../etc/passwd").status_code == 404
    assert client.get(f"/waves/{wave_id}/reports/..%2F..%2Fweb.xlsx").status_code == 404
    assert client.get("/waves/..%2Fweb.db/sheet").status_code == 404
    second = upload(client, csrf)
    [action] = [a for a in store.actions(second) if a.xlsx]
    assert client.get(f"/waves/{wave_id}/reports/{action.id}.xlsx").status_code == 404
    # An upload that is no sheet, one too large, and a hostile one: each refused or reported.
    bad = client.post(
        "/upload", data={"csrf": csrf}, files={"sheet": ("x.exe", b"MZ", "application/octet-stream")}
    )
    assert bad.status_code == 400
    big = client.post(
        "/upload", data={"csrf": csrf}, files={"sheet": ("big.csv", b"a" * (3 * 1024 * 1024), "text/csv")}
    )
    assert big.status_code == 413
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(b"PK\x03\x04 not really a zip")
    hostile = upload(client, csrf, bomb)
    assert f"not readable: {M.DAMAGED} " in client.get("/").text  # the wave's error, with its code
    [failed] = [a for a in store.actions(hostile) if a.state == "failed"]
    assert failed.summary.startswith(f"{M.DAMAGED} ")
    assert client.get(f"/waves/{hostile}").status_code == 200
    # An open redirect after sign-in.
    client.cookies.clear()
    answer = client.post(
        "/login",
        data={"name": "vera", "password": PASSWORDS["vera"], "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_trusted_header_maps_users_to_roles(tmp_path: Path, site_path: Path) -> None:
    store = Store(tmp_path / "data")
    worker = Worker(store, lambda: DemoSite(site_path)).start()
    config = WebConfig(
        store,
        worker,
        "demo",
        trusted_user_header="X-Remote-User",
        trusted_roles={"contoso\\ann": Role.PLANNER},
    )
    with TestClient(build_app(config)) as client:
        assert client.get("/", headers={"X-Remote-User": "CONTOSO\\bob"}).status_code == 403
        page = client.get("/upload", headers={"X-Remote-User": "CONTOSO\\ann"})
        assert page.status_code == 200 and "CONTOSO\\ann (planner)" in page.text
        csrf = csrf_of(page.text)
        path = SAMPLES / "wave-01.xlsx"
        answer = client.post(
            "/upload",
            data={"csrf": csrf, "behavior": "2"},
            files={"sheet": (path.name, path.read_bytes(), "application/octet-stream")},
            headers={"X-Remote-User": "CONTOSO\\ann"},
        )
        assert answer.status_code == 200
        assert store.waves()[0].uploaded_by == "CONTOSO\\ann"
    worker.stop()
    store.close()


def test_a_second_job_waits_for_the_first(web: tuple[TestClient, Store, Worker]) -> None:
    client, _, worker = web
    csrf = login(client, "pia")
    wave_id = upload(client, csrf)
    gate = threading.Event()
    original = worker.connect

    def slow() -> DemoSite:
        gate.wait(10)
        return original()  # type: ignore[return-value]

    worker.connect = slow
    first = client.post(f"/waves/{wave_id}/dry-run", data={"csrf": csrf})
    second = client.post(f"/waves/{wave_id}/dry-run", data={"csrf": csrf})
    state = client.get(f"{second.url}/state").json()
    assert state["state"] == "waiting" and state["ahead"] == 1
    page = client.get(str(second.url)).text
    assert "Waiting: 1 job(s) on this site first" in page
    gate.set()
    worker.connect = original
    assert "Done" in finished(client, str(first.url))
    assert "Done" in finished(client, str(second.url))


def test_serve_refuses_the_network_without_accounts(tmp_path: Path) -> None:
    answer = invoke("serve", "--demo", tmp_path / "s.db", "--data", tmp_path / "d", "--host", "0.0.0.0")
    assert answer.exit_code == 2, answer.output
    assert error_codes(answer.output) == [M.OPEN_HOST_WITHOUT_ACCOUNT.code]


def test_upload_options_reach_the_checks_and_the_jobs(
    web: tuple[TestClient, Store, Worker], tmp_path: Path
) -> None:
    client, store, _ = web
    csrf = login(client, "pia")
    path = tmp_path / "needs-users.csv"
    # CON-PC0026 has a primary user on the demo site (CONTOSO\\yara.h)
    path.write_text("Source,Destination,Behavior,Users\nCON-PC0026,CON-NB0004,2,\n", encoding="utf-8")
    plain = upload(client, csrf, path)
    assert "1 row: 1 invalid" in client.get(f"/waves/{plain}").text
    answer = client.post(
        "/upload",
        data={"csrf": csrf, "behavior": "2", "users_from": "primary", "collections": "con00012; All Laptops"},
        files={"sheet": (path.name, path.read_bytes(), "text/csv")},
    )
    wave_id = str(answer.url).rsplit("/", 1)[-1]
    assert "1 row: 1 valid" in client.get(f"/waves/{wave_id}").text  # the site will give the users
    wave = store.wave(wave_id)
    assert wave is not None and '"users_from": "primary"' in wave.options and "CON00012" in wave.options
    job = client.post(f"/waves/{wave_id}/dry-run", data={"csrf": csrf})
    page = finished(client, str(job.url))
    assert "Done" in page and "Failed" not in page  # the job ran; its one row needs attention
    [dry] = [a for a in store.actions(wave_id) if a.kind == "dry run"]
    [row] = client.get(f"/waves/{wave_id}/reports/{dry.id}.json").json()["rows"]
    # both options reached the job: the users came from the site, then the collection was looked up
    assert (row["status"], row["users"], row["users_from"]) == (
        "conflict",
        ["CONTOSO\\yara.h"],
        "primary user",
    )
    assert [m["code"] for m in row["messages"]] == [M.USERS_FROM_SITE.code, M.COLLECTION_NOT_ON_SITE.code]
    assert "CON00012" in row["messages"][1]["text"]  # the collection the option named
    bad = client.post(
        "/upload",
        data={"csrf": csrf, "behavior": "2", "users_from": "everyone"},
        files={"sheet": (path.name, path.read_bytes(), "text/csv")},
    )
    assert bad.status_code == 400


def test_add_user_asks_for_the_password_and_keeps_only_a_hash(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from importer.cli import cli

    data = tmp_path / "data"
    short = CliRunner().invoke(
        cli, ["serve", "--data", str(data), "add-user", "ann", "--role", "operator"], input="short\nshort\n"
    )
    assert short.exit_code == 2 and error_codes(short.output) == [M.PASSWORD_TOO_SHORT.code]
    secret = "a long enough password"
    made = CliRunner().invoke(
        cli,
        ["serve", "--data", str(data), "add-user", "ann", "--role", "operator"],
        input=f"{secret}\n{secret}\n",
    )
    assert made.exit_code == 0, made.output
    store = Store(data)
    account = store.user("ANN")
    assert account is not None and account[1] is Role.OPERATOR
    assert account[2].startswith("$argon2id$") and secret not in (data / "web.db").read_bytes().decode(
        "latin-1"
    )
    store.close()


def test_serve_takes_the_site_from_the_config_file_and_logout_ends_the_session(
    web: tuple[TestClient, Store, Worker],
) -> None:
    from importer.config import default_map

    defaults = default_map({"server": "cm01.contoso.com", "site_code": "P01", "behavior": 1})["serve"]
    assert defaults == {"server": "cm01.contoso.com", "site_code": "P01"}
    client, _, _ = web
    csrf = login(client, "vera")
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf": csrf}).status_code == 200  # back on the sign-in page
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_report_too_large_to_show_is_offered_for_download(
    web: tuple[TestClient, Store, Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    from importer.report import readback

    client, _, _ = web
    wave_id = upload(client, login(client, "pia"))
    monkeypatch.setattr(readback, "SHOWN_REPORT_LIMIT", 100)
    page = client.get(f"/waves/{wave_id}").text
    assert "too large to show here" in page and 'id="rows"' not in page
    assert "Excel report" in page


def test_the_wave_page_shows_the_notices_of_its_reading(
    web: tuple[TestClient, Store, Worker], tmp_path: Path
) -> None:
    client, _, _ = web
    path = tmp_path / "totals.csv"
    path.write_text(
        "Source,Destination,Behavior\nCON-PC0003,CON-NB0003,0\nCON-PC0004,CON-NB0004,0\nTotal,2,\n",
        encoding="utf-8",
    )
    wave_id = upload(client, login(client, "pia"), path)
    page = client.get(f"/waves/{wave_id}").text
    [notes] = re.findall(r'<ul id="notes" class="note">(.*?)</ul>', page, re.DOTALL)
    assert re.findall(r"<li>(.*?)</li>", notes) == [
        "CMA009 &#39;totals.csv&#39; read as UTF-8, columns separated by commas",
        "CMA330 Skipped 1 row that is not a pair: &#39;totals.csv&#39; row 4 &#39;Total&#39;",
    ]
    assert "2 rows: 2 valid" in page
    # a CSV's rows are on the sheet named after the file, as it was uploaded
    assert re.findall(r'<tr(?: class="[^"]*")?><td>([^<]*)</td><td>\d+</td>', page) == ["totals.csv"] * 2


def test_readiness_and_copied_collections_in_serve(
    web: tuple[TestClient, Store, Worker], site_path: Path
) -> None:
    """The upload's readiness and collection options reach the run; a row's readiness is on its page."""
    client, store, _ = web
    csrf = login(client, "otto")
    path = SAMPLES / "wave-01.xlsx"
    answer = client.post(
        "/upload",
        data={
            "csrf": csrf,
            "behavior": "2",
            "inactive_days": "60",
            "strict_readiness": "yes",
            "copy_collections": "yes",
            "skip_collections": "Legacy VPN Client; dem00013",
        },
        files={"sheet": (path.name, path.read_bytes(), "application/octet-stream")},
    )
    wave_id = str(answer.url).rsplit("/", 1)[-1]
    wave = store.wave(wave_id)
    assert wave is not None
    stored = json.loads(wave.options)
    assert (stored["inactive_days"], stored["strict_readiness"], stored["copy_collections"]) == (
        60,
        True,
        True,
    )
    assert stored["skip_collections"] == ["Legacy VPN Client", "DEM00013"]
    assert 'name="copy_collections"' in client.get("/upload").text
    job = client.post(f"/waves/{wave_id}/run", data={"csrf": csrf, "confirm": "yes"})
    assert "Done" in finished(client, str(job.url))
    [run] = [a for a in store.actions(wave_id) if a.kind == "run"]
    rows = {r["row"]: r for r in client.get(f"/waves/{wave_id}/reports/{run.id}.json").json()["rows"]}
    # --inactive-days 60: CON-PC0005 is ready; strict: the other-site and never-seen pairs are refused
    assert [n for n, r in rows.items() if r["readiness"]] == [6, 11]
    assert (rows[6]["status"], rows[11]["status"], rows[8]["status"]) == ("conflict", "conflict", "created")
    assert (rows[7]["copied_collections"], rows[9]["copied_collections"]) == (["DEM00015"], ["DEM00015"])
    page = client.get(f"/waves/{wave_id}?status=conflict").text
    assert "READINESS CMA502 CON-PC0008" in page
    bad = client.post(
        "/upload",
        data={"csrf": csrf, "behavior": "2", "inactive_days": "0"},
        files={"sheet": (path.name, path.read_bytes(), "application/octet-stream")},
    )
    assert bad.status_code == 400
    on_site = site_snapshot(site_path)["associations"]
    assert isinstance(on_site, list) and len(on_site) == 4 + 4  # the sample's, and the four created


# -- issue 30 on the web: pairs per state, at-risk first, progress drawn, cleanup previewed ----------


@pytest.fixture
def indexed(tmp_path: Path, site_path: Path) -> Iterator[TestClient]:
    """The site as `cmassoc serve` runs it: its jobs recorded in an index of runs, which keeps
    each status call's counts for the wave's progress."""
    store = Store(tmp_path / "data")
    for name, role in (("vera", Role.VIEWER), ("pia", Role.PLANNER), ("otto", Role.OPERATOR)):
        store.add_user(name, role, hash_password(PASSWORDS[name]))
    worker = Worker(store, lambda: DemoSite(site_path), index=tmp_path / "index.db").start()
    app = build_app(WebConfig(store, worker, f"demo site {site_path.name}"))
    with TestClient(app, base_url="http://testserver") as client:
        yield client
    worker.stop()
    store.close()


def _migrated_wave(client: TestClient, site_path: Path) -> tuple[str, str]:
    """wave-03 run on the site, then its first pair restored 45 days ago, its second restored 10
    days ago and its third captured 20 days ago and never restored (at risk), on a state migration point that deletes
    a store 60 days after its release (so neither restored one is due within 7 days): the wave's
    ID and a CSRF token."""
    site = DemoSite(site_path)
    site.set_deletion_delay(60 * 1440)
    site.close()
    csrf = login(client, "otto")
    wave_id = upload(client, csrf, SAMPLES / "wave-03.csv")
    ran = client.post(f"/waves/{wave_id}/run", data={"csrf": csrf, "confirm": "yes"})
    assert "5 created" in finished(client, str(ran.url))
    for source, destination, stage, days in (
        ("CON-PC0033", "CON-NB0033", "--restored", 45),
        ("CON-PC0034", "CON-NB0034", "--restored", 10),
        ("CON-PC0035", "CON-NB0035", "--captured", 20),
    ):
        moved = invoke("demo-site", "migrate", site_path, source, destination, stage, "--days-ago", str(days))
        assert moved.exit_code == 0, moved.output
    return wave_id, csrf


def _progress_table(page: str) -> dict[str, int]:
    table = re.search(r'<table id="progress".*?</table>', page, re.S)
    assert table, page[:2000]
    heads = re.findall(r"<th>([^<]+)</th>", table.group(0))
    cells = re.findall(r"<td[^>]*>([^<]+)</td>", table.group(0))
    return dict(zip(heads, (int(c) for c in cells), strict=True))


def test_the_wave_page_counts_pairs_per_state_and_puts_at_risk_pairs_first(
    indexed: TestClient, site_path: Path
) -> None:
    client = indexed
    wave_id, csrf = _migrated_wave(client, site_path)
    status = client.post(f"/waves/{wave_id}/status", data={"csrf": csrf})
    assert "Done" in finished(client, str(status.url))
    page = client.get(f"/waves/{wave_id}").text
    assert _progress_table(page) == {
        "not started": 2,
        "capturing": 0,
        "captured": 1,
        "restored": 2,
        "missing": 0,
        "at risk": 1,
    }
    rows = re.findall(
        r'<tr( class="at-risk")?><td>[^<]*</td><td>\d+</td><td class="name">[^<]*</td>'
        r'<td class="name">([^<]*)</td>',
        page,
    )
    assert rows[0] == (' class="at-risk"', "CON-NB0035")  # at risk, so first (the sheet's third)
    assert [r[1] for r in rows[1:]] == ["CON-NB0033", "CON-NB0034", "CON-NB0036", "CON-NB0037"]
    assert all(not r[0] for r in rows[1:])
    risk = re.search(r'<td class="risk">AT RISK: ([^<]+)</td>', page)
    assert risk and "captured 20 days ago" in risk.group(1)
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert '<svg id="chart"' in main and "<script" not in main  # drawn on the server, no script


def test_three_status_calls_draw_three_points_of_progress(indexed: TestClient, site_path: Path) -> None:
    client = indexed
    wave_id, csrf = _migrated_wave(client, site_path)
    for call in range(3):
        status = client.post(f"/waves/{wave_id}/status", data={"csrf": csrf})
        assert "Done" in finished(client, str(status.url))
        page = client.get(f"/waves/{wave_id}").text
        if call == 0:
            moved = invoke("demo-site", "migrate", site_path, "CON-PC0036", "CON-NB0036", "--captured")
            assert moved.exit_code == 0, moved.output
    chart = re.search(r'<svg id="chart".*?</svg>', page, re.S)
    assert chart
    series = dict(re.findall(r'data-state="([^"]+)"><polyline points="([^"]+)"/>', chart.group(0)))
    assert list(series) == ["not started", "capturing", "captured", "restored", "missing", "at risk"]
    assert {state: len(points.split()) for state, points in series.items()} == dict.fromkeys(series, 3)
    assert chart.group(0).count("<circle") == 18  # a point per state per status call
    assert len(re.findall(r'<text class="when"', chart.group(0))) == 3
    drawn = re.findall(r"<title>(not started|captured): (\d+)</title>", chart.group(0))
    assert (
        drawn
        == [("not started", "2")] + [("not started", "1")] * 2 + [("captured", "1")] + [("captured", "2")] * 2
    )
    assert 'style="' not in page  # the Content-Security-Policy allows no inline style


def test_cleanup_is_previewed_and_the_web_deletes_nothing_whose_key_needs_keeping(
    indexed: TestClient, site_path: Path
) -> None:
    client = indexed
    wave_id, csrf = _migrated_wave(client, site_path)
    assert 'href="/waves/' + wave_id + '/cleanup"' in client.get(f"/waves/{wave_id}").text
    assert client.get(f"/waves/{wave_id}/cleanup").status_code == 200
    before = site_snapshot(site_path)
    preview = client.post(f"/waves/{wave_id}/cleanup", data={"csrf": csrf, "confirm": "no", "days": "30"})
    assert "Done" in finished(client, str(preview.url))
    assert site_snapshot(site_path) == before
    rows = _json_rows(client, client.get(f"/waves/{wave_id}").text)
    by_name = {r["destination"]: r for r in rows}
    assert {n: r["status"] for n, r in by_name.items()} == {
        "CON-NB0033": "planned",
        "CON-NB0034": "restored",
        "CON-NB0035": "kept",
        "CON-NB0036": "not started",
        "CON-NB0037": "not started",
    }
    assert by_name["CON-NB0033"]["messages"][-1]["code"] == M.CLEANUP_WOULD_DELETE.code
    assert by_name["CON-NB0035"]["messages"][-1]["code"] == M.CLEANUP_NOT_RESTORED.code
    # The restored pair was captured, so its key needs keeping, and the web has no escrow password.
    real = client.post(f"/waves/{wave_id}/cleanup", data={"csrf": csrf, "confirm": "yes", "days": "30"})
    page = finished(client, str(real.url))
    assert M.WEB_CLEANUP_NEEDS_ESCROW.code in page and "run cleanup from the command line" in page
    assert site_snapshot(site_path) == before
    rows = _json_rows(client, client.get(f"/waves/{wave_id}").text)
    kept = {r["destination"]: r for r in rows}["CON-NB0033"]
    assert (kept["status"], kept["messages"][-1]["code"]) == ("kept", M.CLEANUP_NO_ESCROW.code)
    wave_page = client.get(f"/waves/{wave_id}").text
    assert f"{M.WEB_CLEANUP_NEEDS_ESCROW.code} a recovery key needed keeping" in wave_page
    assert client.post(f"/waves/{wave_id}/cleanup", data={"csrf": csrf, "days": "0"}).status_code == 400
    for name in ("vera", "pia"):
        other = login(client, name)
        assert client.get(f"/waves/{wave_id}/cleanup").status_code == 403
        refused = client.post(f"/waves/{wave_id}/cleanup", data={"csrf": other, "confirm": "yes"})
        assert refused.status_code == 403
        assert f"/waves/{wave_id}/cleanup" not in client.get(f"/waves/{wave_id}").text
    assert site_snapshot(site_path) == before


def _json_rows(client: TestClient, wave_page: str) -> list[dict[str, Any]]:
    """The rows of the newest JSON report a wave page links to."""
    link = re.search(r'href="(/waves/[0-9a-f]{32}/reports/[0-9a-f]{32}\.json)"', wave_page)
    assert link
    rows: list[dict[str, Any]] = json.loads(client.get(link.group(1)).content)["rows"]
    return rows
