"""The pages of `cmassoc serve`, one handler each: sign-in and out, the waves, an upload
checked as `cmassoc validate` checks a sheet, dry runs, runs, status and undo handed to the
worker, the jobs' progress, and the sheets and reports to download; each checks the role it
needs first, and renders its Jinja2 template or redirects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from importer import Behavior, ImporterError
from importer.job import Job, Wiring, execute
from importer.model.fields import FIELD_TITLES
from importer.model.statuses import Status
from importer.read.columns import UnreadColumnsError
from importer.report.readback import report_notes, report_progress, report_rows
from importer.results import DEFAULT_INACTIVE_DAYS
from importer.web.auth import check_password
from importer.web.chart import progress_chart
from importer.web.config import WebConfig
from importer.web.forms import cleanup_days, column_options, local_target, save_upload, upload_form
from importer.web.middleware import COOKIE, Sessions, User, same_origin
from importer.web.store import Role, Wave, new_id, now
from importer.web.worker import reports_of, run_options, store_reporters, upload_paths, wave_columns

PAGE_ROWS = 100
LOGIN_FAILURES = 5  # per account and address, in LOGIN_WINDOW minutes
LOGIN_WINDOW = 15
_ID = set("0123456789abcdef")


class Pages:
    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.store = config.store
        self.sessions = Sessions(config.store, config.trusted_user_header, config.trusted_roles)
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
            self.sessions.set_cookie(request, response, user.token)
        return response

    def wave_of(self, request: Request) -> Wave:
        return self.wave_of_id(request.path_params["wave"])

    async def error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        user = None
        try:
            user = self.sessions.user(request)
        except Exception:
            user = None
        return self.render(request, "error.html", user, status=exc.status_code, message=exc.detail)

    # -- pages -------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        if self.config.trusted_user_header is not None:
            return RedirectResponse("/", status_code=303)
        if request.method in ("GET", "HEAD"):
            return self.render(
                request, "login.html", None, next=local_target(request.query_params.get("next"))
            )
        same_origin(request)
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
        response = RedirectResponse(local_target(str(form.get("next", "/"))), status_code=303)
        self.sessions.set_cookie(request, response, token)
        return response

    async def logout(self, request: Request) -> Response:
        await self.sessions.posted(request, Role.VIEWER)
        self.store.end_session(request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    async def waves(self, request: Request) -> Response:
        user = self.sessions.need(request, Role.VIEWER)
        return self.render(request, "waves.html", user, waves=self.store.waves())

    async def upload(self, request: Request) -> Response:
        """A new wave, or (with `pending`) one whose check stopped on a column, checked again
        with the columns the page's two ways on (or its text areas) now say."""
        if request.method in ("GET", "HEAD"):
            user = self.sessions.need(request, Role.PLANNER)
            return self.render(
                request, "upload.html", user, behaviors=list(Behavior), inactive_days=DEFAULT_INACTIVE_DAYS
            )
        user, form = await self.sessions.posted(request, Role.PLANNER)
        if form.get("pending"):
            wave = self._stopped(str(form.get("pending")))
            options = {**json.loads(wave.options or "{}"), **column_options(form)}
            self.store.set_wave(wave.id, options=json.dumps(options))
            wave = self.wave_of_id(wave.id)
        else:
            wave = await self._new_wave(form, user)
        action = self.store.add_action(wave.id, "validate", user.name, state="running")
        # Reading a large sheet takes seconds: off the event loop, so other pages still answer.
        stopped = await run_in_threadpool(self._validate, wave, action.id, user.name)
        if stopped is None:
            return RedirectResponse(f"/waves/{wave.id}", status_code=303)
        mapping, ignore = wave_columns(wave)
        return self.render(
            request,
            "upload.html",
            user,
            status=400,
            behaviors=list(Behavior),
            stopped=stopped,
            code=stopped.code,
            message=stopped.message.replace(wave.stored, wave.name),  # the name the team knows
            pending=wave,
            map_lines="\n".join(f"{FIELD_TITLES[f]}={h}" for f, h in mapping.items()),
            ignore_lines="\n".join(ignore),
        )

    def _stopped(self, wave_id: str) -> Wave:
        """A wave whose last check stopped (the only kind the upload page checks again)."""
        wave = self.wave_of_id(wave_id)
        actions = self.store.actions(wave.id)
        if not actions or (actions[0].kind, actions[0].state) != ("validate", "failed"):
            raise HTTPException(409, "this wave was read: change its columns by uploading it again")
        return wave

    def wave_of_id(self, wave_id: str) -> Wave:
        wave = self.store.wave(wave_id) if set(wave_id) <= _ID and len(wave_id) == 32 else None
        if wave is None:
            raise HTTPException(404, "no such wave")
        return wave

    async def _new_wave(self, form: Any, user: User) -> Wave:
        upload = upload_form(form)
        stored = await save_upload(self.store, upload.sheet, self.config.upload_limit)
        users_name = users_stored = None
        if upload.users is not None:
            users_name = Path(upload.users.filename or "").name[:200]
            users_stored = await save_upload(self.store, upload.users, self.config.upload_limit)
        wave = Wave(
            new_id(),
            Path(upload.sheet.filename or "").name[:200],
            stored,
            users_name,
            users_stored,
            upload.behavior,
            json.dumps(upload.options),
            user.name,
            now(),
            0,
            "",
        )
        self.store.add_wave(wave)
        return wave

    def _validate(self, wave: Wave, action_id: str, user: str) -> UnreadColumnsError | None:
        """Read and check the upload as `cmassoc validate` does (the same guards, the same reports);
        a column that stopped it is handed back, for the upload page to offer the two ways on."""
        sheet, users = upload_paths(self.store, wave)
        mapping, ignore = wave_columns(wave)
        job = Job("validate", run_options(wave), sheet, users, self.config.limits, mapping, ignore)
        (xlsx, json_name), reporters = store_reporters(self.store)
        try:
            result = execute(job, Wiring(reporters=reporters, operator=f"{user} (cmassoc serve)")).result
        except ImporterError as exc:
            self.store.update_action(action_id, state="failed", summary=exc.coded())
            self.store.set_wave(wave.id, last=f"not readable: {exc.coded()}")
            return exc if isinstance(exc, UnreadColumnsError) else None
        assert result is not None
        summary = result.in_a_line()
        self.store.update_action(action_id, state="done", summary=summary, xlsx=xlsx, json=json_name)
        self.store.set_wave(wave.id, rows=len(result.rows), last=f"validate: {summary}")
        return None

    async def wave(self, request: Request) -> Response:
        user = self.sessions.need(request, Role.VIEWER)
        wave = self.wave_of(request)
        shown = request.query_params.get("status", "")
        try:
            page = max(int(request.query_params.get("page", "1")), 1)
        except ValueError:
            page = 1
        rows, counts, too_large = report_rows(reports_of(self.store, wave.id), shown)
        notes = report_notes(reports_of(self.store, wave.id))
        for stored, name in ((wave.stored, wave.name), (wave.users_stored, wave.users_name)):
            if stored and name:  # the notices name the file as its uploader did, not as stored
                notes = [n.replace(stored, name) for n in notes]
        pages = max(-(-len(rows) // PAGE_ROWS), 1)
        page = min(page, pages)
        actions = self.store.actions(wave.id)
        last_run = next((a for a in actions if a.kind == "run" and a.run_id), None)
        read = next((a for a in actions if a.kind == "status" and a.json), None)
        progress, history = report_progress(
            self.store.path("reports", read.json) if read and read.json else None
        )
        return self.render(
            request,
            "wave.html",
            user,
            wave=wave,
            rows=[_as_uploaded(r, wave) for r in rows[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]],
            counts=counts,
            shown=shown,
            page=page,
            pages=pages,
            total=len(rows),
            actions=actions,
            last_run=last_run,
            latest=next((a for a in actions if a.json), None),
            too_large=too_large,
            notes=notes,
            statuses=[s.value for s in Status],
            progress=progress,
            chart=progress_chart(history),
            Role=Role,
        )

    async def dry_run(self, request: Request) -> Response:
        user, _ = await self.sessions.posted(request, Role.PLANNER)
        wave = self.wave_of(request)
        action = self.config.worker.submit(wave, "dry run", user.name)
        return RedirectResponse(f"/jobs/{action}", status_code=303)

    async def status(self, request: Request) -> Response:
        user, _ = await self.sessions.posted(request, Role.PLANNER)
        wave = self.wave_of(request)
        action = self.config.worker.submit(wave, "status", user.name)
        return RedirectResponse(f"/jobs/{action}", status_code=303)

    async def run(self, request: Request) -> Response:
        wave = self.wave_of(request)
        if request.method in ("GET", "HEAD"):
            user = self.sessions.need(request, Role.OPERATOR)
            dry = next(
                (a for a in self.store.actions(wave.id) if a.kind == "dry run" and a.state == "done"), None
            )
            return self.render(request, "run.html", user, wave=wave, dry=dry)
        user, form = await self.sessions.posted(request, Role.OPERATOR)
        if form.get("confirm") != "yes":
            raise HTTPException(400, "confirm the run first")
        action = self.config.worker.submit(wave, "run", user.name)
        return RedirectResponse(f"/jobs/{action}", status_code=303)

    async def undo(self, request: Request) -> Response:
        wave = self.wave_of(request)
        runs = [a for a in self.store.actions(wave.id) if a.kind == "run" and a.run_id]
        if request.method in ("GET", "HEAD"):
            user = self.sessions.need(request, Role.OPERATOR)
            return self.render(request, "undo.html", user, wave=wave, runs=runs)
        user, form = await self.sessions.posted(request, Role.OPERATOR)
        run_id = str(form.get("run", ""))
        if run_id not in {a.run_id for a in runs}:
            raise HTTPException(404, "no such run of this wave")
        kind = "undo" if form.get("confirm") == "yes" else "undo preview"
        action = self.config.worker.submit(wave, kind, user.name, run_id=run_id)
        return RedirectResponse(f"/jobs/{action}", status_code=303)

    async def cleanup(self, request: Request) -> Response:
        """Cleanup as undo is offered: a preview (a dry run) first, then the real one once confirmed."""
        wave = self.wave_of(request)
        if request.method in ("GET", "HEAD"):
            user = self.sessions.need(request, Role.OPERATOR)
            previews = [a for a in self.store.actions(wave.id) if a.kind == "cleanup preview"]
            return self.render(request, "cleanup.html", user, wave=wave, preview=next(iter(previews), None))
        user, form = await self.sessions.posted(request, Role.OPERATOR)
        days = cleanup_days(form)
        kind = "cleanup" if form.get("confirm") == "yes" else "cleanup preview"
        action = self.config.worker.submit(wave, kind, user.name, restored_before=days)
        return RedirectResponse(f"/jobs/{action}", status_code=303)

    async def job(self, request: Request) -> Response:
        user = self.sessions.need(request, Role.VIEWER)
        action = self._action(request)
        wave = self.store.wave(action.wave)
        return self.render(
            request, "job.html", user, action=action, wave=wave, state=self.config.worker.state(action.id)
        )

    async def job_state(self, request: Request) -> Response:
        self.sessions.need(request, Role.VIEWER)
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
        self.sessions.need(request, Role.VIEWER)
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
        self.sessions.need(request, Role.VIEWER)
        wave = self.wave_of(request)
        return _attachment(self.store.path("uploads", wave.stored), wave.name)


def _attachment(path: Path, name: str) -> Response:
    if not path.is_file():
        raise HTTPException(404, "that file is no longer kept")
    return FileResponse(
        path, filename=name, content_disposition_type="attachment", media_type="application/octet-stream"
    )


def _as_uploaded(row: dict[str, Any], wave: Wave) -> dict[str, Any]:
    """A row of a CSV wave is on the sheet named after its file: the name its uploader gave,
    not the random one it is stored under."""
    if row.get("sheet") in (wave.stored, wave.users_stored):
        name = wave.name if row.get("sheet") == wave.stored else wave.users_name
        return {**row, "sheet": name}
    return row
