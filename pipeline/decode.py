"""Bytes to text without garbling: HTML pages and plain-text files.

Order for HTML: the HTTP header's charset, then the page's meta charset, each trusted only if the
bytes decode cleanly with it; any GB-family label (gb2312, gbk, x-gbk, cp936) is read as GB18030,
its superset, because old government sites label GBK pages gb2312 and use characters outside it.
Bytes that are valid UTF-8 with non-ASCII text are UTF-8 whatever the label says (a GBK page is
almost never valid UTF-8, while mislabelled UTF-8 pages are common). Then detection
(charset-normalizer), and only as a last resort a lossy decode.
"""
from __future__ import annotations

import codecs
import re

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

__all__ = ["decode_html", "decode_text", "normalise_encoding"]

# Labels read as GB18030, the superset every GB page decodes with. Example: <meta charset=gb2312>.
GB_FAMILY = frozenset({"gb2312", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "gb18030",
                       "gb_2312-80", "csgb2312", "euc-cn", "hz-gb-2312", "chinese"})
# A few broken bytes (a page cut mid-character) do not make a label wrong.
_MAX_ERROR_SHARE = 0.001
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_HIGH = re.compile(rb"[\x80-\xff]")
_ENCODING_ATTR = re.compile(rb"""\bencoding\s*=\s*["']?([A-Za-z0-9_.:-]{2,20})""")


def normalise_encoding(label: str | None) -> str | None:
    """A Python codec name for a declared label, GB-family labels as gb18030; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in GB_FAMILY:
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in ("gb2312", "gbk", "gb18030", "hz"):
        return "gb18030"
    # Browsers read latin-1/ascii labels as windows-1252 (WHATWG); so do we.
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return name


def _bom(body: bytes) -> str | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    return None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _nearly(body: bytes, encoding: str) -> str | None:
    """Decode when at most a few bytes are broken (a truncated capture), else None."""
    try:
        text = body.decode(encoding, errors="replace")
    except LookupError:
        return None
    bad = text.count("\ufffd")
    return text if bad <= max(1, int(len(body) * _MAX_ERROR_SHARE)) else None


def _detect(body: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    if best is None:
        return None
    name = normalise_encoding(best.encoding)
    return _strict(body, name) if name else None


_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
_LATIN_HIGH = re.compile(r"[\u00a1-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u2026\u20ac\u2122]")


def _undo_mojibake(text: str) -> str:
    """A GB page whose bytes were once read as windows-1252 and saved as UTF-8 (`Ž¬³€±»ÓÎÂÖ` for
    `船长被游轮`, a DAnIEL copy of news.sohu.com): those characters back to bytes, read as GB18030.
    Only when the text has far fewer Chinese characters than such Latin ones, and the repair
    reads cleanly."""
    sample = text[:100_000]
    latin = len(_LATIN_HIGH.findall(sample))
    if latin < 200 or len(_CJK_CHAR.findall(sample)) * 4 > latin:
        return text
    raw = bytearray()
    for ch in text:
        code = ord(ch)
        if code < 0x100:
            raw.append(code)
        else:
            try:
                raw += ch.encode("cp1252")
            except UnicodeEncodeError:
                return text  # a character windows-1252 never made: not this kind of garbling
    repaired = _nearly(bytes(raw), "gb18030")
    if repaired is None or len(_CJK_CHAR.findall(repaired[:100_000])) < latin // 4:
        return text
    return repaired


def _decode(body: bytes, declared: list[str | None]) -> str:
    bom = _bom(body)
    if bom:
        text = _strict(body, bom)
        if text is not None:
            return text.lstrip("\ufeff")
    names = [n for n in (normalise_encoding(d) for d in declared) if n]
    # UTF-16/32 without a BOM: ASCII-looking bytes with NULs would pass as UTF-8, so ask first.
    for name in names:
        if name.startswith(("utf-16", "utf-32")):
            text = _strict(body, name)
            if text is not None:
                return text
    if not _HIGH.search(body):  # pure ASCII: any ASCII-compatible label gives the same text
        return body.decode("ascii")
    text = _strict(body, "utf-8")
    if text is not None:
        return _undo_mojibake(text) if "gb18030" in names else text
    for name in dict.fromkeys(names):
        text = _strict(body, name)
        if text is not None:
            return text
    text = _strict(body, "gb18030")  # the commonest non-UTF-8 encoding on Chinese sites
    if text is not None:
        return text
    # A few broken bytes (a capture cut mid-character, a stray byte) before guessing.
    for name in dict.fromkeys([*names, "utf-8", "gb18030"]):
        text = _nearly(body, name)
        if text is not None:
            return text
    text = _detect(body)
    if text is not None:
        return text
    return body.decode("utf-8", errors="replace")


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """The text of an HTML page: header charset, meta charset, GB18030 for GB labels, detection."""
    header = http_content_type_encoding(content_type) if content_type else None
    head = body[:16_384]
    meta = html_body_declared_encoding(head)
    # `<text … encoding="gb2312">` wrappers and XML declarations that w3lib does not read.
    other = _ENCODING_ATTR.search(head)
    return _decode(body, [header, meta, other.group(1).decode("ascii") if other else None])


def decode_text(body: bytes, content_type: str | None = None) -> str:
    """The text of a plain-text file: BOM, UTF-8, the header's charset, GB18030, detection."""
    header = http_content_type_encoding(content_type) if content_type else None
    return _decode(body, [header])
