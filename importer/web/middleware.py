"""What stands between a request and a page: security headers on every response, a body
limit enforced as the body arrives, who is asking (a session cookie, or a reverse proxy's
trusted user header), whether their role allows it, and the same-origin and CSRF checks
every state-changing request must pass.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from importer.web.store import Role, Store

COOKIE = "cmassoc_session"


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    csrf: str
    token: str | None = None  # a new session to set as a cookie


class SecurityHeaders:
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


class BodyLimit:
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


class Sessions:
    """Who is asking, and whether they may: the signed-in user and their role, checked per page."""

    def __init__(
        self, store: Store, trusted_user_header: str | None, trusted_roles: Mapping[str, Role]
    ) -> None:
        self.store = store
        self.trusted_user_header = trusted_user_header
        self.trusted_roles = trusted_roles

    def set_cookie(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            max_age=12 * 3600,
        )

    def user(self, request: Request) -> User | None:
        header = self.trusted_user_header
        if header is not None:
            name = request.headers.get(header, "").strip()
            role = self.trusted_roles.get(name.casefold())
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
            if self.trusted_user_header is not None:
                raise HTTPException(403, "your account has no role on this server: ask its administrator")
            raise HTTPException(401, "sign in first")
        if not user.role.may(role):
            raise HTTPException(403, f"this needs the {role.value} role; you are a {user.role.value}")
        return user

    async def posted(self, request: Request, role: Role) -> tuple[User, Any]:
        """A state-changing request: same origin, a valid CSRF token, the role."""
        same_origin(request)
        user = self.need(request, role)
        form = await request.form(max_files=2, max_fields=20)
        given = form.get("csrf")
        if not isinstance(given, str) or not hmac.compare_digest(given, user.csrf):
            raise HTTPException(403, "the form expired or came from elsewhere: reload the page and try again")
        return user, form


def same_origin(request: Request) -> None:
    """A browser says where a POST comes from: from another site, it is refused."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(403, "a request from another site was refused")
