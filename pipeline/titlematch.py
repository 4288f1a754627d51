"""Which block of a page is its article, by the page's title: the block that opens with (or sits
right under) a heading matching ArticleTitle / og:title / <title> wins over a longer block that
does not (a blog page showing several posts, a portal page with a 相关报道 block of summaries).
Used by pipeline.extract's text-density method; pure, over lxml elements.
"""
from __future__ import annotations

import re

__all__ = ["title_keys", "by_title", "headed_by_title"]

_WS = re.compile(r"[ \t\n\r\f\v\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")
_SKIP = frozenset(("script", "style", "noscript", "template", "select", "option", "textarea", "head"))

# Title keys shorter than this say too little to pick a block by (`首页`, `新闻`).
_MIN_TITLE_KEY = 6
_MOST_OF_TITLE = 0.6
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_TITLE_SPLIT = re.compile(r"(?<!\s)\s*(?:_|\||｜|--|—|-|::|>)\s*")  # from a run's first space only


def title_keys(meta: dict[str, str], html_title: str | None) -> list[str]:
    """What the page says its article is called: ArticleTitle / og:title meta, and the longest
    part of <title> (`标题_网站名`, `网站名 | 标题`), without white space."""
    keys = [meta.get("articletitle"), meta.get("og:title"), meta.get("title")]
    if html_title:
        parts = [p for p in _TITLE_SPLIT.split(html_title) if p.strip()]
        if parts:
            keys.append(max(parts, key=len))
    out = []
    for key in keys:
        key = _WS.sub("", key or "")
        if len(key) >= _MIN_TITLE_KEY and key not in out:
            out.append(key)
    return out


def _matches_title(text: str, keys: list[str]) -> bool:
    """The title, or most of it: a heading that is a small part of it (the site's name
    `中國廣播公司` in a <title> `中國廣播公司全球資訊網`, DAnIEL bcc.com.tw) names no article."""
    text = _WS.sub("", text)
    return len(text) >= _MIN_TITLE_KEY and any(
        k in text or (text in k and len(text) >= _MOST_OF_TITLE * len(k)) for k in keys)


def headed_by_title(node, keys: list[str]) -> bool:
    """The block opens with, or sits right under, a heading that matches the page's title: the
    post of a blog page, the article of a portal page with several (its first headings inside,
    or the short lines just before it and before its parent)."""
    seen = 0
    for el in node.iter(*_HEADINGS, "strong", "b", "a"):
        text = el.text_content()
        if len(text) <= 120 and _matches_title(text, keys):
            return True
        seen += 1
        if seen >= 3:
            break
    for anchor in (node, node.getparent()):
        if anchor is None:
            continue
        sib = anchor.getprevious()
        for _ in range(3):
            if sib is None:
                break
            if isinstance(sib.tag, str) and sib.tag not in _SKIP:
                text = sib.text_content()
                if len(_WS.sub("", text)) <= 120 and _matches_title(text, keys):
                    return True
            sib = sib.getprevious()
    return False


def by_title(best, finals: dict, keys: list[str]):
    """Among the blocks that score near the best, the one whose heading is the page's title."""
    if not keys or headed_by_title(best, keys):
        return best
    floor = 0.2 * finals[best]
    rivals = sorted((n for n, f in finals.items() if f >= floor and n is not best),
                    key=finals.__getitem__, reverse=True)[:8]
    for node in rivals:
        if any(a is best for a in node.iterancestors()) or any(a is node for a in best.iterancestors()):
            continue  # a part or the whole of the best block: not another article
        if headed_by_title(node, keys):
            # A paragraph under the title stands for the block of paragraphs it is part of.
            while node.tag in ("p", "span", "font") and node.getparent() is not None:
                node = node.getparent()
            return node
    return best
