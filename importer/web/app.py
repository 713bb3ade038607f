"""`cmassoc serve`: waves uploaded, checked, dry-run, run and undone from a browser.

Server-rendered pages (Starlette + Jinja2), one small script shipped in the package (live
progress), no inline scripts, no third-party assets. The pages call the same library as
the command line (read, validate, the pipeline, the reporters): no import logic lives here.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from importer.check.values import COLLECTION_ID, parse_behavior
from importer.errors import ImporterError
from importer.limits import InputLimits
from importer.model import Behavior
from importer.model.statuses import Status
from importer.pipeline import validate_wave
from importer.web.auth import check_password
from importer.web.store import Role, Store, Wave, new_id, now
from importer.web.worker import USERS_FROM, Worker, read_upload, reports_of, run_options, write_reports

COOKIE = "cmassoc_session"
PAGE_ROWS = 100
LOGIN_FAILURES = 5  # per account and address, in LOGIN_WINDOW minutes
LOGIN_WINDOW = 15
_ID = set("0123456789abcdef")
_SUFFIXES = {".xlsx", ".xlsm", ".csv", ".txt", ".tsv"}


@dataclass
class WebConfig:
    store: Store
    worker: Worker
    site_label: str  # "demo site demo-site.db" or "DEM on cm01.contoso.com"
    upload_limit: int = 50 * 1024 * 1024
    limits: InputLimits = field(default_factory=InputLimits)
    trusted_user_header: str | None = None  # set by a reverse proxy doing Windows logon
    trusted_roles: Mapping[str, Role] = field(default_factory=dict)


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    csrf: str
    token: str | None = None  # a new session to set as a cookie


def build_app(config: WebConfig) -> Starlette:
    pages = _Pages(config)
    routes = [
        Route("/", pages.waves),
        Route("/login", pages.login, methods=["GET", "POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/upload", pages.upload, methods=["GET", "POST"]),
        Route("/waves/{wave}", pages.wave),
        Route("/waves/{wave}/dry-run", pages.dry_run, methods=["POST"]),
        Route("/waves/{wave}/run", pages.run, methods=["GET", "POST"]),
        Route("/waves/{wave}/status", pages.status, methods=["POST"]),
        Route("/waves/{wave}/undo", pages.undo, methods=["GET", "POST"]),
        Route("/waves/{wave}/sheet", pages.sheet),
        Route("/waves/{wave}/reports/{action}.{kind}", pages.report),
        Route("/jobs/{action}", pages.job),
        Route("/jobs/{action}/state", pages.job_state),
        Mount("/static", StaticFiles(packages=[("importer.web", "static")]), name="static"),
    ]
    middleware = [
        Middleware(_Headers),
        Middleware(_BodyLimit, limit=config.upload_limit + 64 * 1024),
    ]
    return Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: pages.error})


class _Headers:
    """Security headers on every response: no inline script, no framing, no sniffing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (
                        b"content-security-policy",
                        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
                    ),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (
                        b"referrer-policy",
                        b"same-origin",
                    ),  # no-referrer would make browsers send "Origin: null"
                    (b"cache-control", b"no-store"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class _BodyLimit:
    """A request body larger than the upload limit is refused as it arrives (413), whatever
    its Content-Length says."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413, f"the upload is larger than {self.limit // (1024 * 1024)} MB")
            return message

        await self.app(scope, counted, send)


async def _too_large(send: Send, limit: int) -> None:
    body = f"The upload is larger than {limit // (1024 * 1024)} MB.".encode()
    await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


class _Pages:
    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.store = config.store
        self.env = Environment(
            loader=PackageLoader("importer.web", "templates"), autoescape=select_autoescape()
        )
        self.env.globals["Role"] = Role

    # -- plumbing ----------------------------------------------------------------

    def render(
        self, request: Request, name: str, user: User | None, status: int = 200, **data: Any
    ) -> HTMLResponse:
        html = self.env.get_template(name).render(
            user=user, site=self.config.site_label, csrf=user.csrf if user else "", **data
        )
        response = HTMLResponse(html, status_code=status)
        if user is not None and user.token is not None:
            self._cookie(request, response, user.token)
        return response

    def _cookie(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            max_age=12 * 3600,
        )

    def user(self, request: Request) -> User | None:
        header = self.config.trusted_user_header
        if header is not None:
            name = request.headers.get(header, "").strip()
            role = self.config.trusted_roles.get(name.casefold())
            if not name or role is None:
                return None
            token = request.cookies.get(COOKIE, "")
            found = self.store.session(token) if token else None
            if found is not None and found[0] == name:
                return User(name, role, found[2])
            token, csrf = self.store.new_session(name, role)
            return User(name, role, csrf, token)
        token = request.cookies.get(COOKIE, "")
        found = self.store.session(token) if token else None
        return User(found[0], found[1], found[2]) if found else None

    def need(self, request: Request, role: Role) -> User:
        user = self.user(request)
        if user is None:
            if self.config.trusted_user_header is not None:
                raise HTTPException(403, "your account has no role on this server: ask its administrator")
            raise HTTPException(401, "sign in first")
        if not user.role.may(role):
            raise HTTPException(403, f"this needs the {role.value} role; you are a {user.role.value}")
        return user

    async def posted(self, request: Request, role: Role) -> tuple[User, Any]:
        """A state-changing request: same origin, a valid CSRF token, the role."""
        _same_origin(request)
        user = self.need(request, role)
        form = await request.form(max_files=2, max_fields=20)
        given = form.get("csrf")
        if not isinstance(given, str) or not hmac.compare_digest(given, user.csrf):
            raise HTTPException(403, "the form expired or came from elsewhere: reload the page and try again")
        return user, form

    def wave_of(self, request: Request) -> Wave:
        wave_id = request.path_params["wave"]
        wave = self.store.wave(wave_id) if set(wave_id) <= _ID and len(wave_id) == 32 else None
        if wave is None:
            raise HTTPException(404, "no such wave")
        return wave

    async def error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        user = None
        try:
            user = self.user(request)
        except Exception:
            user = None
        return self.render(request, "error.html", user, status=exc.status_code, message=exc.detail)

    # -- pages -------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        if self.config.trusted_user_header is not None:
            return RedirectResponse("/", status_code=303)
        if request.method in ("GET", "HEAD"):
            return self.render(request, "login.html", None, next=_local(request.query_params.get("next")))
        _same_origin(request)
        form = await request.form(max_files=0, max_fields=5)
        name, password = str(form.get("name", ""))[:200], str(form.get("password", ""))[:1000]
        key = f"{name.casefold()}|{request.client.host if request.client else ''}"
        if self.store.failures(key, LOGIN_WINDOW) >= LOGIN_FAILURES:
            return self.render(
                request,
                "login.html",
                None,
                status=429,
                next="/",
                message=f"Too many failed sign-ins: wait {LOGIN_WINDOW} minutes.",
            )
        account = self.store.user(name)
        if account is None or not check_password(account[2], password):
            self.store.failed(key)
            return self.render(
                request, "login.html", None, status=401, next="/", message="Wrong name or password."
            )
        token, _ = self.store.new_session(account[0], account[1])
        response = RedirectResponse(_local(str(form.get("next", "/"))), status_code=303)
        self._cookie(request, response, token)
        return response

    async def logout(self, request: Request) -> Response:
        await self.posted(request, Role.VIEWER)
        self.store.end_session(request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    async def waves(self, request: Request) -> Response:
        user = self.need(request, Role.VIEWER)
        return self.render(request, "waves.html", user, waves=self.store.waves())

    async def upload(self, request: Request) -> Response:
        if request.method in ("GET", "HEAD"):
            user = self.need(request, Role.PLANNER)
            return self.render(request, "upload.html", user, behaviors=list(Behavior))
        user, form = await self.posted(request, Role.PLANNER)
        sheet = form.get("sheet")
        if not isinstance(sheet, UploadFile) or not sheet.filename:
            raise HTTPException(400, "choose the wave's sheet (.xlsx or .csv)")
        parsed = parse_behavior(str(form.get("behavior", "2")), None)
        if parsed.value is None:
            raise HTTPException(400, "choose a behaviour: 0, 1 or 2")
        options = wave_options(form)
        stored = await self._save(sheet)
        users_file = form.get("users")
        users_name = users_stored = None
        if isinstance(users_file, UploadFile) and users_file.filename:
            users_name, users_stored = Path(users_file.filename).name[:200], await self._save(users_file)
        wave = Wave(
            new_id(),
            Path(sheet.filename).name[:200],
            stored,
            users_name,
            users_stored,
            int(parsed.value),
            json.dumps(options),
            user.name,
            now(),
            0,
            "",
        )
        self.store.add_wave(wave)
        action = self.store.add_action(wave.id, "validate", user.name, state="running")
        # Reading a large sheet takes seconds: off the event loop, so other pages still answer.
        await run_in_threadpool(self._validate, wave, action.id, user.name)
        return RedirectResponse(f"/waves/{wave.id}", status_code=303)

    async def _save(self, upload: UploadFile) -> str:
        suffix = Path(upload.filename or "").suffix.lower()
        if suffix not in _SUFFIXES:
            raise HTTPException(400, f"'{upload.filename}': not a wave sheet (.xlsx or .csv)")
        stored = f"{secrets.token_hex(16)}{suffix}"
        path = self.store.path("uploads", stored)
        size = 0
        with path.open("wb") as out:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > self.config.upload_limit:
                    out.close()
                    path.unlink(missing_ok=True)
                    raise HTTPException(413, f"the upload is larger than {self.config.upload_limit >> 20} MB")
                out.write(chunk)
        return stored

    def _validate(self, wave: Wave, action_id: str, user: str) -> None:
        """Read and check the upload as `cmassoc validate` does (the same guards, the same reports)."""
        try:
            result = validate_wave(read_upload(self.store, wave, self.config.limits), run_options(wave))
        except ImporterError as exc:
            self.store.update_action(action_id, state="failed", summary=str(exc))
            self.store.set_wave(wave.id, last=f"not readable: {exc}")
            return
        result.operator = f"{user} (cmassoc serve)"
        xlsx, json_name = write_reports(self.store, result)
        summary = result.tally()
        self.store.update_action(action_id, state="done", summary=summary, xlsx=xlsx, json=json_name)
        self.store.set_wave(wave.id, rows=len(result.rows), last=f"validate: {summary}")

    async def wave(self, request: Request) -> Response:
        user = self.need(request, Role.VIEWER)
        wave = self.wave_of(request)
        shown = request.query_params.get("status", "")
        try:
            page = max(int(request.query_params.get("page", "1")), 1)
        except ValueError:
            page = 1
        rows, counts, too_large = _rows(reports_of(self.store, wave.id), shown)
        pages = max(-(-len(rows) // PAGE_ROWS), 1)
        page = min(page, pages)
        actions = self.store.actions(wave.id)
        last_run = next((a for a in actions if a.kind == "run" and a.run_id), None)
        return self.render(
            request,
            "wave.html",
            user,
            wave=wave,
            rows=rows[(page - 1) * PAGE_ROWS : page * PAGE_ROWS],
            counts=counts,
            shown=shown,
            page=page,
            pages=pages,
            total=len(rows),
            actions=actions,
            last_run=last_run,
            latest=next((a for a in actions if a.json), None),
            too_large=too_large,
            statuses=[s.value for s in Status],
            Role=Role,
        )

    async def dry_run(self, request: Request) -> Response:
        user, _ = await self.posted(request, Role.PLANNER)
        wave = self.wave_of(request)
        action = self.config.worker.submit(wave, "dry run", user.name)
        return RedirectResponse(f"/jobs/{action}", status_code=303)

    async def status(self, request: Request) -> Response:
        user, _ = await self.posted(request, Role.PLANNER)
        wave = self.wave_of(request)
        action = self.config.worker.submit(wave, "status", user.name)
        return RedirectResponse(f"/jobs/{action}", status_code=303)

    async def run(self, request: Request) -> Response:
        wave = self.wave_of(request)
        if request.method in ("GET", "HEAD"):
            user = self.need(request, Role.OPERATOR)
            dry = next(
                (a for a in self.store.actions(wave.id) if a.kind == "dry run" and a.state == "done"), None
            )
            return self.render(request, "run.html", user, wave=wave, dry=dry)
        user, form = await self.posted(request, Role.OPERATOR)
        if form.get("confirm") != "yes":
            raise HTTPException(400, "confirm the run first")
        action = self.config.worker.submit(wave, "run", user.name)
        return RedirectResponse(f"/jobs/{action}", status_code=303)

    async def undo(self, request: Request) -> Response:
        wave = self.wave_of(request)
        runs = [a for a in self.store.actions(wave.id) if a.kind == "run" and a.run_id]
        if request.method in ("GET", "HEAD"):
            user = self.need(request, Role.OPERATOR)
            return self.render(request, "undo.html", user, wave=wave, runs=runs)
        user, form = await self.posted(request, Role.OPERATOR)
        run_id = str(form.get("run", ""))
        if run_id not in {a.run_id for a in runs}:
            raise HTTPException(404, "no such run of this wave")
        kind = "undo" if form.get("confirm") == "yes" else "undo preview"
        action = self.config.worker.submit(wave, kind, user.name, run_id=run_id)
        return RedirectResponse(f"/jobs/{action}", status_code=303)

    async def job(self, request: Request) -> Response:
        user = self.need(request, Role.VIEWER)
        action = self._action(request)
        wave = self.store.wave(action.wave)
        return self.render(
            request, "job.html", user, action=action, wave=wave, state=self.config.worker.state(action.id)
        )

    async def job_state(self, request: Request) -> Response:
        self.need(request, Role.VIEWER)
        action = self._action(request)
        state = self.config.worker.state(action.id)
        return JSONResponse(
            {
                "state": action.state,
                "summary": action.summary,
                "stage": state.stage if state else "",
                "done": state.done if state else 0,
                "total": state.total if state else 0,
                "ahead": state.ahead if state else 0,
            }
        )

    def _action(self, request: Request) -> Any:
        action_id = request.path_params["action"]
        action = self.store.action(action_id) if set(action_id) <= _ID and len(action_id) == 32 else None
        if action is None:
            raise HTTPException(404, "no such job")
        return action

    async def report(self, request: Request) -> Response:
        self.need(request, Role.VIEWER)
        wave = self.wave_of(request)
        action = self._action(request)
        kind = request.path_params["kind"]
        stored = {"xlsx": action.xlsx, "json": action.json}.get(kind)
        if action.wave != wave.id or stored is None:
            raise HTTPException(404, "no such report")
        stem = Path(wave.name).stem
        name = f"{stem}-{action.kind.replace(' ', '-')}-{action.at[:19].replace(':', '')}.{kind}"
        return _attachment(self.store.path("reports", stored), name)

    async def sheet(self, request: Request) -> Response:
        self.need(request, Role.VIEWER)
        wave = self.wave_of(request)
        return _attachment(self.store.path("uploads", wave.stored), wave.name)


def wave_options(form: Any) -> dict[str, Any]:
    """The run options an upload chose, as stored with the wave (checked here, once)."""
    users_from = str(form.get("users_from", ""))
    if users_from not in USERS_FROM:
        raise HTTPException(400, "users from: the sheet, primary or last-logon")
    refs = [r.strip() for r in str(form.get("collections", ""))[:2000].split(";") if r.strip()]
    if any(len(r) > 256 or not r.isprintable() for r in refs) or len(refs) > 20:
        raise HTTPException(400, "collections: at most 20 names or IDs, separated by ;")
    return {
        "users_from": users_from,
        "collections": [r.upper() if COLLECTION_ID.match(r) else r for r in dict.fromkeys(refs)],
        "overwrite_existing_record": form.get("overwrite_existing_record") == "yes",
        "update": form.get("update") == "yes",
    }


def _same_origin(request: Request) -> None:
    """A browser says where a POST comes from: from another site, it is refused."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(403, "a request from another site was refused")


def _attachment(path: Path, name: str) -> Response:
    if not path.is_file():
        raise HTTPException(404, "that file is no longer kept")
    return FileResponse(
        path, filename=name, content_disposition_type="attachment", media_type="application/octet-stream"
    )


def _local(target: str | None) -> str:
    """Only a path on this server may follow a sign-in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


_ROWS_CACHE: dict[Path, tuple[float, list[dict[str, Any]]]] = {}


SHOWN_REPORT_LIMIT = 64 * 1024 * 1024  # a larger report (about 150,000 rows) is downloaded, not shown


def _rows(path: Path | None, shown: str) -> tuple[list[dict[str, Any]], dict[str, int], bool]:
    """The rows of a JSON report (parsed once per file), filtered by status; a report too
    large to hold in the server's memory for a page is not read at all."""
    if path is None or not path.is_file():
        return [], {}, False
    if path.stat().st_size > SHOWN_REPORT_LIMIT:
        return [], {}, True
    stamp = path.stat().st_mtime
    cached = _ROWS_CACHE.get(path)
    if cached is None or cached[0] != stamp:
        rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
        if len(_ROWS_CACHE) > 8:
            _ROWS_CACHE.clear()
        _ROWS_CACHE[path] = cached = (stamp, rows)
    rows = cached[1]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"] or ""] = counts.get(row["status"] or "", 0) + 1
    if shown:
        rows = [r for r in rows if r["status"] == shown]
    return rows, counts, False
