"""`govreports serve`: the scheduler in the foreground, crawling sources and parsing captures.

- One active scheduler per database: the scheduler lock (a session-level advisory lock on
  PostgreSQL, a lock row on SQLite). On PostgreSQL a second `serve` stands by and takes over within
  [service] takeover_seconds when the active one dies; on SQLite it refuses to start.
- On start (and on taking over) crawl runs left 'running' by a dead process are marked failed and
  pending captures are parsed, so a kill -9 loses nothing that was captured.
- SIGTERM or SIGINT stops it cleanly: running crawls are terminated and marked interrupted, their
  captures kept for the next parse. A second signal exits at once.
- Sources are re-read every SYNC_SECONDS, so sources added or changed while it runs are scheduled.
  Sources whose site moved, closed or is dead are not crawled (their successors are sources too).
- Discovery of government sites from the portals (sources with hints discover = true) runs on the
  [discover] schedule. On an empty database the starter registry is imported and discovered from
  first; the sources' crawls start when that discovery ends.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
import time
from typing import Any

from sqlalchemy import select

from jobs import tasks
from jobs.config import Settings
from jobs.locks import HOSTNAME, SCHEDULER_LOCK, HeldLock, LockBusy, Locks
from jobs.progress import Progress
from jobs.scheduler import JobSpec, Scheduler, ScheduleDefaults, parse_schedule
from storage.db import Database
from storage.models import CrawlRun, SchedulerEvent, Source

__all__ = ["run_service", "crawl_source_job", "parse_job", "ocr_job", "discover_job",
           "PARSE_JOB_ID", "OCR_JOB_ID", "DISCOVER_JOB_ID", "SYNC_SECONDS"]

log = logging.getLogger("govreports.service")

# The running service's settings, database and stop event, for the jobs the scheduler calls by name
# ("jobs.service:crawl_source_job"): set in run_service, never read from the environment.
_state: dict[str, Any] = {}
_tokenizer_lock = threading.Lock()
_bad_schedules: set[tuple[str, str | None]] = set()
PARSE_JOB_ID = "parse-pending"
OCR_JOB_ID = "ocr-pending"  # its own job: OCR is slow, and must not hold up parsing
DISCOVER_JOB_ID = "discover-sites"
# How often the sources table is re-read for added, removed or rescheduled sources.
SYNC_SECONDS = 30
# Exit status when another `serve` holds the database (SQLite) or the schedule settings are wrong.
EXIT_REFUSED = 1


def _job_id(source_name: str) -> str:
    return f"crawl:{source_name}"


def _tokenizer() -> Any:
    with _tokenizer_lock:
        if "tokenizer" not in _state:
            from pipeline.tokens import make_tokenizer
            _state["tokenizer"] = make_tokenizer(_state["settings"].search.tokenizer)
        return _state["tokenizer"]


def crawl_source_job(source_name: str) -> None:
    """Scheduled crawl of one source; the run (and any failure) is recorded by tasks.crawl."""
    settings: Settings = _state["settings"]
    db: Database = _state["db"]
    cancel: threading.Event = _state["cancel"]
    if cancel.is_set():
        return
    with db.session() as s:
        source = s.scalar(select(Source).where(Source.name == source_name))
    if source is None:
        log.warning("source %s: no longer registered; skipping its crawl", source_name)
        return
    if settings.worker.broker_url:  # workers crawl; the scheduler only sends the task
        from jobs.worker import enqueue_crawl
        task_id = enqueue_crawl(settings, source_name, queue=source.queue)
        log.info("source %s: crawl sent to the workers (task %s)", source_name, task_id)
        return
    progress = Progress(f"source {source_name}", tty=False,
                        interval=settings.service.progress_log_seconds)
    try:
        summary = tasks.crawl(settings, db, list(source.start_urls or []), source=source,
                              trigger="schedule", tokenizer=_tokenizer(), stop=cancel,
                              progress=progress, locks=_state["locks"])
    except tasks.CrawlBusy as busy:
        log.warning("source %s: scheduled crawl skipped: %s", source_name, busy)
        _record_event(_job_id(source_name), "skipped", str(busy))
        return
    _log_outcome(source_name, summary)
    resync = _state.get("resync")
    if resync is not None:
        resync.set()  # a crawl slot is free: the next source waiting for its first crawl


def _log_outcome(source_name: str, summary: tasks.CrawlSummary) -> None:
    if summary.status == "interrupted":
        log.warning("source %s: run %s interrupted; its captures are kept", source_name,
                    summary.run_id)
    elif summary.unreachable:
        reasons = "; ".join(summary.fetch_errors[:3]) or summary.error or "no response"
        log.error("source %s: the site could not be reached (run %s): %s", source_name,
                  summary.run_id, reasons)
    elif summary.status == "failed":
        log.error("source %s: crawl failed (run %s): %s", source_name, summary.run_id,
                  summary.error)
    else:
        log.info("source %s: run %s %s: %s pages, %s new reports, %s updated", source_name,
                 summary.run_id, summary.status, summary.pages_fetched,
                 summary.parse.new_reports, summary.parse.updated_reports)


def parse_job() -> None:
    """Recover runs of dead processes (a one-off crawl killed meanwhile), then parse what is pending."""
    settings: Settings = _state["settings"]
    db: Database = _state["db"]
    failed = tasks.recover(db, locks=_state["locks"])
    if failed:
        log.warning("marked crawl runs of dead processes as failed: %s", failed)
    if settings.worker.broker_url:
        from jobs.worker import enqueue_parse
        log.info("parse of pending captures sent to the workers (task %s)", enqueue_parse(settings))
        return
    summary = tasks.parse_pending(settings, db, tokenizer=_tokenizer(), stop=_state["cancel"])
    if summary.parsed or summary.failed or summary.skipped:
        log.info("parse: %s", summary.counters())


def ocr_job() -> None:
    """Read a batch of documents waiting for OCR (on the workers' ocr queue when a broker is set)."""
    settings: Settings = _state["settings"]
    db: Database = _state["db"]
    if not settings.ocr.enabled:
        return
    if settings.worker.broker_url:
        from jobs.worker import enqueue_ocr
        log.info("OCR of waiting documents sent to the workers (task %s)", enqueue_ocr(settings))
        return
    from jobs.ocr import run_ocr
    summary = run_ocr(settings, db, tokenizer=_tokenizer(), stop=_state["cancel"],
                      locks=_state["locks"])
    if summary.documents or summary.failed:
        log.info("ocr: %s", summary.counters())


def discover_job() -> None:
    """Discovery from the portals marked as discovery roots; the new sources are scheduled at once."""
    from jobs.discovery import DiscoveryBusy, discover, discovery_roots
    settings: Settings = _state["settings"]
    db: Database = _state["db"]
    cancel: threading.Event = _state["cancel"]
    try:
        roots = discovery_roots(db)
        if not roots or cancel.is_set():
            return
        log.info("discovery: from %d portals, %d links deep", len(roots), settings.discover.depth)
        progress = Progress("discovery", tty=False, interval=settings.service.progress_log_seconds)
        try:
            summary = discover(settings, db, roots, trigger="schedule", stop=cancel,
                               progress=progress, locks=_state["locks"])
        except DiscoveryBusy as busy:
            log.warning("discovery skipped: %s", busy)
            _record_event(DISCOVER_JOB_ID, "skipped", str(busy))
            return
        log.info("discovery run %s %s: %d requests, %d sources added, %d updated, %d unchanged, "
                 "%d listed sites are not government sites", summary.run_id, summary.status,
                 summary.counters.get("fetch/requests", 0), summary.count("added"),
                 summary.count("updated"), summary.count("unchanged"), len(summary.rejected))
    finally:
        hold = _state.get("hold_crawls")
        if hold is not None and hold.is_set():
            hold.clear()
            log.info("first discovery done: crawling the sources")
        resync = _state.get("resync")
        if resync is not None:
            resync.set()


def _record_event(job_id: str, event: str, detail: str | None) -> None:
    db: Database = _state["db"]
    try:
        with db.session() as s:
            s.add(SchedulerEvent(job_id=job_id, event=event, detail=detail))
    except Exception:  # recording must never take a job down with it
        log.exception("could not record scheduler event %s %s", job_id, event)


def schedule_defaults(settings: Settings) -> ScheduleDefaults:
    svc = settings.service
    return ScheduleDefaults(default=svc.default_schedule, interval_hours=svc.crawl_interval_hours,
                            peak_months=svc.peak_months, peak_interval_hours=svc.peak_interval_hours,
                            jitter_seconds=svc.crawl_jitter_seconds)


def _sync_jobs(scheduler: Scheduler, settings: Settings, db: Database) -> int:
    """Schedule every source with start URLs (keeping unchanged jobs as they are); returns how many."""
    from storage.sources import INACTIVE_STATES
    svc = settings.service
    defaults = schedule_defaults(settings)
    jobs = [JobSpec(PARSE_JOB_ID, "jobs.service:parse_job",
                    parse_schedule(f"every {svc.parse_interval_minutes}m", ScheduleDefaults()))]
    if settings.ocr.enabled:
        jobs.append(JobSpec(OCR_JOB_ID, "jobs.service:ocr_job", parse_schedule(
            f"every {settings.ocr.interval_minutes}m", ScheduleDefaults())))
    try:
        jobs.append(JobSpec(DISCOVER_JOB_ID, "jobs.service:discover_job",
                            parse_schedule(settings.discover.schedule, ScheduleDefaults())))
    except ValueError as exc:
        if ("discover", settings.discover.schedule) not in _bad_schedules:
            _bad_schedules.add(("discover", settings.discover.schedule))
            log.error("[discover] schedule: %s; discovery not scheduled", exc)
    hold = _state.get("hold_crawls")
    with db.session() as s:
        sources = [(src.name, src.schedule, bool(src.start_urls))
                   for src in s.scalars(select(Source).order_by(Source.name))
                   if src.site_state not in INACTIVE_STATES and not (hold is not None and hold.is_set())]
        crawled = {name for (name,) in s.execute(
            select(Source.name).join(CrawlRun, CrawlRun.source_id == Source.id).distinct())}
    now = dt.datetime.now(dt.timezone.utc)
    described = {}
    # Sources never crawled are handed to the scheduler as crawl slots free up, not all at once:
    # a discovery adds thousands, and a first crawl left waiting in the executor's queue past
    # misfire_grace_seconds is dropped as missed until its first slot (the next day). With workers
    # the broker's queue holds the backlog instead.
    registered = {job_id for job_id, _ in scheduler.jobs()}
    waiting = sum(1 for name, _, urls in sources if urls and name not in crawled
                  and _job_id(name) in registered)
    free = None if settings.worker.broker_url else max(0, svc.max_concurrent_crawls - waiting)
    deferred = 0
    for name, text, has_urls in sources:
        if not has_urls:
            continue
        if name not in crawled and _job_id(name) not in registered and free is not None:
            if free <= 0:
                deferred += 1
                continue
            free -= 1
        try:
            schedule = parse_schedule(text, defaults)
        except ValueError as exc:
            if (name, text) not in _bad_schedules:  # once, not at every re-read
                _bad_schedules.add((name, text))
                log.error("source %s: %s; not scheduled", name, exc)
            continue
        # A source never crawled gets its first crawl now rather than at its first slot.
        jobs.append(JobSpec(_job_id(name), "jobs.service:crawl_source_job", schedule, (name,),
                            first_run=None if name in crawled else now))
        described[_job_id(name)] = (name, schedule.describe())
    changed, removed = scheduler.sync(jobs)
    for job_id in changed:
        if job_id in described:
            log.info("source %s: scheduled %s", *described[job_id])
    for job_id in removed:
        log.info("job %s: its source is gone; unscheduled", job_id)
    if deferred:
        log.info("%d sources wait for their first crawl (%d crawls at a time)", deferred,
                 svc.max_concurrent_crawls)
    return len(described)


def _import_starter_sources(db: Database, settings: Settings | None = None) -> bool:
    """A fresh database gets the starter registry of official portals, so `serve` has work;
    True when it did (the database was empty)."""
    from jobs.governments import link_sources
    from jobs.registry import STARTER_REGISTRY, load_registry
    from storage.sources import upsert_sources
    registry = STARTER_REGISTRY
    if settings is not None and settings.discover.starter_registry:
        registry = settings.path(settings.discover.starter_registry)
    with db.session() as s:
        if s.scalar(select(Source.id).limit(1)) is not None:
            return False
        added, _ = upsert_sources(s, load_registry(registry))
        link_sources(s)
    log.info("no sources registered yet: added the %d sources of the starter registry %s "
             "(see `govreports sources list`; add your own with `govreports sources add`)", added,
             registry)
    return True


def _become_leader(settings: Settings, db: Database, locks: Locks,
                   stop: threading.Event) -> HeldLock | None:
    """The scheduler lock, at once or after standing by; None when refused (SQLite) or stopped."""
    try:
        return locks.acquire(SCHEDULER_LOCK, label="serve")
    except LockBusy as busy:
        holder = busy.holder.describe() if busy.holder else "another process"
        where = db.engine.url.render_as_string(hide_password=True)
        if db.dialect == "sqlite":
            log.error("another `govreports serve` is already running on %s (%s): stop it first. "
                      "Only one scheduler can use a SQLite database; to run a standby scheduler, "
                      "use PostgreSQL.", where, holder)
            return None
        takeover = settings.service.takeover_seconds
        log.info("standing by: another `govreports serve` is the active scheduler on %s (%s); "
                 "this one takes over within %d s if it stops", where, holder, takeover)
        _record_event("service", "standby", f"{HOSTNAME}:{os.getpid()}")
    try:
        return locks.acquire(SCHEDULER_LOCK, label="serve", wait=True, stop=stop,
                             poll_seconds=max(0.5, settings.service.takeover_seconds / 3))
    except LockBusy:
        return None  # stopped while standing by


def _run_active(settings: Settings, db: Database, locks: Locks, leader: HeldLock,
                stop: threading.Event, node: str) -> None:
    """Schedule and run jobs until *stop*, or until the scheduler lock is lost."""
    cancel = threading.Event()
    _state.update(settings=settings, db=db, locks=locks, cancel=cancel)
    failed = tasks.recover(db, locks=locks)
    if failed:
        log.warning("marked crawl runs interrupted by a dead process as failed: %s", failed)
    from jobs.governments import ensure_divisions
    ensure_divisions(db)
    fresh = _import_starter_sources(db, settings)
    _state["resync"] = threading.Event()
    _state["hold_crawls"] = threading.Event()
    if fresh and settings.discover.on_empty_database:
        from jobs.discovery import discovery_roots
        if discovery_roots(db):
            _state["hold_crawls"].set()
    svc = settings.service
    scheduler = Scheduler(engine=db.engine, timezone=svc.timezone,
                          misfire_grace_seconds=svc.misfire_grace_seconds,
                          on_event=_record_event, max_workers=svc.max_concurrent_crawls + 2,
                          node=node)
    scheduler.start(paused=True)
    try:
        n_sources = _sync_jobs(scheduler, settings, db)
        scheduler.resume()
        log.info("govreports service started (%s): database %s, %d scheduled sources, log file %s",
                 node, db.engine.url.render_as_string(hide_password=True), n_sources,
                 settings.path(svc.log_file))
        # Captures left pending by an interrupted run are parsed straight away.
        scheduler.run_now(PARSE_JOB_ID)
        if settings.ocr.enabled:
            scheduler.run_now(OCR_JOB_ID)  # and an OCR run cut short resumes
        if _state["hold_crawls"].is_set():
            log.info("empty database: discovering government sites from the starter registry's "
                     "portals before crawling")
            scheduler.run_now(DISCOVER_JOB_ID)
        next_sync = time.monotonic() + SYNC_SECONDS
        while not stop.wait(0.5):
            if leader.lost.is_set():
                log.error("lost the scheduler lock (database connection broken?): stopping "
                          "running jobs and standing by")
                return
            if time.monotonic() >= next_sync or _state["resync"].is_set():
                _state["resync"].clear()
                next_sync = time.monotonic() + SYNC_SECONDS
                try:
                    _sync_jobs(scheduler, settings, db)
                except Exception:
                    log.exception("could not re-read the sources; keeping the current schedule")
    finally:
        cancel.set()
        log.info("stopping: waiting for running jobs to stop")
        scheduler.shutdown(wait=True)


def run_service(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT; returns the process exit status."""
    try:
        parse_schedule(None, schedule_defaults(settings))
    except ValueError as exc:
        log.error("settings: [service] %s", exc)
        return EXIT_REFUSED
    db = tasks.open_db(settings)
    locks = tasks.make_locks(db, settings)
    _state.update(settings=settings, db=db, locks=locks)
    stop = threading.Event()
    node = f"{HOSTNAME}:{os.getpid()}"

    def _stop(signum: int, _frame: Any) -> None:
        if stop.is_set():
            log.warning("received %s again: exiting now", signal.Signals(signum).name)
            os._exit(128 + signum)  # crawl processes die with us (jobs.crawl_process)
        log.info("received %s: stopping (send it again to exit at once)",
                 signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    web_server = None
    if settings.web.enabled:  # the web app beside the scheduler ([web] enabled)
        from jobs.web import start_web_thread
        web_server, _ = start_web_thread(settings)
    try:
        while not stop.is_set():
            leader = _become_leader(settings, db, locks, stop)
            if leader is None:
                return 0 if stop.is_set() else EXIT_REFUSED
            with leader:
                _record_event("service", "leader", node)
                log.info("%s is the active scheduler", node)
                _run_active(settings, db, locks, leader, stop, node)
        _record_event("service", "stopped", node)
        log.info("govreports service stopped")
        return 0
    finally:
        if web_server is not None:
            web_server.should_exit = True
        locks.close()
        db.dispose()
