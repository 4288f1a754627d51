"""What the crawler is doing: every source with its last run and state, run history with the
per-run stats, and the progress of the crawls running now. Plain JSON-ready values (ISO dates)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import Capture, CrawlRun, Source, utcnow
from storage.runs import failure_streak

__all__ = ["sources_overview", "source_overview", "runs_overview", "run_overview",
           "crawl_progress", "next_runs"]

# The scheduler's job store (APScheduler's table, created by `govreports serve`; jobs/scheduler.py).
_JOBS_TABLE = "scheduler_jobs"


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def next_runs(session: Session) -> dict[str, str]:
    """Next scheduled fire time (ISO, UTC) of each source's crawl, by source name; empty when the
    service has never run on this database."""
    if not sa.inspect(session.connection()).has_table(_JOBS_TABLE):
        return {}
    jobs = sa.table(_JOBS_TABLE, sa.column("id", sa.String), sa.column("next_run_time", sa.Float))
    out = {}
    for job_id, when in session.execute(sa.select(jobs.c.id, jobs.c.next_run_time)):
        if job_id.startswith("crawl:") and when is not None:
            out[job_id[len("crawl:"):]] = dt.datetime.fromtimestamp(when, dt.timezone.utc).isoformat()
    return out


def _run_dict(run: CrawlRun, source_name: str | None = None) -> dict[str, Any]:
    st = run.stats or {}
    return {
        "id": run.id, "source_id": run.source_id, "source": source_name, "trigger": run.trigger,
        "status": run.status, "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
        "seconds": round(((run.finished_at or utcnow()) - run.started_at).total_seconds(), 1),
        "pages": int(st.get("fetch/pages", 0)), "requests": int(st.get("fetch/requests", 0)),
        "new_reports": int(st.get("parse/new_reports", 0)),
        "updated_reports": int(st.get("parse/updated_reports", 0)),
        "errors": int(st.get("fetch/errors", 0)) + int(st.get("parse/failed", 0)),
        "error": run.error, "start_urls": list(run.start_urls or []), "stats": dict(st),
    }


def _blocked(session: Session, run_id: int | None) -> dict[str, Any] | None:
    """Whether the run's pages were refused by a challenge or firewall (captures marked blocked)."""
    if run_id is None:
        return None
    n, reason = session.execute(
        sa.select(sa.func.count(), sa.func.max(Capture.fetch_error))
        .where(Capture.run_id == run_id, Capture.fetch_state == "blocked")).one()
    return {"pages": int(n), "reason": reason} if n else None


def _source_dict(session: Session, src: Source, last: CrawlRun | None, scheduled: dict[str, str],
                 found: int) -> dict[str, Any]:
    return {
        "id": src.id, "name": src.name, "issuer": src.issuer, "division_code": src.division_code,
        "start_urls": list(src.start_urls or []), "verified": bool(src.verified),
        "origin": src.origin, "schedule": src.schedule, "queue": src.queue,
        "site_state": src.site_state, "site_note": src.site_note,
        "successor_url": src.successor_url, "failing_since": _iso(src.failing_since),
        "last_run": _run_dict(last, src.name) if last is not None else None,
        "next_run": scheduled.get(src.name), "reports_found": found,
        "failures_in_a_row": failure_streak(session, src.id) if last is not None else 0,
        "blocked": _blocked(session, last.id if last is not None else None),
    }


def _found_counts(session: Session, source_ids: list[int] | None = None) -> dict[int, int]:
    stmt = (sa.select(Capture.source_id, sa.func.count(sa.distinct(Capture.report_id)))
            .where(Capture.report_id.is_not(None)).group_by(Capture.source_id))
    if source_ids is not None:
        stmt = stmt.where(Capture.source_id.in_(source_ids))
    return {sid: int(n) for sid, n in session.execute(stmt) if sid is not None}


def _last_runs(session: Session, source_ids: list[int] | None = None) -> dict[int, CrawlRun]:
    newest = sa.select(CrawlRun.source_id, sa.func.max(CrawlRun.id).label("id")) \
        .where(CrawlRun.source_id.is_not(None)).group_by(CrawlRun.source_id)
    if source_ids is not None:
        newest = newest.where(CrawlRun.source_id.in_(source_ids))
    sub = newest.subquery()
    return {run.source_id: run for run in session.scalars(
        sa.select(CrawlRun).join(sub, CrawlRun.id == sub.c.id))}


def sources_overview(session: Session, *, limit: int = 500, offset: int = 0,
                     name: str | None = None) -> dict[str, Any]:
    """{"total", "sources": [...]}: each source (by name) with its last run, next scheduled run,
    reports found, failures in a row, site state and whether its last run was blocked."""
    stmt = sa.select(Source).order_by(Source.name)
    count = sa.select(sa.func.count()).select_from(Source)
    if name:
        stmt = stmt.where(Source.name.contains(name, autoescape=True))
        count = count.where(Source.name.contains(name, autoescape=True))
    sources = list(session.scalars(stmt.limit(limit).offset(offset)))
    ids = [s.id for s in sources]
    last, found, scheduled = _last_runs(session, ids), _found_counts(session, ids), next_runs(session)
    return {"total": int(session.scalar(count) or 0),
            "sources": [_source_dict(session, s, last.get(s.id), scheduled, found.get(s.id, 0))
                        for s in sources]}


def source_overview(session: Session, name: str, *, runs: int = 20) -> dict[str, Any] | None:
    """One source as in sources_overview, with its latest *runs* runs."""
    src = session.scalar(sa.select(Source).where(Source.name == name))
    if src is None:
        return None
    last = _last_runs(session, [src.id]).get(src.id)
    out = _source_dict(session, src, last, next_runs(session),
                       _found_counts(session, [src.id]).get(src.id, 0))
    out["runs"] = runs_overview(session, source_id=src.id, limit=runs)["runs"]
    return out


def runs_overview(session: Session, *, limit: int = 50, offset: int = 0,
                  source_id: int | None = None, status: str | None = None) -> dict[str, Any]:
    """{"total", "runs": [...]}: crawl runs newest first, with their stats."""
    stmt = (sa.select(CrawlRun, Source.name).outerjoin(Source, Source.id == CrawlRun.source_id)
            .order_by(CrawlRun.id.desc()))
    count = sa.select(sa.func.count()).select_from(CrawlRun)
    if source_id is not None:
        stmt, count = stmt.where(CrawlRun.source_id == source_id), count.where(CrawlRun.source_id == source_id)
    if status:
        stmt, count = stmt.where(CrawlRun.status == status), count.where(CrawlRun.status == status)
    return {"total": int(session.scalar(count) or 0),
            "runs": [_run_dict(run, name) for run, name in session.execute(stmt.limit(limit).offset(offset))]}


def run_overview(session: Session, run_id: int) -> dict[str, Any] | None:
    """One run with its stats, what it captured (by fetch state) and its fetch errors."""
    row = session.execute(sa.select(CrawlRun, Source.name).outerjoin(Source, Source.id == CrawlRun.source_id)
                          .where(CrawlRun.id == run_id)).first()
    if row is None:
        return None
    out = _run_dict(row[0], row[1])
    out["captures"] = {state: int(n) for state, n in session.execute(
        sa.select(Capture.fetch_state, sa.func.count()).where(Capture.run_id == run_id)
        .group_by(Capture.fetch_state).order_by(Capture.fetch_state))}
    out["fetch_errors"] = [{"url": url, "state": state, "error": err} for url, state, err in session.execute(
        sa.select(Capture.url, Capture.fetch_state, Capture.fetch_error)
        .where(Capture.run_id == run_id, Capture.fetch_error.is_not(None))
        .order_by(Capture.id).limit(200))]
    out["blocked"] = _blocked(session, run_id)
    return out


def crawl_progress(session: Session) -> list[dict[str, Any]]:
    """The crawls running now: how long they have run and what they captured so far (their
    captures are written as they go; their stats only at the end)."""
    running = session.execute(sa.select(CrawlRun, Source.name).outerjoin(Source, Source.id == CrawlRun.source_id)
                              .where(CrawlRun.status == "running").order_by(CrawlRun.id)).all()
    out = []
    for run, name in running:
        d = _run_dict(run, name)
        captured, ok, errors, last = session.execute(sa.select(
            sa.func.count(), sa.func.count(Capture.body_sha256), sa.func.count(Capture.fetch_error),
            sa.func.max(Capture.fetched_at)).where(Capture.run_id == run.id)).one()
        d.update(captured=int(captured), with_body=int(ok), capture_errors=int(errors),
                 last_capture_at=_iso(last))
        out.append(d)
    return out
