"""`govreports serve`: the scheduler in the foreground, crawling sources and parsing captures."""
from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from sqlalchemy import select

from jobs import tasks
from jobs.config import Settings
from jobs.scheduler import Scheduler, parse_schedule
from storage.db import Database
from storage.models import SchedulerEvent, Source

__all__ = ["run_service", "crawl_source_job", "parse_job"]

log = logging.getLogger("govreports.service")

# The running service's settings and database, for jobs the scheduler calls by name
# ("jobs.service:crawl_source_job"): set once in run_service, never read from the environment.
_state: dict[str, Any] = {}
_PARSE_JOB_ID = "parse-pending"


def crawl_source_job(source_name: str) -> None:
    """Scheduled crawl of one source; the run (and any failure) is recorded by tasks.crawl."""
    settings: Settings = _state["settings"]
    db: Database = _state["db"]
    with db.session() as s:
        source = s.scalar(select(Source).where(Source.name == source_name))
    if source is None:
        log.warning("source %s: no longer registered; skipping its crawl", source_name)
        return
    summary = tasks.crawl(settings, db, list(source.start_urls or []), source=source,
                          trigger="schedule", tokenizer=_state.get("tokenizer"))
    if summary.pages_fetched == 0 and not summary.fetch.get("fetch/not_modified"):
        reasons = "; ".join(summary.fetch_errors[:3]) or summary.error or "no response"
        log.error("source %s: the site could not be reached (run %s): %s",
                  source_name, summary.run_id, reasons)
    else:
        log.info("source %s: run %s %s: %s pages, %s new reports, %s updated",
                 source_name, summary.run_id, summary.status, summary.pages_fetched,
                 summary.parse.new_reports, summary.parse.updated_reports)


def parse_job() -> None:
    summary = tasks.parse_pending(_state["settings"], _state["db"], tokenizer=_state.get("tokenizer"))
    if summary.parsed or summary.failed:
        log.info("parse: %s", summary.counters())


def _record_event(job_id: str, event: str, detail: str | None) -> None:
    db: Database = _state["db"]
    try:
        with db.session() as s:
            s.add(SchedulerEvent(job_id=job_id, event=event, detail=detail))
    except Exception:  # recording must never take a job down with it
        log.exception("could not record scheduler event %s %s", job_id, event)


def _register_jobs(scheduler: Scheduler, settings: Settings, db: Database) -> int:
    svc = settings.service
    keep = {_PARSE_JOB_ID}
    scheduler.add(_PARSE_JOB_ID, "jobs.service:parse_job",
                  parse_schedule(f"every {svc.parse_interval_minutes}m",
                                 default_interval_seconds=0, jitter_seconds=0))
    with db.session() as s:
        sources = list(s.scalars(select(Source).order_by(Source.name)))
    for source in sources:
        if not source.start_urls:
            continue
        job_id = f"crawl:{source.name}"
        keep.add(job_id)
        schedule = parse_schedule(source.schedule,
                                  default_interval_seconds=svc.crawl_interval_hours * 3600,
                                  jitter_seconds=svc.crawl_jitter_seconds)
        scheduler.add(job_id, "jobs.service:crawl_source_job", schedule, args=(source.name,))
    scheduler.remove_others(keep)
    return len(keep) - 1


def run_service(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT; returns the process exit status."""
    db = tasks.open_db(settings)
    interrupted = tasks.recover(db)
    if interrupted:
        log.warning("marked interrupted crawl runs as failed: %s", interrupted)
    _state.update(settings=settings, db=db)
    scheduler = Scheduler(engine=db.engine, timezone=settings.service.timezone,
                          misfire_grace_seconds=settings.service.misfire_grace_seconds,
                          on_event=_record_event)
    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scheduler.start(paused=True)
    n_sources = _register_jobs(scheduler, settings, db)
    scheduler.resume()
    log.info("govreports service started: database %s, %d scheduled sources",
             db.engine.url.render_as_string(hide_password=True), n_sources)
    if n_sources == 0:
        log.info("no sources registered yet: add one with `govreports sources add`, "
                 "or crawl a column once with `govreports crawl URL`")
    # Captures left pending by an interrupted run are parsed straight away.
    scheduler.run_now(_PARSE_JOB_ID)
    stop.wait()
    scheduler.shutdown(wait=True)
    db.dispose()
    log.info("govreports service stopped")
    return 0
