"""Crawl runs: start, finish, list, and mark interrupted ones."""
from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import CrawlRun, utcnow

__all__ = ["start_run", "finish_run", "add_stats", "list_runs", "get_run", "mark_interrupted"]


def start_run(session: Session, *, start_urls: Sequence[str], source_id: int | None = None,
              trigger: str = "cli") -> int:
    run = CrawlRun(source_id=source_id, start_urls=list(start_urls), trigger=trigger,
                   status="running", pid=os.getpid(), hostname=socket.gethostname(), stats={})
    session.add(run)
    session.flush()
    return run.id


def add_stats(session: Session, run_id: int, counters: dict[str, int]) -> None:
    """Add counters to the run's stats (namespaced keys such as fetch/pages, parse/new)."""
    run = session.get(CrawlRun, run_id)
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


def get_run(session: Session, run_id: int) -> CrawlRun | None:
    return session.get(CrawlRun, run_id)


def list_runs(session: Session, *, limit: int = 20, source_id: int | None = None) -> list[CrawlRun]:
    stmt = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if source_id is not None:
        stmt = stmt.where(CrawlRun.source_id == source_id)
    return list(session.scalars(stmt))


def mark_interrupted(session: Session, *, older_than: dt.datetime | None = None,
                     hostname: str | None = None, alive_pids: set[int] | None = None) -> list[int]:
    """Mark runs still 'running' whose process is gone as failed; return their ids.

    A run belongs to a dead process when it ran on this host and its pid is not alive.
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
