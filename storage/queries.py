"""The read side: one report in full, export rows, the collection's status, and coverage (who
published their annual report, and whether before the legal deadline: storage.coverage, re-exported
here).

Every function returns plain JSON-ready values (dates as ISO strings), so the CLI can print them
as a table or as JSON without knowing the models.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.tokens import Tokenizer
from storage.coverage import COVERAGE_COLUMNS, LEGAL_TZ, coverage, legal_deadline
from storage.models import (Capture, CrawlRun, OcrDocument, OcrPage, Publication, Report,
                            ReportVersion, Source)
from storage.search import Filters, filter_clauses, index_first, matching_ids

__all__ = ["report_detail", "export_rows", "EXPORT_COLUMNS", "status", "possible_reports",
           "ocr_status", "coverage",
           "COVERAGE_COLUMNS", "legal_deadline"]

EXPORT_COLUMNS = ("id", "title", "issuer", "report_year", "published_at", "kind", "region_code",
                  "region_name", "url", "urls", "official", "text", "content_sha256")


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def report_detail(session: Session, report_id: int, *, include_diffs: bool = False) -> dict[str, Any] | None:
    """Everything about one report: fields, clean text, sections, publications (with why each was
    merged) and versions (with the size of each diff; the diffs themselves on request)."""
    report = session.get(Report, report_id)
    if report is None:
        return None
    fields = dict(report.fields or {})
    pubs = session.scalars(sa.select(Publication).where(Publication.report_id == report_id)
                           .order_by(Publication.first_seen, Publication.id)).all()
    versions = session.scalars(sa.select(ReportVersion).where(ReportVersion.report_id == report_id)
                               .order_by(ReportVersion.created_at, ReportVersion.id)).all()
    return {
        "id": report.id, "title": report.title, "issuer": report.issuer,
        "region_code": report.region_code, "region_name": report.region_name,
        "report_year": report.report_year, "published_at": _iso(report.published_at),
        "kind": report.kind, "content_sha256": report.content_sha256,
        "created_at": _iso(report.created_at), "updated_at": _iso(report.updated_at),
        "sections": [{"name": s[0], "first_line": s[1]} for s in fields.pop("sections", [])],
        "fields": fields, "text": report.text,
        "publications": [{
            "id": p.id, "url": p.url, "canonical_url": p.canonical_url, "host": p.host,
            "official": p.official, "is_attachment": p.is_attachment, "title": p.title,
            "content_sha256": p.content_sha256, "first_seen": _iso(p.first_seen),
            "last_seen": _iso(p.last_seen), "last_capture_id": p.last_capture_id,
            "merge_reason": p.merge_reason or {},
            "shown": fields.get("display_publication_id") == p.id,
        } for p in pubs],
        "versions": [{
            "id": v.id, "created_at": _iso(v.created_at), "content_sha256": v.content_sha256,
            "publication_id": v.publication_id, "capture_id": v.capture_id, "title": v.title,
            "chars": len(v.text), "diff_chars": len(v.diff or ""),
            "lines_added": _count_diff_lines(v.diff, "+"),
            "lines_removed": _count_diff_lines(v.diff, "-"),
            **({"diff": v.diff} if include_diffs else {}),
        } for v in versions],
    }


def _count_diff_lines(diff: str | None, sign: str) -> int:
    if not diff:
        return 0
    return sum(1 for line in diff.splitlines()
               if line.startswith(sign) and not line.startswith(sign * 3))


def export_rows(session: Session, filters: Filters = Filters(), query: str | None = None,
                tokenizer: Tokenizer | None = None, *, batch_size: int = 500) -> Iterator[dict[str, Any]]:
    """One dict per report matching *filters* (and *query*, if given), in id order, streamed:
    memory holds one batch, whatever the collection's size. Keys: EXPORT_COLUMNS."""
    clauses = filter_clauses(filters)
    if query and query.strip():
        clauses.append(Report.id.in_(matching_ids(session, query, tokenizer=tokenizer,
                                                  filters=filters)))
    stmt = (sa.select(Report.id, Report.title, Report.issuer, Report.report_year,
                      Report.published_at, Report.kind, Report.region_code, Report.region_name,
                      Report.text, Report.content_sha256)
            .where(*clauses).order_by(Report.id).execution_options(yield_per=batch_size))
    with index_first(session):  # the plan is made here; the rows then stream
        result = session.execute(stmt)
    for batch in result.partitions():
        ids = [row[0] for row in batch]
        pubs: dict[int, list[tuple[str, bool]]] = defaultdict(list)
        for rid, url, official in session.execute(
                sa.select(Publication.report_id, Publication.url, Publication.official)
                .where(Publication.report_id.in_(ids))
                .order_by(Publication.report_id, Publication.first_seen, Publication.id)):
            pubs[rid].append((url, official))
        for (rid, title, issuer, year, published, kind, code, name, text, sha) in batch:
            urls = [u for u, _ in pubs.get(rid, [])]
            yield {
                "id": rid, "title": title, "issuer": issuer, "report_year": year,
                "published_at": _iso(published), "kind": kind, "region_code": code,
                "region_name": name, "url": urls[0] if urls else None, "urls": urls,
                "official": any(o for _, o in pubs.get(rid, [])), "text": text,
                "content_sha256": sha,
            }


def _counts(session: Session, column: Any) -> dict[str, int]:
    rows = session.execute(sa.select(column, sa.func.count()).group_by(column)).all()
    return {("unknown" if key is None else str(key)): n for key, n in sorted(
        rows, key=lambda r: (r[0] is None, str(r[0])))}


def status(session: Session, *, coverage_year: int | None = None,
           today: dt.date | None = None) -> dict[str, Any]:
    """Counts of everything, the last run, and the coverage totals of *coverage_year* (default:
    the last year whose reports are due by now or this spring)."""
    today = today or dt.datetime.now(LEGAL_TZ).date()
    year = coverage_year if coverage_year is not None else today.year - 1
    last = session.scalars(sa.select(CrawlRun).order_by(CrawlRun.started_at.desc(),
                                                        CrawlRun.id.desc()).limit(1)).first()
    count = lambda model: int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)  # noqa: E731
    pubs = session.execute(sa.select(
        sa.func.count(), sa.func.count(sa.distinct(Publication.host)),
        sa.func.coalesce(sa.func.sum(sa.case((Publication.official, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((Publication.is_attachment, 1), else_=0)), 0),
    )).one()
    return {
        "sources": {"total": count(Source),
                    "verified": int(session.scalar(sa.select(sa.func.count()).where(Source.verified)) or 0)},
        "runs": {"total": count(CrawlRun), "by_status": _counts(session, CrawlRun.status),
                 "last": None if last is None else {
                     "id": last.id, "source_id": last.source_id, "trigger": last.trigger,
                     "status": last.status, "started_at": _iso(last.started_at),
                     "finished_at": _iso(last.finished_at), "stats": last.stats or {},
                     "error": last.error}},
        "captures": {"total": count(Capture), "by_fetch_state": _counts(session, Capture.fetch_state),
                     "by_parse_state": _counts(session, Capture.parse_state)},
        "possible_reports": possible_reports(session),
        "reports": {"total": count(Report), "by_kind": _counts(session, Report.kind),
                    "by_year": _counts(session, Report.report_year)},
        "publications": {"total": int(pubs[0]), "hosts": int(pubs[1]), "official": int(pubs[2]),
                         "unofficial": int(pubs[0]) - int(pubs[2]), "attachments": int(pubs[3])},
        "coverage": {k: v for k, v in coverage(session, year=year, today=today).items()
                     if k in ("year", "deadline", "totals")},
        "ocr": ocr_status(session),
    }


# parse_state of a capture skipped although the crawl marked it as a likely report (jobs.unparsed).
POSSIBLE_REPORT = "possible_report"


def possible_reports(session: Session, *, limit: int = 20) -> dict[str, Any]:
    """Possible reports, not parsed: how many, and the latest (URL, why skipped and why likely)."""
    where = Capture.parse_state == POSSIBLE_REPORT
    total = int(session.scalar(sa.select(sa.func.count()).select_from(Capture).where(where)) or 0)
    rows = session.execute(sa.select(Capture.id, Capture.final_url, Capture.url, Capture.parse_error,
                                     Capture.parsed_at)
                           .where(where).order_by(Capture.id.desc()).limit(limit)).all()
    return {"total": total, "latest": [
        {"capture_id": cid, "url": final or url, "reason": reason, "parsed_at": _iso(at)}
        for cid, final, url, reason, at in rows]}


def ocr_status(session: Session) -> dict[str, Any]:
    """Documents waiting for OCR (scans the parse job marked), those read, pages read."""
    waiting = int(session.scalar(sa.select(sa.func.count()).select_from(Capture)
                                 .where(Capture.parse_state == "needs_ocr")) or 0)
    docs = _counts(session, OcrDocument.status)
    pages, seconds = session.execute(sa.select(sa.func.count(), sa.func.coalesce(
        sa.func.sum(OcrPage.seconds), 0.0))).one()
    conf = session.scalar(sa.select(sa.func.avg(OcrDocument.confidence))
                          .where(OcrDocument.status == "done"))
    return {"waiting": waiting, "documents": docs, "pages_read": int(pages),
            "seconds_per_page": round(float(seconds) / int(pages), 2) if pages else None,
            "mean_confidence": round(float(conf), 4) if conf is not None else None}

