"""Crawl runs: start, finish, list, failure streaks, and what a run found.

Statuses: running | succeeded | failed (crashed, killed past a limit, nothing fetched, or found
interrupted by a later start) | interrupted (stopped on purpose: the service shut down, Ctrl-C).
"""
from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import Capture, CrawlRun, Report, Source, utcnow

__all__ = [
    "start_run", "finish_run", "add_stats", "list_runs", "get_run", "mark_interrupted",
    "running_runs", "running_run_for", "fail_if_running", "set_pid", "failure_streak",
    "capture_counts", "reports_found", "RunRow", "run_rows", "FINISHED",
]

FINISHED = ("succeeded", "failed", "interrupted")


def start_run(session: Session, *, start_urls: Sequence[str], source_id: int | None = None,
              trigger: str = "cli") -> int:
    run = CrawlRun(source_id=source_id, start_urls=list(start_urls), trigger=trigger,
                   status="running", pid=os.getpid(), hostname=socket.gethostname(), stats={})
    session.add(run)
    session.flush()
    return run.id


def set_pid(session: Session, run_id: int, pid: int) -> None:
    """The pid of the process doing the crawl (its own crawl process), for finding it later."""
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(pid=pid))


def add_stats(session: Session, run_id: int, counters: dict[str, Any]) -> None:
    """Add counters to the run's stats (namespaced keys such as fetch/pages, parse/new)."""
    # Write before reading: the row stays locked from the read to the update (no lost update
    # between two writers on PostgreSQL), and a SQLite transaction that starts with a write waits
    # for other writers instead of failing when it upgrades from reading.
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(id=CrawlRun.id))
    run = session.get(CrawlRun, run_id, populate_existing=True)
    if run is None:
        raise LookupError(f"crawl run {run_id} does not exist")
    stats = dict(run.stats or {})
    for key, value in counters.items():
        stats[key] = stats.get(key, 0) + value if isinstance(value, int) else value
    run.stats = stats


def finish_run(session: Session, run_id: int, *, status: str, error: str | None = None,
               stats: dict[str, Any] | None = None) -> None:
    if stats:
        add_stats(session, run_id, stats)
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id)
                    .values(status=status, error=error, finished_at=utcnow()))


def fail_if_running(session: Session, run_id: int, error: str) -> bool:
    """Mark a run failed only if it is still 'running' (a finished run is never overwritten)."""
    res = session.execute(update(CrawlRun).where(CrawlRun.id == run_id,
                                                 CrawlRun.status == "running")
                          .values(status="failed", error=error, finished_at=utcnow()))
    return res.rowcount == 1


def get_run(session: Session, run_id: int) -> CrawlRun | None:
    return session.get(CrawlRun, run_id)


def list_runs(session: Session, *, limit: int = 20, source_id: int | None = None) -> list[CrawlRun]:
    stmt = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if source_id is not None:
        stmt = stmt.where(CrawlRun.source_id == source_id)
    return list(session.scalars(stmt))


def running_runs(session: Session) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).where(CrawlRun.status == "running")
                                .order_by(CrawlRun.id)))


def running_run_for(session: Session, *, source_id: int | None,
                    start_urls: Sequence[str]) -> CrawlRun | None:
    """The running crawl of this source (or of exactly these URLs), newest first."""
    stmt = select(CrawlRun).where(CrawlRun.status == "running").order_by(CrawlRun.id.desc())
    if source_id is not None:
        return session.scalars(stmt.where(CrawlRun.source_id == source_id)).first()
    wanted = sorted(start_urls)
    for run in session.scalars(stmt.where(CrawlRun.source_id.is_(None))):
        if sorted(run.start_urls or []) == wanted:
            return run
    return None


def failure_streak(session: Session, source_id: int) -> int:
    """How many of the source's latest finished runs failed in a row (interrupted ones do not count
    either way: stopping the service is not the site's fault)."""
    statuses = session.scalars(select(CrawlRun.status)
                               .where(CrawlRun.source_id == source_id,
                                      CrawlRun.status.in_(("succeeded", "failed")))
                               .order_by(CrawlRun.id.desc()).limit(1000))
    streak = 0
    for status in statuses:
        if status != "failed":
            break
        streak += 1
    return streak


def capture_counts(session: Session, run_id: int) -> dict[str, int]:
    """What a run captured, counted from its captures (for runs killed before they reported)."""
    total, with_body, errors = session.execute(
        select(func.count(), func.count(Capture.body_sha256), func.count(Capture.fetch_error))
        .where(Capture.run_id == run_id)).one()
    return {"captures": int(total), "captures_with_body": int(with_body),
            "captures_failed": int(errors)}


def reports_found(session: Session, run_id: int, *, since: dt.datetime) -> list[dict[str, Any]]:
    """Reports first stored from this run's captures (created at or after *since*)."""
    rows = session.execute(
        select(Report.id, Report.title, Report.issuer, Report.report_year, Capture.url)
        .join(Capture, Capture.report_id == Report.id)
        .where(Capture.run_id == run_id, Report.created_at >= since)
        .order_by(Report.id)).all()
    seen: dict[int, dict[str, Any]] = {}
    for rid, title, issuer, year, url in rows:
        seen.setdefault(rid, {"id": rid, "title": title, "issuer": issuer, "report_year": year,
                              "url": url})
    return list(seen.values())


@dataclass(frozen=True)
class RunRow:
    """One line of `govreports runs`."""

    id: int
    source: str | None
    trigger: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    pages: int
    new_reports: int
    updated_reports: int
    errors: int
    error: str | None


def run_rows(session: Session, *, limit: int = 20, source_id: int | None = None,
             status: str | None = None) -> list[RunRow]:
    stmt = (select(CrawlRun, Source.name).outerjoin(Source, Source.id == CrawlRun.source_id)
            .order_by(CrawlRun.id.desc()).limit(limit))
    if source_id is not None:
        stmt = stmt.where(CrawlRun.source_id == source_id)
    if status is not None:
        stmt = stmt.where(CrawlRun.status == status)
    out = []
    for run, name in session.execute(stmt):
        st = run.stats or {}
        out.append(RunRow(
            id=run.id, source=name, trigger=run.trigger, status=run.status,
            started_at=run.started_at, finished_at=run.finished_at,
            pages=int(st.get("fetch/pages", 0)), new_reports=int(st.get("parse/new_reports", 0)),
            updated_reports=int(st.get("parse/updated_reports", 0)),
            errors=int(st.get("fetch/errors", 0)) + int(st.get("parse/failed", 0)),
            error=run.error))
    return out


def mark_interrupted(session: Session, *, older_than: dt.datetime | None = None,
                     hostname: str | None = None, alive_pids: set[int] | None = None) -> list[int]:
    """Mark runs still 'running' whose process is gone as failed; return their ids.

    A run belongs to a dead process when it ran on this host and its pid is not alive. (The service
    and the CLI decide by the run's lock instead, which also covers other hosts: jobs.tasks.recover.)
    """
    stmt = select(CrawlRun).where(CrawlRun.status == "running")
    ids = []
    for run in session.scalars(stmt):
        if hostname is not None and run.hostname != hostname:
            continue
        if alive_pids is not None and run.pid in alive_pids:
            continue
        if older_than is not None and run.started_at > older_than:
            continue
        run.status = "failed"
        run.error = "interrupted: the process running this crawl stopped before it finished"
        run.finished_at = utcnow()
        ids.append(run.id)
    return ids
