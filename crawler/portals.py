"""What a government portal's page says about other government sites: its link lists of
subordinate governments and departments, who the site itself is, and whether it has moved.

Pure: an lxml tree and the page's text in, values out. The dialects, each with a real example:
- a section under a heading (政府网站导航, 市县政府网站, 地方政府, 部门网站, 政府部门, 区县部门):
  `<div class="box"><h3>县（市、区）政府网站</h3><ul><li><a href=…>农安县</a>…`, a table under
  `<th>市（州）政府</th>`, a `<dl><dt>部门网站</dt><dd><a…>`;
- `<select onchange="window.open(this.value)"><option>--市州政府网站--</option>
  <option value="http://www.changchun.gov.cn/">长春市</option>…`;
- a JavaScript array rendered by document.write: `var xsqLinks = [{name:"农安县",
  url:"http://www.nongan.gov.cn/"}, …]`, `["榆树市", "http://www.yushu.gov.cn/"]`, "德惠市|http://…";
- footer link groups (友情链接, 部门网站) and, anywhere, links to other hosts whose text may be a
  division's or a department's name (the spider decides by the name: pipeline.divisions).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawler.links import Anchor, anchors, is_file_url, looks_like_article
from pipeline.urls import host_of, site_of

__all__ = ["PortalLink", "SiteIdentity", "SiteNotice", "directory_links", "directory_pages",
           "site_identity", "site_notice", "script_redirect", "site_key", "HEADINGS"]

# Section headings and what their links are: (pattern, context, real example).
# governments: subordinate governments' portals; departments: the government's departments;
# sites: both (a 政府网站导航 page); friends: a 友情链接 group (any site: names decide).
HEADINGS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"部门|委办局|厅局|直属机构|政府机构"), "departments", "区县部门"),
    (re.compile(r"市县|市州|市（州）|市\(州\)|县区|区县|县（市、?区）|县\(市、?区\)|县市区|市县区|"
                r"地方政府|下级政府|各区|各县|地市|盟市"), "governments", "县（市、区）政府网站"),
    (re.compile(r"政府网站导航|政府网站群|网站群导航|站群导航|政府网站链接|政府网站$"), "sites", "政府网站导航"),
    (re.compile(r"友情链接|相关链接|其他网站|网站链接|链接$"), "friends", "友情链接"),
)
# Headings are short; a longer text is content that happens to contain the words.
MAX_HEADING_CHARS = 16
# How far up from a heading its section may reach to find the links it heads.
MAX_SECTION_CLIMB = 4
# Navigation links (same site) to the pages that carry these lists: (pattern, real example).
DIRECTORY_PAGE_TEXTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(政府)?网站(群)?导航$|^站群导航$|政府网站$|网站群$"), "政府网站导航"),
    (re.compile(r"^(市县|市州|县区|区县|县市区|地方)(政府)?(网站)?(导航)?$|^地方政府$"), "地方政府"),
    (re.compile(r"^(政府)?部门(网站|导航|链接)?$|^(区县|市直|省直|县直)部门$|^政府机构$"), "部门网站"),
)
_FOOTER = re.compile(r"foot|bottom|copyright|yqlj|link", re.I)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WS = re.compile(r"[\s\u3000\xa0]+")
# JS arrays: innermost [...] or {...} holding a name and a URL; or one "name|url" string.
_BRACKET = re.compile(r"[\[{]([^\[\]{}]{4,400})[\]}]")
_QUOTED = re.compile(r"""(["'])((?:(?!\1)[^\\\n]|\\.){1,300})\1""")
_URLISH = re.compile(r"^(https?://|//|www\.)[^\s\"'<>]+$", re.I)
_PIPE_PAIR = re.compile(r"""["']([^"'|]{2,40})\|(https?://[^"'|\s]+)["']""")
# Site identity: the 《政府网站发展指引》 meta, and the 网站标识码 in the footer.
_SITE_CODE = re.compile(r"网站标识码\s*[:：]?\s*([0-9A-Za-z]{10})")
_VALID_SITE_CODE = re.compile(r"^(\d{10}|bm\d{8})$", re.I)
# Moved and closed sites: (pattern, state, real example). Only short pages are read for them (a
# notice page); a portal whose news mentions 关停 is not closed.
NOTICES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"(网站|域名|网址)(已|已经)?(迁移|更换|变更|改为|更改)|已迁移至|迁移至新|新网址|新域名|"
                r"请访问新(版)?网站|已改版迁移"), "moved", "本网站已迁移至新网址：http://www.new.gov.cn"),
    (re.compile(r"(网站|本站)(已|已经)?(关停|关闭|停止运行|停止服务|下线|撤销|注销)|已整合至|整合迁移至|"
                r"已并入|不再(更新|运维)"), "closed", "本网站已关停，相关内容已整合至XX县人民政府门户网站"),
)
MAX_NOTICE_TEXT_CHARS = 1500
_URL_IN_TEXT = re.compile(r"(?:https?://|www\.)[A-Za-z0-9.\-]+\.[A-Za-z]{2,}(?::\d+)?(?:/[^\s<>\"'，。；、）)]*)?")
# window.location.href = "…", location.replace('…'): the home page of many portals is only this.
_JS_REDIRECT = re.compile(
    r"""(?:window\.|top\.|self\.|document\.)?location(?:\.href)?\s*(?:=|\.replace\s*\(|\.assign\s*\()\s*["']([^"']+)["']""")
_HOME_PATH = re.compile(r"^/?((index|default|home|main)\.(s?html?|jsp|aspx?|php))?$", re.I)


@dataclass(frozen=True)
class PortalLink:
    url: str
    text: str
    heading: str = ""  # the section heading over the link ('' if none)
    context: str = ""  # governments | departments | sites | friends | '' (no heading)
    method: str = "name"  # section | select | script | footer | name


@dataclass(frozen=True)
class SiteIdentity:
    name: str = ""  # SiteName meta, else the <title>
    code: str = ""  # 网站标识码 (SiteIDCode meta or the footer)
    title: str = ""


@dataclass(frozen=True)
class SiteNotice:
    state: str  # moved | closed
    successor: str | None
    text: str  # what the page says, shortened


def _norm(text: str) -> str:
    return _WS.sub("", text or "")


def _heading_context(text: str) -> str | None:
    text = _norm(text).strip("：:>》»·•★◆■●|")
    if not text or len(text) > MAX_HEADING_CHARS:
        return None
    for pattern, context, _ in HEADINGS:
        if pattern.search(text):
            return context
    return None


_INLINE = {"span", "strong", "b", "em", "i", "font", "label", "small", "u"}


def _own_text(el) -> str:
    """An element's own words: its text and that of its inline children (<span>, <strong>), not
    its links, lists, scripts or blocks (a block's words are its own heading, not this one's)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag in _INLINE:
            parts.append(_own_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "dt", "th", "caption", "legend", "span", "div",
                 "p", "strong", "b", "li", "td", "em", "label", "font", "i", "section", "dl", "tr"}


# A section's "more" link (更多>>) sits beside its heading; the section's links are further on.
_MORE = re.compile(r"^(更多|more|查看更多|>>|»)", re.I)


def _has_links(el, exclude) -> bool:
    for node in el.iter("a", "select", "script"):
        if exclude is not None and _inside(node, exclude):
            continue
        if node.tag == "a" and _MORE.match(_norm(node.text_content())):
            continue
        return True
    return False


def _inside(node, ancestor) -> bool:
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


def _sections(root) -> dict[Any, tuple[str, str]]:
    """element -> (heading, context) for every link, select and script under a heading. (Keyed by
    the elements themselves: lxml's proxies, and so their ids, live only while referenced.)"""
    order = {el: i for i, el in enumerate(root.iter())}
    claims: dict[Any, tuple[int, str, str]] = {}
    for el in root.iter(*_HEADING_TAGS):
        own = _own_text(el)
        context = _heading_context(own)
        if context is None:
            continue
        scope = el
        if not _has_links(el, None):
            scope = None
            node = el
            for _ in range(MAX_SECTION_CLIMB):
                node = node.getparent()
                if node is None:
                    break
                if _has_links(node, el):
                    scope = node
                    break
        if scope is None:
            continue
        start = order[el]
        heading = _norm(own).strip("：:>》»·•★◆■●|")
        for node in scope.iter("a", "select", "script"):
            at = order.get(node, -1)
            # The nearest heading before a link claims it.
            if at > start and (node not in claims or claims[node][0] < start):
                claims[node] = (start, heading, context)
    return {k: (h, c) for k, (_, h, c) in claims.items()}


def _in_footer(el) -> bool:
    node = el
    for _ in range(8):
        node = node.getparent()
        if node is None:
            return False
        if _FOOTER.search((node.get("class") or "") + " " + (node.get("id") or "")) or node.tag == "footer":
            return True
    return False


def _absolute(base: str, value: str) -> str | None:
    value = (value or "").strip()
    if not value or value.startswith(("#", "javascript:", "mailto:", "tel:")):
        return None
    if value.startswith("www."):
        value = "http://" + value
    try:
        url = urljoin(base, value).split("#", 1)[0]
    except ValueError:
        return None
    return url if url.startswith(("http://", "https://")) else None


def _script_pairs(text: str, base: str) -> list[tuple[str, str]]:
    """(name, url) pairs in a script: arrays or objects of one name and one URL, "name|url"."""
    out: list[tuple[str, str]] = []
    for m in _BRACKET.finditer(text):
        strings = [s.replace("\\/", "/") for _, s in _QUOTED.findall(m.group(1))]
        urls = [s for s in strings if _URLISH.match(s.strip())]
        names = [s for s in strings if _CJK.search(s) and not _URLISH.match(s.strip())]
        if len(urls) == 1 and len(names) == 1:
            url = _absolute(base, urls[0])
            if url:
                out.append((names[0].strip(), url))
    for name, url in _PIPE_PAIR.findall(text):
        if _CJK.search(name):
            out.append((name.strip(), url))
    return out


def directory_links(root, page_url: str) -> list[PortalLink]:
    """Links on a portal's page that may lead to other government sites, with the heading and the
    way they were listed. Links within the page's own site count only under a heading (a
    department's column on its government's portal); menus and articles are left out."""
    if root is None:
        return []
    sections = _sections(root)
    own_site = site_of(host_of(page_url))
    out: list[PortalLink] = []
    seen: set[tuple[str, str]] = set()

    def add(url: str | None, text: str, el, method: str, heading: str = "", context: str = "") -> None:
        if not url or looks_like_article(url) or is_file_url(url):
            return
        text = _norm(text)
        if not text or not _CJK.search(text) or (url, text) in seen:
            return
        if not context:
            heading, context = sections.get(el, ("", ""))
        if method == "name" and not context and site_of(host_of(url)) == own_site:
            return
        if method == "name":
            method = "section" if context else ("footer" if _in_footer(el) else "name")
        seen.add((url, text))
        out.append(PortalLink(url=url, text=text, heading=heading, context=context, method=method))

    for a in anchors(root, page_url):
        add(a.url, a.text, a.element, "name")
    for select in root.iter("select"):
        heading, context = sections.get(select, ("", ""))
        for option in select.iter("option"):
            url = _absolute(page_url, option.get("value") or "")
            label = _norm(option.text_content())
            if url is None:
                # An option without a URL is the list's own heading: --市州政府网站--.
                own = _heading_context(label.strip("-—=*请选择"))
                if own:
                    heading, context = label.strip("-—=*"), own
                continue
            add(url, label, select, "select", heading, context)
    for script in root.iter("script"):
        body = script.text or ""
        if "http" not in body and "www." not in body:
            continue
        heading, context = sections.get(script, ("", ""))
        for name, url in _script_pairs(body, page_url):
            add(url, name, script, "script", heading, context)
    return out


def directory_pages(page_anchors: list[Anchor], page_url: str) -> list[str]:
    """Same-site pages that carry the lists (政府网站导航, 部门网站), in page order."""
    own = site_of(host_of(page_url))
    out: list[str] = []
    for a in page_anchors:
        text = _norm(a.text)
        if not text or len(text) > 12 or site_of(host_of(a.url)) != own or a.url == page_url:
            continue
        if looks_like_article(a.url) or is_file_url(a.url):
            continue
        if any(p.search(text) for p, _ in DIRECTORY_PAGE_TEXTS) and a.url not in out:
            out.append(a.url)
    return out


def site_identity(root, text: str) -> SiteIdentity:
    """The site's name, 网站标识码 and title, as its pages carry them."""
    if root is None:
        return SiteIdentity()
    metas = {(m.get("name") or "").lower(): (m.get("content") or "").strip()
             for m in root.iter("meta") if m.get("name")}
    code = metas.get("siteidcode", "")
    if not _VALID_SITE_CODE.match(code):
        m = _SITE_CODE.search(text or "")
        code = m.group(1) if m and _VALID_SITE_CODE.match(m.group(1)) else ""
    title_el = root.find(".//title")
    title = _norm(title_el.text_content()) if title_el is not None else ""
    return SiteIdentity(name=_norm(metas.get("sitename", "")) or title, code=code, title=title)


def _visible_text(root) -> str:
    body = root.find(".//body")
    node = body if body is not None else root
    parts = []
    for el in node.iter():
        if el.tag in ("script", "style") or not isinstance(el.tag, str):
            continue
        parts.append(el.text or "")
        parts.append(el.tail or "")
    return _norm("".join(parts))


def site_notice(root, page_url: str) -> SiteNotice | None:
    """A 网站已迁移 or 已关停 notice page, with the successor it names (a URL in the text, else its
    first link to another host)."""
    if root is None:
        return None
    visible = _visible_text(root)
    title_el = root.find(".//title")
    title = _norm(title_el.text_content()) if title_el is not None else ""
    if len(visible) > MAX_NOTICE_TEXT_CHARS:
        visible = ""
    for pattern, state, _ in NOTICES:
        if not (pattern.search(visible) or pattern.search(title)):
            continue
        successor = None
        for m in _URL_IN_TEXT.finditer(visible):
            url = _absolute(page_url, m.group(0))
            if url and host_of(url) != host_of(page_url):
                successor = url
                break
        if successor is None:
            for a in anchors(root, page_url):
                if host_of(a.url) != host_of(page_url) and "beian" not in a.url:
                    successor = a.url
                    break
        return SiteNotice(state=state, successor=successor, text=(title + " " + visible)[:200].strip())
    return None


def script_redirect(root, text: str, page_url: str) -> str | None:
    """Where a page that is only a script redirect sends the browser (many portals' `/`)."""
    if root is None or len(_visible_text(root)) > 200:
        return None
    m = _JS_REDIRECT.search(text or "")
    if not m:
        return None
    url = _absolute(page_url, m.group(1))
    return url if url and url != page_url else None


def site_key(url: str) -> str:
    """A site's name for the registry: its host, plus the directory when the site lives under a
    path of a shared host (www.x.gov.cn/sfj)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    if _HOME_PATH.match(path):
        return host
    directory = path.rsplit("/", 1)[0] if not path.endswith("/") else path.rstrip("/")
    return host + directory if directory else host
