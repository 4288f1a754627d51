"""One document through the stages: sniff → decode → extract → clean → fields.

`parse_document` takes the bytes of a capture (HTML, plain text, or a PDF/DOCX/DOC/WPS/OFD file
read by pipeline.files) and returns a ParsedDocument, or Skipped for an expected non-document
(a list page, too little text, a format nobody reads). It raises ParseFailure only for broken
input, with the stage it broke in. `parse_text` does the same for text already decoded.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from pipeline.clean import Cleaned, clean_lines, is_info_line, normalise_line
from pipeline.decode import decode_html, decode_text
from pipeline.cascade import extract_main, is_list_verdict
from pipeline.extract import Extracted, extract_html, scan_images
from pipeline.body import says_nothing
from pipeline.fields import (find_date, find_kind, find_sections, find_year, issuer_and_source, keywords,
                             page_title, parse_date, title_from_lines)
from pipeline.records import ParsedDocument, ParseFailure, ParseOptions, Skipped
from pipeline.regions import government_of, resolve_region
from pipeline.titles import classify_title, normalise_title

try:  # PDF, DOCX, DOC, WPS and OFD text (its own module; HTML and text work without it)
    from pipeline.files import extract_file_text, sniff_format
except ImportError:  # pragma: no cover - only while pipeline.files is absent
    extract_file_text = None  # type: ignore[assignment]
    sniff_format = None  # type: ignore[assignment]

__all__ = ["parse_document", "parse_text", "page_lines", "ocr_plan", "OcrPlan", "STAGES"]

_FILE_FORMATS = ("pdf", "docx", "doc", "wps", "ofd")
_SITE_CODE = re.compile(r"网站标识码\s*[:：]?\s*(\d{10})")
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|div|table|p\b|script|link|style|text\b)",
                         re.I | re.S)


@dataclass
class _Work:
    """What the stages hand on to each other for one document."""

    body: bytes | None
    url: str | None
    content_type: str | None
    filename: str | None
    options: ParseOptions
    tokenizer: Any = None
    fmt: str = ""
    text: str | None = None
    status: str = "ok"
    page: Extracted | None = None
    lines: list[str] = field(default_factory=list)
    title: str | None = None
    title_lines: list[str] = field(default_factory=list)
    file_meta: dict[str, str] = field(default_factory=dict)
    cleaned: Cleaned | None = None
    doc: ParsedDocument | None = None
    force_fallback: bool = False  # the second try of a page that would be skipped
    ocr: Any = None  # pipeline.ocr.OcrText read from the document's pages, if it was OCR'd
    ocr_pages: tuple[int, ...] = ()  # a PDF's pages that need OCR
    scan_images: tuple[Any, ...] = ()  # an HTML page's pictures of pages (Links)
    on_stage: Callable[[str], None] | None = None  # told each stage as it starts


@dataclass(frozen=True)
class OcrPlan:
    """What OCR must read of a document that needs it: a PDF's pages, or a page's pictures."""

    kind: str  # "pdf" | "images"
    pages: tuple[int, ...] = ()  # the PDF's pages (0-based)
    images: tuple[str, ...] = ()  # the pictures' URLs, in order


def _sniff(w: _Work) -> Skipped | None:
    if w.fmt:
        return None
    body = w.body or b""
    if sniff_format is not None:
        w.fmt = sniff_format(body, content_type=w.content_type, filename=w.filename)
        if w.fmt == "text" and _HTML_START.match(body[:4096]):
            w.fmt = "html"
    else:
        ct = (w.content_type or "").lower()
        if "html" in ct or _HTML_START.match(body[:4096]):
            w.fmt = "html"
        elif ct.startswith("text/") or (w.filename or "").lower().endswith(".txt") or b"\x00" not in body[:4096]:
            w.fmt = "text"
        else:
            w.fmt = "unknown"
    if w.fmt == "image":
        return Skipped("decode", "a picture: read by OCR with the report page that shows it")
    if w.fmt not in ("html", "text") and (w.fmt not in _FILE_FORMATS or extract_file_text is None):
        return Skipped("decode", f"unsupported format: {w.fmt}")
    return None


def _decode(w: _Work) -> Skipped | None:
    if w.text is not None or w.fmt in _FILE_FORMATS:
        return None
    body = w.body or b""
    w.text = decode_html(body, w.content_type) if w.fmt == "html" else decode_text(body, w.content_type)
    limit = w.options.file_limits.max_text_chars
    if w.fmt == "text" and len(w.text) > limit:  # what cleaning would walk line by line
        raise ParseFailure("decode", f"text too long: {len(w.text)} characters, more than {limit} "
                           "(limit [limits] max_text_chars)")
    return None


def _title_lines(lines: list[str], title: str | None, extra: tuple[str | None, ...] = ()) -> int:
    """How many leading lines of the body repeat the title (whole, or cut over two lines)."""
    keys = [normalise_title(t) for t in (title, *extra) if t]
    keys = [k for k in keys if len(k) >= 4]
    if not keys:
        return 0
    n = 0
    joined = ""
    for line in lines[:4]:
        key = normalise_title(line)
        if not key:
            n += 1
            continue
        if any(key == k or (len(key) >= 4 and key in k and (joined + key) in k) for k in keys):
            joined += key
            n += 1
            continue
        if is_info_line(line) and n:
            break
        break
    return n


def _extract(w: _Work) -> Skipped | None:
    if w.fmt == "html":
        page = extract_main(w.text or "", url=w.url, force=w.force_fallback)
        w.page = page
        w.title = page_title(page.meta, page.info, page.h1, page.html_title)
        if not page.lines and not scan_images(page):
            return Skipped("extract", "no main text")
        if is_list_verdict(page):
            return Skipped("extract", "list page")
        w.scan_images = scan_images(page)
        body_lines = page.lines
        if w.scan_images:
            # A report posted as pictures of its pages: their OCR is the body, or it needs OCR.
            body_lines = tuple(w.ocr.lines) if w.ocr is not None else ()
            if w.ocr is None:
                w.status = "needs_ocr"
        lines = [normalise_line(ln) for ln in body_lines]
        lines = [ln for ln in lines if ln]
        n = _title_lines(lines, w.title, (page.h1,))
        w.title_lines, lines = lines[:n], lines[n:]
        if w.title is None:
            title, n = title_from_lines(lines)
            if title:
                w.title, w.title_lines, lines = title, lines[:n], lines[n:]
        w.lines = lines
        return None
    if w.fmt in _FILE_FORMATS:
        assert extract_file_text is not None
        try:
            got = extract_file_text(w.body or b"", w.fmt, limits=w.options.file_limits)
        except ParseFailure:
            raise
        w.status, w.file_meta, w.ocr_pages = got.status, dict(got.meta), got.ocr_pages
        raw = list(got.lines)
        if w.ocr is not None and w.status == "needs_ocr":
            raw, w.status = list(w.ocr.lines), "ok"
    else:
        raw = (w.text or "").split("\n")
    lines = [normalise_line(ln) for ln in raw]
    lines = [ln for ln in lines if ln]
    title, n = title_from_lines(lines)
    if title is None and w.file_meta.get("title"):
        title = w.file_meta["title"]
    w.title, w.title_lines, w.lines = title, lines[:n], lines[n:]
    return None


def _clean(w: _Work) -> Skipped | None:
    w.cleaned = clean_lines(w.lines, boilerplate=w.options.host_boilerplate)
    # A title line that cleaning found at the top after the header lines (`标题` then `来源:…`).
    lines = list(w.cleaned.lines)
    n = _title_lines(lines, w.title)
    if n:
        w.cleaned = dataclasses.replace(w.cleaned, lines=tuple(lines[n:]))
    text = "\n".join(w.cleaned.lines)
    if w.status == "needs_ocr":
        return None
    if len(re.sub(r"\s", "", text)) < w.options.min_report_chars:
        return Skipped("clean", f"too little text ({len(text)} characters)")
    return None


def _fields(w: _Work) -> Skipped | None:
    assert w.cleaned is not None
    cleaned, page = w.cleaned, w.page
    meta = dict(page.meta) if page else {}
    table = dict(page.info) if page else {}
    boiler = w.options.host_boilerplate
    # Learned lines are kept as normalise_line has them (`更新日期：2019年6月1日`, frozen on every page).
    before = [ln for ln in (page.before if page else ()) if normalise_line(ln) not in boiler]
    header = [ln for ln in w.title_lines if is_info_line(ln)] + list(cleaned.header)
    # A title that says nothing (`附件1`, a file name) leaves kind, year and issuer to the body.
    info = classify_title(w.title) if w.title and not says_nothing(w.title) else None
    lines = list(cleaned.lines)
    # An annual report is published in or after the year it is on: an older date is a template's.
    not_before = (dt.date(info.report_year, 1, 1)
                  if info is not None and info.kind == "annual_report" and info.report_year else None)
    published = find_date(meta=meta, table=table, header=header, before=before, signature=cleaned.signature,
                          url=w.url, title=w.title, tail=lines[-2:], not_before=not_before)
    site_code = meta.get("siteidcode")
    if not site_code:
        for line in (*cleaned.footer, *(page.after if page else ())):
            m = _SITE_CODE.search(line)
            if m:
                site_code = m.group(1)
                break
    host = urlsplit(w.url).hostname if w.url else None
    issuer, issuer_source = issuer_and_source(
        info, table=table, meta=meta, header=header, signature=cleaned.signature, lines=lines,
        government_of=lambda place: government_of(place, site_code=site_code, host=host))
    year = find_year(info, lines, published)
    kind = find_kind(info, lines)
    region = resolve_region(issuer, info.issuer if info else None, info.place if info else None,
                            "".join(ln for ln in cleaned.signature if not parse_date(ln)),
                            w.title, meta.get("sitename"), site_code=site_code, host=host)
    ocr_meta = {}
    if w.ocr is not None:  # where the text came from, and how sure the engine was of it
        ocr_meta = {"ocr": w.ocr.engine or "ocr", "ocr_pages": str(w.ocr.pages),
                    "ocr_confidence": "" if w.ocr.confidence is None else f"{w.ocr.confidence:.4f}",
                    "ocr_failed_pages": ",".join(str(n + 1) for n in w.ocr.failed_pages)}
    doc_meta = {k: v for k, v in {
        **ocr_meta,
        "method": page.method if page else w.fmt, "fallback": page.fallback if page else "",
        "issuer_source": issuer_source or "",
        "site_code": site_code or "",
        "site_name": meta.get("sitename", ""), "column": meta.get("columnname", ""),
        "index_no": table.get("index_no", ""), "doc_no": table.get("doc_no", ""),
        "header": " | ".join(header),
    }.items() if v}
    words: tuple[str, ...] = ()
    if w.tokenizer is not None:
        boost = getattr(w.tokenizer, "user_words", ())
        words = keywords("\n".join(lines), w.tokenizer, boost=boost)
    w.doc = ParsedDocument(
        title=w.title, issuer=issuer, report_year=year, published_at=published, kind=kind,
        text="\n".join(lines), region_code=region.code if region else None,
        region_name=region.name if region else None, addressee=cleaned.addressee,
        signature="\n".join(cleaned.signature) or None, sections=find_sections(lines),
        keywords=words, attachments=page.attachments if page else (), source_format=w.fmt,
        status=w.status, meta=doc_meta)
    return None


# The stage order: each stage reads and fills the work item, or says why the document is skipped.
STAGES: tuple[tuple[str, Callable[[_Work], Skipped | None]], ...] = (
    ("decode", _sniff), ("decode", _decode), ("extract", _extract), ("clean", _clean), ("fields", _fields),
)


def _run(w: _Work) -> ParsedDocument | Skipped:
    for stage, step in STAGES:
        if w.on_stage is not None:  # a file's reading is the "file" stage, as its failures say
            w.on_stage("file" if stage == "extract" and w.fmt in _FILE_FORMATS else stage)
        try:
            outcome = step(w)
        except ParseFailure:
            raise
        except (RecursionError, MemoryError) as exc:  # pathological input: broken, not a bug here
            raise ParseFailure(stage, f"{type(exc).__name__} on {w.url or 'input'}") from exc
        if outcome is not None:
            if (stage in ("extract", "clean") and w.fmt == "html" and not w.force_fallback
                    and w.page is not None and not w.page.fallback):
                # About to be skipped, and the fallback never ran: one more try with it.
                retry = dataclasses.replace(w, force_fallback=True, page=None, lines=[], title=None,
                                            title_lines=[], cleaned=None)
                return _run(retry)
            return dataclasses.replace(outcome, title=w.title)
    assert w.doc is not None
    return w.doc


def parse_document(body: bytes, *, url: str | None = None, content_type: str | None = None,
                   filename: str | None = None, options: ParseOptions = ParseOptions(),
                   tokenizer: Any = None, ocr: Any = None,
                   on_stage: Callable[[str], None] | None = None) -> ParsedDocument | Skipped:
    """Parse one capture's bytes. `tokenizer` (pipeline.tokens.Tokenizer), when given, adds
    keywords; without it no dictionary is loaded. `ocr` (pipeline.ocr.OcrText): the OCR of a
    document that needs it (a scanned PDF, a page of page pictures), read in place of its text
    layer or body; then cleaned, read for fields, like any text, and marked as OCR'd in meta."""
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise ParseFailure("decode", f"expected bytes, got {type(body).__name__}")
    if not body or not bytes(body).strip():
        return Skipped("decode", "empty body")
    w = _Work(bytes(body), url, content_type, filename, options, tokenizer, ocr=ocr,
              on_stage=on_stage)
    return _run(w)


def ocr_plan(body: bytes, *, url: str | None = None, content_type: str | None = None,
             filename: str | None = None) -> OcrPlan | None:
    """What OCR must read of a document parse_document found to need it; None if it needs none."""
    w = _Work(bytes(body), url, content_type, filename, ParseOptions(min_report_chars=0))
    for _, step in STAGES[:3]:  # sniff, decode, extract
        if step(w) is not None:
            return None
    if w.status != "needs_ocr":
        return None
    if w.fmt == "html":
        return OcrPlan("images", images=tuple(link.url for link in w.scan_images))
    return OcrPlan("pdf", pages=w.ocr_pages)


def parse_text(text: str, *, url: str | None = None, options: ParseOptions = ParseOptions(),
               tokenizer: Any = None) -> ParsedDocument | Skipped:
    """Parse plain text as collected (title lines, header lines and footers included)."""
    w = _Work(None, url, "text/plain", None, options, tokenizer, fmt="text", text=text or "")
    return _run(w)


def page_lines(body: bytes, *, content_type: str | None = None) -> tuple[str, ...]:
    """The lines of an HTML page as cleaning sees them: above the body, the body, below it; each
    as normalise_line leaves it. What `clean.learn_boilerplate` learns a host's chrome from (lines
    on most of its pages: a footer no rule knows, a date frozen in the template), to pass on as
    ParseOptions.host_boilerplate. Empty for anything but an HTML page."""
    if not isinstance(body, (bytes, bytearray, memoryview)) or not body:
        return ()
    body = bytes(body)
    fmt = sniff_format(body, content_type=content_type) if sniff_format is not None else ""
    if fmt != "html" and not (fmt in ("", "text") and _HTML_START.match(body[:4096])):
        return ()
    page = extract_html(decode_html(body, content_type))
    lines = (normalise_line(ln) for ln in (*page.before, *page.lines, *page.after))
    return tuple(ln for ln in lines if ln)
