"""The parse job: pending captures → pipeline → stored reports, one capture per transaction.

Reads a batch of pending captures, runs the pure pipeline on each body, and writes the outcome
(the report, or the reason there is none) together with the capture's new state. Safe to re-run:
a capture is claimed before it is read, and storing the same document twice changes nothing.
"""
from __future__ import annotations

import copy
import logging
import threading
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterable

from sqlalchemy import or_, select, update

from jobs.config import Settings
from jobs.locks import PARSE_LOCK, LockBusy, Locks, make_locks
from pipeline.records import FileLimits, ParseFailure, ParseOptions, Skipped
from storage.db import Database
from storage.models import Capture, Source, utcnow

__all__ = ["ParseSummary", "parse_options", "parse_pending", "reset_parse_state",
           "learn_host_boilerplate"]

log = logging.getLogger("govreports.parse")

# Host boilerplate is learned from this many of a host's most recent HTML pages (list and detail):
# enough for a footer to show up on most of them, few enough to read in one query.
BOILERPLATE_SAMPLE_PAGES = 24


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
    # Skipped although marked as likely reports (jobs.unparsed): "URL: reason" each.
    possible_reports: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def counters(self) -> dict[str, int]:
        return {"parse/parsed": self.parsed, "parse/new_reports": self.new_reports,
                "parse/duplicates": self.duplicates, "parse/updated_reports": self.updated_reports,
                "parse/unchanged": self.unchanged, "parse/skipped": self.skipped,
                "parse/failed": self.failed, "parse/needs_ocr": self.needs_ocr,
                "parse/possible_reports": len(self.possible_reports)}

    def __add__(self, other: "ParseSummary") -> "ParseSummary":
        out = ParseSummary(errors=self.errors + other.errors,
                           possible_reports=self.possible_reports + other.possible_reports)
        for f in fields(ParseSummary):
            if f.name not in ("errors", "possible_reports"):
                setattr(out, f.name, getattr(self, f.name) + getattr(other, f.name))
        return out


def parse_options(settings: Settings, *, host_boilerplate: frozenset[str] = frozenset()) -> ParseOptions:
    return ParseOptions(min_report_chars=settings.parse.min_report_chars,
                        host_boilerplate=host_boilerplate, file_limits=file_limits(settings))


def file_limits(settings: Settings) -> FileLimits:
    """What the readers may unpack and hold for one document ([limits])."""
    lim = settings.limits
    return FileLimits(max_bytes=lim.max_file_bytes, max_unpacked_bytes=lim.max_unpacked_bytes,
                      max_pages=lim.max_pages, max_xml_part_bytes=lim.max_xml_part_bytes,
                      max_glyphs=lim.max_glyphs, max_page_objects=lim.max_page_objects,
                      max_text_chars=lim.max_text_chars)


def parse_pending(settings: Settings, db: Database, *, tokenizer: Any = None,
                  run_id: int | None = None, limit: int | None = None,
                  progress: Callable[[int], None] | None = None,
                  stop: threading.Event | None = None, locks: Locks | None = None) -> ParseSummary:
    """Parse pending captures into reports, a batch at a time; safe to re-run.

    One parser at a time per database (the parse lock; others wait for it): two parsers taking the
    same pending capture would both store it. Setting *stop* ends it between two captures.
    """
    from storage.faults import DatabaseFault, describe_db_error, is_db_error
    try:
        return _parse_pending(settings, db, tokenizer=tokenizer, run_id=run_id, limit=limit,
                              progress=progress, stop=stop, locks=locks)
    except DatabaseFault:
        raise
    except Exception as exc:  # the database failing outside a capture's transaction
        if not is_db_error(exc):
            raise
        msg = f"parse: {describe_db_error(exc, db.url)}"
        log.error(msg)
        raise DatabaseFault(msg) from None


def _parse_pending(settings: Settings, db: Database, *, tokenizer: Any, run_id: int | None,
                   limit: int | None, progress: Callable[[int], None] | None,
                   stop: threading.Event | None, locks: Locks | None) -> ParseSummary:
    own = locks is None
    locks = locks or make_locks(db, settings)
    try:
        try:
            held = locks.acquire(PARSE_LOCK, label="parse", wait=True, stop=stop,
                                 on_wait=lambda h: log.info("parse: waiting for another parser "
                                                            "(%s)", h.describe() if h else "?"))
        except LockBusy:  # only when stopped while waiting
            return ParseSummary()
        with held:
            parser = _Parser(settings, db, tokenizer)
            try:
                return parser.run(run_id=run_id, limit=limit, progress=progress, stop=stop)
            finally:
                parser.close()
    finally:
        if own:
            locks.close()


class _Parser:
    """One parse job: what it learns once (tokenizer, official hosts, host boilerplate) and reuses."""

    def __init__(self, settings: Settings, db: Database, tokenizer: Any) -> None:
        from pipeline.tokens import make_tokenizer
        self.settings = settings
        self.db = db
        self.tokenizer = tokenizer or make_tokenizer(settings.search.tokenizer)
        self.official_hosts = _source_hosts(db)
        self._boilerplate: dict[str, frozenset[str]] = {}
        from jobs.dedup import ParseDedup
        self.dedup = ParseDedup()  # near-duplicate index: loaded once, on first need
        self._possible: list[int] = []  # capture ids marked as possible reports, not parsed
        self._runner: Any = None  # jobs.parse_sandbox.ParseRunner, started on first need

    def close(self) -> None:
        """Let the parse worker processes go (jobs.sandbox)."""
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def _parse(self, body: bytes, **kwargs: Any) -> Any:
        if self._runner is None:
            from jobs.parse_sandbox import ParseRunner
            self._runner = ParseRunner(self.settings, self.tokenizer)
        return self._runner.parse(body, **kwargs)

    def run(self, *, run_id: int | None, limit: int | None,
            progress: Callable[[int], None] | None,
            stop: threading.Event | None) -> ParseSummary:
        summary = ParseSummary()
        last_id = 0
        done = 0
        batch_size = self.settings.parse.batch_size
        while limit is None or done < limit:
            with self.db.session() as s:
                stmt = (select(Capture.id).where(Capture.parse_state == "pending",
                                                 Capture.id > last_id)
                        .order_by(Capture.id)
                        .limit(batch_size if limit is None else min(batch_size, limit - done)))
                if run_id is not None:
                    stmt = stmt.where(Capture.run_id == run_id)
                ids = list(s.scalars(stmt))
            if not ids:
                break
            for capture_id in ids:
                if stop is not None and stop.is_set():
                    return summary
                last_id = capture_id
                done += 1
                if progress:
                    progress(1)
                self._parse_guarded(capture_id, summary)
        self._settle_possible_reports(summary)
        if summary.new_reports or summary.updated_reports:
            self._refresh_search_stats()
        return summary

    def _parse_guarded(self, capture_id: int, summary: ParseSummary) -> None:
        """_parse_one, with database faults in words: a lost connection is tried once more on a
        new one (the capture's transaction was rolled back, nothing is half-stored); any other
        fault (read-only, disk full, a damaged file) ends the job with one line (DatabaseFault),
        as every further capture would meet it too."""
        from storage.faults import DatabaseFault, describe_db_error, is_db_error, is_disconnect
        for attempt in (1, 2):
            before = copy.deepcopy(summary)
            try:
                self._parse_one(capture_id, summary)
                return
            except Exception as exc:
                if not is_db_error(exc):
                    raise
                for f in fields(ParseSummary):  # the counts of what was rolled back
                    setattr(summary, f.name, getattr(before, f.name))
                msg = f"store: capture {capture_id}: {describe_db_error(exc, self.db.url)}"
                if is_disconnect(exc) and attempt == 1:
                    log.warning("%s; trying again on a new connection", msg)
                    continue
                log.error(msg)
                summary.errors.append(msg)
                raise DatabaseFault(msg) from None

    def _settle_possible_reports(self, summary: ParseSummary) -> None:
        """A possible report whose attachment was stored meanwhile is no loss (jobs.unparsed)."""
        if not self._possible:
            return
        from jobs.unparsed import settle
        with self.db.session() as s:
            still = settle(s, self._possible)
        summary.possible_reports = [f"{c.final_url or c.url}: {c.parse_error}" for c in still]
        summary.skipped += len(self._possible) - len(still)

    def _refresh_search_stats(self) -> None:
        """Measure again which words are too common to rank on, once the collection has grown
        by a tenth (storage.search.refresh_common_words); search stays right without it."""
        from storage.search import refresh_common_words
        try:
            with self.db.session() as s:
                refresh_common_words(s)
        except Exception as exc:  # ranking falls back to the last measure; parsing is done
            log.warning("parse: search statistics not refreshed: %s", exc)

    def _parse_one(self, capture_id: int, summary: ParseSummary, ocr: Any = None) -> None:
        """Parse and store one pending capture; with *ocr* (jobs/ocr.py), one that waited for
        OCR, read with the OCR's text."""
        from pipeline.urls import host_of, is_official_host
        from storage.raw import get_body
        from storage.reports import store_document

        with self.db.session() as s:
            # Claim the capture with a write before reading anything: on PostgreSQL its row stays
            # locked until this transaction ends; on SQLite the transaction holds the write lock.
            s.execute(update(Capture).where(Capture.id == capture_id)
                      .values(parse_state=Capture.parse_state))
            capture = s.get(Capture, capture_id)
            waiting = "pending" if ocr is None else "needs_ocr"
            if capture is None or capture.parse_state != waiting:  # parsed meanwhile
                return
            url = capture.final_url or capture.url
            body = get_body(s, capture.body_sha256) if capture.body_sha256 else None
            if body is None:
                _mark(capture, "skipped", "parse: no body stored")
                summary.skipped += 1
                return
            host = host_of(url)
            options = parse_options(self.settings,
                                    host_boilerplate=self._host_boilerplate(s, host))
            try:
                # In a worker process under [limits] (jobs.parse_sandbox).
                result = self._parse(body, url=url, content_type=capture.content_type,
                                     filename=_filename(url), options=options, ocr=ocr)
            except ParseFailure as exc:
                self._fail(capture, summary, f"{exc.stage}: {url}: {exc.reason}")
                return
            except Exception as exc:  # a bug must not stop the batch; recorded on the capture
                self._fail(capture, summary,
                           f"parse: {url}: unexpected {exc.__class__.__name__}: {exc}", exc=True)
                return
            if isinstance(result, Skipped):
                # The pipeline has tried its fallback extractor already (pipeline.cascade).
                from jobs.unparsed import POSSIBLE_REPORT, why_likely
                likely = why_likely(s, capture, result)
                if likely:
                    _mark(capture, POSSIBLE_REPORT, f"{result.stage}: {result.reason}; likely a report by its {likely}")
                    self._possible.append(capture.id)
                    log.warning("parse: %s: possible report, not parsed: %s", url, capture.parse_error)
                    return
                _mark(capture, "skipped", f"{result.stage}: {result.reason}")
                summary.skipped += 1
                return
            if result.status == "needs_ocr" and ocr is not None:
                self._fail(capture, summary, f"ocr: {url}: still needs OCR after OCR")
                return
            if result.status == "needs_ocr":
                _mark(capture, "needs_ocr", "file: no text layer; needs OCR"
                      if result.source_format != "html" else "extract: pages are pictures; needs OCR")
                stage, why = capture.parse_error.split(": ", 1)
                log.info("%s: %s: %s", stage, url, why)  # why the document is not there yet
                summary.needs_ocr += 1
                return
            prepared = self.dedup.prepare(result)  # the MinHash, stored and compared
            outcome = store_document(
                s, result, url=url, canonical_url=capture.canonical_url, host=host,
                official=is_official_host(host, self.official_hosts),
                is_attachment=capture.role == "attachment", capture_id=capture.id,
                seen_at=capture.fetched_at, tokenizer=self.tokenizer,
                match=self.dedup.match(s, result, prepared, capture.canonical_url),
                signature=prepared.data if prepared else None)
            self.dedup.stored(outcome, result, prepared)
            capture.report_id = outcome.report_id
            _mark(capture, "parsed", None)
            summary.parsed += 1
            _count_outcome(summary, outcome.action)

    def _fail(self, capture: Capture, summary: ParseSummary, msg: str, *, exc: bool = False) -> None:
        _mark(capture, "failed", msg)
        summary.failed += 1
        summary.errors.append(msg)
        (log.exception if exc else log.warning)(msg)

    def _host_boilerplate(self, session, host: str) -> frozenset[str]:
        if host not in self._boilerplate:
            self._boilerplate[host] = learn_host_boilerplate(session, host)
        return self._boilerplate[host]


def learn_host_boilerplate(session, host: str, *,
                           sample: int = BOILERPLATE_SAMPLE_PAGES) -> frozenset[str]:
    """Lines that recur across a host's pages are its chrome (a footer no rule knows).

    Learned from the host's recent list and detail pages; a line counts only if it is also on the
    host's list or home pages, so a sentence many of its reports share ("现将有关情况报告如下") is
    never taken for chrome. A frozen date under every article title is the one exception the list
    pages cannot confirm; fields.find_date guards against that on its own.
    """
    from pipeline.clean import learn_boilerplate
    from pipeline.process import page_lines
    from storage.raw import get_body

    rows = session.execute(
        select(Capture.body_sha256, Capture.content_type, Capture.role)
        .where(or_(Capture.canonical_url.like(f"http://{host}/%"),
                   Capture.canonical_url.like(f"https://{host}/%")),
               Capture.body_sha256.is_not(None),
               Capture.role.in_(("list", "home", "detail")))
        .order_by(Capture.id.desc()).limit(sample)).all()
    pages: list[tuple[str, ...]] = []
    navigation: set[str] = set()
    seen: set[str] = set()
    for sha, content_type, role in rows:
        if sha in seen:
            continue
        seen.add(sha)
        body = get_body(session, sha)
        lines = page_lines(body, content_type=content_type) if body else ()
        if not lines:
            continue
        pages.append(lines)
        if role in ("list", "home"):
            navigation.update(lines)
    learned = learn_boilerplate(pages)
    return frozenset(line for line in learned if line in navigation)


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


def reset_parse_state(db: Database, *,
                      states: Iterable[str] = ("parsed", "skipped", "failed", "possible_report")) -> int:
    """Mark captures to be parsed again (after a better cleaning rule): re-processing, not re-crawling."""
    with db.session() as s:
        res = s.execute(update(Capture).where(Capture.parse_state.in_(list(states)),
                                              Capture.body_sha256.is_not(None))
                        .values(parse_state="pending", parse_error=None))
        return res.rowcount or 0
