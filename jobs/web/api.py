"""The JSON API under /api/v1/: the same reads as the pages, and the writes (bearer token)."""
from __future__ import annotations

import contextlib
import csv
import io

from typing import Any, Iterator

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from jobs.web.errors import WebError
from jobs.web.params import SearchParams, parse_search

__all__ = ["router", "run_search", "coverage_data", "COVERAGE_CSV_COLUMNS"]

router = APIRouter(prefix="/api/v1", tags=["api"])

COVERAGE_CSV_COLUMNS = ["issuer", "region_code", "level", "kind", "status", "on_time", "found",
                        "published_at", "first_seen", "report_id", "title", "url", "source",
                        "site", "site_state", "government_id", "parent_code"]


def _state(request: Request) -> Any:
    return request.app.state.web


def search_params(request: Request,
                  q: str = Query("", description='Words, "phrases", OR, NOT / -word, (groups)'),
                  year: str | None = Query(None, description="Report year (the year reported on)"),
                  region: str | None = Query(None, description="Division code prefix (50, 5001, "
                                                                "500117) or a division's name"),
                  issuer: str | None = Query(None, description="Part of the issuer's name"),
                  kind: str | None = Query(None, description="annual_report, interpretation, ..."),
                  date_from: str | None = Query(None, alias="from", description="Published on or after (YYYY-MM-DD)"),
                  date_to: str | None = Query(None, alias="to", description="Published on or before (YYYY-MM-DD)"),
                  offset: str | None = Query(None, description="Skip this many results"),
                  limit: str | None = Query(None, description="Results per page")) -> SearchParams:
    values = {"q": q, "year": year, "region": region, "issuer": issuer, "kind": kind,
              "from": date_from, "to": date_to, "offset": offset, "limit": limit}
    return parse_search(values, _state(request).web, paging="offset")


def run_search(state: Any, p: SearchParams, *, facets: bool = True) -> dict[str, Any]:
    """Hits (snippets HTML-escaped, words in <mark>) and, with *facets*, the counts."""
    from storage.facets import search_facets
    from storage.search import QueryError, index_first, newest_matches, search
    try:
        with state.db.read_session() as s, contextlib.ExitStack() as stack:
            if p.q.strip():  # the planner kept off scans of the index once for the page's look-ups
                stack.enter_context(index_first(s))
            # The newest matches, looked up once: the counts are made of them and search() takes
            # its newest (unranked) or ranks them where they are its window.
            window = newest_matches(s, p.q, tokenizer=state.tokenizer, filters=p.filters,
                                    n=state.web.exact_count_limit) if facets else None
            counts = search_facets(s, p.q, tokenizer=state.tokenizer, filters=p.filters,
                                   exact_limit=state.web.exact_count_limit,
                                   window=window) if facets else None
            hits = search(s, p.q, tokenizer=state.tokenizer, filters=p.filters, limit=p.size,
                          offset=p.offset, snippet_chars=max(state.settings.search.snippet_chars, 100),
                          mark=("<mark>", "</mark>"), html_escape=True, window=window)
    except QueryError as exc:
        raise WebError(400, f"q: {exc}") from None
    return {"hits": hits, "facets": counts}


def _hit_json(h: Any) -> dict[str, Any]:
    return {"id": h.report_id, "title": h.title, "issuer": h.issuer, "report_year": h.report_year,
            "published_at": h.published_at.isoformat() if h.published_at else None, "kind": h.kind,
            "region_code": h.region_code, "score": h.score, "snippet_html": h.snippet,
            "url": f"/reports/{h.report_id}"}


@router.get("/search", summary="Full-text search with filters, facets and paging")
def api_search(request: Request, p: SearchParams = Depends(search_params)) -> dict[str, Any]:
    out = run_search(_state(request), p)
    f = out["facets"]
    return {"query": dict(p.query_items()), "offset": p.offset, "limit": p.size,
            "total": f["total"], "total_estimated": f["estimated"],
            "results": [_hit_json(h) for h in out["hits"]],
            "facets": {"years": f["years"], "provinces": f["provinces"], "kinds": f["kinds"]}}


def export_stream(state: Any, p: SearchParams, fmt: str) -> StreamingResponse:
    """Every report matching the search (not just a page), streamed as CSV or JSON lines."""
    from storage.queries import export_rows
    from storage.search import QueryError, check_query
    if fmt not in ("csv", "jsonl"):
        raise WebError(400, f"format: csv or jsonl, got {fmt!r}")
    try:
        check_query(p.q, state.tokenizer)
    except QueryError as exc:
        raise WebError(400, f"q: {exc}") from None

    def chunks() -> Iterator[str]:
        with state.db.read_session() as s:
            rows = export_rows(s, p.filters, query=p.q or None, tokenizer=state.tokenizer)
            batch: list[dict[str, Any]] = []
            first = True
            for row in rows:
                batch.append(row)
                if len(batch) >= 200:
                    yield _write(batch, fmt, header=first)
                    first, batch = False, []
            if batch or first:
                yield _write(batch, fmt, header=first)

    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
    return StreamingResponse(chunks(), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="govreports-search.{fmt}"'})


def _write(rows: list[dict[str, Any]], fmt: str, *, header: bool) -> str:
    from storage.export import write_csv, write_jsonl
    from storage.queries import EXPORT_COLUMNS
    buf = io.StringIO()
    if fmt == "jsonl":
        write_jsonl(rows, buf)
        return buf.getvalue()
    write_csv(rows, buf, columns=EXPORT_COLUMNS)
    text = buf.getvalue()
    return text if header else text.split("\r\n", 1)[1]


@router.get("/export", summary="Every report matching a search, as CSV or JSON lines")
def api_export(request: Request, p: SearchParams = Depends(search_params),
               format: str = Query("jsonl", description="csv or jsonl")) -> StreamingResponse:
    return export_stream(_state(request), p, format)


def report_json(state: Any, report_id: int) -> dict[str, Any]:
    from storage.merges import describe_merge_reason
    from storage.queries import report_detail
    with state.db.read_session() as s:
        detail = report_detail(s, report_id)
    if detail is None:
        raise WebError(404, f"no report with id {report_id}")
    for p in detail["publications"]:
        p["merge_reason_text"] = describe_merge_reason(p.get("merge_reason") or {})
    return detail


@router.get("/reports/{report_id}", summary="One report: fields, text, publications, versions")
def api_report(request: Request, report_id: int) -> dict[str, Any]:
    return report_json(_state(request), report_id)


def diff_json(state: Any, report_id: int, version_id: int) -> dict[str, Any]:
    from storage.versions import version_diff
    with state.db.read_session() as s:
        diff = version_diff(s, report_id, version_id)
    if diff is None:
        raise WebError(404, f"report {report_id} has no version {version_id}")
    return diff


@router.get("/reports/{report_id}/versions/{version_id}/diff",
            summary="What changed from the version before to this one")
def api_diff(request: Request, report_id: int, version_id: int) -> dict[str, Any]:
    return diff_json(_state(request), report_id, version_id)


def coverage_data(state: Any, year: str | None, region: str | None, level: str | None) -> dict[str, Any]:
    import datetime as dt

    from jobs.web.params import _int, region_prefix
    from storage.coverage import LEGAL_TZ
    from storage.queries import coverage
    y = _int("year", year, low=1949, high=2100) or dt.datetime.now(LEGAL_TZ).year - 1
    if level and level not in ("province", "prefecture", "county"):
        raise WebError(400, f"level: province, prefecture or county, got {level!r}")
    code = region_prefix(region or "")
    state.ensure_governments()
    with state.db.read_session() as s:
        data = coverage(s, year=y, region=code, level=level or None)
    data["region"] = code
    data["level"] = level or None
    return data


def coverage_csv(data: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COVERAGE_CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(data["rows"])
    return buf.getvalue()


@router.get("/coverage", summary="Who published the report on a year, and on time (JSON or CSV)")
def api_coverage(request: Request, year: str | None = Query(None, description="The year reported on (default: last year)"),
                 region: str | None = Query(None, description="Division code prefix or name"),
                 level: str | None = Query(None, description="province, prefecture or county"),
                 format: str = Query("json", description="json or csv")) -> Any:
    data = coverage_data(_state(request), year, region, level)
    if format == "csv":
        return StreamingResponse(iter([coverage_csv(data)]), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="coverage-{data["year"]}.csv"'})
    if format != "json":
        raise WebError(400, f"format: json or csv, got {format!r}")
    return data


@router.get("/sources", summary="Every source with its last run, next run, reports found, state")
def api_sources(request: Request, name: str | None = Query(None, description="Part of the name"),
                limit: int = Query(500, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    from storage.activity import sources_overview
    with _state(request).db.read_session() as s:
        return sources_overview(s, name=name, limit=limit, offset=offset)


@router.get("/sources/{name}", summary="One source with its latest runs")
def api_source(request: Request, name: str) -> dict[str, Any]:
    from storage.activity import source_overview
    with _state(request).db.read_session() as s:
        out = source_overview(s, name)
    if out is None:
        raise WebError(404, f"no source named {name!r}")
    return out


class NewSource(BaseModel):
    name: str = Field(..., max_length=200)
    urls: list[str] = Field(..., min_length=1, max_length=20)
    issuer: str | None = Field(None, max_length=200)
    division_code: str | None = Field(None, max_length=12)
    schedule: str | None = Field(None, max_length=100)


@router.post("/sources", status_code=201, summary="Register a source (token)")
def api_add_source(request: Request, body: NewSource) -> dict[str, Any]:
    from jobs.web.actions import add_source
    state = _state(request)
    state.auth.require_bearer(request)
    return add_source(state.settings, state.db, state.crawls, name=body.name, urls=body.urls,
                      issuer=body.issuer, division_code=body.division_code, schedule=body.schedule)


@router.delete("/sources/{name}", summary="Remove a source never crawled (token)")
def api_remove_source(request: Request, name: str) -> dict[str, Any]:
    from jobs.web.actions import remove_source
    state = _state(request)
    state.auth.require_bearer(request)
    remove_source(state.db, name)
    return {"removed": name}


@router.get("/runs", summary="Crawl runs, newest first, with their stats")
def api_runs(request: Request, source: str | None = Query(None, description="Source name"),
             status: str | None = Query(None, description="running, succeeded, failed, interrupted"),
             limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    from storage.activity import runs_overview
    from storage.sources import get_source
    with _state(request).db.read_session() as s:
        source_id = None
        if source:
            src = get_source(s, source)
            if src is None:
                raise WebError(404, f"no source named {source!r}")
            source_id = src.id
        return runs_overview(s, limit=limit, offset=offset, source_id=source_id, status=status or None)


@router.get("/runs/{run_id}", summary="One run: stats, captures by state, fetch errors")
def api_run(request: Request, run_id: int) -> dict[str, Any]:
    from storage.activity import run_overview
    with _state(request).db.read_session() as s:
        out = run_overview(s, run_id)
    if out is None:
        raise WebError(404, f"no crawl run with id {run_id}")
    return out


@router.get("/progress", summary="The crawls running now and what they captured so far")
def api_progress(request: Request) -> dict[str, Any]:
    from storage.activity import crawl_progress
    with _state(request).db.read_session() as s:
        return {"running": crawl_progress(s)}


class CrawlRequest(BaseModel):
    source: str | None = Field(None, max_length=200, description="A registered source's name")
    urls: list[str] = Field(default_factory=list, max_length=20,
                            description="One-off start URLs (public addresses only)")


@router.post("/crawls", status_code=202, summary="Start a crawl of a source or of URLs (token)")
def api_crawl(request: Request, body: CrawlRequest = Body(...)) -> dict[str, Any]:
    state = _state(request)
    state.auth.require_bearer(request)
    if bool(body.source) == bool(body.urls):
        raise WebError(400, "give either source or urls")
    started = state.crawls.start(source_name=body.source, urls=body.urls)
    return {"source": started.source, "urls": list(started.urls), "run_id": started.run_id,
            "task_id": started.task_id,
            "run_url": f"/api/v1/runs/{started.run_id}" if started.run_id else "/api/v1/runs"}


class SplitRequest(BaseModel):
    note: str | None = Field(None, max_length=500)


@router.post("/publications/{publication_id}/split", summary="Split a publication off its report (token)")
def api_split(request: Request, publication_id: int, body: SplitRequest | None = None) -> dict[str, Any]:
    from jobs.web.actions import split
    state = _state(request)
    state.auth.require_bearer(request)
    return split(state.db, state.tokenizer, publication_id, body.note if body else None)


@router.get("/status", summary="Counts of everything and the last run")
def api_status(request: Request) -> dict[str, Any]:
    from storage.queries import status
    with _state(request).db.read_session() as s:
        return status(s)


