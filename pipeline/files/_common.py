"""What the file readers share: limits, failures, guarded zip access, safe XML, and the
layout step that turns positioned text lines (PDF, OFD) into paragraphs."""
from __future__ import annotations

import re
import statistics
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from typing import Iterable, Sequence

from lxml import etree

from pipeline.records import FileLimits, ParseFailure

STAGE = "file"

# A member that expands more than this many times over is not an office document part:
# real XML parts compress 5-30:1; a zip bomb's member compresses 1000:1 or more.
MAX_RATIO = 200
# ... but tiny members can have silly ratios (a run of spaces): only members past this size count.
RATIO_MIN_BYTES = 5_000_000
MAX_MEMBERS = 20_000


# The readers' limits are the pipeline's FileLimits (settings.toml [limits]).
Limits = FileLimits


def fail(reason: str) -> ParseFailure:
    return ParseFailure(STAGE, reason)


def describe_error(exc: BaseException) -> str:
    """A library's exception in a few words for a failure line: its message, cut short, without
    Python's type names where the message says enough."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if "integer string conversion" in text:  # a size field read as a number thousands of digits long
        text = "a size field holds an impossible number"
    return text if len(text) <= 120 else text[:117] + "..."


def mb(n: int) -> str:
    """200000000 -> '200 MB' (decimal, as people read sizes)."""
    return f"{n / 1_000_000:g} MB"


# ---------------------------------------------------------------- zip packages (DOCX, OFD)

def open_zip(body: bytes, label: str, limits: Limits) -> zipfile.ZipFile:
    """Open a zip package after checking its directory for bomb signs, before reading anything.

    The directory can lie about sizes; `read_member` enforces the limits again while reading.
    """
    try:
        zf = zipfile.ZipFile(BytesIO(body))
        infos = zf.infolist()
    except Exception as exc:  # zipfile raises many kinds on damaged directories
        raise fail(f"broken {label}: not a readable zip package ({exc})") from None
    if len(infos) > MAX_MEMBERS:
        raise fail(f"zip bomb: {label} has {len(infos)} members")
    total = sum(i.file_size for i in infos)
    if total > limits.max_unpacked_bytes:
        raise fail(f"zip bomb: {label} expands past {mb(limits.max_unpacked_bytes)}")
    for info in infos:
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size >= RATIO_MIN_BYTES and ratio > MAX_RATIO:
            raise fail(f"zip bomb: {label} member {info.filename} expands {ratio}:1")
        if info.flag_bits & 0x1:
            raise fail(f"encrypted {label}: member {info.filename} is password-protected")
    return zf


def new_budget(limits: Limits) -> list[int]:
    """What one package may unpack: [bytes left for all members, most bytes of one XML part]."""
    return [limits.max_unpacked_bytes, limits.max_xml_part_bytes]


def read_member(zf: zipfile.ZipFile, name: str, label: str, budget: list[int]) -> bytes:
    """Read one member in chunks, never more than the remaining budget (from `new_budget`, shared
    across the members of one package) or one part's limit, whatever the directory claimed:
    reading stops at the limit, the rest is never inflated."""
    part_limit = budget[1] if len(budget) > 1 else budget[0]
    out = bytearray()
    try:
        with zf.open(name) as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                out += chunk
                if len(out) > budget[0]:
                    raise fail(f"zip bomb: {label} member {name} expands past the package's "
                               f"unpacked-size limit")
                if len(out) > part_limit:
                    raise fail(f"{label} part {name} too large: more than {mb(part_limit)} "
                               f"of XML (limit [limits] max_xml_part_bytes)")
    except KeyError:
        raise fail(f"broken {label}: missing part {name}") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        raise fail(f"broken {label}: cannot read {name} ({_zip_cause(exc)})") from None
    budget[0] -= len(out)
    return bytes(out)


def _zip_cause(exc: BaseException) -> str:
    """Why a zip member could not be read, in words (zipfile's messages are for programmers)."""
    text = str(exc)
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in text:
        return ("its data does not match its checksum: the file is damaged, or its directory "
                "lies about the part's size")
    if isinstance(exc, NotImplementedError) or "compression method" in text:
        return "it is compressed by a method that is not supported"
    if isinstance(exc, EOFError):
        return "the file ends in the middle of it: the download was cut short"
    if isinstance(exc, zlib.error):
        return "its compressed data is damaged"
    if isinstance(exc, zipfile.BadZipFile):
        return "the package's zip structure is damaged"
    return "the part cannot be read: the file is damaged"


def find_member(zf: zipfile.ZipFile, path: str) -> str | None:
    """The member named `path`, matched without a leading slash and case-insensitively,
    as producers differ (`/Doc_0/Document.xml`, `doc_0/document.xml`)."""
    want = path.lstrip("/").replace("\\", "/").lower()
    for name in zf.namelist():
        if name.lstrip("/").lower() == want:
            return name
    return None


# ---------------------------------------------------------------- XML

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                          remove_comments=True, remove_pis=True)


def parse_xml(data: bytes, label: str, part: str) -> etree._Element:
    """Parse an XML part with entity expansion and network access off."""
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        text = str(exc)
        if "amplification" in text or "entity" in text.lower() and "loop" in text.lower():
            raise fail(f"broken {label}: {part} defines entities that expand without end "
                       "(an XML entity bomb); refused") from None
        if "Excessive depth" in text:
            raise fail(f"broken {label}: {part} is nested more than 256 levels deep; "
                       "refused") from None
        raise fail(f"broken {label}: {part} is not well-formed XML ({describe_error(exc)})") from None
    if root is None:
        raise fail(f"broken {label}: {part} is empty")
    return root


def local(tag: object) -> str:
    """Tag name without its namespace ('' for comments and other non-elements)."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


# ---------------------------------------------------------------- layout → paragraphs

@dataclass(frozen=True)
class Row:
    """One visual line of text on a page, in a top-down coordinate system (top grows down)."""

    page: int
    top: float
    x0: float
    x1: float
    size: float  # character height, roughly the width of one CJK character
    text: str
    # Made of pieces far apart on one line (table cells, label and value): never joined.
    spread: bool = False


# Page furniture: `- 3 -`, `3`, `第3页 共10页`, `3/10`. Dropped only as a page's first or last row,
# so that a paragraph running over a page break joins up again.
_PAGE_NUMBER = re.compile(r"^[\s\-—–－·]*"
                          r"(?:\d{1,4}|第\s*\d{1,4}\s*页(?:\s*[,，]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})"
                          r"[\s\-—–－·]*$")
_SENTENCE_END = re.compile(r"[。！？；：!?;:…”」』）)]\s*$")
_LATIN_END = re.compile(r"[A-Za-z,.;:!?)]$")
_LATIN_START = re.compile(r"^[A-Za-z(]")


def group_rows(fragments: Iterable[Row]) -> list[Row]:
    """Merge fragments of one page that sit on the same visual line (table cells, text split by
    the producer into several objects) into rows, top to bottom, left to right."""
    frags = sorted(fragments, key=lambda r: (r.page, r.top, r.x0))
    rows: list[list[Row]] = []
    for frag in frags:
        if rows:
            last = rows[-1]
            ref = last[0]
            if ref.page == frag.page and abs(ref.top - frag.top) <= 0.5 * min(ref.size, frag.size):
                last.append(frag)
                continue
        rows.append([frag])
    merged = []
    for parts in rows:
        parts.sort(key=lambda r: r.x0)
        text = parts[0].text
        spread = False
        for prev, cur in zip(parts, parts[1:]):
            gap = cur.x0 - prev.x1
            size = min(prev.size, cur.size)
            # A visible gap (table column, spaced signature) reads as a space; glyphs that
            # merely touch join directly, as CJK text has no spaces.
            text += (" " if gap > 0.8 * size else "") + cur.text
            spread = spread or gap > 2.0 * size
        merged.append(Row(parts[0].page, min(p.top for p in parts), min(p.x0 for p in parts),
                          max(p.x1 for p in parts), max(p.size for p in parts), text, spread))
    return merged


def drop_page_numbers(rows: Sequence[Row]) -> list[Row]:
    """Drop a page's first or last row when it is only a page number."""
    keep = []
    for i, row in enumerate(rows):
        first = i == 0 or rows[i - 1].page != row.page
        last = i == len(rows) - 1 or rows[i + 1].page != row.page
        if (first or last) and _PAGE_NUMBER.match(row.text):
            continue
        keep.append(row)
    return keep


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * (len(ordered) - 1) + 0.5)))]


def rows_to_paragraphs(rows: Sequence[Row], page_width: float) -> list[str]:
    """Join rows into paragraphs the way a reader sees them.

    A row continues the paragraph above when it starts at the left margin, no wider-than-usual
    gap separates them, and the row above ran to the right margin. Where the document opens its
    paragraphs with an indent (as Chinese documents do, two characters), the row above may also
    end a little short (a number or Latin word that would not break) as long as it does not end
    a sentence. Without indents, a full row that ends a sentence is taken to end its paragraph.
    Paragraphs run on over page breaks. A centred paragraph (a long title, a text set like one)
    wraps too: a row that filled the line, then one on the same centre, are one paragraph. Text
    narrower than half the page (a few short lines, a column) has no margins to judge by: its rows
    stay apart.
    """
    rows = [r for r in rows if r.text.strip()]
    if not rows:
        return []
    size = statistics.median(r.size for r in rows) or 10.0
    # Margins from the longer rows: headings, signatures and last lines are short.
    body = [r for r in rows if len(r.text) >= 8] or list(rows)
    right = _quantile([r.x1 for r in body], 0.9)
    left = _quantile([r.x0 for r in body], 0.1)
    if right - left < 0.5 * page_width:
        return [r.text.strip() for r in rows]
    steps = [b.top - a.top for a, b in zip(rows, rows[1:]) if a.page == b.page and b.top > a.top]
    step = statistics.median(steps) if steps else 1.5 * size
    indented = sum(1 for r in rows if left + 1.4 * size <= r.x0 <= left + 2.8 * size)
    indent_style = indented >= 2 and indented * 20 >= len(rows)

    paragraphs: list[str] = []
    prev: Row | None = None
    for row in rows:
        text = row.text.strip()
        joins = False
        if prev is not None and paragraphs and not (row.spread or prev.spread) \
                and row.x0 <= left + 0.6 * size and (
                row.page != prev.page or 0 < row.top - prev.top <= 1.6 * step):
            gap = right - prev.x1
            ends_sentence = bool(_SENTENCE_END.search(prev.text))
            if indent_style:
                joins = gap <= 2.0 * size or (gap <= 8.0 * size and not ends_sentence)
            else:  # without indents a full line ending a sentence may end its paragraph: keep apart
                joins = gap <= 2.0 * size and not ends_sentence
        if not joins and prev is not None and paragraphs:
            joins = _centred_continuation(prev, row, left, right, step)
        if joins:
            last = paragraphs[-1]
            sep = " " if _LATIN_END.search(last) and _LATIN_START.match(text) else ""
            paragraphs[-1] = last + sep + text
        else:
            paragraphs.append(text)
        prev = row
    return paragraphs


def _centred_continuation(prev: Row, row: Row, left: float, right: float, step: float) -> bool:
    """`row` goes on with `prev` in a centred paragraph: `prev` filled the line (so the text
    wrapped there, not at the author's line break), mid-sentence, and both sit on the same centre
    in the same type size. Two short centred lines (an issuer line over a title line) stay apart."""
    size = prev.size
    if row.spread or prev.spread or row.page != prev.page or abs(row.size - size) > 0.1 * size:
        return False
    if not 0 < row.top - prev.top <= 1.6 * max(step, 1.2 * size):
        return False
    filled = prev.x1 - prev.x0 >= (right - left) - 2.5 * size
    same_centre = abs((prev.x0 + prev.x1) - (row.x0 + row.x1)) <= 1.5 * size
    return filled and same_centre and not _SENTENCE_END.search(prev.text)
