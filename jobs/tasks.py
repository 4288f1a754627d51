"""The jobs the CLI, the scheduler and workers share: crawl (in its own process), parse, status.

This is the one place that knows both the pipeline and storage: it reads a batch of pending
captures, runs the pure pipeline on each, and writes the outcome in one transaction per capture.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import select

from jobs.config import Settings, as_dict
from pipeline.records import ParseFailure, ParseOptions, ParsedDocument, Skipped
from storage import runs
from storage.db import Database, open_database
from storage.models import Capture, Source, utcnow

__all__ = ["CrawlSummary", "ParseSummary", "open_db", "crawl", "parse_pending", "recover"]

log = logging.getLogger("govreports.jobs")

# How often the parent checks the crawl process's memory and clock.
_WATCH_INTERVAL_SECONDS = 0.25


def open_db(settings: Settings, *, migrate: bool = True) -> Database:
    return open_database(settings.database.url, busy_timeout_ms=settings.database.busy_timeout_ms,
                         compression_level=settings.database.compression_level, migrate=migrate)


@dataclass
class ParseSummary:
    parsed: int = 0
    new_reports: int = 0
    duplicates: int = 0
    updated_reports: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    needs_ocr: int = 0
    errors: list[str] = field(default_factory=list)

    def counters(self) -> dict[str, int]:
        return {"parse/parsed": self.parsed, "parse/new_reports": self.new_reports,
                "parse/duplicates": self.duplicates, "parse/updated_reports": self.updated_reports,
                "parse/unchanged": self.unchanged, "parse/skipped": self.skipped,
                "parse/failed": self.failed, "parse/needs_ocr": self.needs_ocr}


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


# --------------------------------------------------------------------------- crawl

def crawl(settings: Settings, db: Database, start_urls: Sequence[str], *,
          source: Source | None = None, revisit_seconds: int | None = None,
          trigger: str = "cli", parse: bool = True, tokenizer: Any = None) -> CrawlSummary:
    """Crawl *start_urls* in a child process, then parse what it captured."""
    with db.session() as s:
        run_id = runs.start_run(s, start_urls=start_urls, source_id=source.id if source else None,
                                trigger=trigger)
    spec = {
        "settings": as_dict(settings), "run_id": run_id, "start_urls": list(start_urls),
        "source_id": source.id if source else None, "revisit_seconds": revisit_seconds,
    }
    status, error, fetch_stats = _run_crawl_process(settings, db, run_id, spec)
    with db.session() as s:
        runs.add_stats(s, run_id, fetch_stats)
    summary = ParseSummary()
    if parse:
        summary = parse_pending(settings, db, tokenizer=tokenizer, run_id=run_id)
    with db.session() as s:
        runs.finish_run(s, run_id, status=status, error=error, stats=summary.counters())
        fetch_errors = [e for (e,) in s.execute(
            select(Capture.fetch_error).where(Capture.run_id == run_id,
                                              Capture.fetch_error.is_not(None))
            .order_by(Capture.id))]
    return CrawlSummary(run_id=run_id, status=status, fetch=fetch_stats, parse=summary,
                        fetch_errors=fetch_errors, error=error)


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _run_crawl_process(settings: Settings, db: Database, run_id: int,
                       spec: dict[str, Any]) -> tuple[str, str | None, dict[str, int]]:
    """Run one crawl in `python -m jobs.crawl_process`, killing it past its time or memory limit.

    A child process per crawl because Twisted's reactor cannot be restarted in one process, and so
    that a crawl that hangs or eats memory is killed without taking the service with it.
    """
    limits = settings.crawl
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobs.crawl_process"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=None, text=True, start_new_session=True)
    with db.session() as s:
        run = runs.get_run(s, run_id)
        if run is not None:
            run.pid = proc.pid
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(spec))
    proc.stdin.close()
    deadline = time.monotonic() + limits.process_timeout_seconds
    killed: str | None = None
    while proc.poll() is None:
        if time.monotonic() > deadline:
            killed = f"crawl: run {run_id}: killed after {limits.process_timeout_seconds} s time limit"
        elif _rss_mb(proc.pid) > limits.process_memory_mb:
            killed = f"crawl: run {run_id}: killed past the {limits.process_memory_mb} MB memory limit"
        if killed:
            _kill_group(proc)
            break
        time.sleep(_WATCH_INTERVAL_SECONDS)
    out = proc.stdout.read() if proc.stdout else ""
    proc.wait()
    stats: dict[str, int] = {}
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            try:
                stats = json.loads(line)
                break
            except json.JSONDecodeError:
                continue
    if killed:
        log.error(killed)
        return "failed", killed, stats
    if proc.returncode != 0:
        error = f"crawl: run {run_id}: crawl process exited with status {proc.returncode}"
        log.error(error)
        return "failed", error, stats
    return "succeeded", None, stats


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --------------------------------------------------------------------------- parse

def parse_options(settings: Settings) -> ParseOptions:
    return ParseOptions(min_report_chars=settings.parse.min_report_chars)


def parse_pending(settings: Settings, db: Database, *, tokenizer: Any = None,
                  run_id: int | None = None, limit: int | None = None,
                  progress: Callable[[int], None] | None = None) -> ParseSummary:
    """Parse pending captures into reports, a batch at a time; safe to re-run."""
    from pipeline.process import parse_document
    from pipeline.tokens import make_tokenizer
    from pipeline.urls import host_of, is_official_host
    from storage.raw import get_body
    from storage.reports import store_document

    tokenizer = tokenizer or make_tokenizer(settings.search.tokenizer)
    options = parse_options(settings)
    summary = ParseSummary()
    official_hosts = _source_hosts(db)
    last_id = 0
    done = 0
    while limit is None or done < limit:
        batch_size = settings.parse.batch_size if limit is None else min(settings.parse.batch_size,
                                                                        limit - done)
        with db.session() as s:
            stmt = (select(Capture.id, Capture.url, Capture.canonical_url, Capture.final_url,
                           Capture.content_type, Capture.body_sha256, Capture.role,
                           Capture.link_text)
                    .where(Capture.parse_state == "pending", Capture.id > last_id)
                    .order_by(Capture.id).limit(batch_size))
            if run_id is not None:
                stmt = stmt.where(Capture.run_id == run_id)
            batch = s.execute(stmt).all()
        if not batch:
            break
        for row in batch:
            last_id = row.id
            done += 1
            url = row.final_url or row.url
            with db.session() as s:
                capture = s.get(Capture, row.id)
                body = get_body(s, row.body_sha256) if row.body_sha256 else None
                if body is None:
                    _mark(capture, "skipped", "parse: no body stored")
                    summary.skipped += 1
                    continue
                try:
                    result = parse_document(body, url=url, content_type=row.content_type,
                                            filename=_filename(url), options=options)
                except ParseFailure as exc:
                    msg = f"{exc.stage}: {url}: {exc.reason}"
                    _mark(capture, "failed", msg)
                    summary.failed += 1
                    summary.errors.append(msg)
                    log.warning(msg)
                    continue
                except Exception as exc:  # a bug must not stop the batch; recorded on the capture
                    msg = f"parse: {url}: unexpected {exc.__class__.__name__}: {exc}"
                    _mark(capture, "failed", msg)
                    summary.failed += 1
                    summary.errors.append(msg)
                    log.exception(msg)
                    continue
                if isinstance(result, Skipped):
                    _mark(capture, "skipped", f"{result.stage}: {result.reason}")
                    summary.skipped += 1
                    continue
                if result.status == "needs_ocr":
                    _mark(capture, "needs_ocr", "file: no text layer; needs OCR")
                    summary.needs_ocr += 1
                    continue
                host = host_of(url)
                outcome = store_document(
                    s, result, url=url, canonical_url=row.canonical_url, host=host,
                    official=is_official_host(host, official_hosts),
                    is_attachment=row.role == "attachment", capture_id=row.id, seen_at=utcnow(),
                    tokenizer=tokenizer)
                capture.report_id = outcome.report_id
                _mark(capture, "parsed", None)
                summary.parsed += 1
                _count_outcome(summary, outcome.action)
            if progress:
                progress(1)
    return summary


def _count_outcome(summary: ParseSummary, action: str) -> None:
    if action == "new":
        summary.new_reports += 1
    elif action == "duplicate":
        summary.duplicates += 1
    elif action == "updated":
        summary.updated_reports += 1
    else:
        summary.unchanged += 1


def _mark(capture: Capture, state: str, error: str | None) -> None:
    capture.parse_state = state
    capture.parse_error = error
    capture.parsed_at = utcnow()


def _filename(url: str) -> str | None:
    tail = url.split("?", 1)[0].rsplit("/", 1)[-1]
    return tail or None


def _source_hosts(db: Database) -> frozenset[str]:
    from pipeline.urls import host_of
    hosts: set[str] = set()
    with db.session() as s:
        for (start_urls,) in s.execute(select(Source.start_urls)):
            hosts.update(host_of(u) for u in start_urls or [])
    return frozenset(hosts)


# --------------------------------------------------------------------------- recovery

def recover(db: Database) -> list[int]:
    """Mark crawl runs whose process died (kill -9, power loss) as failed; return their ids."""
    import socket
    with db.session() as s:
        return runs.mark_interrupted(s, hostname=socket.gethostname(), alive_pids=_alive_pids())


def _alive_pids() -> set[int]:
    return {int(p) for p in os.listdir("/proc") if p.isdigit()} if os.path.isdir("/proc") else set()


def reset_parse_state(db: Database, *, states: Iterable[str] = ("parsed", "skipped", "failed")) -> int:
    """Mark captures to be parsed again (after a better cleaning rule): re-processing, not re-crawling."""
    from sqlalchemy import update
    with db.session() as s:
        res = s.execute(update(Capture).where(Capture.parse_state.in_(list(states)),
                                              Capture.body_sha256.is_not(None))
                        .values(parse_state="pending", parse_error=None))
        return res.rowcount or 0
