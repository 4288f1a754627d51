"""The ASGI app: routes (api.py, pages.py), limits, security headers, and errors as JSON or pages."""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from jobs.config import Settings
from jobs.web.actions import WebCrawls
from jobs.web.auth import Auth
from jobs.web.errors import WebError
from jobs.web.guards import RateLimiter
from storage.db import Database

__all__ = ["create_app", "WebState", "PAGE_CSP"]

log = logging.getLogger("govreports.web")
HERE = Path(__file__).resolve().parent
API_PREFIX = "/api/v1"

# Pages load nothing from elsewhere and run only the app's own script; raw captures are framed
# from the app's origin only (and carry their own sandbox CSP: pages.py).
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'self'")


class WebState:
    """What every route needs: settings, database, tokenizer (loaded once), auth, limits, crawls."""

    def __init__(self, settings: Settings, db: Database, *, tokenizer: Any = None,
                 crawls: WebCrawls | None = None) -> None:
        self.settings = settings
        self.web = settings.web
        self.db = db
        self.auth = Auth(settings.web)
        self.crawls = crawls or WebCrawls(settings, db)
        self.reads = RateLimiter(settings.web.requests_per_minute)
        self.writes = RateLimiter(settings.web.writes_per_minute)
        self._tokenizer = tokenizer
        self._tokenizer_lock = threading.Lock()
        self._governments_ready = False
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        from jobs.web import render
        render.install(self.templates.env)

    def ensure_governments(self) -> None:
        """The governments table filled and sources linked, once per process (coverage needs it)."""
        if self._governments_ready:
            return
        from jobs.governments import ensure_divisions, link_sources
        ensure_divisions(self.db)
        with self.db.session() as s:
            link_sources(s)
        self._governments_ready = True

    @property
    def tokenizer(self) -> Any:
        with self._tokenizer_lock:
            if self._tokenizer is None:
                from pipeline.tokens import make_tokenizer
                self._tokenizer = make_tokenizer(self.settings.search.tokenizer)
            return self._tokenizer


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _error_response(request: Request, status: int, message: str,
                    headers: dict[str, str] | None = None) -> Any:
    if _is_api(request):
        return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)
    state: WebState = request.app.state.web
    context = {"status": status, "message": message, "path": request.url.path,
               "session": {"auth": False, "csrf": ""}, "writes_enabled": False}
    return state.templates.TemplateResponse(request, "error.html", context,
                                            status_code=status, headers=headers)


def create_app(settings: Settings, db: Database | None = None, *, tokenizer: Any = None,
               crawls: WebCrawls | None = None) -> FastAPI:
    """The web app on *db* (opened from *settings* when not given, and closed with the app)."""
    from jobs import tasks
    from jobs.web import api, pages
    from storage.db import tune_for_reading
    own_db = db is None
    db = db or tasks.open_db(settings)
    tune_for_reading(db)
    state = WebState(settings, db, tokenizer=tokenizer, crawls=crawls)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        try:
            yield
        finally:
            state.crawls.close()
            if own_db:
                db.dispose()

    app = FastAPI(title="govreports", version="1", lifespan=lifespan,
                  description="Chinese local governments' annual rule-of-law reports "
                              "(法治政府建设年度报告): search, reports, coverage, sources, crawl runs. "
                              "Reads are open; writes need `Authorization: Bearer <[web] token>`.",
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None, redoc_url=None)
    app.state.web = state
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def limits_and_headers(request: Request, call_next):
        client = request.client.host if request.client else "?"
        wait = state.reads.hit(client)
        if wait is None and request.method not in ("GET", "HEAD", "OPTIONS"):
            wait = state.writes.hit(client)
        if wait is not None:
            return _error_response(request, 429, f"too many requests from {client}: try again in "
                                                 f"{int(wait)} s", {"Retry-After": str(int(wait))})
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > state.web.max_request_bytes):
            return _error_response(request, 413, f"request body larger than "
                                                 f"{state.web.max_request_bytes} bytes")
        started = time.perf_counter()
        response = await call_next(request)
        h = response.headers
        # How long the app took (bench/web_speed.py reads it; browsers show it in their tools).
        h["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        h.setdefault("Content-Security-Policy", PAGE_CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "no-referrer")
        h.setdefault("X-Frame-Options", "SAMEORIGIN")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response

    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError):
        return _error_response(request, exc.status, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = {404: f"not found: {request.url.path}",
                   405: f"method {request.method} not allowed on {request.url.path}"}.get(
            exc.status_code, str(exc.detail))
        return _error_response(request, exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors()[:3]:
            where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
            parts.append(f"{where or 'request'}: {err.get('msg')}")
        return _error_response(request, 400, "; ".join(parts) or "invalid request")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        from sqlalchemy.exc import OperationalError
        if isinstance(exc, OperationalError):
            log.error("web: %s %s: database unavailable: %s", request.method, request.url.path,
                      str(exc).splitlines()[0])
            return _error_response(request, 503, "the database is not available: try again later")
        log.exception("web: %s %s failed", request.method, request.url.path)
        return _error_response(request, 500, "internal error (logged on the server)")

    return app
