"""Text from report files (PDF, DOCX, DOC, WPS, OFD, plain text): bytes in, `FileText` out.

Lines come out in reading order, one paragraph a line where the format tells paragraphs apart
(PDF and OFD lines are joined into paragraphs here, from their positions on the page, because
only here is the layout known), stripped of surrounding white space, empty lines dropped.
Everything else (chrome, artefacts, joining paragraphs a Word export broke) is cleaning's job.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from io import BytesIO

import charset_normalizer
import olefile

from pipeline.records import ParseFailure

from ._common import Limits, describe_error, fail, mb
from .doc import OLE_MAGIC, read_doc
from .docx import read_docx
from .ofd import read_ofd
from .pdf import read_pdf

__all__ = ["FileText", "FILE_FORMATS", "sniff_format", "extract_file_text", "is_image"]

# What extract_file_text reads; sniff_format may also answer "html" or "unknown".
FILE_FORMATS = ("pdf", "docx", "doc", "wps", "ofd", "text")

_CONTENT_TYPES = {
    "application/pdf": "pdf", "application/x-pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc", "application/vnd.ms-word": "doc",
    "application/kswps": "wps", "application/wps-office.wps": "wps",
    "application/vnd.ms-works": "wps",
    "application/ofd": "ofd", "application/x-ofd": "ofd",
    "text/html": "html", "application/xhtml+xml": "html",
    "text/plain": "text",
}
_EXTENSIONS = {"pdf": "pdf", "docx": "docx", "docm": "docx", "dotx": "docx", "doc": "doc",
               "dot": "doc", "wps": "wps", "wpt": "wps", "ofd": "ofd", "htm": "html",
               "html": "html", "shtml": "html", "xhtml": "html", "jhtml": "html",
               "txt": "text", "text": "text"}
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<script",
                b"<div", b"<table", b"<p>", b"<p ", b"<br", b"<link", b"<style")


@dataclass(frozen=True)
class FileText:
    """The text of a report file before cleaning."""

    format: str  # pdf | docx | doc | wps | ofd | text
    lines: tuple[str, ...]  # paragraphs/lines in reading order
    status: str = "ok"  # "ok", or "needs_ocr" for a PDF without a usable text layer
    meta: dict[str, str] = field(default_factory=dict)  # title, author, created, modified, ...
    # Pages (0-based) to read by OCR: all of a scan; the scanned pages among a PDF's text pages.
    ocr_pages: tuple[int, ...] = ()


def sniff_format(body: bytes, *, content_type: str | None = None,
                 filename: str | None = None) -> str:
    """html | text | pdf | docx | doc | wps | ofd | image | unknown: magic bytes first, then the content
    type, then the file name's extension, then whether the body reads as text."""
    hint = _hint(content_type, filename)
    magic = _magic(body, hint)
    if magic:
        return magic
    if hint:
        return hint
    head = body[:4096]
    if b"\x00" not in head and _decodes(head):
        return "text"
    return "unknown"


def extract_file_text(body: bytes, fmt: str, *, max_bytes: int = 50_000_000,
                      max_unpacked_bytes: int = 200_000_000, max_pages: int = 500,
                      limits: Limits | None = None) -> FileText:
    """Text and properties of a file of format `fmt` (as sniff_format names it).

    `limits` (FileLimits) bounds what the readers may unpack and hold; without it the three
    keyword limits apply, with the other FileLimits defaults.
    Raises ParseFailure(stage="file") for encrypted, broken, oversized files and zip bombs.
    When the bytes plainly are another file format than `fmt`, they are read as what they are.
    """
    if limits is None:
        limits = Limits(max_bytes=max_bytes, max_unpacked_bytes=max_unpacked_bytes,
                        max_pages=max_pages)
    if fmt not in FILE_FORMATS:
        raise fail(f"unsupported file format: {fmt}")
    if len(body) > limits.max_bytes:
        raise fail(f"file too large: {mb(len(body))}, more than {mb(limits.max_bytes)}")
    if not body.strip():
        raise fail("empty file")
    magic = _magic(body, fmt)
    if magic == "html":
        raise fail(f"not a {fmt.upper()} file: the body is an HTML page")
    if magic in FILE_FORMATS and magic != fmt and not (fmt == "wps" and magic == "doc"):
        fmt = magic
    try:
        got = _extract(body, fmt, limits)
    except ParseFailure:
        raise
    except MemoryError:  # the sandbox's memory limit: reported as such by the parse job
        raise
    except RecursionError:
        raise fail(f"broken {fmt.upper()}: nested too deeply") from None
    except Exception as exc:  # a reader tripping on input nobody foresaw must not stop a batch
        raise fail(f"broken {fmt.upper()}: the file is damaged and cannot be read "
                   f"({describe_error(exc)})") from None
    chars = sum(len(line) for line in got.lines)
    if chars > limits.max_text_chars:
        raise fail(f"{fmt.upper()} text too long: {chars} characters, more than "
                   f"{limits.max_text_chars} (limit [limits] max_text_chars)")
    return got


def _extract(body: bytes, fmt: str, limits: Limits) -> FileText:
    meta: dict[str, str] = {}
    status = "ok"
    ocr_pages: tuple[int, ...] = ()
    if fmt == "pdf":
        lines, status, meta, ocr_pages = read_pdf(body, limits)
    elif fmt == "docx":
        if body.startswith(OLE_MAGIC):  # an encrypted OOXML package is an OLE container
            raise fail("encrypted DOCX: password-protected document")
        lines, meta = read_docx(body, limits)
    elif fmt in ("doc", "wps"):
        lines, meta = read_doc(body, limits, fmt.upper())
    elif fmt == "ofd":
        lines, meta = read_ofd(body, limits)
    elif fmt == "text":
        text = _decode(body)
        if len(text) > limits.max_text_chars:
            raise fail(f"text too long: {len(text)} characters, more than {limits.max_text_chars} "
                       "(limit [limits] max_text_chars)")
        lines = [ln.strip() for ln in text.splitlines()]
        lines = [ln for ln in lines if ln]
    else:
        raise fail(f"unsupported file format: {fmt}")
    return FileText(fmt, tuple(lines), status, meta, ocr_pages)


def _hint(content_type: str | None, filename: str | None) -> str | None:
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in _CONTENT_TYPES:
        return _CONTENT_TYPES[ct]
    name = (filename or "").split("?")[0].split("#")[0].rstrip("/").lower()
    ext = name.rpartition(".")[2] if "." in name.rpartition("/")[2] else ""
    return _EXTENSIONS.get(ext)


# Picture files (a report posted as page images): read by OCR with the page that shows them.
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00",
               b"MM\x00*")


def is_image(body: bytes) -> bool:
    return body.startswith(IMAGE_MAGIC) or (body[:4] == b"RIFF" and body[8:12] == b"WEBP")


def _magic(body: bytes, hint: str | None) -> str | None:
    """The format the bytes themselves show, or None when they show none."""
    if b"%PDF-" in body[:1024]:
        return "pdf"
    if is_image(body):
        return "image"
    if body[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            names = {n.lstrip("/").lower() for n in zipfile.ZipFile(BytesIO(body)).namelist()}
        except Exception:  # damaged (zipfile raises many kinds): let the hint decide
            return None
        if "word/document.xml" in names:
            return "docx"
        if "ofd.xml" in names:
            return "ofd"
        return "unknown"
    if body.startswith(OLE_MAGIC):
        try:
            with olefile.OleFileIO(BytesIO(body)) as ole:
                word = ole.exists("WordDocument")
                encrypted = ole.exists("EncryptedPackage")
        except Exception:  # damaged container: let the hint decide
            return None
        if word:
            return "wps" if hint == "wps" else "doc"
        if hint == "wps":
            return "wps"  # Microsoft Works or another layout: the reader says it is unsupported
        return "docx" if encrypted and hint in (None, "docx", "doc") else "unknown"
    start = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(_HTML_STARTS) or (start.startswith((b"<?xml", b"<!--"))
                                          and b"<html" in body[:4096].lower()):
        return "html"
    return None


def _decodes(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        text = head.decode(encoding, errors="replace")
        if text.count("\ufffd") <= 2:  # the 4 KB cut may split one character
            return True
    return False


def _decode(body: bytes) -> str:
    """Plain text: BOM, else UTF-8, else GB18030 (covers GBK and GB2312), else detection."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"),
                          (b"\xfe\xff", "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(encoding, errors="replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(body).best()
    return str(best) if best is not None else body.decode("gb18030", errors="replace")
