"""List pages of every common kind: their items and the way to the next page.

Static pagination (index_N.html with the page count in createPageHTML(...)/createPage(...)),
"下一页" links, Hanweb <datastore> records and dataproxy.jsp paging, Guangdong gkmlpt JSON lists
(and any JSON list of {title, url}), and the item region of an unknown system's list.
Pagination is sequential (page k gives page k+1) so the crawl can stop at a page of known items.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from lxml import html as lxml_html

from crawler.links import Anchor, anchors
from pipeline.urls import host_of, site_of

__all__ = [
    "PageRequest", "next_static_page", "list_region", "hanweb_datastore", "hanweb_next",
    "gkmlpt_list_request", "json_list", "json_next",
]


@dataclass(frozen=True)
class PageRequest:
    """The next list page: a GET, or a POST form (Hanweb's dataproxy.jsp). `record_url` names a
    POST as the equivalent GET, so captures and de-duplication see one URL per list page."""

    url: str
    method: str = "GET"
    formdata: tuple[tuple[str, str], ...] = ()

    @property
    def record_url(self) -> str:
        if not self.formdata:
            return self.url
        sep = "&" if "?" in self.url else "?"
        return self.url + sep + urlencode(self.formdata)


# TRS page count: createPageHTML(5, 0, "index", "html") or createPage(...) (Chongqing), also
# createPageHTML('page_div', 5, 1, 'index', 'shtml', 68) in newer templates.
_CREATE_PAGE = re.compile(r"createPage(?:HTML)?\s*\(([^()]*)\)")
_JS_VAR = re.compile(r"var\s+(\w+)\s*=\s*['\"]?(\d+)['\"]?")
_PAGED = re.compile(r"^(?P<prefix>[\w-]+?)(?:_(?P<n>\d+))?\.(?P<ext>s?html?|jsp|php|aspx?)$")
# "Next page" link texts: (text, real example).
NEXT_TEXTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*(下一页|下页|后一页|下一頁)\s*[>›»]*\s*$"), "下一页"),
    (re.compile(r"^\s*[>›»]\s*$"), ">"),
)


def next_static_page(text: str, url: str, page_anchors: list[Anchor]) -> str | None:
    """The page after *url*: from the TRS page count, else a 下一页 link."""
    m = _CREATE_PAGE.search(text or "")
    if m:
        variables = dict(_JS_VAR.findall(text))
        args = [a.strip().strip("'\"") for a in m.group(1).split(",")]
        args = [variables.get(a, a) for a in args]
        numbers = [int(a) for a in args if a.isdigit()]
        words = [a for a in args if a and not a.isdigit()]
        if numbers and len(words) >= 2:
            count, prefix, ext = numbers[0], words[-2], words[-1]
            parts = urlsplit(url)
            name = parts.path.rsplit("/", 1)[-1]
            current = 0
            paged = _PAGED.match(name)
            if paged and paged.group("prefix") == prefix and paged.group("n"):
                current = int(paged.group("n"))
            if current + 1 < count:
                return urljoin(url, f"{prefix}_{current + 1}.{ext}")
            return None
    for a in page_anchors:
        if any(p.search(a.text) for p, _ in NEXT_TEXTS) and a.url.split("#")[0] != url:
            return a.url
    return None


_ITEM_TAGS = ("li", "tr", "dd", "dt", "p", "h3", "h4", "h5")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Shorter link texts are menu entries (首页, 通知公告), not document titles.
MIN_ITEM_TITLE_CHARS = 6
MIN_LIST_ITEMS = 2


def _item_parent(el) -> Any:
    node = el
    for _ in range(4):
        parent = node.getparent()
        if parent is None:
            break
        if node.tag in _ITEM_TAGS:
            return parent
        node = parent
    return el.getparent()


def list_region(page_anchors: list[Anchor], page_url: str) -> list[Anchor]:
    """The items of a list page: the largest group of same-site links with title-like text that
    share a parent element (the <ul> of <li>, the <table> of <tr>). Menus have short texts and
    friend links point to other sites, so neither wins."""
    site = site_of(host_of(page_url))
    groups: dict[Any, list[Anchor]] = {}
    for a in page_anchors:
        if (a.element is None or len(a.text) < MIN_ITEM_TITLE_CHARS or not _CJK.search(a.text)
                or site_of(host_of(a.url)) != site):
            continue
        groups.setdefault(_item_parent(a.element), []).append(a)
    best = max(groups.values(), key=len, default=[])
    # One link alone is a menu entry or a stub, not a list.
    return best if len(best) >= MIN_LIST_ITEMS else []


# Hanweb JCMS: <datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&
# appid=1&webid=1&path=/&columnid=1229063387&unitid=6523&webname=…&permissiontype=0"></a>]]>
# </nextgroup><recordset><record><![CDATA[<li><a href=… title=…>…</a><span>2024-03-28</span></li>]]>
_CDATA_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S)
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>")
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""")
# jpage fetches three pages of 15 at a time (startrecord=1&endrecord=45&perpage=15).
HANWEB_PER_PAGE = 15
HANWEB_PAGES_PER_REQUEST = 3
HANWEB_FORM_KEYS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid",
                    "webname", "permissiontype")


def _fragment_anchors(fragment: str, base_url: str) -> list[Anchor]:
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, lxml_html.etree.ParserError):
        return []
    return [Anchor(a.url, a.text) for a in anchors(root, base_url)]


def hanweb_datastore(text: str, url: str) -> tuple[list[Anchor], PageRequest | None]:
    """Records of a Hanweb column page (or dataproxy answer) and the dataproxy request for the
    records after them (None when there are none)."""
    if "<datastore>" not in (text or "") and "<recordset>" not in (text or ""):
        return [], None
    records: list[Anchor] = []
    for fragment in _CDATA_RECORD.findall(text):
        records.extend(_fragment_anchors(fragment, url))
    parts = urlsplit(url)
    if parts.path.endswith("dataproxy.jsp"):
        return records, hanweb_next(text, url)
    group = _NEXTGROUP.search(text)
    href = _HREF.search(group.group(1)) if group else None
    if not href:
        return records, None
    proxy = urljoin(url, href.group(1).replace("&amp;", "&"))
    params = dict(parse_qsl(urlsplit(proxy).query, keep_blank_values=True))
    params.setdefault("col", "1")
    params.setdefault("sourceContentType", "1")
    form = tuple((k, params[k]) for k in HANWEB_FORM_KEYS if k in params)
    end = HANWEB_PER_PAGE * HANWEB_PAGES_PER_REQUEST
    base = urljoin(proxy, urlsplit(proxy).path)
    return records, PageRequest(
        url=f"{base}?startrecord=1&endrecord={end}&perpage={HANWEB_PER_PAGE}",
        method="POST", formdata=form)


def hanweb_next(text: str, url: str, formdata: tuple[tuple[str, str], ...] = ()) -> PageRequest | None:
    """The dataproxy request after the one that answered *text* at *url*."""
    query = dict(parse_qsl(urlsplit(url).query))
    total = _TOTAL_RECORD.search(text or "")
    try:
        end, per = int(query["endrecord"]), int(query.get("perpage", HANWEB_PER_PAGE))
    except (KeyError, ValueError):
        return None
    if total is None or end >= int(total.group(1)):
        return None
    base = url.split("?", 1)[0]
    step = per * HANWEB_PAGES_PER_REQUEST
    form = formdata or tuple((k, v) for k, v in query.items() if k in HANWEB_FORM_KEYS)
    return PageRequest(url=f"{base}?startrecord={end + 1}&endrecord={end + step}&perpage={per}",
                       method="POST", formdata=form)


# gkmlpt: window._CONFIG = { SID: '755031', … } on /gkmlpt/index; lists at
# /gkmlpt/api/all/<category>?page=N&sid=<sid>, category 0 holding every document.
_GKMLPT_SID = re.compile(r"_CONFIG\s*=\s*\{[^}]*?\bSID\s*:\s*['\"]?(\d+)", re.S)


def gkmlpt_list_request(text: str, url: str) -> str | None:
    """The JSON list of every document of a gkmlpt catalogue page, else None."""
    parts = urlsplit(url)
    if "/gkmlpt/" not in parts.path:
        return None
    m = _GKMLPT_SID.search(text or "")
    if not m:
        return None
    base = parts.path.split("/gkmlpt/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{base}/gkmlpt/api/all/0?page=1&sid={m.group(1)}"


_URL_KEYS = ("url", "post_url", "link", "href", "linkurl", "docpuburl")
_TITLE_KEYS = ("title", "name", "doctitle")


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def json_list(text: str, url: str) -> tuple[list[Anchor], int | None]:
    """Items ({title, url} objects anywhere in the JSON) and the total count if it says so."""
    try:
        data = json.loads(text)
    except (ValueError, TypeError):
        return [], None
    items: list[Anchor] = []
    for obj in _walk(data):
        link = next((obj[k] for k in _URL_KEYS if isinstance(obj.get(k), str)), None)
        title = next((obj[k] for k in _TITLE_KEYS if isinstance(obj.get(k), str)), None)
        if link and title:
            items.append(Anchor(url=urljoin(url, link).split("#", 1)[0], text=title.strip()))
    total = data.get("total") if isinstance(data, dict) else None
    return items, total if isinstance(total, int) else None


def json_next(url: str, items: int, total: int | None, first_page_items: int | None = None) -> str | None:
    """The next ?page=N of a JSON list, while pages are full and the total is not reached."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    pages = [v for k, v in query if k == "page"]
    if not items or not pages or not pages[0].isdigit():
        return None
    page = int(pages[0])
    per_page = first_page_items or items
    if total is not None and page * per_page >= total:
        return None
    new_query = urlencode([(k, str(page + 1) if k == "page" else v) for k, v in query])
    return parts._replace(query=new_query).geturl()

