"""OCR of scanned pages: a page image in, its text lines with positions and confidences out; the
pages of a document in, its lines in reading order out, page furniture left behind.

- The engine is an object the caller makes (`make_engine`, RapidOCR's PP-OCRv4 Chinese models on
  onnxruntime, shipped inside its wheel) and passes in: detection and recognition are called
  apart, so that the seal is taken out before either runs and the page's time limit is checked
  between recognition batches.
- Red ink is dropped before detection (colour dropout, as document scanners do): the seal over the
  signature, and its text, are not body text, and the black text under the seal reads better
  without it.
- Reading order: lines grouped into rows, columns found by the gutter between them (a full-width
  line, a title, ends a stretch of columns), left column before right.
- Page furniture: page numbers (first or last row of a page), running headers and footers (the
  same text in the top or bottom band of several pages, or a small line alone in that band).
- Rows become paragraphs by the same layout rule as a PDF's text layer (pipeline.files._common).

Positions are in points (1/72 inch) from the page's top left, whatever the image's resolution.
Pure: no database, no network; `clock` is passed in for the time limit.
"""
from __future__ import annotations

import difflib
import functools
import math
import os
import re
import statistics
import time
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, Callable, Iterator, Protocol, Sequence

import numpy as np

from pipeline.files._common import Row, drop_page_numbers, rows_to_paragraphs

__all__ = ["OcrLine", "OcrPage", "OcrText", "Engine", "make_engine", "read_page",
           "page_from_image", "render_pdf_pages", "pdf_page_count", "image_size", "drop_red",
           "reading_order", "document_lines", "ocr_text", "OcrError", "A4_POINTS"]

A4_POINTS = (595.0, 842.0)
# Recognition runs this many line crops at a time; the page's time limit is checked in between.
_BATCH = 8
# Red ink: much more red than green or blue (a seal, its antialiased edge, through JPEG blur).
_RED_MARGIN = 45
# Detected boxes slanted more than this are not text lines of the body (seal arcs, stamps).
_MAX_SLANT_DEGREES = 12.0
# Header and footer bands: the top and bottom of a page, as a share of its height.
_BAND = 0.1
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_NOT_WORD = re.compile(r"[\W\d_]+")
# A run of dashes around a number, or around a question mark the recogniser read for one. (The
# second form checks for the mark ahead instead of placing it between two runs of the same marks:
# that would try every split of a long run.)
_OCR_PAGE_NUMBER = re.compile(r"^[一—–\-－_~·.?？]*\d{1,4}[一—–\-－_~·.?？]*$|"
                              r"^(?=[^?？]*[?？])[一—–\-－_~·.?？]*$|^[一—–\-－]{1,3}$|"
                              r"^第\d{1,4}页(?:共\d{1,4}页)?$|^\d{1,4}/\d{1,4}$")
# ASCII punctuation the recogniser puts where a Chinese document has full-width marks.
_FULL_WIDTH = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_HALF_PUNCT = re.compile(r"(?<=[\u3400-\u9fff“”）])[,;:?!()]|[,;:?!()](?=[\u3400-\u9fff“（])")
# A place name the recogniser got one character wrong (酉阳 read as 西阳): the gazetteer knows it.
_PLACE_END = re.compile(r"(?:自治县|自治州|自治旗|县|区|市|州|旗|盟)")


class OcrError(Exception):
    """A page or image that cannot be read (not an image, too large, broken)."""


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float
    x0: float
    y0: float
    x1: float
    y1: float

    def as_list(self) -> list[Any]:
        return [self.text, round(self.confidence, 4), round(self.x0, 1), round(self.y0, 1),
                round(self.x1, 1), round(self.y1, 1)]

    @classmethod
    def from_list(cls, item: Sequence[Any]) -> "OcrLine":
        text, conf, x0, y0, x1, y1 = item
        return cls(str(text), float(conf), float(x0), float(y0), float(x1), float(y1))


@dataclass(frozen=True)
class OcrPage:
    """One page read: its lines (positions in points), or why it could not be read."""

    number: int  # 0-based, in the document
    width: float  # points
    height: float
    lines: tuple[OcrLine, ...] = ()
    status: str = "ok"  # ok | timeout | failed
    error: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "width": round(self.width, 1), "height": round(self.height, 1),
                "lines": [ln.as_list() for ln in self.lines], "status": self.status,
                "error": self.error, "seconds": round(self.seconds, 3)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "OcrPage":
        return cls(int(d["number"]), float(d["width"]), float(d["height"]),
                   tuple(OcrLine.from_list(x) for x in d.get("lines") or ()),
                   str(d.get("status") or "ok"), str(d.get("error") or ""),
                   float(d.get("seconds") or 0.0))


@dataclass(frozen=True)
class OcrText:
    """A document's OCR: paragraphs in reading order, and how sure the engine was."""

    lines: tuple[str, ...]
    confidence: float | None  # mean over the characters read; None when nothing was read
    pages: int  # pages read
    failed_pages: tuple[int, ...] = ()
    engine: str = ""


class Engine(Protocol):
    """What read_page needs of an OCR engine."""

    name: str

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Text boxes of a BGR image: 4x2 float arrays (corners clockwise from top left)."""

    def recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence of each line crop (BGR)."""


class _RapidEngine:
    """RapidOCR's detector and recogniser (PP-OCRv4, onnxruntime on the CPU)."""

    def __init__(self, threads: int) -> None:
        # onnxruntime 1.29 and later report usage to a Microsoft endpoint from Linux too (a
        # background upload some seconds in): off, before its environment is made, as nothing here
        # may reach the network. The variable is onnxruntime's own opt-out (its Privacy.md).
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime
        from rapidocr_onnxruntime import RapidOCR

        if hasattr(onnxruntime, "disable_telemetry_events"):
            onnxruntime.disable_telemetry_events()
        n = max(1, int(threads))
        self._ocr = RapidOCR(intra_op_num_threads=n, inter_op_num_threads=1, use_cls=False,
                             print_verbose=False)
        self.name = default_engine_name()

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        boxes, _ = self._ocr.text_det(image)
        if boxes is None or len(boxes) == 0:
            return []
        return [np.asarray(b, dtype=np.float32) for b in boxes]

    def recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        results, _ = self._ocr.text_rec(crops)
        return [(str(r[0]), float(r[1])) for r in results]


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def default_engine_name() -> str:
    """The name make_engine's engine has, known without loading it."""
    return f"rapidocr-onnxruntime {_version('rapidocr-onnxruntime')} PP-OCRv4"


def make_engine(threads: int = 1) -> Engine:
    """The default engine, with onnxruntime limited to *threads* threads. Loads the models shipped
    in the wheel (about 0.3 s); nothing is downloaded."""
    return _RapidEngine(threads)


# ------------------------------------------------------------------ images in

def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of an image file from its header, without decoding it; None if not one."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def page_from_image(data: bytes, *, dpi: int, max_pixels: int) -> tuple[np.ndarray, float]:
    """An image file (a page photographed or scanned) as a BGR array at about *dpi*, taking it to
    be an A4 page across its width, and the pixels per point of that array."""
    from PIL import Image, UnidentifiedImageError
    try:
        img = Image.open(BytesIO(data))
        w, h = img.size
        if w * h > max_pixels:
            raise OcrError(f"image too large: {w}x{h} pixels, more than {max_pixels}")
        # A page is portrait: its shorter side is the A4 width.
        target = max(1, round(A4_POINTS[0] / 72 * dpi))
        if img.format == "JPEG" and min(w, h) > 2 * target:
            img.draft("RGB", (w * target // min(w, h), h * target // min(w, h)))  # decode smaller
        img = img.convert("RGB")
    except OcrError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise OcrError(f"not a readable image: {type(exc).__name__}: {exc}") from None
    w, h = img.size
    if min(w, h) > target:
        scale = target / min(w, h)
        img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.LANCZOS)
    arr = np.asarray(img)[:, :, ::-1].copy()
    return arr, min(img.size) / A4_POINTS[0]


def pdf_page_count(body: bytes) -> int:
    import pypdfium2 as pdfium
    try:
        pdf = pdfium.PdfDocument(body)
    except pdfium.PdfiumError as exc:
        raise OcrError(f"broken PDF: {exc}") from None
    try:
        return len(pdf)
    finally:
        pdf.close()


def render_pdf_pages(body: bytes, pages: Sequence[int], *, dpi: int,
                     max_side: int) -> Iterator[tuple[int, np.ndarray | None, float, float, str]]:
    """(page, BGR array, width, height in points, error) for each page asked for, rendered at
    *dpi* (less where the page is so large that its longer side would pass *max_side* pixels)."""
    import pypdfium2 as pdfium
    try:
        pdf = pdfium.PdfDocument(body)
    except pdfium.PdfiumError as exc:
        raise OcrError(f"broken PDF: {exc}") from None
    try:
        for number in pages:
            try:
                page = pdf[number]
                w, h = page.get_size()
                scale = min(dpi / 72.0, max_side / max(w, h, 1.0))
                bitmap = page.render(scale=scale, rev_byteorder=False)
                arr = bitmap.to_numpy()
                if arr.ndim == 2:
                    arr = np.repeat(arr[:, :, None], 3, axis=2)
                arr = np.ascontiguousarray(arr[:, :, :3])  # BGR(x) as pdfium lays it out
                page.close()
                yield number, arr, float(w), float(h), ""
            except (pdfium.PdfiumError, IndexError, ValueError, MemoryError) as exc:
                yield number, None, A4_POINTS[0], A4_POINTS[1], f"page {number + 1}: {exc}"
    finally:
        pdf.close()


def drop_red(image: np.ndarray) -> np.ndarray:
    """The image with red ink turned to paper white (BGR in, BGR out)."""
    b = image[:, :, 0].astype(np.int16)
    g = image[:, :, 1].astype(np.int16)
    r = image[:, :, 2].astype(np.int16)
    red = (r - np.maximum(g, b) > _RED_MARGIN) & (r > 110)
    if not red.any():
        return image
    out = image.copy()
    out[red] = np.median(image[::8, ::8].reshape(-1, 3), axis=0).astype(np.uint8)
    return out


# ------------------------------------------------------------------ one page

def _crop(image: np.ndarray, quad: np.ndarray) -> np.ndarray | None:
    import cv2
    w = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    h = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    if w < 4 or h < 4:
        return None
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE,
                               flags=cv2.INTER_CUBIC)


def _slant(quad: np.ndarray) -> float:
    dx, dy = quad[1] - quad[0]
    return abs(math.degrees(math.atan2(float(dy), float(dx))))


def read_page(engine: Engine, image: np.ndarray, *, number: int, px_per_point: float,
              seconds: float | None = None,
              clock: Callable[[], float] = time.monotonic) -> OcrPage:
    """The text lines of one page image (BGR). Stops with status "timeout" (the lines read so far
    kept) once *seconds* have passed."""
    start = clock()
    h, w = image.shape[:2]
    width, height = w / px_per_point, h / px_per_point
    clean = drop_red(image)
    quads = [q for q in engine.detect(clean) if _slant(q) <= _MAX_SLANT_DEGREES]
    # Top to bottom, so that a page stopped by its time limit keeps its first lines.
    quads.sort(key=lambda q: (float(q[:, 1].min()), float(q[:, 0].min())))
    lines: list[OcrLine] = []
    status = "ok"
    for at in range(0, len(quads), _BATCH):
        if seconds is not None and clock() - start > seconds:
            status = "timeout"
            break
        batch = [(q, _crop(clean, q)) for q in quads[at:at + _BATCH]]
        batch = [(q, c) for q, c in batch if c is not None]
        for (quad, _), (text, conf) in zip(batch, engine.recognise([c for _, c in batch])):
            text = text.strip()
            if not text:
                continue
            xs, ys = quad[:, 0] / px_per_point, quad[:, 1] / px_per_point
            lines.append(OcrLine(text, conf, float(xs.min()), float(ys.min()), float(xs.max()),
                                 float(ys.max())))
    return OcrPage(number, width, height, tuple(lines), status,
                   f"time limit of {seconds:g} s reached" if status == "timeout" else "",
                   clock() - start)


# ------------------------------------------------------------------ reading order

@dataclass
class _Row:
    page: int
    parts: list[OcrLine] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(p.x0 for p in self.parts)

    @property
    def x1(self) -> float:
        return max(p.x1 for p in self.parts)

    @property
    def y0(self) -> float:
        return min(p.y0 for p in self.parts)

    @property
    def y1(self) -> float:
        return max(p.y1 for p in self.parts)


def _char_units(text: str) -> float:
    """Width of a text in full-width character cells (ASCII is about half a cell)."""
    return sum(1.0 if _CJK.match(ch) else 0.55 for ch in text if not ch.isspace())


def _rows(lines: Sequence[OcrLine], page: int) -> list[_Row]:
    """Boxes sharing a line (their vertical centres within half a line height) as rows."""
    rows: list[_Row] = []
    for ln in sorted(lines, key=lambda ln: ((ln.y0 + ln.y1) / 2, ln.x0)):
        centre, height = (ln.y0 + ln.y1) / 2, ln.y1 - ln.y0
        for row in reversed(rows[-3:]):
            r_centre = (row.y0 + row.y1) / 2
            overlaps_x = any(ln.x0 < p.x1 and p.x0 < ln.x1 for p in row.parts)
            if abs(centre - r_centre) <= 0.5 * min(height, row.y1 - row.y0) and not overlaps_x:
                row.parts.append(ln)
                break
        else:
            rows.append(_Row(page, [ln]))
    for row in rows:
        row.parts.sort(key=lambda p: p.x0)
    return rows


def _gutter(lines: Sequence[OcrLine], page_width: float) -> float | None:
    """The x of a gutter between two columns: a vertical strip in the middle of the text, at least
    a character wide, that no column-width line crosses, with several lines on either side."""
    if len(lines) < 6:
        return None
    left = min(ln.x0 for ln in lines)
    right = max(ln.x1 for ln in lines)
    span = right - left
    if span < 0.4 * page_width:
        return None
    narrow = [ln for ln in lines if ln.x1 - ln.x0 < 0.6 * span]
    if len(narrow) < 6:
        return None
    size = statistics.median(ln.y1 - ln.y0 for ln in narrow)
    steps = 200
    covered = np.zeros(steps, dtype=bool)
    for ln in narrow:
        a = int((ln.x0 - left) / span * steps)
        b = int(math.ceil((ln.x1 - left) / span * steps))
        covered[max(0, a):min(steps, b)] = True
    best, best_len, run_start = None, 0, None
    for i in range(int(steps * 0.25), int(steps * 0.75) + 1):
        free = i < steps and not covered[i]
        if free and run_start is None:
            run_start = i
        if (not free or i == int(steps * 0.75)) and run_start is not None:
            length = i - run_start
            if length > best_len:
                best, best_len = (run_start + i) / 2, length
            run_start = None
    if best is None or best_len * span / steps < 0.8 * size:
        return None
    x = left + best / steps * span
    lefts = sum(1 for ln in narrow if ln.x1 <= x)
    rights = sum(1 for ln in narrow if ln.x0 >= x)
    return x if lefts >= 3 and rights >= 3 else None


def reading_order(page: OcrPage) -> list[_Row]:
    """The page's rows in reading order: top to bottom, and where the page is set in two columns,
    the left column's rows before the right's (between full-width lines)."""
    lines = list(page.lines)
    gutter = _gutter(lines, page.width)
    if gutter is None:
        return _rows(lines, page.number)
    out: list[_Row] = []
    spanning = sorted((ln for ln in lines if ln.x0 < gutter < ln.x1), key=lambda ln: ln.y0)
    rest = [ln for ln in lines if not ln.x0 < gutter < ln.x1]
    edges = [-math.inf] + [(ln.y0 + ln.y1) / 2 for ln in spanning] + [math.inf]
    for k in range(len(edges) - 1):
        lo, hi = edges[k], edges[k + 1]
        if k > 0:
            out.extend(_rows([spanning[k - 1]], page.number))
        stretch = [ln for ln in rest if lo <= (ln.y0 + ln.y1) / 2 < hi]
        out.extend(_rows([ln for ln in stretch if ln.x1 <= gutter], page.number))
        out.extend(_rows([ln for ln in stretch if ln.x0 >= gutter], page.number))
    return out


def _furniture_key(text: str) -> str:
    return _NOT_WORD.sub("", text)


def _similar(a: str, b: str) -> bool:
    """Two readings of one running header (OCR misreads a character here and there)."""
    if a == b:
        return True
    if not a or not b or abs(len(a) - len(b)) > 0.2 * max(len(a), len(b)):
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.8


def _is_page_number(text: str) -> bool:
    """`— 3 —` as OCR reads it: dashes become 一 or -, a digit may go missing or turn into ?."""
    return bool(_OCR_PAGE_NUMBER.match(text.replace(" ", "")))


def _drop_furniture(pages: list[tuple[OcrPage, list[_Row]]]) -> list[tuple[OcrPage, list[_Row]]]:
    """Running headers and footers out: a row in the top or bottom band whose text (without its
    digits) recurs in that band on other pages, or a small row alone in the band above the text."""
    band_keys: list[tuple[int, str]] = []  # (page, key) of every row in a band
    for page, rows in pages:
        for row in rows:
            if row.y1 <= _BAND * page.height or row.y0 >= (1 - _BAND) * page.height:
                key = _furniture_key(_row_text(row))
                if key:
                    band_keys.append((page.number, key))

    def recurs(number: int, key: str) -> bool:
        return any(n != number and _similar(key, other) for n, other in band_keys)
    sizes = [r.y1 - r.y0 for _, rows in pages for r in rows]
    typical = statistics.median(sizes) if sizes else 0.0
    out = []
    for page, rows in pages:
        kept = []
        for i, row in enumerate(rows):
            top = row.y1 <= _BAND * page.height
            bottom = row.y0 >= (1 - _BAND) * page.height
            if top or bottom:
                key = _furniture_key(_row_text(row))
                if _is_page_number(_row_text(row)) or (key and recurs(page.number, key)):
                    continue
                if top and i == 0 and row.y1 - row.y0 < 0.75 * typical:
                    continue
            kept.append(row)
        out.append((page, kept))
    return out


def _row_text(row: _Row) -> str:
    return "".join(p.text for p in row.parts)


def _to_rows(pages: list[tuple[OcrPage, list[_Row]]]) -> tuple[list[Row], float]:
    """Layout rows for rows_to_paragraphs: a character's size estimated from the lines' widths
    (detected boxes are padded around the glyphs, so their height overstates it)."""
    per_char = []
    for _, rows in pages:
        for row in rows:
            for part in row.parts:
                units = _char_units(part.text)
                if units >= 8:
                    per_char.append((part.x1 - part.x0) / units)
    heights = [p.y1 - p.y0 for _, rows in pages for r in rows for p in r.parts]
    size = statistics.median(per_char) if per_char else (statistics.median(heights) * 0.7
                                                           if heights else 12.0)
    typical_h = statistics.median(heights) if heights else size
    out: list[Row] = []
    width = 0.0
    for page, rows in pages:
        width = max(width, page.width)
        for row in rows:
            text = ""
            spread = False
            for prev, cur in zip([None, *row.parts], row.parts):
                if prev is not None:
                    gap = cur.x0 - prev.x1
                    text += " " if gap > 1.0 * size else ""
                    spread = spread or gap > 2.0 * size
                text += cur.text
            h = row.y1 - row.y0
            row_size = size * h / typical_h if h > 1.3 * typical_h else size
            out.append(Row(page.number, row.y0, row.x0, row.x1, row_size, text.strip(), spread))
    return out, width


def document_lines(pages: Sequence[OcrPage]) -> list[str]:
    """A document's paragraphs from its pages' OCR lines, in reading order, page furniture out."""
    ordered = [(p, reading_order(p)) for p in sorted(pages, key=lambda p: p.number)]
    ordered = _drop_furniture(ordered)
    rows, width = _to_rows(ordered)
    if not rows:
        return []
    return [fix_text(p) for p in rows_to_paragraphs(drop_page_numbers(rows), width)]


def fix_text(text: str) -> str:
    """What a Chinese document prints that the recogniser reads otherwise: full-width punctuation
    between Chinese characters (`，` read as `,`), and division names one character off."""
    text = _HALF_PUNCT.sub(lambda m: _FULL_WIDTH[m.group(0)], text)
    return _fix_places(text)


@functools.lru_cache(maxsize=1)
def _place_index() -> tuple[frozenset[str], dict[tuple[int, int, str], tuple[str, ...]]]:
    """Division names, and each name with one character (not its level suffix) blanked out, for
    finding a name one substitution away. A cache of a pure function of the gazetteer."""
    from pipeline.regions import division_names
    names = frozenset(n for n in division_names() if len(n) >= 3)
    index: dict[tuple[int, int, str], list[str]] = {}
    for name in names:
        stem = len(name) - len(_PLACE_END.search(name).group(0)) if _PLACE_END.search(name) else len(name)
        for i in range(stem):
            index.setdefault((len(name), i, name[:i] + name[i + 1:]), []).append(name)
    return names, {k: tuple(v) for k, v in index.items()}


def _fix_places(text: str) -> str:
    if not _PLACE_END.search(text):
        return text
    names, index = _place_index()
    out = text
    for m in _PLACE_END.finditer(text):
        end = m.end()
        for length in range(12, 2, -1):
            start = end - length
            if start < 0:
                continue
            window = text[start:end]
            if window in names or not all("\u4e00" <= ch <= "\u9fff" for ch in window):
                if window in names:
                    break
                continue
            found = {n for i in range(length - len(m.group(0)))
                     for n in index.get((length, i, window[:i] + window[i + 1:]), ())}
            # Only a unique name of five characters or more: shorter windows are often ordinary words
            # (武陵山区 is no misread of 武陵源区).
            if len(found) == 1 and length >= 5:
                out = out[:start] + next(iter(found)) + out[end:]
                break
    return out


def ocr_text(pages: Sequence[OcrPage], *, engine: str = "") -> OcrText:
    """The document's paragraphs and the engine's mean confidence (weighted by characters)."""
    chars = sum(len(ln.text) for p in pages for ln in p.lines)
    conf = (sum(ln.confidence * len(ln.text) for p in pages for ln in p.lines) / chars
            if chars else None)
    return OcrText(tuple(document_lines(pages)), conf, len(pages),
                   tuple(p.number for p in pages if p.status != "ok"), engine)
