"""Text from PDF with pdfminer.six: glyphs placed into rows by baseline, rows joined into
paragraphs by layout, `(cid:…)` garbage dropped, scanned files flagged for OCR."""
from __future__ import annotations

import re
from io import BytesIO
from typing import NamedTuple

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LTChar, LTContainer, LTImage, LTPage
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from pdfminer.utils import decode_text

from pipeline.records import ParseFailure

from ._common import Limits, Row, describe_error, drop_page_numbers, fail, rows_to_paragraphs
from .pdfstreams import stream_budget

__all__ = ["read_pdf", "pdf_text_pages"]

# CJK ideographs and full-width punctuation, between which a space means nothing.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
# Glyphs without a Unicode mapping also come out as private-use code points or C0 controls.
_JUNK_CHAR = re.compile(r"[\ue000-\uf8ff\x00-\x08\x0e-\x1f\ufffd]")
# Fewer good characters than this on a page means the page is an image (a scan).
_MIN_PAGE_CHARS = 20
# ... when a picture covers at least this share of it (a page of a scan among pages of text: the
# signed and sealed last page, scanned and put back into the exported PDF).
_SCAN_IMAGE_AREA = 0.3
_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?"
                   r"\s*(Z|[+-]\d{2}'?\d{2}'?)?")
# Values some producers write when the author left a field empty.
_PLACEHOLDERS = {"(unspecified)", "unspecified", "untitled", "unknown", "无标题"}
_INFO_KEYS = {"Title": "title", "Author": "author", "Subject": "subject", "Keywords": "keywords",
              "Creator": "creator", "Producer": "producer", "CreationDate": "created",
              "ModDate": "modified"}


def read_pdf(body: bytes, limits: Limits) -> tuple[list[str], str, dict[str, str], tuple[int, ...]]:
    """(paragraphs, status, meta, pages to OCR) of a PDF; raises ParseFailure for encrypted,
    broken, bombs. Status "needs_ocr" when the text layer is missing or unreadable (every page is
    to be read by OCR), or when some pages are pictures of pages among pages of text (those pages;
    the paragraphs are the text layer's)."""
    lay, meta = _open_layout(body, limits)
    # Mostly pages without a text layer (scans), or a text layer that is mostly unmapped glyphs.
    if lay.text_pages * 2 < lay.pages or lay.junk > lay.good:
        return [], "needs_ocr", meta, tuple(range(lay.pages))
    paragraphs = rows_to_paragraphs(drop_page_numbers(lay.rows), lay.page_width)
    return paragraphs, ("needs_ocr" if lay.scans else "ok"), meta, lay.scans


def pdf_text_pages(body: bytes, limits: Limits) -> dict[int, tuple[float, float, list[Row]]]:
    """The text layer's rows of each page that has one, with the page's width and height in
    points: what OCR'd pages are put among (a PDF of text pages and scanned pages)."""
    lay, _ = _open_layout(body, limits)
    out: dict[int, tuple[float, float, list[Row]]] = {}
    for row in lay.rows:
        if row.page not in lay.scans:
            width, height = lay.sizes.get(row.page, (595.0, 842.0))
            out.setdefault(row.page, (width, height, []))[2].append(row)
    return out


def _open_layout(body: bytes, limits: Limits) -> tuple[_Layout, dict[str, str]]:
    if b"%%EOF" not in body[-8192:]:
        raise fail("truncated PDF: no %%EOF marker at the end")
    # Every stream pdfminer decodes below counts against one budget (pipeline.files.pdfstreams).
    with stream_budget(limits.max_unpacked_bytes):
        try:
            doc = PDFDocument(PDFParser(BytesIO(body)))
        except PDFPasswordIncorrect:
            raise fail("encrypted PDF: a password is needed to open it") from None
        except PDFEncryptionError as exc:
            raise fail(f"encrypted PDF: unsupported encryption ({exc})") from None
        except (ParseFailure, MemoryError, RecursionError):
            raise
        except Exception as exc:  # pdfminer raises many kinds on malformed input
            raise fail(f"broken PDF: its structure cannot be read ({describe_error(exc)})") from None
        try:
            count = _page_count(doc)
            if count is not None and count > limits.max_pages:
                raise fail(f"PDF too long: {count} pages, more than {limits.max_pages}")
            layout = _layout(doc, limits)
            meta = _meta(doc)
        except (ParseFailure, MemoryError, RecursionError):
            raise
        except Exception as exc:
            raise fail(f"broken PDF: a page cannot be read ({describe_error(exc)})") from None
    if layout[1] == 0:
        raise fail("broken PDF: no pages")
    return layout, meta


class _BoundedAggregator(PDFPageAggregator):
    """pdfminer's page aggregator, stopped when a page draws more objects (glyphs, paths,
    pictures), or the document more glyphs, than the limits allow: each is a Python object
    of several hundred bytes, so a page of millions of glyphs would take gigabytes."""

    def __init__(self, rsrc: PDFResourceManager, limits: Limits) -> None:
        super().__init__(rsrc, laparams=None)
        self.limits = limits
        self.page_objects = 0
        self.glyphs = 0

    def begin_page(self, page, ctm) -> None:  # type: ignore[no-untyped-def]
        self.page_objects = 0
        super().begin_page(page, ctm)

    def _count(self) -> None:
        self.page_objects += 1
        if self.page_objects > self.limits.max_page_objects:
            raise fail(f"PDF page too complex: more than {self.limits.max_page_objects} glyphs "
                       "and shapes on one page (limit [limits] max_page_objects)")

    def render_char(self, *args, **kwargs) -> float:  # type: ignore[no-untyped-def]
        self._count()
        self.glyphs += 1
        if self.glyphs > self.limits.max_glyphs:
            raise fail(f"PDF text too long: more than {self.limits.max_glyphs} glyphs "
                       "(limit [limits] max_glyphs)")
        return super().render_char(*args, **kwargs)

    def paint_path(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self._count()
        super().paint_path(*args, **kwargs)

    def render_image(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self._count()
        super().render_image(*args, **kwargs)


def _page_count(doc: PDFDocument) -> int | None:
    pages = resolve1(doc.catalog.get("Pages"))
    count = resolve1(pages.get("Count")) if isinstance(pages, dict) else None
    return count if isinstance(count, int) else None


class _Layout(NamedTuple):
    rows: list[Row]
    pages: int
    text_pages: int  # pages with a usable text layer
    good: int  # mapped glyphs
    junk: int  # glyphs without a Unicode mapping
    page_width: float  # the widest page's
    scans: tuple[int, ...]  # pages that are a picture of a page, among pages of text
    sizes: dict[int, tuple[float, float]]  # page -> (width, height) in points


def _layout(doc: PDFDocument, limits: Limits) -> _Layout:
    """Rows of every page, the counts that tell a scan from text, and the pages' sizes."""
    rsrc = PDFResourceManager(caching=True)
    # No layout analysis in pdfminer (laparams=None): its line grouping splits a line where
    # glyphs of a fallback font (quotes, digits) have other heights, and it is the slow part.
    # Rows are built here from the glyphs' baselines instead.
    device = _BoundedAggregator(rsrc, limits)
    max_pages = limits.max_pages
    interp = PDFPageInterpreter(rsrc, device)
    rows: list[Row] = []
    pages = text_pages = good_total = junk_total = 0
    page_width = 0.0
    scans: list[int] = []
    sizes: dict[int, tuple[float, float]] = {}
    for number, page in enumerate(PDFPage.create_pages(doc)):
        if number >= max_pages:
            raise fail(f"PDF too long: more than {max_pages} pages")
        interp.process_page(page)
        layout: LTPage = device.get_result()
        pages += 1
        page_width = max(page_width, layout.width)
        sizes[number] = (float(layout.width), float(layout.height))
        glyphs: list[_Glyph] = []
        junk_total += _glyphs(layout, glyphs)
        good = sum(1 for g in glyphs if g.text and not g.text.isspace())
        good_total += good
        if good >= _MIN_PAGE_CHARS:
            text_pages += 1
        elif _image_area(layout) >= _SCAN_IMAGE_AREA * max(layout.width * layout.height, 1.0):
            scans.append(number)
        rows.extend(_rows(glyphs, number, layout.y1))
    return _Layout(rows, pages, text_pages, good_total, junk_total, page_width, tuple(scans), sizes)


def _image_area(item: object) -> float:
    """The area the pictures of a page cover (the largest, as scans are one picture a page)."""
    best = 0.0
    for child in item if isinstance(item, LTContainer) else ():
        if isinstance(child, LTImage):
            best = max(best, abs(child.width * child.height))
        elif isinstance(child, LTContainer):
            best = max(best, _image_area(child))
    return best


class _Glyph(NamedTuple):
    baseline: float
    x0: float
    x1: float
    size: float
    text: str  # "" for a glyph without a Unicode mapping


def _glyphs(item: object, out: list[_Glyph]) -> int:
    """Collect the upright glyphs; return how many glyphs (upright or not) had no mapping."""
    junk = 0
    for child in item if isinstance(item, LTContainer) else ():
        if isinstance(child, LTChar):
            text = child.get_text()
            a, b, c, d, _, f = child.matrix
            unmapped = "(cid:" in text or bool(_JUNK_CHAR.search(text))
            junk += unmapped
            if a > 0 and d > 0 and abs(b) <= 0.05 * a and abs(c) <= 0.05 * d:
                # Rotated or mirrored glyphs (watermarks, stamps) are not body text.
                out.append(_Glyph(f, child.x0, child.x1, max(child.height, 1.0),
                                  "" if unmapped else text))
        elif isinstance(child, LTContainer):
            junk += _glyphs(child, out)
    return junk


def _rows(glyphs: list[_Glyph], page: int, page_top: float) -> list[Row]:
    """Group glyphs sharing a baseline into rows, left to right. A space goes where the gap
    between two glyphs is wider than the row's usual spacing (justified Chinese text is spread
    by character spacing: `办 理 案 件` is one word), and wider still next to CJK."""
    glyphs.sort(key=lambda g: (-g.baseline, g.x0))
    lines: list[list[_Glyph]] = []
    for glyph in glyphs:
        if lines and lines[-1][0].baseline - glyph.baseline <= 0.4 * min(lines[-1][0].size,
                                                                          glyph.size):
            lines[-1].append(glyph)
        else:
            lines.append([glyph])
    rows = []
    for line in lines:
        unmapped = sum(1 for g in line if not g.text)
        line = sorted((g for g in line if g.text), key=lambda g: g.x0)
        # A row mostly of glyphs without a Unicode mapping cannot be read: what is left of it
        # (a few digits in another font) would be noise. A few unmapped glyphs are dropped.
        if not line or unmapped >= sum(1 for g in line if not g.text.isspace()):
            continue
        kept = [line[0]]
        for glyph in line[1:]:  # text drawn twice, slightly offset, to look bold
            last = kept[-1]
            if glyph.text == last.text and abs(glyph.x0 - last.x0) < 0.2 * glyph.size:
                continue
            kept.append(glyph)
        gaps = sorted(b.x0 - a.x1 for a, b in zip(kept, kept[1:]))
        usual = max(gaps[len(gaps) // 2], 0.0) if gaps else 0.0
        size = sorted(g.size for g in kept)[len(kept) // 2]
        parts = [kept[0].text]
        spread = False
        for prev, cur in zip(kept, kept[1:]):
            gap = cur.x0 - prev.x1
            cjk = _CJK.match(prev.text) or _CJK.match(cur.text)
            if gap > usual + (1.0 if cjk else 0.15) * size and not (
                    prev.text.isspace() or cur.text.isspace()):
                parts.append(" ")
            spread = spread or gap > usual + 2.0 * size
            parts.append(cur.text)
        text = "".join(parts).strip()
        if text:
            rows.append(Row(page, page_top - line[0].baseline - size, kept[0].x0, kept[-1].x1,
                            size, text, spread))
    return rows


def _meta(doc: PDFDocument) -> dict[str, str]:
    meta: dict[str, str] = {}
    for info in doc.info:
        for key, name in _INFO_KEYS.items():
            value = _text(resolve1(info.get(key)))
            if not value:
                continue
            if name in ("created", "modified"):
                value = _pdf_date(value)
            if value and value.lower() not in _PLACEHOLDERS:
                meta.setdefault(name, value)
    return meta


def _text(value: object) -> str:
    if isinstance(value, bytes):
        if value.startswith((b"\xfe\xff", b"\xff\xfe")) or value.isascii():
            text = decode_text(value)
        else:
            # Chinese producers often write GBK or UTF-8 bytes where PDFDocEncoding belongs.
            for encoding in ("utf-8", "gb18030"):
                try:
                    text = value.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                text = decode_text(value)
        return text.replace("\x00", "").strip()
    if isinstance(value, str):
        return value.strip()
    return ""


def _pdf_date(value: str) -> str:
    """`D:20250205093012+08'00'` → `2025-02-05T09:30:12+08:00`; '' when not a date."""
    m = _DATE.match(value.strip())
    if not m:
        return ""
    year, month, day, hour, minute, second, zone = m.groups()
    out = year + (f"-{month}" if month else "") + (f"-{day}" if day and month else "")
    if hour and day:
        out += f"T{hour}:{minute or '00'}:{second or '00'}"
        if zone == "Z":
            out += "+00:00"
        elif zone:
            digits = zone.replace("'", "")
            out += f"{digits[:3]}:{digits[3:5] or '00'}"
    return out
