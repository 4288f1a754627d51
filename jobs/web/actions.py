"""What the web app's writes do: crawls triggered from a page or the API (run in this process,
or sent to the workers when a broker is set), sources added and removed, merges split."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

from jobs.config import Settings
from jobs.web.errors import WebError
from jobs.web.guards import check_crawl_url
from storage.db import Database

__all__ = ["WebCrawls", "CrawlStarted", "add_source", "remove_source", "split"]

log = logging.getLogger("govreports.web")


@dataclass(frozen=True)
class CrawlStarted:
    source: str | None
    urls: tuple[str, ...]
    run_id: int | None  # None: sent to the workers, or not started within the wait
    task_id: str | None = None


class WebCrawls:
    """Crawls started from the web: at most [web] max_web_crawls at once, each in its own thread
    (the crawl itself runs in its own process: jobs.tasks.crawl); stopped with the app."""

    def __init__(self, settings: Settings, db: Database, *,
                 crawl: Callable[..., Any] | None = None) -> None:
        from jobs import tasks
        self.settings = settings
        self.db = db
        self._crawl = crawl or tasks.crawl
        self._slots = threading.BoundedSemaphore(max(1, settings.web.max_web_crawls))
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def check_urls(self, urls: Sequence[str]) -> list[str]:
        web = self.settings.web
        return [check_crawl_url(u, allow_private=web.allow_private_crawl_urls,
                                max_length=self.settings.crawl.max_url_length) for u in urls]

    def start(self, *, source_name: str | None = None, urls: Sequence[str] = (),
              wait_seconds: float = 3.0) -> CrawlStarted:
        """Crawl a registered source, or one-off URLs (checked against SSRF first)."""
        from storage import runs
        from storage.sources import get_source
        source = None
        if source_name:
            with self.db.session() as s:
                source = get_source(s, source_name)
            if source is None:
                raise WebError(404, f"no source named {source_name!r}")
            urls = list(source.start_urls or [])
            if not urls:
                raise WebError(400, f"source {source_name!r} has no start URLs")
            if self.settings.worker.broker_url:
                from jobs.worker import enqueue_crawl
                try:
                    task = enqueue_crawl(self.settings, source.name, queue=source.queue)
                except Exception as exc:  # the broker's own error, said once
                    raise WebError(503, f"could not send the crawl to the workers: {exc}") from None
                return CrawlStarted(source.name, tuple(urls), None, task)
        else:
            urls = self.check_urls(urls)
            if not urls:
                raise WebError(400, "give a source or at least one URL")
        if not self._slots.acquire(blocking=False):
            raise WebError(429, f"{self.settings.web.max_web_crawls} crawls started from the web "
                                "are running: try again when one has finished")
        settings = self.settings
        if source is None and not settings.web.allow_private_crawl_urls:
            # The URLs were checked now; the crawl checks every address again as it connects
            # (a name can resolve elsewhere by then, and links lead to other names).
            settings = replace(settings, crawl=replace(settings.crawl, refuse_private_addresses=True))
        thread = threading.Thread(target=self._run, args=(settings, source, list(urls)), daemon=True,
                                  name=f"web-crawl-{source.name if source else urls[0]}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        run_id = None
        deadline = time.monotonic() + wait_seconds
        while run_id is None and time.monotonic() < deadline and thread.is_alive():
            with self.db.session() as s:
                run = runs.running_run_for(s, source_id=source.id if source else None,
                                           start_urls=urls)
                run_id = run.id if run is not None else None
            if run_id is None:
                time.sleep(0.05)
        if run_id is None:  # a crawl that was over (or refused) before it was seen
            with self.db.session() as s:
                done = runs.list_runs(s, limit=1, source_id=source.id if source else None)
                run_id = done[0].id if done and done[0].trigger == "web" else None
        return CrawlStarted(source.name if source else None, tuple(urls), run_id)

    def _run(self, settings: Settings, source: Any, urls: list[str]) -> None:
        from jobs import tasks
        try:
            summary = self._crawl(settings, self.db, urls, source=source, trigger="web",
                                  stop=self.stop)
            log.info("web-triggered crawl of %s: run %s %s", source.name if source else urls,
                     summary.run_id, summary.status)
        except tasks.CrawlBusy as busy:
            log.warning("web-triggered crawl not run: %s", busy)
        except Exception:  # recorded in its run by tasks.crawl; logged once here
            log.exception("web-triggered crawl of %s failed", source.name if source else urls)
        finally:
            self._slots.release()

    def close(self, timeout: float = 10.0) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(timeout)


def add_source(settings: Settings, db: Database, crawls: WebCrawls, *, name: str,
               urls: Sequence[str], issuer: str | None = None, division_code: str | None = None,
               schedule: str | None = None) -> dict[str, Any]:
    """Register a source (its start URLs checked like a one-off crawl's)."""
    from jobs.governments import ensure_divisions, link_sources
    from jobs.scheduler import parse_schedule
    from storage.sources import SourceSpec
    from storage.sources import add_source as store_source
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise WebError(400, "source name: 1 to 200 characters")
    if division_code and not (division_code.isdigit() and len(division_code) in (2, 4, 6, 9, 12)):
        raise WebError(400, f"division code {division_code!r}: 2, 4, 6, 9 or 12 digits")
    checked = crawls.check_urls(urls)
    if not checked:
        raise WebError(400, "a source needs at least one start URL")
    if schedule:
        try:
            parse_schedule(schedule)
        except ValueError as exc:
            raise WebError(400, f"schedule {schedule!r}: {exc}") from None
    ensure_divisions(db)
    try:
        with db.session() as s:
            src = store_source(s, SourceSpec(name=name, start_urls=tuple(checked), issuer=issuer or None,
                                             division_code=division_code or None, schedule=schedule or None))
            link_sources(s)
            return {"id": src.id, "name": src.name, "start_urls": list(src.start_urls or [])}
    except ValueError as exc:
        raise WebError(409, str(exc)) from None


def remove_source(db: Database, name: str) -> None:
    """Remove a source that has never been crawled; one with runs or captures is kept (its history
    would lose its name): mark its site closed instead."""
    import sqlalchemy as sa

    from storage.models import Capture, CrawlRun
    from storage.sources import get_source
    from storage.sources import remove_source as drop
    with db.session() as s:
        src = get_source(s, name)
        if src is None:
            raise WebError(404, f"no source named {name!r}")
        used = s.scalar(sa.select(CrawlRun.id).where(CrawlRun.source_id == src.id).limit(1)) or \
            s.scalar(sa.select(Capture.id).where(Capture.source_id == src.id).limit(1))
        if used:
            raise WebError(409, f"source {name!r} has crawl history: mark its site closed "
                                "(`govreports sources set NAME --state closed`) instead")
        drop(s, name)


def split(db: Database, tokenizer: Any, publication_id: int, note: str | None = None) -> dict[str, Any]:
    """Split a publication off its report into a report of its own (storage.merges)."""
    from storage.merges import SplitError, split_publication
    try:
        with db.session() as s:
            out = split_publication(s, publication_id, tokenizer=tokenizer, note=note or None)
    except SplitError as exc:
        raise WebError(409 if "only one" in str(exc) else 404, str(exc)) from None
    return {"publication_id": out.publication_id, "old_report_id": out.old_report_id,
            "new_report_id": out.new_report_id, "versions_moved": out.versions_moved}
