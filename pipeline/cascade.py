"""Main text as a cascade: govreports' own extractor first, a generic one where it falls short.

As trafilatura falls back on readability-lxml and jusText, `extract_main` runs readability-lxml
(a runtime dependency: small, pure Python over lxml, nothing downloaded) only when the own result
is in doubt, and keeps the better of the two by a rule that can be stated:

When the fallback runs (`needs_fallback`), one reason each:
- "empty": the own extractor found no main text;
- "list page": its block is mostly links (more than half of its characters, 10 links or more),
  which on a report page means it took a list below the report, or the page is a real list;
- "short": its text has fewer than SHORT_CHARS characters (a news item, or a wrong block);
- "brief": fewer than BRIEF_CHARS characters, in a block that no heading matching the page's
  title heads: often one part of a page's text (the notes under a poem, the last section of a
  report split over blocks) taken for the whole;
- "linky": a long block with LINKY_MIN_LINKS links or more, over LINKY_DENSITY of its characters
  in them (an article with its reference lists, navigation boxes or 相关链接 inside the block);
- "forced": the caller asks for it (a capture marked as a likely report that would be skipped).

Which text is kept (`choose`), in this order:
1. the fallback's text must be usable: at least MIN_CHARS characters, at most MAX_LINK_DENSITY of
   them in links, and sentence punctuation (one mark per PUNCT_EVERY characters at least);
   otherwise the own result stands (a list page stays one, unless it has a dominant text);
2. an empty own result gives way to a usable fallback, and so does a list-page verdict, unless
   the own block's lines that are not links make a longer text of their own (`dominant_text`:
   SHORT_CHARS or more, with punctuation), which is then kept without its links;
3. the page's title decides next: of two texts, the one that opens under a heading matching the
   page's title (ArticleTitle, the 信息公开 table's 标题, <title>, h1), when the other does not;
4. a linky own result gives way to a fallback that is part of it (CONTAINS of the fallback's
   characters, line by line, are in the own text) and keeps LINKY_KEEPS of its characters: the
   same article, its lists left out;
   a forced try keeps the fallback when it holds more text (the own result would be skipped);
5. a short own result gives way when the fallback holds at least LONGER times as much text;
   a brief one only when that text also holds the own text (CONTAINS of its characters, line by
   line) and has no heading matching the page's title below its top: the same article, more of
   it, never a different one nor several;
   either gives way, too, to a fallback at least SAME_LONGER times as long that holds the own text
   (CONTAINS of its characters, line by line) with no heading matching the page's title below its
   top: the same article with the paragraphs the own block left out (a lead in a block of its own,
   a paragraph broken off by bad markup);
6. otherwise the own result stands.
The winner is recorded: `Extracted.method` is "readability" and `fallback` says why it ran.
"""
from __future__ import annotations

import dataclasses
import re

import lxml.etree as etree
import lxml.html

from pipeline.extract import Extracted, extract_html, html_to_lines, page_lines_around
from pipeline.titles import normalise_title

__all__ = ["extract_main", "needs_fallback", "choose", "contained", "generic_extract", "SHORT_CHARS", "BRIEF_CHARS"]

SHORT_CHARS = 200  # ParseOptions.min_report_chars' default: a shorter text would be skipped
BRIEF_CHARS = 800
LINKY_MIN_LINKS, LINKY_DENSITY, LINKY_KEEPS = 100, 0.2, 0.3
CONTAINS = 0.8
MIN_CHARS = 50
MAX_LINK_DENSITY = 0.3
PUNCT_EVERY = 120
LONGER = 2.0
SAME_LONGER = 1.1
LIST_LINK_DENSITY, LIST_MIN_LINKS = 0.5, 10  # the own extractor's "list page" verdict
_SENTENCE = re.compile(r"[。！？；，.!?;,]")
_WS = re.compile(r"\s+")


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One extractor's main text and what the rule reads of it."""

    lines: tuple[str, ...]
    chars: int
    link_density: float
    punct: int

    @property
    def usable(self) -> bool:
        return (self.chars >= MIN_CHARS and self.link_density <= MAX_LINK_DENSITY
                and self.punct * PUNCT_EVERY >= self.chars)


def _chars(lines) -> int:
    return sum(len(_WS.sub("", ln)) for ln in lines)


def own_text_chars(page: Extracted) -> int:
    return _chars(page.lines)


def is_list_verdict(page: Extracted) -> bool:
    return page.link_density > LIST_LINK_DENSITY and page.n_links >= LIST_MIN_LINKS


def needs_fallback(page: Extracted, *, force: bool = False) -> str | None:
    """Why the own result is in doubt ("empty", "list page", "short", "forced"), or None."""
    if not page.lines:
        return "empty"
    if is_list_verdict(page):
        return "list page"
    chars = _chars(page.lines)
    if chars < SHORT_CHARS:
        return "short"
    if force:
        return "forced"
    if page.n_links >= LINKY_MIN_LINKS and page.link_density > LINKY_DENSITY:
        return "linky"
    # A brief block under a heading that matches the page's title is the article the page names.
    return "brief" if chars < BRIEF_CHARS and not page.titled else None


def generic_extract(html: str) -> Candidate | None:
    """readability-lxml's article, as lines; None when it finds nothing or breaks on the page."""
    try:
        from readability import Document
        from readability.readability import Unparseable
    except ImportError:  # pragma: no cover - a runtime dependency; only a broken install lacks it
        return None
    try:
        summary = Document(html).summary(html_partial=True)
    except (Unparseable, etree.ParserError, ValueError, TypeError, RecursionError, AssertionError):
        # lxml.html asserts on a page with no <body> (`<meta`); crawled pages are hostile input.
        return None
    if not summary or not summary.strip():
        return None
    try:
        root = lxml.html.fragment_fromstring(summary, create_parent="div")
    except (etree.ParserError, ValueError, AssertionError):
        return None
    lines = tuple(html_to_lines(root))
    chars = _chars(lines)
    link_chars = sum(len(_WS.sub("", a.text_content())) for a in root.iter("a"))
    punct = sum(len(_SENTENCE.findall(ln)) for ln in lines)
    return Candidate(lines=lines, chars=chars, link_density=link_chars / chars if chars else 1.0,
                     punct=punct)


_TITLE_PARTS = re.compile(r"[_|｜—-]+")


def _title_keys(page: Extracted) -> list[str]:
    values = (page.meta.get("articletitle"), page.info.get("title"), page.h1, page.html_title)
    # <title> carries the site's name too (`标题_XX县人民政府`, `标题 - 网站`): its last part, and
    # an h1 that is only that name (a blog's header), name the site, not the article.
    parts = [p for p in _TITLE_PARTS.split(normalise_title(page.html_title or "")) if p]
    site = parts[-1] if len(parts) > 1 else None
    keys = []
    for value in values:
        key = normalise_title(value or "")
        if len(key) >= 6 and key != site:
            keys.append(key)
            keys.extend(k for k in _TITLE_PARTS.split(key) if len(k) >= 6 and k != site)
    return keys


def _is_heading(line: str, key: str) -> bool:
    """A line that is the title (or most of it), give or take a number or a bracket."""
    if not line or line.startswith(("附件", "相关")):
        return False
    return (key in line and len(line) <= 1.3 * len(key)) or (line in key and len(line) >= 0.6 * len(key))


def _under_title(lines, before, keys: list[str]) -> bool:
    """The text opens under the page's title: a heading line just above it or at its top."""
    near = [normalise_title(ln) for ln in (*before[-3:], *lines[:2])]
    return any(_is_heading(ln, k) for ln in near for k in keys)


def _title_inside(lines, keys: list[str]) -> bool:
    """The page's title as a heading inside a text, not at its top: the text runs over several
    articles (a blog page's posts, the article it names among them)."""
    return bool(keys) and any(_is_heading(normalise_title(ln), k) for ln in lines[2:] for k in keys)


def dominant_text(page: Extracted) -> bool:
    """The own block's lines (link lines are left out already) make a text by themselves: at
    least SHORT_CHARS characters, with sentence punctuation."""
    lines = page.lines
    chars = _chars(lines)
    punct = sum(len(_SENTENCE.findall(ln)) for ln in lines)
    return chars >= SHORT_CHARS and punct * PUNCT_EVERY >= chars


def choose(own: Extracted, alt: Candidate | None, reason: str, alt_before=()) -> tuple[bool, str]:
    """(take the fallback?, why), by the rule in the module's docstring."""
    if alt is None or not alt.usable:
        return False, "fallback unusable"
    if reason == "empty":
        return True, "own result empty"
    if reason == "list page" and not (dominant_text(own) and alt.chars < own_text_chars(own)):
        return True, "own result a list page"
    keys = _title_keys(own)
    own_titled = bool(keys) and _under_title(own.lines, own.before, keys)
    alt_titled = bool(keys) and _under_title(alt.lines, alt_before, keys)
    if own_titled and not alt_titled:
        return False, "own result opens under the page's title"
    if alt_titled and not own_titled:
        return True, "fallback opens under the page's title"
    own_chars = _chars(own.lines)
    if (reason == "linky" and alt.chars >= LINKY_KEEPS * own_chars
            and contained(alt.lines, own.lines) >= CONTAINS):
        return True, "fallback is the own text without its link lists"
    if reason == "forced" and alt.chars > own_chars:
        return True, "own result would be skipped; fallback longer"
    if alt.chars >= LONGER * max(own_chars, 1):
        if reason == "brief" and (contained(own.lines, alt.lines) < CONTAINS
                                  or _title_inside(alt.lines, keys)):
            return False, "own result kept; fallback longer but another text, or several"
        return True, f"fallback {alt.chars} chars against {own_chars}"
    if (reason in ("short", "brief") and alt.chars >= SAME_LONGER * max(own_chars, 1)
            and contained(own.lines, alt.lines) >= CONTAINS and not _title_inside(alt.lines, keys)):
        return True, f"fallback holds the own text and more ({alt.chars} chars against {own_chars})"
    return False, "own result kept"


def contained(lines, within) -> float:
    """Share of the characters of `lines` found, line by line, inside the text of `within`."""
    hay = "".join(_WS.sub("", ln) for ln in within)
    total = found = 0
    for line in lines:
        key = _WS.sub("", line)
        total += len(key)
        if key and key in hay:
            found += len(key)
    return found / total if total else 0.0


def extract_main(html: str, *, url: str | None = None, force: bool = False) -> Extracted:
    """The page's main text and facts: own extractor, then the fallback when in doubt."""
    own = extract_html(html, url=url)
    reason = needs_fallback(own, force=force)
    if reason is None:
        return own
    alt = generic_extract(html)
    # The page's lines around the fallback's text (a second pass over the page) only matter for a
    # fallback that can win.
    before, after = page_lines_around(html, alt.lines) if alt is not None and alt.usable else ([], [])
    take, why = choose(own, alt, reason, before)
    if not take:
        if reason == "list page" and dominant_text(own):
            # The block is mostly links, but its lines that are not links hold a text of their
            # own (a report in a cell with its 相关链接 list): that text, the list left out.
            return dataclasses.replace(own, link_density=0.0, n_links=0,
                                       fallback=f"{reason}; {why}; own text without its links kept")
        return dataclasses.replace(own, fallback=f"{reason}; {why}")
    # The own block's pictures go with it: they are not the fallback's (a list's thumbnails
    # would make the fallback's text look like a row of scanned pages).
    return dataclasses.replace(own, lines=alt.lines, before=tuple(before[-30:]), after=tuple(after[:40]),
                               method="readability", link_density=alt.link_density, n_links=0,
                               images=(), fallback=f"{reason}; {why}")
