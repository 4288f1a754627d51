"""The jobs the CLI, the scheduler and workers share: crawl (in its own process, then parse what
it captured), recovery of interrupted runs. The parse job itself is jobs/parsing.py.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import func, select

from jobs import notify
from jobs.config import Settings, as_dict
from jobs.crawl_watch import run_crawl_process
from jobs.locks import HOSTNAME, HeldLock, LockBusy, Locks, crawl_lock_name, make_locks
from jobs.parsing import ParseSummary, parse_pending, reset_parse_state
from jobs.progress import Progress
from storage import runs
from storage.db import Database, open_database
from storage.models import Capture, Source

__all__ = ["CrawlSummary", "ParseSummary", "CrawlBusy", "open_db", "make_locks", "crawl",
           "parse_pending", "reset_parse_state", "recover"]

log = logging.getLogger("govreports.jobs")


def open_db(settings: Settings, *, migrate: bool = True) -> Database:
    return open_database(settings.database.url, busy_timeout_ms=settings.database.busy_timeout_ms,
                         compression_level=settings.database.compression_level, migrate=migrate)


@dataclass
class CrawlSummary:
    run_id: int
    status: str
    fetch: dict[str, int]
    parse: ParseSummary
    fetch_errors: list[str]
    error: str | None = None

    @property
    def pages_fetched(self) -> int:
        return int(self.fetch.get("fetch/pages", 0))

    @property
    def requests(self) -> int:
        return int(self.fetch.get("fetch/requests", 0))

    @property
    def unreachable(self) -> bool:
        """Requests were sent and none was answered with a page (or a 304)."""
        return _unreachable(self.fetch)


def _unreachable(fetch: dict[str, int]) -> bool:
    return (int(fetch.get("fetch/requests", 0)) > 0 and not fetch.get("fetch/pages")
            and not fetch.get("fetch/not_modified"))


# --------------------------------------------------------------------------- crawl

class CrawlBusy(Exception):
    """Another crawl of the same source (or of the same URLs) is running; the message says which."""


def crawl(settings: Settings, db: Database, start_urls: Sequence[str], *,
          source: Source | None = None, revisit_seconds: int | None = None,
          trigger: str = "cli", parse: bool = True, tokenizer: Any = None, wait: bool = False,
          stop: threading.Event | None = None, progress: Progress | None = None,
          locks: Locks | None = None) -> CrawlSummary:
    """Crawl *start_urls* in a child process, then parse what it captured.

    Holds the crawl lock of the source (or of the URLs) throughout, so a one-off crawl and the
    service's scheduled crawl of one source never run at once: raises CrawlBusy when it is taken,
    or with *wait* waits for it. Setting *stop* ends the crawl early: its process is terminated,
    the run is marked interrupted, and what it captured stays pending for the next parse.
    """
    own_locks = locks is None
    locks = locks or make_locks(db, settings)
    progress = progress or Progress("crawl", tty=False, enabled=False)
    name = crawl_lock_name(source.id if source else None, start_urls)
    what = f"source {source.name}" if source else "these URLs"
    try:
        try:
            held = locks.acquire(name, label=f"crawl ({trigger})", wait=wait, stop=stop,
                                 on_wait=lambda _h: log.info(
                                     "%s is being crawled: waiting for it to finish (%s)", what,
                                     _busy_detail(db, source, start_urls)))
        except LockBusy:
            raise CrawlBusy(f"{what} is already being crawled "
                            f"({_busy_detail(db, source, start_urls)})") from None
        with held:
            orphans = _fail_orphans(db, locks, name, holding=True)
            with db.session() as s:
                run_id = runs.start_run(s, start_urls=start_urls, trigger=trigger,
                                        source_id=source.id if source else None)
            try:
                return _crawl_locked(settings, db, run_id, list(start_urls), source=source,
                                     revisit_seconds=revisit_seconds, parse=parse,
                                     tokenizer=tokenizer, stop=stop, progress=progress,
                                     lock=held, orphans=orphans)
            except BaseException as exc:  # recorded here, so the run never stays 'running'
                _end_run_on_error(db, run_id, exc)
                raise
    finally:
        progress.close()
        if own_locks:
            locks.close()


def _busy_detail(db: Database, source: Source | None, start_urls: Sequence[str]) -> str:
    with db.session() as s:
        run = runs.running_run_for(s, source_id=source.id if source else None,
                                   start_urls=start_urls)
        if run is None:
            return "by another process that is starting up"
        return (f"run {run.id}, {run.trigger}, pid {run.pid} on {run.hostname}, started "
                f"{run.started_at.strftime('%Y-%m-%d %H:%M:%S')} UTC")


def _end_run_on_error(db: Database, run_id: int, exc: BaseException) -> None:
    interrupted = isinstance(exc, KeyboardInterrupt)
    error = (f"interrupted: run {run_id}: stopped by Ctrl-C" if interrupted
             else f"crawl: run {run_id}: {exc.__class__.__name__}: {exc}")
    try:
        with db.session() as s:
            runs.finish_run(s, run_id, status="interrupted" if interrupted else "failed",
                            error=error)
    except Exception:  # the database itself failed; the next start finds the run
        log.exception("run %s: could not record how it ended", run_id)


def _crawl_locked(settings: Settings, db: Database, run_id: int, start_urls: list[str], *,
                  source: Source | None, revisit_seconds: int | None, parse: bool,
                  tokenizer: Any, stop: threading.Event | None, progress: Progress,
                  lock: HeldLock, orphans: Sequence[int] = ()) -> CrawlSummary:
    """The crawl, with its lock held. What earlier runs of the source (or *orphans*: runs of the
    same URLs whose process died) captured and left unparsed is parsed with this run's captures,
    and counted with them."""
    with db.session() as s:
        started = runs.get_run(s, run_id).started_at
    spec = {
        "settings": as_dict(settings), "run_id": run_id, "start_urls": start_urls,
        "source_id": source.id if source else None, "revisit_seconds": revisit_seconds,
        "parent_pid": os.getpid(),
    }
    progress.stage("fetch", unit="pages")
    status, error, fetch_stats = run_crawl_process(settings, db, run_id, spec, stop=stop,
                                                   lost=lock.lost, progress=progress)
    with db.session() as s:
        if not fetch_stats:  # killed before it reported: count what it left
            fetch_stats = {f"fetch/{k}": v for k, v in runs.capture_counts(s, run_id).items()}
        runs.add_stats(s, run_id, fetch_stats)
        fetch_errors = [e for (e,) in s.execute(
            select(Capture.fetch_error).where(Capture.run_id == run_id,
                                              Capture.fetch_error.is_not(None))
            .order_by(Capture.id))]
    if status == "succeeded" and _unreachable(fetch_stats):
        status = "failed"
        error = (f"fetch: no page could be fetched from {', '.join(start_urls[:3])}"
                 + (f": {fetch_errors[0]}" if fetch_errors else ""))
    summary = ParseSummary()
    if parse and status != "interrupted" and not (stop is not None and stop.is_set()):
        with db.session() as s:
            earlier = set(orphans)
            if source is not None:
                earlier |= set(s.scalars(select(Capture.run_id).distinct().where(
                    Capture.source_id == source.id, Capture.parse_state == "pending",
                    Capture.run_id.is_not(None), Capture.run_id != run_id)))
            run_ids = [*sorted(earlier), run_id]  # oldest first: a page's versions in order
            pending = s.scalar(select(func.count()).select_from(Capture).where(
                Capture.run_id.in_(run_ids), Capture.parse_state == "pending"))
        if pending:
            progress.stage("parse", total=pending, unit="captures")
            done = [0]

            def advance(n: int) -> None:
                done[0] += n
                progress.update(done[0])
            try:
                for rid in run_ids:
                    summary = summary + parse_pending(
                        settings, db, tokenizer=tokenizer, run_id=rid, progress=advance,
                        stop=stop)
            except Exception as exc:  # the crawl is done and recorded; its captures wait
                msg = (f"parse: run {run_id}: {exc.__class__.__name__}: {exc}; its captures stay "
                       f"pending for the next parse")
                log.exception(msg)
                error = f"{error}; {msg}" if error else msg
    with db.session() as s:
        runs.finish_run(s, run_id, status=status, error=error, stats=summary.counters())
        if source is not None and status != "interrupted" and int(fetch_stats.get("fetch/requests", 0)):
            _note_site(s, settings, source.id, reachable=not _unreachable(fetch_stats),
                       note=fetch_errors[0] if fetch_errors else error)
    progress.close()
    notify.after_crawl(settings, db, run_id=run_id, source=source, started_at=started,
                       status=status)
    return CrawlSummary(run_id=run_id, status=status, fetch=fetch_stats, parse=summary,
                        fetch_errors=fetch_errors, error=error)


def _note_site(session: Any, settings: Settings, source_id: int, *, reachable: bool,
               note: str | None) -> None:
    """A crawl that reached the site (or not): failing, then dead after [discover] dead_after_days."""
    import datetime as dt

    from storage.sources import note_reachability
    src = session.get(Source, source_id)
    if src is not None:
        note_reachability(src, reachable, note=note,
                          dead_after=dt.timedelta(days=settings.discover.dead_after_days))


# --------------------------------------------------------------------------- recovery

def recover(db: Database, settings: Settings | None = None, *, locks: Locks | None = None) -> list[int]:
    """Mark crawl runs whose process died (kill -9, power loss) as failed; return their ids.

    A run still 'running' whose crawl lock can be taken has no live owner, whichever host it ran
    on: it is marked failed, and its crawl process, if one was left behind on this host, is killed.
    Its captures stay, pending, for the next parse.
    """
    own = locks is None
    locks = locks or make_locks(db, settings or Settings())
    try:
        names = set()
        with db.session() as s:
            for run in runs.running_runs(s):
                names.add(crawl_lock_name(run.source_id, run.start_urls or []))
        failed: list[int] = []
        for name in sorted(names):
            failed += _fail_orphans(db, locks, name, holding=False)
        return failed
    finally:
        if own:
            locks.close()


def _fail_orphans(db: Database, locks: Locks, name: str, *, holding: bool) -> list[int]:
    """Fail the running runs of lock *name* (taking the lock first unless *holding* it)."""
    if not holding:
        try:
            held = locks.acquire(name, label="recover")
        except LockBusy:
            return []  # a live process is crawling it
        with held:
            return _fail_orphans(db, locks, name, holding=True)
    failed = []
    with db.session() as s:
        orphans = [r for r in runs.running_runs(s)
                   if crawl_lock_name(r.source_id, r.start_urls or []) == name]
    for run in orphans:
        if run.hostname == HOSTNAME and run.pid:
            _kill_leftover(run.pid, run.id)
        with db.session() as s:
            if runs.fail_if_running(s, run.id, "interrupted: the process running this crawl "
                                               "stopped before it finished (captures kept)"):
                failed.append(run.id)
                log.warning("run %s: its process is gone; marked failed, its captures will be "
                            "parsed", run.id)
    return failed


def _kill_leftover(pid: int, run_id: int) -> None:
    """Kill a crawl process left behind by a dead parent, if *pid* is still that process."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\0")
    except OSError:
        return
    if b"jobs.crawl_process" not in argv or str(run_id).encode() not in argv:
        return
    log.warning("run %s: killing its crawl process %s, left behind by a dead parent", run_id, pid)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
