"""Links on a government page, and what each is: a possible report, an attachment, a column
worth visiting (scored by its text and URL), or nothing of interest.

Link extraction only: the crawler never reads a report's content. The tables are data, each entry
with a real example.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from lxml import html as lxml_html

from pipeline.urls import host_of, site_of

__all__ = [
    "Anchor", "anchors", "attachment_links", "nav_score", "is_file_url", "looks_like_article",
    "looks_like_column", "is_home_url", "page_root", "same_site",
]

# Report files: PDF, Word, WPS, OFD (China's fixed-layout format).
FILE_EXTENSIONS = ("pdf", "doc", "docx", "wps", "ofd")
_FILE_PATH = re.compile(r"\.(%s)$" % "|".join(FILE_EXTENSIONS), re.I)
# Download scripts that serve a file named in the query: (pattern, real example).
DOWNLOAD_SCRIPTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/module/download/downfile\.jsp", re.I),
     "/module/download/downfile.jsp?classid=0&filename=2403281523123.pdf"),
    (re.compile(r"/(down(load)?(file)?|attach(ment)?)\.(jsp|aspx?|do|php)", re.I),
     "/DownLoad.aspx?fileid=3312&filename=报告.docx"),
)
# pdf.js viewers take the file in a parameter: /pdfjs/web/viewer.html?file=/P020240328.pdf
_VIEWER_PATH = re.compile(r"viewer|pdfjs|preview", re.I)
_VIEWER_PARAMS = ("file", "url")
# Quoted file URLs inside scripts (gkmlpt keeps the article, links included, in a JS string).
_QUOTED_FILE = re.compile(r"""(?:href|src)\s*=\s*\\?["']([^"'\\<>\s]+\.(?:%s))\\?["']"""
                          % "|".join(FILE_EXTENSIONS), re.I)
# Most attachments one page can add: a page linking 300 files is a file index, not a report.
MAX_ATTACHMENTS_PER_PAGE = 20

# Article URLs by site system: (pattern, real example).
ARTICLE_URLS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/t\d{8}_\d+(_wap)?\.s?html?$"),
     "http://www.tjjh.gov.cn/jhqzf/zwgk_28985/202403/t20240328_6583952.html"),
    (re.compile(r"/art/\d{4}/(\d{1,2}/\d{1,2}/)?art_\w+\.html$"),
     "https://www.hangzhou.gov.cn/art/2024/3/1/art_1229063387_1.html"),
    (re.compile(r"/post_\d+\.html$"), "http://www.gd.gov.cn/gkmlpt/content/4/4345/post_4345678.html"),
    (re.compile(r"/content_\d+\.s?html?$"), "http://www.gov.cn/zhengce/content/2023-03/content_5600000.htm"),
    (re.compile(r"/(info|content)/\d+/\d+\.s?html?$"), "https://www.xxx.edu.cn/info/1830/28492.htm"),
    (re.compile(r"/\d{6}/[0-9a-f]{32}\.s?html?$"), "http://www.bjchy.gov.cn/affair/202404/4028805a8e54fac7018e55f05e010374.shtml"),
    (re.compile(r"[Dd]etail\.aspx\?id=|/detail/\d+"), "http://www.x.gov.cn/Detail.aspx?id=1234"),
    (re.compile(r"/\d+\.jhtml$"), "http://www.lieshan.gov.cn/xxgk/fzzfjs/122383282.jhtml"),
)
# Column (list) URLs: (pattern, real example).
COLUMN_URLS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/$"), "http://www.youyang.gov.cn/zwgk_264/fdzdgknr/"),
    (re.compile(r"/(index|list|default|home)(_\d+)?\.(s?html?|jsp|jhtml|aspx?|php)$", re.I),
     "http://www.tjjh.gov.cn/jhqzf/zwgk_28985/qtfdgkxx2/index_1.html"),
    (re.compile(r"/col/col\d+/"), "https://www.hangzhou.gov.cn/col/col1229063387/index.html"),
    (re.compile(r"/gkmlpt/(index|policy)"), "http://www.gd.gov.cn/gkmlpt/index"),
    (re.compile(r"/(node|list|column)_\d+\.s?html?$"), "http://www.x.gov.cn/node_12345.htm"),
)
_PATH_PARAMS = re.compile(r";[^/]*")
_HOME_PATH = re.compile(r"^/?((index|default|home)\.(s?html?|jsp|aspx?|php))?$", re.I)

# Navigation worth following towards reports: (words, weight, real example of a menu entry).
NAV_WORDS: tuple[tuple[re.Pattern[str], int, str], ...] = (
    (re.compile(r"法治政府建设.{0,4}(年度)?报告"), 12, "法治政府建设年度报告"),
    (re.compile(r"法治政府|依法行政|法治建设"), 8, "法治政府建设"),
    (re.compile(r"法定主动公开|其他法定|法定公开"), 6, "法定主动公开内容"),
    (re.compile(r"年度报告|工作报告"), 5, "工作报告"),
    (re.compile(r"政府信息公开|信息公开|政务公开|公开目录|gkml", re.I), 4, "政府信息公开"),
    (re.compile(r"司法局|司法行政|依法治"), 4, "区司法局"),
    (re.compile(r"通知公告|规划计划|计划总结|其他文件|政策文件|部门信息|部门文件"), 3, "通知公告"),
    (re.compile(r"主动公开|公开内容|乡镇|街道|镇街|部门"), 2, "镇街信息公开"),
    (re.compile(r"专题|专栏"), 1, "法治政府建设专题"),
)
# Words of a URL that point the same way: (pattern, weight, real example).
NAV_URL_WORDS: tuple[tuple[re.Pattern[str], int, str], ...] = (
    (re.compile(r"fzzf|fzjs|fzzfjs|yfxz|ndbg", re.I), 5, "/zwgk/fdzdgknr/fzzfjsndbg/"),
    (re.compile(r"fdzdgk|zfxxgk|xxgk|gkml|zwgk", re.I), 3, "/zwgk_264/fdzdgknr/"),
    (re.compile(r"sfj|sfxz|tzgg|ghjh|qtwj", re.I), 2, "http://sfj.youyang.gov.cn/"),
)
# Menus that never lead to reports: (pattern, example).
NAV_AVOID: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"登录|注册|English|无障碍|关怀版|长者|繁體|繁体|简体|邮箱|RSS|手机版|移动版|网站地图|"
                r"招聘|招考|旅游|视频|图片|直播|投诉|留言|信箱|在线访谈|征集|调查|办事|服务|"
                r"下载|APP|微信|微博|搜索|检索|打印|关闭|上一篇|下一篇|收藏|联系我们|关于我们|版权|隐私"), "无障碍浏览"),
    (re.compile(r"^javascript:|^mailto:|^tel:|\.(jpg|jpeg|png|gif|zip|rar|xls|xlsx|mp4|exe)$", re.I),
     "javascript:void(0)"),
)


@dataclass(frozen=True)
class Anchor:
    url: str  # absolute, fragment removed
    text: str  # the link's title: the `title` attribute when the text is cut short
    element: object = None  # the lxml element, for list-region grouping (None for JSON/XML lists)


_WS = re.compile(r"\s+")
# How a list marks a title it cut (`…情况的...`); a suffix test, as a `$`-anchored search for a
# run of dots retries from every dot of a long run (quadratic on crawled text).
_CUT_MARKS = ("..", "…")


def page_root(text: str):
    """An lxml tree of *text*, or None for markup lxml cannot read."""
    if not text or not text.strip():
        return None
    try:
        return lxml_html.document_fromstring(text)
    except (ValueError, lxml_html.etree.ParserError):
        return None


def _title_of(a) -> str:
    text = _WS.sub(" ", a.text_content() or "").strip()
    title = _WS.sub(" ", a.get("title") or "").strip()
    # Lists cut long titles (`…情况的...`) and keep the whole one in the title attribute.
    if title and (len(title) > len(text) or text.endswith(_CUT_MARKS)):
        return title
    return text


def _absolute(base_url: str, href: str) -> str | None:
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    try:
        url = urljoin(base_url, href)
    except ValueError:
        return None
    url = url.split("#", 1)[0]
    return url if url.startswith(("http://", "https://")) else None


def anchors(root, base_url: str) -> list[Anchor]:
    """Every `<a href>` of the page, absolute, with its title, in document order."""
    if root is None:
        return []
    base = root.xpath("//base/@href")
    if base:
        base_url = urljoin(base_url, base[0].strip())
    out = []
    for a in root.iter("a"):
        url = _absolute(base_url, a.get("href"))
        if url:
            out.append(Anchor(url=url, text=_title_of(a), element=a))
    return out


def is_file_url(url: str) -> bool:
    """A report file: by extension, or served by a download script."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if _FILE_PATH.search(path):
        return True
    if any(p.search(path) for p, _ in DOWNLOAD_SCRIPTS):
        return True
    if not _VIEWER_PATH.search(path):
        return False
    query = parse_qs(parts.query)
    return any(_FILE_PATH.search(v) for k in _VIEWER_PARAMS for v in query.get(k, ()))


def _viewer_target(url: str) -> str:
    """The file a pdf.js viewer shows, else *url* (a download script's `filename=` is a name on
    the server, not a URL)."""
    parts = urlsplit(url)
    if _FILE_PATH.search(unquote(parts.path)) or not _VIEWER_PATH.search(parts.path):
        return url
    query = parse_qs(parts.query)
    for key in _VIEWER_PARAMS:
        for value in query.get(key, ()):
            if _FILE_PATH.search(value):
                return urljoin(url, value)
    return url


def attachment_links(root, base_url: str, raw_text: str = "",
                     page_anchors: list[Anchor] | None = None) -> list[Anchor]:
    """Links to report files on a report page: `<a>` (附件：….pdf, downfile.jsp, P0….pdf),
    `<iframe>`/`<embed>`/`<object>` viewers, and file URLs quoted inside scripts."""
    found: dict[str, Anchor] = {}

    def add(url: str | None, text: str) -> None:
        if url and url not in found and len(found) < MAX_ATTACHMENTS_PER_PAGE:
            found[url] = Anchor(url=url, text=text)

    for a in anchors(root, base_url) if page_anchors is None else page_anchors:
        if is_file_url(a.url):
            add(_viewer_target(a.url), a.text)
    if root is not None:
        for el in root.xpath("//iframe[@src]|//embed[@src]|//object[@data]"):
            url = _absolute(base_url, el.get("src") or el.get("data"))
            if url and is_file_url(url):
                add(_viewer_target(url), el.get("title") or "")
    # Only scripts hold escaped quotes (\"): the scan of the whole page is skipped without them.
    if raw_text and '\\"' in raw_text:
        for m in _QUOTED_FILE.finditer(raw_text):
            url = _absolute(base_url, html.unescape(m.group(1).replace("\\/", "/")))
            add(_viewer_target(url) if url else None, "")
    return list(found.values())


# A document title, not a menu entry: a year, 关于…, or a subject ending in a document type
# (…大检查的通知), but not a menu named by types (通知公告).
# (The `.{4,}` alternative starts only at a line's start, `(?<![^\n])`: tried from every
# character, it would scan to the end of a long line from each, quadratic on crawled text.)
_DOC_TITLE = re.compile(r"(19|20)\d{2}\s*年|^关于|(?<![^\n]).{4,}(通知|公告|通告|意见|决定|办法|公示|名单|讲话)$")
# Menu entries this short may be judged by their URL alone (部门, 镇街 under …/fzzfjs/), when
# the URL names the report itself (weight 5), not just the 政务公开 area.
_SHORT_MENU_CHARS = 8
_URL_ALONE_SCORE = 5


def nav_score(text: str, url: str) -> int:
    """How likely a menu link leads to reports; <= 0: not worth a request. The URL's words count
    only for a short entry or one whose text already points the same way."""
    if _DOC_TITLE.search(text) or any(p.search(text) or p.search(url) for p, _ in NAV_AVOID):
        return -1
    text_score = sum(w for p, w, _ in NAV_WORDS if p.search(text))
    parts = urlsplit(url)
    url_score = sum(w for p, w, _ in NAV_URL_WORDS if p.search(parts.path) or p.search(parts.netloc))
    if text_score <= 0 and (len(text) > _SHORT_MENU_CHARS or url_score < _URL_ALONE_SCORE):
        return 0
    return text_score + url_score


def looks_like_article(url: str, root=None) -> bool:
    """An article page (one document), not a list: by URL pattern, or the ArticleTitle meta that
    the 政府网站发展指引 requires on article pages."""
    parts = urlsplit(url)
    # Path parameters (;jsessionid=…) are not part of the name.
    path = _PATH_PARAMS.sub("", parts.path) + ("?" + parts.query if parts.query else "")
    if any(p.search(path) for p, _ in ARTICLE_URLS):
        return True
    if root is not None:
        return bool(root.xpath('//meta[translate(@name,"ARTICLETITLE","articletitle")="articletitle"]'
                               '[normalize-space(@content)]'))
    return False


def looks_like_column(url: str) -> bool:
    path = _PATH_PARAMS.sub("", urlsplit(url).path) or "/"
    return any(p.search(path) for p, _ in COLUMN_URLS)


def is_home_url(url: str) -> bool:
    """A site's home page (discovery starts there), not a column."""
    return bool(_HOME_PATH.match(_PATH_PARAMS.sub("", urlsplit(url).path) or "/"))


def same_site(url: str, hosts: Iterable[str]) -> bool:
    site = site_of(host_of(url))
    return any(site == site_of(h) for h in hosts)
