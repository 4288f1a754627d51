"""Text from DOCX read straight from its XML (zipfile + lxml), with zip-bomb guards.

python-docx is not used here: it loads every part of the package, skips content controls
(`w:sdt`) and text boxes, which Chinese office suites use often; the XML walk below is short.
"""
from __future__ import annotations

import posixpath

from lxml import etree

from pipeline.records import ParseFailure

from ._common import (Limits, fail, find_member, local, new_budget, open_zip, parse_xml,
                      read_member)

__all__ = ["read_docx"]

_W_NS = {"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
         "http://purl.oclc.org/ooxml/wordprocessingml/main"}
_OFFICE_DOC = "/officeDocument"
# Paragraph children never holding visible text: properties, deleted runs, field codes, and
# mc:Fallback, which repeats the mc:Choice content (a text box would come out twice).
_SKIP = {"pPr", "rPr", "del", "moveFrom", "delText", "instrText", "Fallback", "fldData"}
# Block containers walked in order: a table row by row and cell by cell, content controls.
_CONTAINERS = {"tbl", "tr", "tc", "sdt", "sdtContent", "customXml", "ins", "moveTo", "smartTag",
               "AlternateContent", "Choice"}
_CORE = {"title": "title", "creator": "author", "subject": "subject", "keywords": "keywords",
         "created": "created", "modified": "modified", "lastModifiedBy": "last_modified_by"}


def read_docx(body: bytes, limits: Limits) -> tuple[list[str], dict[str, str]]:
    """(lines, meta): paragraphs and table-cell paragraphs in document order."""
    zf = open_zip(body, "DOCX", limits)
    budget = new_budget(limits)
    main = _main_part(zf, budget)
    if main is None:
        raise fail("broken DOCX: no word/document.xml")
    root = parse_xml(read_member(zf, main, "DOCX", budget), "DOCX", main)
    lines: list[str] = []
    body_el = next((c for c in root if local(c.tag) == "body"), None)
    if body_el is not None:
        _blocks(body_el, lines)
    return [ln.strip() for ln in lines if ln.strip()], _meta(zf, budget)


def _main_part(zf, budget: list[int]) -> str | None:
    """The officeDocument target from _rels/.rels, else word/document.xml."""
    root = _optional_part(zf, "_rels/.rels", budget)
    if root is not None:
        for rel in root:
            external = rel.get("TargetMode") == "External"
            if (rel.get("Type") or "").endswith(_OFFICE_DOC) and not external:
                target = posixpath.normpath((rel.get("Target") or "").lstrip("/"))
                name = find_member(zf, target)
                if name:
                    return name
    return find_member(zf, "word/document.xml")


def _is_w(el: etree._Element) -> bool:
    tag = el.tag
    return isinstance(tag, str) and tag[1:].partition("}")[0] in _W_NS


def _blocks(container: etree._Element, lines: list[str]) -> None:
    """Block-level content: paragraphs, tables (row by row, cell by cell), content controls."""
    for el in container:
        name = local(el.tag)
        if name == "p":
            boxes: list[etree._Element] = []
            parts: list[str] = []
            _runs(el, parts, boxes)
            lines.extend("".join(parts).split("\n"))
            for box in boxes:  # text boxes anchored in this paragraph follow it
                _blocks(box, lines)
        elif name in _CONTAINERS:
            _blocks(el, lines)


def _runs(el: etree._Element, parts: list[str], boxes: list[etree._Element]) -> None:
    for child in el:
        name = local(child.tag)
        if not name or name in _SKIP:
            continue
        if name == "txbxContent":
            boxes.append(child)
        elif name == "t" and _is_w(child):
            parts.append(child.text or "")
        elif name == "tab" and _is_w(child):
            parts.append("\t")
        elif name in ("br", "cr") and _is_w(child):
            parts.append("\n")
        elif name == "noBreakHyphen":
            parts.append("-")
        else:
            _runs(child, parts, boxes)


def _meta(zf, budget: list[int]) -> dict[str, str]:
    meta: dict[str, str] = {}
    core = _optional_part(zf, "docProps/core.xml", budget)
    for el in core if core is not None else ():
        key = _CORE.get(local(el.tag))
        if key and el.text and el.text.strip():
            meta[key] = el.text.strip()
    app = _optional_part(zf, "docProps/app.xml", budget)
    for el in app if app is not None else ():
        if local(el.tag) == "Application" and el.text and el.text.strip():
            meta["creator"] = el.text.strip()
    return meta


def _optional_part(zf, path: str, budget: list[int]) -> etree._Element | None:
    """A part the text does not depend on: a damaged one is skipped, a bomb is not."""
    name = find_member(zf, path)
    if name is None:
        return None
    try:
        return parse_xml(read_member(zf, name, "DOCX", budget), "DOCX", name)
    except ParseFailure as exc:
        if exc.reason.startswith("zip bomb"):
            raise
        return None
