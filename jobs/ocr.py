"""The OCR step: documents waiting for OCR (captures the parse job left in state needs_ocr: PDFs
without a text layer, or with scanned pages among text pages, and report pages made of page
pictures) → their pages read → parsed and stored like any other document.

- Cost under control: a page limit per document and a time limit per page ([ocr] settings), one
  onnxruntime thread by default, and a batch of documents per run. It runs as its own step: the
  "ocr" Celery queue when a broker is set (jobs/worker.py), its own scheduled job in
  `govreports serve` otherwise (jobs/service.py), `govreports ocr` by hand, and after the parse of
  a one-off `govreports crawl`.
- Resumable: every page read is committed at once, keyed by the bytes it was read from
  (storage.models.OcrPage), so a run killed half-way goes on from the first page not stored, and
  a scan captured again (or at a second URL) is not read again.
- The per-page work is one call of `read_pages` with plain arguments (bytes, numbers) returning
  plain values, and it runs in a worker process under [limits] (jobs.sandbox), as the parse
  does: a scan built to hurt the renderer (a page whose picture claims to be gigapixels) is
  recorded as failed with "memory limit" / "time limit", and the batch goes on. Reading what to
  OCR of a document (its plan, its text pages) runs there too.
- Pages read, the document is parsed with the OCR's text (pipeline.process.parse_document's
  `ocr`) and stored by the parse job's own code (jobs.parsing), under the parse lock: cleaning,
  fields, near-duplicate merging and search are the same as for any text. The report's fields
  (meta.ocr, meta.ocr_confidence) and storage.models.OcrDocument say that it came from OCR and
  how sure the engine was.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from sqlalchemy import func, select

from jobs.config import Settings
from jobs.locks import PARSE_LOCK, LockBusy, Locks, make_locks
from storage.db import Database
from storage.models import Capture, OcrDocument, OcrPage, utcnow

__all__ = ["OcrSummary", "read_pages", "run_ocr", "ocr_pdf", "waiting_documents", "PAGE_PICTURE"]

log = logging.getLogger("govreports.ocr")

# A picture is taken for a page when it is portrait (height 1.1 to 2 times its width, A4 is 1.41)
# and at least this many pixels across: smaller ones are photos, icons, infographics.
PAGE_PICTURE = {"min_width": 400, "min_ratio": 1.1, "max_ratio": 2.0}


@dataclass
class OcrSummary:
    documents: int = 0  # documents whose OCR finished in this run
    pages_read: int = 0
    pages_reused: int = 0  # read before (a resumed run, a scan captured again)
    pages_failed: int = 0  # timed out, unreadable, past the page limit, not fetched
    new_reports: int = 0
    duplicates: int = 0
    updated_reports: int = 0
    failed: int = 0
    waiting: int = 0  # still waiting when the run ended
    errors: list[str] = field(default_factory=list)

    def counters(self) -> dict[str, int]:
        return {f"ocr/{f.name}": getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name != "errors"}


# --------------------------------------------------------------------------- the pure page work

@functools.lru_cache(maxsize=2)
def _engine(threads: int) -> Any:
    """One engine per process and thread count: loading the models takes about 0.3 s."""
    from pipeline.ocr import make_engine
    return make_engine(threads)


def engine_name(threads: int = 1) -> str:
    return _engine(threads).name


def read_pages(source: bytes, kind: str, pages: Sequence[int], *, dpi: int, page_seconds: float,
               max_pixels: int, threads: int = 1, engine: Any = None) -> list[dict[str, Any]]:
    """Read *pages* of a PDF (kind "pdf") or the one page of a picture (kind "image", page 0).

    Plain values in and out (pipeline.ocr.OcrPage.as_dict, with "engine"), so that it can run in a
    process of its own; it never raises for bad input: a page that cannot be read comes back with
    status "failed" and the reason, a picture that is not a page with status "skipped".
    """
    from pipeline import ocr

    engine = engine or _engine(threads)
    out: list[dict[str, Any]] = []

    def page(number: int, status: str, error: str) -> dict[str, Any]:
        d = ocr.OcrPage(number, ocr.A4_POINTS[0], ocr.A4_POINTS[1], (), status, error).as_dict()
        return {**d, "engine": engine.name}

    if kind == "image":
        size = ocr.image_size(source)
        if size is None:
            return [page(0, "failed", "not a readable image")]
        w, h = size
        short, long_ = min(w, h), max(w, h)
        if h < w or short < PAGE_PICTURE["min_width"] or not (
                PAGE_PICTURE["min_ratio"] <= long_ / short <= PAGE_PICTURE["max_ratio"]):
            return [page(0, "skipped", f"not a picture of a page ({w}x{h} pixels)")]
        try:
            image, px_per_point = ocr.page_from_image(source, dpi=dpi, max_pixels=max_pixels)
        except ocr.OcrError as exc:
            return [page(0, "failed", str(exc))]
        result = ocr.read_page(engine, image, number=0, px_per_point=px_per_point,
                               seconds=page_seconds)
        return [{**result.as_dict(), "engine": engine.name}]
    # Pages far larger than A4 are rendered smaller rather than into gigabytes of pixels.
    max_side = int((max_pixels * 1.42) ** 0.5)
    try:
        for number, image, width, _, error in ocr.render_pdf_pages(source, pages, dpi=dpi,
                                                                   max_side=max_side):
            if image is None:
                out.append(page(number, "failed", error))
                continue
            result = ocr.read_page(engine, image, number=number,
                                   px_per_point=image.shape[1] / width, seconds=page_seconds)
            out.append({**result.as_dict(), "engine": engine.name})
    except ocr.OcrError as exc:
        done = {d["number"] for d in out}
        out += [page(n, "failed", str(exc)) for n in pages if n not in done]
    return out


def ocr_pdf(settings: Settings, body: bytes, pages: Sequence[int], *, engine: Any = None) -> Any:
    """The OCR text of a PDF file's *pages* (those a parse found to need OCR), among the text
    layer's other pages, with nothing stored: `govreports parse FILE`. Read in the sandbox
    under [limits], as the OCR job reads (a page past a limit is a page not read)."""
    from pipeline.ocr import OcrPage as Page
    from pipeline.ocr import OcrText, ocr_text

    cfg = settings.ocr
    wanted = list(pages)[:cfg.max_pages]
    with _Reader(settings, engine) as reader:
        results = [reader.page(body, "pdf", n) for n in wanted]
        try:
            text_pages = list(reader.text_pages(body, pages).values())
        except Exception:  # noqa: BLE001 - a limit, or a text layer unreadable: the OCR'd pages
            text_pages = []
    read = [Page.from_dict(d) for d in results]
    ok = [p for p in read if p.status != "failed"]
    failed = tuple(p.number for p in read if p.status != "ok") + tuple(pages)[cfg.max_pages:]
    name = next((d["engine"] for d in results if d.get("engine")), None) or _engine_label(engine)
    whole = ocr_text(sorted(ok + text_pages, key=lambda p: p.number), engine=name)
    return OcrText(whole.lines, ocr_text(ok).confidence, len(ok), failed, name)


# --------------------------------------------------------------------------- in the sandbox

# Set in each sandbox worker when it starts: the engine pages are read with (jobs.sandbox).
_worker_engine: Any = None


def _init_worker(engine: Any, threads: int) -> None:
    """Load the engine in the worker before its memory limit is set: the models (some 100 MB)
    are the worker's idle size, not a page's cost; onnxruntime's threads start in the worker."""
    global _worker_engine
    _worker_engine = engine if engine is not None else _engine(threads)


def _read_in_worker(source: bytes, kind: str, pages: Sequence[int], **kwargs: Any) -> list[dict[str, Any]]:
    from jobs.sandbox import set_stage
    set_stage("ocr")
    return read_pages(source, kind, pages, engine=_worker_engine, **kwargs)


def _plan_in_worker(body: bytes, url: str, content_type: str | None,
                    filename: str | None) -> tuple[Any, dict[int, Any]]:
    """ocr_plan and the text layer's pages of a PDF (as pipeline.ocr.OcrPage): both read the
    whole crawled file."""
    from jobs.sandbox import set_stage
    from pipeline.process import ocr_plan

    set_stage("ocr")
    plan = ocr_plan(body, url=url, content_type=content_type, filename=filename)
    text_pages: dict[int, Any] = {}
    if plan is not None and plan.kind == "pdf" and plan.pages:
        text_pages = _text_pages_in_worker(body, plan.pages)
    return plan, text_pages


def _text_pages_in_worker(body: bytes, scanned: Sequence[int]) -> dict[int, Any]:
    """The PDF's pages with a text layer, but *scanned*, as pipeline.ocr.OcrPage."""
    from pipeline.files._common import Limits
    from pipeline.files.pdf import pdf_text_pages
    from pipeline.ocr import OcrLine
    from pipeline.ocr import OcrPage as Page
    from pipeline.records import ParseFailure

    try:
        text = pdf_text_pages(body, Limits(50_000_000, 200_000_000, 500))
    except ParseFailure:
        return {}
    return {number: Page(number, width, height, tuple(
                OcrLine(r.text, 1.0, r.x0, r.top, r.x1, r.top + r.size * 1.2) for r in rows))
            for number, (width, height, rows) in text.items() if number not in scanned}


class _Reader:
    """Runs the OCR job's reading of crawled bytes: in a sandbox worker under [limits] (a page
    may use its [ocr] page_seconds on top of them), or in this process when [limits] sandbox is
    off. Use as a context manager: it owns the worker."""

    def __init__(self, settings: Settings, engine: Any) -> None:
        self.settings = settings
        self.engine = engine
        self.sandbox: Any = None
        if settings.limits.sandbox:
            from jobs.parse_sandbox import sandbox_limits
            from jobs.sandbox import Sandbox
            lim = sandbox_limits(settings)
            page = settings.ocr.page_seconds
            limits = dataclasses.replace(lim, cpu_seconds=lim.cpu_seconds + page,
                                         wall_seconds=lim.wall_seconds + page)
            self.sandbox = Sandbox(limits, initializer=_init_worker,
                                   initargs=(engine, settings.ocr.threads))

    def __enter__(self) -> "_Reader":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.sandbox is not None:
            self.sandbox.close()

    def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """fn's result; raises jobs.sandbox.LimitExceeded at a limit."""
        if self.sandbox is None:
            return fn(*args, **kwargs)
        return self.sandbox.run(fn, *args, **kwargs)

    def plan(self, body: bytes, url: str, content_type: str | None,
             filename: str | None) -> tuple[Any, dict[int, Any]]:
        return self._run(_plan_in_worker, body, url, content_type, filename)

    def text_pages(self, body: bytes, scanned: Sequence[int]) -> dict[int, Any]:
        return self._run(_text_pages_in_worker, body, tuple(scanned))

    def page(self, source: bytes, kind: str, number: int) -> dict[str, Any]:
        """One page read, or failed with the limit it hit, in words."""
        from jobs.sandbox import LimitExceeded
        cfg = self.settings.ocr
        kwargs = dict(dpi=cfg.dpi, page_seconds=cfg.page_seconds,
                      max_pixels=cfg.max_image_pixels, threads=cfg.threads)
        if self.sandbox is None:
            (result,) = read_pages(source, kind, [number], engine=self.engine, **kwargs)
            return result
        try:
            (result,) = self.sandbox.run(_read_in_worker, source, kind, [number], **kwargs)
            return result
        except LimitExceeded as exc:
            from pipeline import ocr
            d = ocr.OcrPage(number, ocr.A4_POINTS[0], ocr.A4_POINTS[1], (), "failed",
                            limit_words(exc)).as_dict()
            return {**d, "engine": _engine_label(self.engine)}


def limit_words(exc: Any, what: str = "the page") -> str:
    """A limit hit reading *what*, in words (jobs.parse_sandbox.limit_failure's)."""
    from jobs.parse_sandbox import limit_failure
    return limit_failure(exc).reason.replace("reading it", f"reading {what}").replace(
        "; left unread", "")


_LIMIT_HITS = ("memory limit", "time limit", "the worker")


def _engine_label(engine: Any) -> str:
    # The real engine is loaded in the worker only; its name is known without loading it.
    if engine is not None:
        return engine.name
    from pipeline.ocr import default_engine_name
    return default_engine_name()


# --------------------------------------------------------------------------- the job

def waiting_documents(session) -> int:
    """Captures waiting for OCR."""
    return int(session.scalar(select(func.count()).select_from(Capture)
                              .where(Capture.parse_state == "needs_ocr")) or 0)


@dataclass
class _Source:
    """Bytes OCR reads for one document: the PDF, or one page picture."""

    sha256: str | None  # None: a picture that was never fetched
    body: bytes | None
    kind: str  # pdf | image
    pages: tuple[int, ...]
    label: str  # URL, for messages


@dataclass
class _Document:
    capture_id: int
    url: str
    sources: list[_Source]
    text_pages: dict[int, Any] = field(default_factory=dict)  # PDF pages with a text layer
    left_out: tuple[int, ...] = ()  # pages past the page limit


def run_ocr(settings: Settings, db: Database, *, limit: int | None = None,
            stop: threading.Event | None = None, engine: Any = None, tokenizer: Any = None,
            locks: Locks | None = None,
            progress: Callable[[int], None] | None = None) -> OcrSummary:
    """OCR up to *limit* (default [ocr] batch_documents) waiting documents, then parse and store
    them. Safe to stop (*stop*) and to run again: pages read are kept."""
    cfg = settings.ocr
    summary = OcrSummary()
    with db.session() as s:
        if not cfg.enabled:
            summary.waiting = waiting_documents(s)
            return summary
        ids = list(s.scalars(select(Capture.id).where(Capture.parse_state == "needs_ocr")
                             .order_by(Capture.id).limit(limit or cfg.batch_documents)))
    finished: list[tuple[int, Any]] = []
    with _Reader(settings, engine) as reader:
        for capture_id in ids:
            if stop is not None and stop.is_set():
                break
            try:
                text = _read_document(settings, db, capture_id, summary, reader, stop)
            except Exception as exc:  # one document's trouble must not stop the others
                msg = f"ocr: capture {capture_id}: unexpected {exc.__class__.__name__}: {exc}"
                log.exception(msg)
                _fail(db, capture_id, msg, summary)
                continue
            if text is not None:
                finished.append((capture_id, text))
            if progress:
                progress(1)
    if finished:
        _store(settings, db, finished, summary, tokenizer, locks, stop)
    with db.session() as s:
        summary.waiting = waiting_documents(s)
    return summary


def _read_document(settings: Settings, db: Database, capture_id: int, summary: OcrSummary,
                   reader: _Reader, stop: threading.Event | None) -> Any | None:
    """Read the document's pages not read yet, one committed page at a time; its OCR text once
    every page is read (None when stopped, failed, or when it turned out to need no OCR)."""
    from pipeline.ocr import OcrPage as Page

    cfg = settings.ocr
    try:
        doc = _plan(settings, db, capture_id, reader)
    except _PlanFailed as exc:
        log.warning(exc.msg)
        _fail(db, capture_id, exc.msg, summary)
        return None
    if doc is None:
        return None
    wanted = [(src, n) for src in doc.sources for n in src.pages]
    with db.session() as s:
        known = _stored_pages(s, [src.sha256 for src in doc.sources if src.sha256])
        row = s.get(OcrDocument, capture_id) or OcrDocument(capture_id=capture_id, seconds=0.0)
        row.status, row.pages_total, row.updated_at = "reading", len(wanted), utcnow()
        row.pages_done = sum(1 for src, n in wanted if (src.sha256, n) in known)
        s.add(row)
    for src, number in wanted:
        if src.sha256 is None or (src.sha256, number) in known:
            if src.sha256 is not None:
                summary.pages_reused += 1
            continue
        if stop is not None and stop.is_set():
            return None
        result = reader.page(src.body or b"", src.kind, number)
        page = Page.from_dict(result)
        with db.session() as s:
            chars = sum(len(ln.text) for ln in page.lines)
            s.add(OcrPage(source_sha256=src.sha256, page=number, status=page.status,
                          engine=result["engine"][:100], dpi=cfg.dpi, width=page.width,
                          height=page.height, lines=[ln.as_list() for ln in page.lines],
                          confidence=(sum(ln.confidence * len(ln.text) for ln in page.lines) / chars
                                      if chars else None),
                          seconds=page.seconds, error=page.error or None))
            row = s.get(OcrDocument, capture_id)
            if row is not None:
                row.pages_done += 1
                row.seconds += page.seconds
                row.updated_at = utcnow()
        known[(src.sha256, number)] = (page, result["engine"])
        summary.pages_read += 1
        if page.status not in ("ok", "skipped"):
            log.warning("ocr: %s: page %d: %s: %s", src.label, number + 1, page.status, page.error)
    # Every page is read: the document in reading order, pictures numbered as its pages.
    pages: list[Page] = []
    failed: list[int] = []
    n = 0
    for src in doc.sources:
        for number in src.pages:
            if src.kind == "pdf":
                n = number
            got = known[(src.sha256, number)][0] if (src.sha256, number) in known else None
            if got is None or got.status == "failed":
                failed.append(n)
            elif got.status != "skipped":
                if got.status != "ok":
                    failed.append(n)
                pages.append(dataclasses.replace(got, number=n))
            if src.kind == "image" and (got is None or got.status != "skipped"):
                n += 1
    failed += list(doc.left_out)
    summary.pages_failed += len(failed)
    engines = sorted({name for _, name in known.values() if name})
    # A page that stopped at a limit ([limits], in the sandbox) makes a document of no other
    # page a failure, in words, rather than a scan with nothing on it.
    hit = next((f"page {n + 1}: {p.error}" for src in doc.sources for n in src.pages
                for p, _ in [known.get((src.sha256, n), (None, ""))]
                if p is not None and p.status == "failed" and p.error.startswith(_LIMIT_HITS)), None)
    if not pages and hit:
        msg = f"ocr: {doc.url}: {hit}"
        _fail(db, capture_id, msg, summary)
        return None
    return _ocr_text(doc, pages, failed, engines[0] if engines else "", db)


def _ocr_text(doc: _Document, pages: list, failed: list[int], engine: str,
              db: Database) -> Any | None:
    from pipeline.ocr import OcrText, ocr_text
    if not pages:
        with db.session() as s:
            capture = s.get(Capture, doc.capture_id)
            reason = "ocr: no page could be read" if failed else "ocr: no pictures of pages"
            if capture is not None:
                capture.parse_state, capture.parse_error, capture.parsed_at = "skipped", reason, utcnow()
            _finish_row(s, doc.capture_id, "failed" if failed else "done", None, engine, reason)
        return None
    read = ocr_text(pages, engine=engine)
    everything = ocr_text(sorted(pages + list(doc.text_pages.values()), key=lambda p: p.number),
                          engine=engine) if doc.text_pages else read
    # The confidence is the engine's, over the pages it read (not the text layer's pages).
    return OcrText(everything.lines, read.confidence, len(pages), tuple(sorted(set(failed))), engine)


def _stored_pages(session, shas: list[str]) -> dict[tuple[str, int], tuple[Any, str]]:
    """(page, engine) of every page stored of these bodies."""
    from pipeline.ocr import OcrLine
    from pipeline.ocr import OcrPage as Page
    out: dict[tuple[str, int], tuple[Any, str]] = {}
    if not shas:
        return out
    for row in session.scalars(select(OcrPage).where(OcrPage.source_sha256.in_(sorted(set(shas))))):
        page = Page(row.page, row.width, row.height,
                    tuple(OcrLine.from_list(x) for x in row.lines or ()), row.status,
                    row.error or "", row.seconds)
        out[(row.source_sha256, row.page)] = (page, row.engine)
    return out


class _PlanFailed(Exception):
    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


def _plan(settings: Settings, db: Database, capture_id: int, reader: _Reader) -> _Document | None:
    """What to read for one waiting capture: its PDF's pages, or the page's pictures. Raises
    _PlanFailed when reading the file hit a limit."""
    from jobs.sandbox import LimitExceeded
    from pipeline.urls import canonical_url
    from storage.raw import get_body

    limit = settings.ocr.max_pages
    with db.session() as s:
        capture = s.get(Capture, capture_id)
        if capture is None or capture.parse_state != "needs_ocr":
            return None
        url = capture.final_url or capture.url
        body = get_body(s, capture.body_sha256) if capture.body_sha256 else None
        plan, text_pages = None, {}
        if body:
            try:
                plan, text_pages = reader.plan(body, url, capture.content_type,
                                               url.split("?", 1)[0].rsplit("/", 1)[-1] or None)
            except LimitExceeded as exc:
                raise _PlanFailed(f"ocr: {url}: {limit_words(exc, 'it')}") from None
        if plan is None:  # the parser reads it without OCR now: parse it again
            capture.parse_state, capture.parse_error = "pending", None
            return None
        doc = _Document(capture_id, url, [])
        if plan.kind == "pdf":
            doc.sources.append(_Source(capture.body_sha256, body, "pdf", plan.pages[:limit], url))
            doc.left_out = plan.pages[limit:]
            doc.text_pages = dict(text_pages)
            return doc
        for image_url in plan.images[:limit]:
            found = s.execute(
                select(Capture.body_sha256).where(Capture.canonical_url == canonical_url(image_url),
                                                  Capture.body_sha256.is_not(None))
                .order_by(Capture.id.desc()).limit(1)).first()
            sha = found[0] if found else None
            doc.sources.append(_Source(sha, get_body(s, sha) if sha else None, "image", (0,),
                                       image_url))
            if sha is None:
                log.warning("ocr: %s: page picture %s was not fetched", url, image_url)
        doc.left_out = tuple(range(limit, len(plan.images)))
        return doc


def _store(settings: Settings, db: Database, finished: list[tuple[int, Any]],
           summary: OcrSummary, tokenizer: Any, locks: Locks | None,
           stop: threading.Event | None) -> None:
    """Parse and store the documents read, under the parse lock, with the parse job's code."""
    from jobs.parsing import ParseSummary, _Parser

    own = locks is None
    locks = locks or make_locks(db, settings)
    try:
        try:
            held = locks.acquire(PARSE_LOCK, label="ocr", wait=True, stop=stop)
        except LockBusy:  # stopped while waiting: the pages are kept, the next run stores them
            return
        with held:
            parser = _Parser(settings, db, tokenizer)
            for capture_id, text in finished:
                parsed = ParseSummary()
                parser._parse_one(capture_id, parsed, ocr=text)
                summary.documents += 1
                summary.new_reports += parsed.new_reports
                summary.duplicates += parsed.duplicates
                summary.updated_reports += parsed.updated_reports
                summary.failed += parsed.failed
                summary.errors += parsed.errors
                with db.session() as s:
                    _finish_row(s, capture_id, "failed" if parsed.failed else "done",
                                text.confidence, text.engine,
                                parsed.errors[0] if parsed.errors else _left_out(text))
            if summary.new_reports or summary.updated_reports:
                parser._refresh_search_stats()
            parser.close()
    finally:
        if own:
            locks.close()


def _left_out(text: Any) -> str | None:
    if not text.failed_pages:
        return None
    return "pages not read: " + ", ".join(str(n + 1) for n in text.failed_pages)


def _finish_row(session, capture_id: int, status: str, confidence: float | None, engine: str,
                error: str | None) -> None:
    row = session.get(OcrDocument, capture_id)
    if row is None:
        row = OcrDocument(capture_id=capture_id, pages_total=0, pages_done=0, seconds=0.0)
        session.add(row)
    row.status, row.confidence, row.engine = status, confidence, engine[:100] or None
    row.pages_failed = 0 if error is None or not error.startswith("pages") else error.count(",") + 1
    row.error, row.updated_at = error, utcnow()


def _fail(db: Database, capture_id: int, msg: str, summary: OcrSummary) -> None:
    summary.failed += 1
    summary.errors.append(msg)
    with db.session() as s:
        capture = s.get(Capture, capture_id)
        if capture is not None:
            capture.parse_state, capture.parse_error, capture.parsed_at = "failed", msg, utcnow()
        _finish_row(s, capture_id, "failed", None, "", msg)
