"""The HTML pages: search, report, version diff, raw capture, coverage, sources, runs, login.

Every page has a stable URL holding all its state; they work without JavaScript. Writes are
POSTed forms carrying the login session's CSRF token."""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from jobs.web.api import coverage_csv, coverage_data, diff_json, export_stream, report_json, run_search
from jobs.web.auth import SESSION_COOKIE, SESSION_SECONDS
from jobs.web.errors import WebError
from jobs.web.params import KINDS, parse_search
from jobs.web.render import text_blocks

__all__ = ["router", "RAW_CSP"]

router = APIRouter(include_in_schema=False)

# A raw capture is the crawled page itself: hostile. Served with a CSP sandbox (a unique origin,
# no scripts, no forms, no plugins, nothing fetched) and framed only in a sandboxed iframe.
RAW_CSP = "sandbox; default-src 'none'; img-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
# What a raw capture may be shown as inline; anything else is a download.
_INLINE_TYPES = ("text/html", "text/plain", "application/xhtml+xml")


def _state(request: Request) -> Any:
    return request.app.state.web


def _render(request: Request, template: str, context: dict[str, Any], *, status: int = 200) -> Response:
    state = _state(request)
    session = state.auth.session(request)
    context = {"session": session, "writes_enabled": state.auth.writes_enabled,
               "path": request.url.path, **context}
    response = state.templates.TemplateResponse(request, template, context, status_code=status)
    if session.get("new") and state.auth.writes_enabled:
        _set_session(request, response, session)
    return response


def _set_session(request: Request, response: Response, session: dict[str, Any]) -> None:
    state = _state(request)
    response.set_cookie(SESSION_COOKIE, state.auth.cookie_value(session), max_age=SESSION_SECONDS,
                        httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path="/")


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/search", status_code=302)


@router.get("/search")
def search_page(request: Request) -> Response:
    state = _state(request)
    p = parse_search(request.query_params, state.web)
    out = run_search(state, p)
    f = out["facets"]
    pages = (f["total"] + p.size - 1) // p.size if f["total"] else 0
    return _render(request, "search.html", {
        "p": p, "hits": out["hits"], "facets": f, "pages": pages, "kinds": KINDS,
        "years": list(range(dt.date.today().year, 2007, -1)),
        "csv_url": "/search/download?" + urlencode([*p.query_items(), ("format", "csv")]),
        "jsonl_url": "/search/download?" + urlencode([*p.query_items(), ("format", "jsonl")]),
        "has_next": p.offset + len(out["hits"]) < f["total"] and p.page < (state.web.max_offset // p.size + 1),
    })


@router.get("/search/download")
def search_download(request: Request, format: str = Query("csv")) -> Response:
    state = _state(request)
    p = parse_search(request.query_params, state.web)
    return export_stream(state, p, format)


@router.get("/reports/{report_id}")
def report_page(request: Request, report_id: int) -> Response:
    state = _state(request)
    detail = report_json(state, report_id)
    blocks = text_blocks(detail.get("text") or "", detail.get("sections") or [])
    toc = [b for b in blocks if b["kind"] == "heading"]
    attachments = (detail.get("fields") or {}).get("attachments") or []
    return _render(request, "report.html", {"r": detail, "blocks": blocks, "toc": toc,
                                            "attachments": attachments})


@router.get("/reports/{report_id}/versions/{version_id}")
def diff_page(request: Request, report_id: int, version_id: int,
              view: str = Query("side", description="side or inline")) -> Response:
    state = _state(request)
    detail = report_json(state, report_id)
    diff = diff_json(state, report_id, version_id)
    return _render(request, "diff.html", {"r": detail, "d": diff, "view": "inline" if view == "inline" else "side"})


@router.get("/captures/{capture_id}")
def capture_page(request: Request, capture_id: int) -> Response:
    from storage.raw import capture_body
    with _state(request).db.read_session() as s:
        found = capture_body(s, capture_id)
    if found is None:
        raise WebError(404, f"no capture with id {capture_id}")
    info, body = found
    ctype = (info.get("content_type") or "").split(";")[0].strip().lower()
    return _render(request, "capture.html", {"c": info, "size": len(body) if body is not None else None,
                                             "inline": body is not None and ctype in _INLINE_TYPES})


@router.get("/captures/{capture_id}/raw")
def capture_raw(request: Request, capture_id: int, download: int = Query(0)) -> Response:
    """The captured bytes, as the site sent them: inline only for HTML and text, in a CSP
    sandbox; else (and with download=1) as an attachment."""
    from storage.raw import capture_body
    with _state(request).db.read_session() as s:
        found = capture_body(s, capture_id)
    if found is None or found[1] is None:
        raise WebError(404, f"no raw body kept for capture {capture_id}")
    info, body = found
    full_type = info.get("content_type") or "application/octet-stream"
    ctype = full_type.split(";")[0].strip().lower()
    inline = not download and ctype in _INLINE_TYPES
    name = f"capture-{capture_id}" + {"text/html": ".html", "text/plain": ".txt",
                                      "application/pdf": ".pdf"}.get(ctype, ".bin")
    headers = {"Content-Security-Policy": RAW_CSP, "X-Content-Type-Options": "nosniff",
               "Cache-Control": "private, max-age=3600",
               "Content-Disposition": ("inline" if inline else "attachment") + f'; filename="{name}"'}
    media = full_type if inline else "application/octet-stream"
    if any(c in media for c in "\r\n"):
        media = "application/octet-stream"
    return Response(body, media_type=media, headers=headers)


@router.get("/coverage")
def coverage_page(request: Request, year: str | None = Query(None), region: str | None = Query(None),
                  level: str | None = Query(None)) -> Response:
    from jobs.web.render import STATUS_LABELS
    from storage.facets import province_name
    state = _state(request)
    data = coverage_data(state, year, region, level)
    provinces = [dict(r, name=province_name(r["region_code"])) for r in data["regions"]
                 if r["level"] == "province"]
    cities = [r for r in data["regions"] if r["level"] == "city"]
    query = {k: v for k, v in {"year": str(data["year"]), "region": region or "", "level": level or ""}.items() if v}
    show_rows = bool(data.get("region")) or len(data["rows"]) <= 400
    return _render(request, "coverage.html", {
        "data": data, "provinces": provinces, "cities": cities, "states": list(STATUS_LABELS),
        "region_text": region or "", "level": level or "", "show_rows": show_rows,
        "csv_url": "/coverage.csv?" + urlencode(query),
        "years": list(range(dt.date.today().year, 2007, -1))})


@router.get("/coverage.csv")
def coverage_download(request: Request, year: str | None = Query(None), region: str | None = Query(None),
                      level: str | None = Query(None)) -> Response:
    data = coverage_data(_state(request), year, region, level)
    return Response(coverage_csv(data), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="coverage-{data["year"]}.csv"'})


@router.get("/sources")
def sources_page(request: Request, name: str | None = Query(None, max_length=200)) -> Response:
    from storage.activity import crawl_progress, sources_overview
    with _state(request).db.read_session() as s:
        data = sources_overview(s, name=name)
        running = crawl_progress(s)
    return _render(request, "sources.html", {"data": data, "running": running, "name": name or ""})


@router.get("/sources/{name}")
def source_page(request: Request, name: str) -> Response:
    from storage.activity import source_overview
    with _state(request).db.read_session() as s:
        src = source_overview(s, name)
    if src is None:
        raise WebError(404, f"no source named {name!r}")
    return _render(request, "source.html", {"s": src})


@router.get("/runs")
def runs_page(request: Request, status: str | None = Query(None, max_length=20),
              page: int = Query(1, ge=1, le=1000)) -> Response:
    from storage.activity import crawl_progress, runs_overview
    size = 50
    with _state(request).db.read_session() as s:
        data = runs_overview(s, limit=size, offset=(page - 1) * size, status=status or None)
        running = crawl_progress(s)
    return _render(request, "runs.html", {"data": data, "running": running, "status": status or "",
                                          "page": page, "has_next": page * size < data["total"]})


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: int) -> Response:
    from storage.activity import run_overview
    with _state(request).db.read_session() as s:
        run = run_overview(s, run_id)
    if run is None:
        raise WebError(404, f"no crawl run with id {run_id}")
    return _render(request, "run.html", {"run": run})


# ------------------------------------------------------------------------------ login, writes

@router.get("/login")
def login_page(request: Request, next: str = Query("/sources", max_length=500)) -> Response:
    return _render(request, "login.html", {"next": _local(next), "error": None})


def _local(target: str) -> str:
    """Only paths on this site are followed after a login or an action (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.post("/login")
def login(request: Request, token: str = Form(..., max_length=500), csrf: str = Form("", max_length=100),
          next: str = Form("/sources", max_length=500)) -> Response:
    state = _state(request)
    if not state.auth.writes_enabled:
        raise WebError(403, "writes are off: no [web] token is configured")
    session = state.auth.session(request)
    state.auth.check_csrf(session, csrf)
    if not state.auth.token_matches(token):
        return _render(request, "login.html", {"next": _local(next), "error": "令牌不正确 (wrong token)"},
                       status=401)
    import secrets
    fresh = {"csrf": secrets.token_urlsafe(24), "auth": True}  # a new session id on login
    response = RedirectResponse(_local(next), status_code=303)
    _set_session(request, response, fresh)
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("", max_length=100)) -> Response:
    state = _state(request)
    state.auth.check_csrf(state.auth.session(request), csrf)
    response = RedirectResponse("/search", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _logged_in(request: Request, csrf: str) -> Any:
    state = _state(request)
    state.auth.require_login(state.auth.session(request), csrf)
    return state


@router.post("/actions/crawl")
def action_crawl(request: Request, csrf: str = Form("", max_length=100),
                 source: str = Form("", max_length=200), url: str = Form("", max_length=2000)) -> Response:
    state = _logged_in(request, csrf)
    if bool(source) == bool(url.strip()):
        raise WebError(400, "give either a source or a URL")
    started = state.crawls.start(source_name=source or None, urls=[url.strip()] if url.strip() else [])
    target = f"/runs/{started.run_id}" if started.run_id else "/runs"
    return RedirectResponse(target, status_code=303)


@router.post("/actions/split")
def action_split(request: Request, csrf: str = Form("", max_length=100),
                 publication_id: int = Form(...), note: str = Form("", max_length=500)) -> Response:
    from jobs.web.actions import split
    state = _logged_in(request, csrf)
    out = split(state.db, state.tokenizer, publication_id, note or None)
    return RedirectResponse(f"/reports/{out['new_report_id']}", status_code=303)


@router.post("/actions/sources/add")
def action_add_source(request: Request, csrf: str = Form("", max_length=100),
                      name: str = Form(..., max_length=200), urls: str = Form(..., max_length=5000),
                      issuer: str = Form("", max_length=200), division_code: str = Form("", max_length=12)) -> Response:
    from jobs.web.actions import add_source
    state = _logged_in(request, csrf)
    out = add_source(state.settings, state.db, state.crawls, name=name, urls=urls.split(),
                     issuer=issuer.strip() or None, division_code=division_code.strip() or None)
    return RedirectResponse(f"/sources/{quote(out['name'], safe='')}", status_code=303)


@router.post("/actions/sources/remove")
def action_remove_source(request: Request, csrf: str = Form("", max_length=100),
                         name: str = Form(..., max_length=200)) -> Response:
    from jobs.web.actions import remove_source
    state = _logged_in(request, csrf)
    remove_source(state.db, name)
    return RedirectResponse("/sources", status_code=303)
