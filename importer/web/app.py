"""`cmassoc serve`'s web application, assembled: what it is configured with, its routes, its
middleware and its error pages, put together as one Starlette app.

Server-rendered pages (Starlette + Jinja2), one small script shipped in the package (live
progress), no inline scripts, no third-party assets. The pages call the same library as
the command line (read, validate, the pipeline, the reporters): no import logic lives here.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from importer.web.config import WebConfig
from importer.web.middleware import BodyLimit, SecurityHeaders
from importer.web.routes import Pages


def build_app(config: WebConfig) -> Starlette:
    pages = Pages(config)
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
        Route("/waves/{wave}/cleanup", pages.cleanup, methods=["GET", "POST"]),
        Route("/waves/{wave}/sheet", pages.sheet),
        Route("/waves/{wave}/reports/{action}.{kind}", pages.report),
        Route("/jobs/{action}", pages.job),
        Route("/jobs/{action}/state", pages.job_state),
        Mount("/static", StaticFiles(packages=[("importer.web", "static")]), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        # A little over the upload limit: the form's other fields and its multipart framing.
        Middleware(BodyLimit, limit=config.upload_limit + 64 * 1024),
    ]
    return Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: pages.error})
