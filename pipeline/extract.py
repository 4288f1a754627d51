"""Main content and page facts from an HTML page.

Known government containers first (TRS, Hanweb, gkmlpt, …), then a text-density method in the
spirit of readability: paragraphs score by their text and Chinese punctuation, the score flows to
their parent and (halved) grandparent, link-heavy blocks lose it; a data table right after the
block, which its last line announces (`附：…`, `…如下：`), joins it. Besides the body, the page gives
its head meta (ArticleTitle, PubDate, …), the 政府信息公开 table, h1, <title>, the lines just above
the body (where the date and source line sit), and links to attachment files.

The tree is lxml's HTML parser: the same parser BeautifulSoup's "lxml" builder drives, used
directly because building BeautifulSoup's tree alone costs more per page here than the whole of
readability-lxml (see bench/parse_speed.py), and the speed target is to beat it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import lxml.etree as etree
import lxml.html

from pipeline.records import Link
from pipeline.titlematch import by_title, headed_by_title, title_keys

__all__ = ["Extracted", "extract_html", "html_to_lines", "page_lines_around", "scan_images",
           "CONTAINERS", "INFO_LABELS", "MAX_PAGE_IMAGES"]

# (attribute, pattern, real example). Tried in order; the first that holds enough text is the body.
CONTAINERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("class", re.compile(r"TRS_Editor"), '<div class="TRS_Editor"> (TRS WCM, tjjh.gov.cn)'),
    ("class", re.compile(r"TRS_UEDITOR"), '<div class="TRS_UEDITOR trs_paper_default">'),
    ("class", re.compile(r"trs_editor_view"), '<div class="trs_editor_view TRS_UEDITOR …">'),
    ("id", re.compile(r"^UCAP-CONTENT$"), '<div id="UCAP-CONTENT"> (gov.cn style, cq.gov.cn)'),
    ("id", re.compile(r"^zoom$", re.I), '<div id="zoom"> (Hanweb JCMS, TRS)'),
    ("id", re.compile(r"^ivs_content$"), '<div id="ivs_content"> (Kaipu sites)'),
    ("id", re.compile(r"^fontzoom$", re.I), '<div id="fontzoom"> (zh-extraction 7c6d2080)'),
    ("id", re.compile(r"^js_content$"), '<div id="js_content"> (WeChat article)'),
    ("class", re.compile(r"article[-_]content"), '<div class="article-content"> (zh-extraction f70d9c97)'),
    ("id", re.compile(r"^news_?content$", re.I), '<div id="NewsContent">'),
    ("class", re.compile(r"\bart_con\b|\bart_content\b"), '<div class="art_con"> (Hanweb)'),
)
_MIN_CONTAINER_CHARS = 60

# 政府信息公开 table labels: (label, canonical key). Example: `<td><b>发布机构：</b></td><td>X局</td>`.
INFO_LABELS: dict[str, str] = {
    "索引号": "index_no", "发布机构": "issuer", "发文机关": "issuer", "制发机构": "issuer",
    "发文单位": "issuer", "发布单位": "issuer", "公开主体": "issuer", "信息来源": "source",
    "成文日期": "written", "生成日期": "written", "发文日期": "written", "印发日期": "written",
    "发布日期": "published", "公开日期": "published", "发布时间": "published",
    "标题": "title", "名称": "title", "文件名称": "title", "文号": "doc_no", "发文字号": "doc_no",
    "主题分类": "topic", "分类": "topic", "有效性": "validity",
}
_ANY_INFO_LABEL = re.compile("|".join(INFO_LABELS))
_INFO_RE = re.compile(r"^\s*(%s)\s*[:：]?\s*(.*)$" % "|".join(sorted(INFO_LABELS, key=len, reverse=True)),
                      re.S)

BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main menu nav ol p pre section summary "
    "table tbody thead tfoot tr ul caption title html".split())
SKIP_TAGS = frozenset("script style noscript template select option textarea button iframe svg "
                      "object embed canvas map head input".split())
CELL_TAGS = frozenset(("td", "th"))
_WS = re.compile(r"[ \t\n\r\f\v\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")
_PUNCT = re.compile(r"[，。；：！？、,;]")
_SENTENCE_ENDS = ("。", "！", "？", "。”", "！”", "？”", "!", "?")
_ATTACH = re.compile(r"\.(pdf|docx?|wps|ofd)(?:$|[?#&])|downfile\.jsp|download\.jsp", re.I)
_DETAIL = re.compile(r"DETAIL\s*=\s*(\{.*?\})\s*;?\s*(?:\n|</script>|$)", re.S)
_JSON_STR = r'"%s"\s*:\s*"((?:[^"\\]|\\.)*)"'


@dataclass(frozen=True)
class Extracted:
    """What one HTML page gives. `lines` is the body, one paragraph per line, not yet cleaned;
    `before` the page's lines just above the body (title, date and source lines sit there)."""

    lines: tuple[str, ...]
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)  # lower-cased <meta name> -> content
    info: dict[str, str] = field(default_factory=dict)  # INFO_LABELS key -> value
    h1: str | None = None
    html_title: str | None = None
    attachments: tuple[Link, ...] = ()
    method: str = "none"  # which container rule or "density"
    link_density: float = 0.0  # share of the body's characters inside links
    n_links: int = 0  # links in the body
    fallback: str = ""  # why the cascade ran its fallback, and what it decided (pipeline.cascade)
    # Pictures inside the body that may be pages of the report (see scan_images), in order.
    images: tuple[Link, ...] = ()
    # The text-density block opens with, or sits right under, a heading matching the page's
    # title (pipeline.titlematch): it is the article the page names, however short.
    titled: bool = False


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _parse(html: str):
    if not html or not html.strip():
        return None
    try:
        # Bytes with a declared encoding: lxml refuses str with an XML encoding declaration.
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
        return lxml.html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=parser)
    except (etree.ParserError, ValueError, UnicodeError):
        return None


def html_to_lines(el) -> list[str]:
    """Text of an element, one line per block element or <br>, table cells apart by a space."""
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            line = _norm("".join(buf))
            if line:
                out.append(line)
            buf.clear()

    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        tag = node.tag if isinstance(node.tag, str) else None
        if event == "start":
            if tag is None or tag in SKIP_TAGS or _hidden(node):
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS:
                flush()
            elif tag == "br":
                flush()
            if node.text and tag not in SKIP_TAGS:
                buf.append(node.text)
        else:
            if tag is not None and tag not in SKIP_TAGS and not _hidden(node):
                if tag in BLOCK_TAGS:
                    flush()
                elif tag in CELL_TAGS:
                    buf.append(" ")
            if node is not el and node.tail:
                buf.append(node.tail)
    flush()
    return out


# Blocks that are never the article (readability's "unlikely candidates"), by class or id: comment
# threads, related lists, share bars. Example: `<div id="comments">` under a blog post (35687fb1).
_UNLIKELY = re.compile(r"comment|reply|respond|trackback|related|recommend|share|sidebar|footer|"
                       r"breadcrumb|crumb|menu|navbar|\bnav\b|copyright|advert|banner|popup|pager|pagination",
                       re.I)
_LIKELY = re.compile(r"article|content|main|body|post|text|detail|zoom|editor", re.I)


def _unlikely(node) -> bool:
    if node.tag in ("body", "html", "main", "article"):
        return False
    attrs = " ".join(v for v in (node.get("class"), node.get("id")) if v)
    return bool(attrs) and bool(_UNLIKELY.search(attrs)) and not _LIKELY.search(attrs)


def _hidden(node) -> bool:
    style = node.get("style")
    return bool(style) and "display:none" in style.replace(" ", "").lower()


def _meta(root) -> dict[str, str]:
    meta: dict[str, str] = {}
    for m in root.iter("meta"):
        name = m.get("name") or m.get("property") or m.get("itemprop")
        content = m.get("content")
        if name and content and content.strip():
            meta.setdefault(name.strip().lower(), _norm(content))
    return meta


def _info_table(root) -> dict[str, str]:
    """Label/value pairs of the 政府信息公开 table, whichever markup carries them."""
    info: dict[str, str] = {}
    nodes = []
    for el in root.iter(etree.Element):
        if el.tag in SKIP_TAGS:
            continue
        if el.text and _ANY_INFO_LABEL.search(el.text):
            nodes.append(el)
        if el.tail and _ANY_INFO_LABEL.search(el.tail):
            nodes.append(el.getparent())
    for parent in nodes:
        if parent is None or parent.tag in SKIP_TAGS:
            continue
        # The label's own cell: the nearest element whose text is short.
        cell = parent
        while cell is not None and cell.tag in ("b", "strong", "span", "font", "label", "em") \
                and cell.getparent() is not None and len(cell.getparent().text_content()) < 60:
            cell = cell.getparent()
        own = _norm(cell.text_content())
        if len(own) > 120:
            continue
        m = _INFO_RE.match(own)
        if not m:
            continue
        key, value = INFO_LABELS[m.group(1)], m.group(2).strip()
        if not value:  # the value sits in the next cell: <td>发布机构：</td><td>X局</td>
            nxt = cell.getnext()
            if nxt is not None:
                value = _norm(nxt.text_content())
        # A value running into the next label (`发布机构：X局 成文日期：…` in one cell).
        value = re.split(r"\s+(?:%s)\s*[:：]" % "|".join(INFO_LABELS), value)[0].strip()
        if value and len(value) <= 100 and key not in info:
            info[key] = value
    return info


def _attachments(root, base_url: str | None) -> tuple[Link, ...]:
    links: dict[str, Link] = {}
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        text = _norm(a.text_content())
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        if _ATTACH.search(href) or _ATTACH.search(text):
            url = urljoin(base_url, href) if base_url else href
            links.setdefault(url, Link(url=url, text=text))
    return tuple(links.values())


# Pictures in a body that are not pages: icons, logos, QR codes, share buttons, spacers.
_NOT_PAGE_IMAGE = re.compile(r"icon|logo|qrcode|ewm|erweima|share|print|close|spacer|blank|arrow|"
                             r"btn|button|banner|wx|weixin|weibo|\.svg(?:$|\?)|^data:", re.I)
# A body of pictures with no more text than this (a line such as 现将报告全文公布如下) is a scan,
# unless that text is an article of its own: more sentences than pictures less one (a news item of
# three sentences under its photo is not a one-page scan; a lead-in line over five pages is).
_SCAN_MAX_TEXT_CHARS = 300
_SENTENCE_END = re.compile(r"[。！？!?]")
MAX_PAGE_IMAGES = 60  # more is a gallery, not a report
_PX = re.compile(r"(?<!\d)(\d+(?:\.\d+)?)\s*(?:px\s*)?$")


def _declared(img, attr: str) -> float | None:
    """A size the markup gives (`width="600"`, `style="width:600px"`), in pixels; None if not."""
    value = img.get(attr)
    if value is None:
        style = (img.get("style") or "").replace(" ", "").lower()
        m = re.search(rf"(?:^|;){attr}:(\d+(?:\.\d+)?)px", style)
        value = m.group(1) if m else None
    m = _PX.match(value.strip()) if value else None
    return float(m.group(1)) if m else None


def _body_images(parts: list, base_url: str | None) -> tuple[Link, ...]:
    """`<img>` in the body that could be pages: not icons by name, not small or landscape by the
    sizes the markup declares (sizes it does not declare are checked on the image itself)."""
    out: dict[str, Link] = {}
    for part in parts:
        for img in part.iter("img"):
            src = (img.get("src") or img.get("data-src") or img.get("original") or "").strip()
            if not src or _NOT_PAGE_IMAGE.search(src) or _hidden(img):
                continue
            w, h = _declared(img, "width"), _declared(img, "height")
            if (w is not None and w < 300) or (h is not None and h < 300) or \
                    (w is not None and h is not None and h < 1.1 * w):
                continue
            url = urljoin(base_url, src) if base_url else src
            if url.startswith(("http://", "https://")) or base_url is None:
                out.setdefault(url, Link(url=url, text=_norm(img.get("alt") or img.get("title") or "")))
    return tuple(out.values())


def scan_images(page: Extracted) -> tuple[Link, ...]:
    """The pictures of pages that make up the body, when the body is mainly such pictures (a
    report posted as a row of scanned pages); () for a page whose text is the report."""
    if not page.images or len(page.images) > MAX_PAGE_IMAGES:
        return ()
    chars = sum(len(_WS.sub("", line)) for line in page.lines)
    if chars > _SCAN_MAX_TEXT_CHARS:
        return ()
    sentences = sum(len(_SENTENCE_END.findall(line)) for line in page.lines)
    return page.images if sentences <= max(1, len(page.images) - 1) else ()


def _gkmlpt(root) -> tuple[str | None, dict[str, str]]:
    """gkmlpt pages carry the body in `_CONFIG.DETAIL = {…, "content": "<p>…"}` inside a script."""
    for script in root.iter("script"):
        code = script.text or ""
        if "DETAIL" not in code or '"content"' not in code:
            continue
        detail: dict = {}
        m = _DETAIL.search(code)
        if m:
            try:
                detail = json.loads(m.group(1))
            except ValueError:
                detail = {}
        if not isinstance(detail, dict) or not detail.get("content"):
            detail = {}
            for key in ("content", "title", "publisher", "source", "date", "publish_time"):
                m2 = re.search(_JSON_STR % key, code)
                if m2:
                    try:
                        detail[key] = json.loads('"' + m2.group(1) + '"')
                    except ValueError:
                        pass
        if detail.get("content"):
            extra = {k: str(v) for k, v in detail.items()
                     if k != "content" and isinstance(v, (str, int)) and str(v).strip()}
            return str(detail["content"]), extra
    return None, {}


def _text_len(el) -> int:
    return len(_WS.sub("", el.text_content()))


def _score_density(body):
    """readability's idea for Chinese pages: the best block by text, punctuation and few links."""
    own: dict = {}  # block element -> [chars, link chars, punctuation]
    totals: dict = {}  # element -> [chars, link chars, links]
    stack: list = []  # (element, block element it writes to, inside a link)
    walker = etree.iterwalk(body, events=("start", "end"))
    for event, node in walker:
        tag = node.tag if isinstance(node.tag, str) else None
        if event == "start":
            if tag is None or tag in SKIP_TAGS or _hidden(node) or _unlikely(node):
                walker.skip_subtree()
                stack.append((node, None, False))
                continue
            parent_block = stack[-1][1] if stack else node
            in_link = (stack[-1][2] if stack else False) or tag == "a"
            block = node if (tag in BLOCK_TAGS or tag in CELL_TAGS) else parent_block
            stack.append((node, block, in_link))
            totals[node] = [0, 0, 1 if tag == "a" else 0]
            if node.text:
                _add(own, totals, block, node, node.text, in_link)
        else:
            node_, block, in_link = stack.pop()
            if block is None:
                pass
            elif stack:
                parent, pblock, plink = stack[-1]
                if parent in totals:
                    t, pt = totals[node], totals[parent]
                    pt[0] += t[0]
                    pt[1] += t[1]
                    pt[2] += t[2]
            if stack and node.tail:
                parent, pblock, plink = stack[-1]
                if pblock is not None:
                    _add(own, totals, pblock, parent, node.tail, plink)
    scores: dict = {}
    for block, (chars, link_chars, punct) in own.items():
        text_chars = chars - link_chars
        if text_chars < 20:
            continue
        score = 1 + punct + min(text_chars / 40, 8)
        node, factor = block, 1.0
        for _ in range(3):
            if node is None:
                break
            scores[node] = scores.get(node, 0.0) + score * factor
            node, factor = node.getparent(), factor / 2 if factor == 1.0 else factor / 1.5
    finals = _finals(scores, totals)
    if not finals:
        return None, 0.0, scores, totals
    best = max(finals, key=finals.__getitem__)
    best_score = finals[best]
    # A page of several items of one kind (a blog's posts, each `<td class="post-body">` in its own
    # table, zh-extraction 59562291) is about its first, newest item.
    groups: dict = {}
    for node, final in finals.items():
        if final >= 0.3 * best_score and node.get("class"):
            groups.setdefault((node.tag, node.get("class")), []).append(node)
    order = {node: i for i, node in enumerate(totals)}
    for members in groups.values():
        parents = {m.getparent() for m in members}
        if len(members) >= 3 and len(parents) == len(members):
            first = min(members, key=lambda n: order.get(n, 0))
            if order.get(first, 0) < order.get(best, 0):
                best, best_score = first, finals[first]
    return best, best_score, scores, totals


def _finals(scores: dict, totals: dict) -> dict:
    """Each block's score less its share of link text."""
    finals: dict = {}
    for node, score in scores.items():
        chars, link_chars, _ = totals.get(node, (0, 0, 0))
        density = link_chars / chars if chars else 1.0
        finals[node] = score * (1 - density)
    return finals


def _add(own, totals, block, node, text, in_link) -> None:
    chars = len(_WS.sub("", text))
    if not chars:
        return
    acc = own.setdefault(block, [0, 0, 0])
    acc[0] += chars
    acc[2] += len(_PUNCT.findall(text))
    t = totals[node]
    t[0] += chars
    if in_link:
        acc[1] += chars
        t[1] += chars


def _density_body(body, keys: list[str] = ()) -> tuple[list, str, float, int, bool]:
    best, best_score, scores, totals = _score_density(body)
    if best is None:
        return [], "none", 1.0, 0, False
    finals = _finals(scores, totals)
    chosen = by_title(best, finals, list(keys))
    titled = bool(keys) and (chosen is not best or headed_by_title(best, list(keys)))
    if chosen is not best:
        best, best_score = chosen, finals[chosen]
    parts = [best]
    parent = best.getparent()
    if parent is not None and best.tag not in ("body", "html"):
        threshold = max(10.0, best_score * 0.2)
        parts = []
        for sib in parent:
            if not isinstance(sib.tag, str):
                continue
            if sib is best:
                parts.append(sib)
                continue
            chars, link_chars, _ = totals.get(sib, (0, 0, 0))
            density = link_chars / chars if chars else 1.0
            if scores.get(sib, 0.0) * (1 - density) >= threshold and density < 0.3:
                parts.append(sib)
            elif sib.tag == "p" and chars - link_chars > 80 and density < 0.25:
                parts.append(sib)
        parts = _with_sentences(list(parent), parts, totals)
    table = _announced_table(parts[-1], totals)
    if table is not None:
        parts.append(table)
    chars = sum(totals.get(p, (0, 0, 0))[0] for p in parts)
    link_chars = sum(totals.get(p, (0, 0, 0))[1] for p in parts)
    n_links = sum(totals.get(p, (0, 0, 0))[2] for p in parts)
    return parts, "density", (link_chars / chars if chars else 1.0), n_links, titled


# A last line that announces what follows: `附：招生专业及考试科目`, `附表1`, `…情况如下：`.
_ANNOUNCES = re.compile(r"^附(?:件|表)?\s*[0-9一二三四五六七八九十]*\s*[：:]|^附表|[：:]$")
ANNOUNCED_MAX_CHARS, ANNOUNCED_UP = 40, 4
TABLE_MIN_CHARS, TABLE_MAX_LINK_DENSITY = 30, 0.3


def _announced_table(last, totals) -> object | None:
    """The table right after the block, when the block's last line announces it: a data table
    (the list of a report's measures, a 招生 table) laid out as a sibling of the text's own cell
    or table, which scores nothing of its own (no punctuation) and was left out. The first element
    after the block, at most ANNOUNCED_UP levels up, must be a <table> with little link text."""
    lines = html_to_lines(last)
    if not lines or len(_WS.sub("", lines[-1])) > ANNOUNCED_MAX_CHARS or not _ANNOUNCES.search(lines[-1]):
        return None
    node = last
    for _ in range(ANNOUNCED_UP):
        sib = node.getnext()
        while sib is not None and (not isinstance(sib.tag, str) or _textless(sib, totals)):
            sib = sib.getnext()
        if sib is not None:
            chars, link_chars, _ = totals.get(sib, (0, 0, 0))
            if (sib.tag == "table" and chars >= TABLE_MIN_CHARS
                    and link_chars <= TABLE_MAX_LINK_DENSITY * chars):
                return sib
            return None
        node = node.getparent()
        if node is None or node.tag in ("body", "html"):
            return None
    return None


def _sentence_p(node, totals) -> bool:
    """A short paragraph of the article: a `<p>` without links that ends a sentence (a lead of
    one sentence, `国内首条高速公路———上海沪嘉高速2012年元旦起停止收费，…减半。`, DAnIEL)."""
    if node.tag != "p":
        return False
    chars, link_chars, _ = totals.get(node, (0, 0, 0))
    text = _WS.sub("", node.text_content())
    return chars >= 20 and not link_chars and text.endswith(_SENTENCE_ENDS)


def _textless(node, totals) -> bool:
    return isinstance(node.tag, str) and not totals.get(node, (0, 0, 0))[0]


def _with_sentences(siblings: list, parts: list, totals: dict) -> list:
    """The chosen siblings, and the short sentence paragraphs among them or right next to them
    (pictures and empty paragraphs in between), which score too little on their own."""
    chosen = set(parts)
    idx = [i for i, sib in enumerate(siblings) if sib in chosen]
    if not idx:
        return parts
    lo, hi = idx[0], idx[-1]
    keep = set(parts)
    for i in range(lo + 1, hi):
        if _sentence_p(siblings[i], totals):
            keep.add(siblings[i])
    for step, start in ((-1, lo - 1), (1, hi + 1)):
        i = start
        while 0 <= i < len(siblings):
            sib = siblings[i]
            if _sentence_p(sib, totals):
                keep.add(sib)
            elif not (_textless(sib, totals) or not isinstance(sib.tag, str)):
                break
            i += step
    return [sib for sib in siblings if sib in keep]


def _container(body) -> tuple[list, str]:
    """The known container of the body, if the page has one (one pass over the tree)."""
    found: list[list] = [[] for _ in CONTAINERS]
    for el in body.iter(etree.Element):
        attrs = (el.get("class"), el.get("id"))
        if attrs == (None, None) or el.tag in SKIP_TAGS:
            continue
        for i, (attr, pattern, _) in enumerate(CONTAINERS):
            value = attrs[0] if attr == "class" else attrs[1]
            if value and pattern.search(value):
                found[i].append(el)
                break
    for i, els in enumerate(found):
        if not els:
            continue
        # Outermost matches only (a TRS_Editor inside another), those with enough text.
        outer = [el for el in els if not any(a in els for a in el.iterancestors())]
        # ... or pictures of pages (a report posted as scans has little text of its own).
        outer = [el for el in outer if _text_len(el) >= _MIN_CONTAINER_CHARS or _body_images([el], None)]
        if outer:
            return outer, CONTAINERS[i][2].split(">")[0].strip("<")
    return [], "none"


# What an item of a link list carries besides its link: a bullet, a date or time, brackets.
# `·韩红发新专辑赵薇金海心沙宝亮等好友齐助阵 (2005-04-27 18:03PM)` (zh-extraction c25d25c2).
_ITEM_EXTRAS = re.compile(r"[\s·•◆◇■□▪▶►>»\-—|()（）\[\]【】:：]|(?:19|20)?\d{2,4}[-/.年]\d{1,2}[-/.月]?"
                          r"(?:\d{1,2}日?)?|\d{1,2}[:：]\d{2}(?::\d{2})?|[AP]M|\d+")


def _link_line(buf: list[tuple[str, bool]]) -> bool:
    """A line that is a link through and through (a menu entry, a pager, an item of a related
    list): its links hold 80% of its characters, or all of them but a bullet and a date."""
    text = "".join(t for t, _ in buf)
    linked = sum(len(t.strip()) for t, is_link in buf if is_link)
    if not linked:
        return False
    if linked >= 0.8 * len(_WS.sub("", text)):
        return True
    rest = _ITEM_EXTRAS.sub("", "".join(t for t, is_link in buf if not is_link))
    return linked >= 4 and not rest


def _split_page(body, parts: list) -> tuple[list[str], list[str], list[str]]:
    """The page's lines, split into before the body, the body, and after it. Lines that are
    links through and through (menus, related-article lists, pagers) are left out."""
    before: list[str] = []
    inside: list[str] = []
    after: list[str] = []
    part_set = set(parts)
    target = before
    buf: list[tuple[str, bool]] = []

    def flush() -> None:
        if buf:
            line = _norm("".join(t for t, _ in buf))
            if line and not _link_line(buf):
                target.append(line)
            buf.clear()

    walker = etree.iterwalk(body, events=("start", "end"))
    depth_in = 0
    links = 0
    for event, node in walker:
        tag = node.tag if isinstance(node.tag, str) else None
        if event == "start":
            if tag is None or tag in SKIP_TAGS or _hidden(node):
                walker.skip_subtree()
                continue
            if node in part_set:
                flush()
                depth_in += 1
                target = inside
            elif tag in BLOCK_TAGS or tag == "br":
                flush()
            if tag == "a":
                links += 1
            if node.text:
                buf.append((node.text, links > 0))
        else:
            if tag is not None and tag not in SKIP_TAGS and not _hidden(node):
                if tag == "a":
                    links -= 1
                if node in part_set:
                    flush()
                    depth_in -= 1
                    if depth_in == 0:
                        target = after
                elif tag in BLOCK_TAGS:
                    flush()
                elif tag in CELL_TAGS:
                    buf.append((" ", False))
            if node is not body and node.tail:
                buf.append((node.tail, links > 0))
    flush()
    return before, inside, after


def extract_html(html: str, *, url: str | None = None) -> Extracted:
    """The body lines and page facts of an HTML page (never raises on bad markup)."""
    root = _parse(html)
    if root is None:
        return Extracted(lines=())
    meta = _meta(root)
    title_el = root.find(".//title")
    html_title = _norm(title_el.text_content()) if title_el is not None else None
    h1s = [_norm(h.text_content()) for h in root.iter("h1")]
    h1 = next((h for h in h1s if len(h) >= 4), None)
    info = _info_table(root)
    attachments = _attachments(root, url)
    body = root.find("body")
    if body is None:
        body = root

    gk_content, gk_meta = _gkmlpt(root)
    if gk_content:
        frag = _parse(f"<html><body><div>{gk_content}</div></body></html>")
        lines = tuple(html_to_lines(frag.find("body"))) if frag is not None else ()
        for key, value in gk_meta.items():
            meta.setdefault(f"detail.{key}", _norm(value))
        if frag is not None:
            attachments = attachments + tuple(a for a in _attachments(frag, url) if a not in attachments)
        before, _, after = _split_page(body, [])
        return Extracted(lines=lines, before=tuple(before[-30:]), after=(), meta=meta, info=info,
                         h1=h1, html_title=html_title, attachments=attachments, method="gkmlpt",
                         images=_body_images([frag], url) if frag is not None else ())

    parts, method = _container(body)
    link_density, n_links, titled = 0.0, 0, False
    if parts:
        chars = sum(_text_len(p) for p in parts)
        link_chars = sum(_text_len(a) for p in parts for a in p.iter("a"))
        n_links = sum(1 for p in parts for _ in p.iter("a"))
        link_density = link_chars / chars if chars else 1.0
    else:
        parts, method, link_density, n_links, titled = _density_body(body, title_keys(meta, html_title))
    before, inside, after = _split_page(body, parts)
    return Extracted(lines=tuple(inside), before=tuple(before[-30:]), after=tuple(after[:40]),
                     meta=meta, info=info, h1=h1, html_title=html_title, attachments=attachments,
                     method=method, link_density=link_density, n_links=n_links,
                     images=_body_images(parts, url), titled=titled)


def page_lines_around(html: str, lines) -> tuple[list[str], list[str]]:
    """The page's lines above and below a main text found by another extractor (whose first and
    last lines are looked up among the page's own); ([], []) when they cannot be placed."""
    root = _parse(html)
    if root is None or not lines:
        return [], []
    body = root.find("body")
    page, _, _ = _split_page(body if body is not None else root, [])
    keys = [_WS.sub("", ln) for ln in page]
    first, last = _WS.sub("", lines[0]), _WS.sub("", lines[-1])
    start = next((i for i, k in enumerate(keys) if first and (k == first or first in k)), None)
    if start is None:
        return [], []
    end = next((j for j in range(len(keys) - 1, start - 1, -1) if last and (keys[j] == last or last in keys[j])),
               start)
    return page[:start], page[end + 1:]
