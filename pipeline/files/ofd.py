"""Text from OFD (GB/T 33190, a zip of XML parts): OFD.xml → DocBody/DocRoot → Document.xml →
Pages → each page's Content.xml, whose TextObject/TextCode elements carry text and position.
Positions (mm, y growing downwards) are placed into rows and paragraphs like PDF lines."""
from __future__ import annotations

import math
import posixpath
import unicodedata

from lxml import etree

from ._common import (Limits, Row, drop_page_numbers, fail, find_member, group_rows, local,
                      new_budget, open_zip, parse_xml, read_member, rows_to_paragraphs)

__all__ = ["read_ofd"]

_A4_WIDTH = 210.0
_INFO = {"Title": "title", "Author": "author", "Subject": "subject", "Abstract": "abstract",
         "CreationDate": "created", "ModDate": "modified", "Creator": "creator"}


def read_ofd(body: bytes, limits: Limits) -> tuple[list[str], dict[str, str]]:
    """(paragraphs, meta) of every document in an OFD package, in page order."""
    zf = open_zip(body, "OFD", limits)
    budget = new_budget(limits)
    entry = find_member(zf, "OFD.xml")
    if entry is None:
        raise fail("broken OFD: no OFD.xml")
    root = parse_xml(read_member(zf, entry, "OFD", budget), "OFD", entry)
    meta: dict[str, str] = {}
    fragments: list[Row] = []
    page_no = 0
    page_width = 0.0
    for doc_body in _children(root, "DocBody"):
        for info in _children(doc_body, "DocInfo"):
            _info(info, meta)
        doc_root = next((el.text for el in _children(doc_body, "DocRoot") if el.text), None)
        if not doc_root:
            continue
        doc_path = posixpath.normpath(doc_root.strip().lstrip("/"))
        doc_name = find_member(zf, doc_path)
        if doc_name is None:
            raise fail(f"broken OFD: missing part {doc_path}")
        document = parse_xml(read_member(zf, doc_name, "OFD", budget), "OFD", doc_name)
        page_width = max(page_width, _page_width(document))
        for loc in _page_locations(document, posixpath.dirname(doc_path)):
            if page_no >= limits.max_pages:
                raise fail(f"OFD too long: more than {limits.max_pages} pages")
            name = find_member(zf, loc)
            if name is None:
                raise fail(f"broken OFD: missing page {loc}")
            page = parse_xml(read_member(zf, name, "OFD", budget), "OFD", name)
            fragments.extend(_page_fragments(page, page_no))
            page_no += 1
    if page_no == 0:
        raise fail("broken OFD: no pages")
    rows = drop_page_numbers(group_rows(fragments))
    return rows_to_paragraphs(rows, page_width or _A4_WIDTH), meta


def _children(el: etree._Element, name: str):
    return (c for c in el if local(c.tag) == name)


def _info(info: etree._Element, meta: dict[str, str]) -> None:
    for el in info:
        key = _INFO.get(local(el.tag))
        if key and el.text and el.text.strip():
            meta.setdefault(key, el.text.strip())
        elif local(el.tag) == "Keywords":
            words = [k.text.strip() for k in el if k.text and k.text.strip()]
            if words:
                meta.setdefault("keywords", " ".join(words))


def _page_width(document: etree._Element) -> float:
    """Width of CommonData/PageArea/PhysicalBox ("x y w h", mm), 0 when absent."""
    for common in _children(document, "CommonData"):
        for area in _children(common, "PageArea"):
            for box in _children(area, "PhysicalBox"):
                return _numbers(box.text, 4)[2]
    return 0.0


def _page_locations(document: etree._Element, doc_dir: str) -> list[str]:
    """Content.xml paths of the pages, in the order Document.xml lists them; a BaseLoc is
    relative to Document.xml's folder unless it starts with '/'."""
    locations = []
    for pages in _children(document, "Pages"):
        for page in _children(pages, "Page"):
            base = (page.get("BaseLoc") or "").strip()
            if not base:
                continue
            path = base.lstrip("/") if base.startswith("/") else posixpath.join(doc_dir, base)
            locations.append(posixpath.normpath(path))
    return locations


def _page_fragments(page: etree._Element, page_no: int) -> list[Row]:
    """One fragment per TextCode, placed on the page (template pages are not read: they hold
    the running header and footer)."""
    out: list[Row] = []
    for obj in page.iter():
        if local(obj.tag) != "TextObject":
            continue
        bx, by = _numbers(obj.get("Boundary"), 4)[:2]
        a, b, c, d, e, f = _numbers(obj.get("CTM"), 6) if obj.get("CTM") else (1, 0, 0, 1, 0, 0)
        scale = math.sqrt(abs(a * d - b * c)) or 1.0
        size = _float(obj.get("Size"), 3.5) * scale
        x = y = 0.0
        for code in obj:
            if local(code.tag) != "TextCode" or not code.text:
                continue
            # X and Y default to the previous code's position (GB/T 33190 §11.3).
            x = _float(code.get("X"), x)
            y = _float(code.get("Y"), y)
            text = code.text
            deltas = _deltas(code.get("DeltaX"), len(text) - 1)
            width = (sum(deltas) if deltas else 0.0) * scale + size * _em(text[-1])
            if not deltas:
                width = size * sum(_em(ch) for ch in text)
            px = bx + a * x + c * y + e
            py = by + b * x + d * y + f
            out.append(Row(page_no, py - size, px, px + width, size, text))
    return out


def _em(ch: str) -> float:
    """Advance of a character in ems: CJK and full-width characters take one, others half."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5


def _deltas(value: str | None, count: int) -> list[float]:
    """Expand a DeltaX list (`g 3 4.2` repeats 4.2 three times) to `count` advances."""
    if not value or count <= 0:
        return []
    tokens = value.split()
    out: list[float] = []
    i = 0
    while i < len(tokens) and len(out) < count:
        if tokens[i] == "g" and i + 2 < len(tokens):
            repeat = min(int(_float(tokens[i + 1], 0)), count - len(out))
            out.extend([_float(tokens[i + 2], 0.0)] * max(repeat, 0))
            i += 3
        else:
            out.append(_float(tokens[i], 0.0))
            i += 1
    if out and len(out) < count:
        out.extend([out[-1]] * (count - len(out)))
    return out[:count]


def _numbers(value: str | None, count: int) -> list[float]:
    nums = [_float(v, 0.0) for v in (value or "").split()]
    return (nums + [0.0] * count)[:count]


def _float(value: str | None, default: float) -> float:
    try:
        result = float(value) if value is not None else default
    except ValueError:
        return default
    return result if math.isfinite(result) else default
