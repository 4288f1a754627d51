"""Link extraction and list paging, table-driven on markup as government sites write it; and the
fetch outcomes (challenges, failures) a capture records."""
from __future__ import annotations

import pytest
from service_identity.exceptions import VerificationError
from twisted.internet import error as tx_error
from twisted.python.failure import Failure
from twisted.web._newclient import ParseError, ResponseFailed, ResponseNeverReceived

from crawler.links import (
    anchors, attachment_links, is_file_url, is_home_url, looks_like_article, looks_like_column,
    nav_score, page_root,
)
from crawler.listing import (
    PageRequest, gkmlpt_list_request, hanweb_datastore, hanweb_next, json_list, json_next,
    list_region, next_static_page,
)
from crawler.outcomes import challenge_reason, failure_outcome, response_outcome
from crawler.plan import Target, decide
from scrapy.exceptions import (
    DownloadCancelledError, DownloadFailedError, DownloadTimeoutError, IgnoreRequest,
)

TRS_LIST = "http://www.youyang.gov.cn/zwgk_264/zfxxgkml/fdzdgknr/qtfdgkxx/"


@pytest.mark.parametrize("script,url,expected", [
    # TRS: page count in createPageHTML; index.html is page 0, index_1.html page 1.
    ('createPageHTML(3, 0, "index", "html");', TRS_LIST + "index.html", TRS_LIST + "index_1.html"),
    ('createPageHTML(3, 1, "index", "html");', TRS_LIST + "index_1.html", TRS_LIST + "index_2.html"),
    ('createPageHTML(3, 2, "index", "html");', TRS_LIST + "index_2.html", None),
    # Chongqing's createPage, shtml, the directory URL itself.
    ("createPage(2, 0, 'index', 'shtml');", TRS_LIST, TRS_LIST + "index_1.shtml"),
    # Newer templates: a div id first, the record count last.
    ("createPageHTML('page_div',5, 1,'index','html',68);", TRS_LIST + "index_1.html", TRS_LIST + "index_2.html"),
    # Page count in variables.
    ('var countPage = 4;var currentPage = 0;createPageHTML(countPage, currentPage, "index", "htm");',
     TRS_LIST + "index.htm", TRS_LIST + "index_1.htm"),
])
def test_trs_page_count(script, url, expected):
    text = f"<html><body><div class='page'><script>{script}</script></div></body></html>"
    assert next_static_page(text, url, []) == expected


def test_next_page_link():
    html = ('<div class="page"><a href="News.aspx?page=1">首页</a><span>1</span>'
            '<a href="News.aspx?page=2">2</a><a href="News.aspx?page=2">下一页</a>'
            '<a href="News.aspx?page=9">尾页</a></div>')
    url = "http://sfj.youyang.gov.cn/News.aspx?page=1"
    assert next_static_page(html, url, anchors(page_root(html), url)) == "http://sfj.youyang.gov.cn/News.aspx?page=2"
    last = html.replace(">下一页<", "><")
    assert next_static_page(last, url, anchors(page_root(last), url)) is None


def test_list_region_is_the_item_list_not_the_menus():
    html = """<html><body>
    <ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li></ul>
    <ul class="list">
      <li><a href="./202501/t20250120_1.html" title="酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告">酉阳土家族苗族自治县司法局关于2024年法治政府建设...</a><span>2025-01-20</span></li>
      <li><a href="./202501/t20250116_2.html">关于公开招聘2025年度社区工作者的公告</a><span>2025-01-16</span></li>
      <li><a href="./202412/t20241230_3.html">酉阳县2024年国民经济和社会发展统计公报</a><span>2024-12-30</span></li>
    </ul>
    <div class="links"><a href="http://www.gov.cn/">中国政府网门户网站</a><a href="http://www.cq.gov.cn/">重庆市人民政府网站</a></div>
    </body></html>"""
    items = list_region(anchors(page_root(html), TRS_LIST + "index.html"), TRS_LIST + "index.html")
    assert [a.url.rsplit("/", 1)[1] for a in items] == ["t20250120_1.html", "t20250116_2.html",
                                                        "t20241230_3.html"]
    # The cut title is read whole from the title attribute.
    assert items[0].text == "酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告"


HANWEB_PAGE = """<div id="6523"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=3&path=/&columnid=1229063387&unitid=6523&webname=嘉善县人民政府&permissiontype=0"></a>]]></nextgroup>
<recordset><record><![CDATA[<li><a href="/art/2024/1/29/art_1229063387_59012345.html" title="嘉善县人民政府关于2023年度法治政府建设情况的报告" target="_blank">嘉善县人民政府关于2023年度法治政府建设...</a><span>2024-01-29</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2024/1/12/art_1229063387_59011111.html" title="嘉善县市场监督管理局2023年度法治政府建设情况报告">嘉善县市场监督管理局2023...</a><span>2024-01-12</span></li>]]></record>
</recordset></datastore></script></div>"""


def test_hanweb_datastore_and_dataproxy_paging():
    url = "http://www.jiashan.gov.cn/col/col1229063387/index.html"
    records, nxt = hanweb_datastore(HANWEB_PAGE, url)
    assert [r.text for r in records] == ["嘉善县人民政府关于2023年度法治政府建设情况的报告",
                                         "嘉善县市场监督管理局2023年度法治政府建设情况报告"]
    assert records[0].url == "http://www.jiashan.gov.cn/art/2024/1/29/art_1229063387_59012345.html"
    assert nxt == PageRequest(
        url="http://www.jiashan.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15",
        method="POST", formdata=(("col", "1"), ("appid", "1"), ("webid", "3"), ("path", "/"),
                                 ("columnid", "1229063387"), ("sourceContentType", "1"), ("unitid", "6523"),
                                 ("webname", "嘉善县人民政府"), ("permissiontype", "0")))
    answer = ("<datastore><totalrecord>100</totalrecord><totalpage>7</totalpage><recordset>"
              "<record><![CDATA[<li><a href='/art/2023/1/29/art_1_2.html'>x</a></li>]]></record></recordset></datastore>")
    following = hanweb_next(answer, nxt.url, nxt.formdata)
    assert following.url.endswith("startrecord=46&endrecord=90&perpage=15")
    assert following.formdata == nxt.formdata
    last = answer.replace(">100<", ">45<")
    assert hanweb_next(last, nxt.url, nxt.formdata) is None


def test_gkmlpt_catalogue_and_json_lists():
    page = "<script>window._CONFIG = { SID: '762300', ROOT: '/gkmlpt' };</script>"
    assert gkmlpt_list_request(page, "http://www.lianping.gov.cn/gkmlpt/index") == \
        "http://www.lianping.gov.cn/gkmlpt/api/all/0?page=1&sid=762300"
    # A sub-site under a path prefix (Shenzhen districts).
    assert gkmlpt_list_request(page, "http://www.szlh.gov.cn/lhqkjhgyxxhj/gkmlpt/index") == \
        "http://www.szlh.gov.cn/lhqkjhgyxxhj/gkmlpt/api/all/0?page=1&sid=762300"
    assert gkmlpt_list_request(page, "http://www.lianping.gov.cn/index.html") is None
    data = ('{"articles": [{"id": 1, "title": "连平县人民政府2023年法治政府建设年度报告", '
            '"url": "http://www.lianping.gov.cn/gkmlpt/content/2/57228/post_57228199.html#2811", '
            '"create_time": 1710468000}], "total": 12}')
    url = "http://www.lianping.gov.cn/gkmlpt/api/all/0?page=1&sid=762300"
    items, total = json_list(data, url)
    assert [i.url for i in items] == ["http://www.lianping.gov.cn/gkmlpt/content/2/57228/post_57228199.html"]
    assert total == 12
    assert json_next(url, 5, 12) == "http://www.lianping.gov.cn/gkmlpt/api/all/0?page=2&sid=762300"
    assert json_next(url.replace("page=1", "page=3"), 2, 12, first_page_items=5) is None
    assert json_list("not json", url) == ([], None)


@pytest.mark.parametrize("html,expected", [
    ('<p>附件：<a href="./P020240328512345678901.pdf">静海区2023年度法治政府建设情况报告.pdf</a></p>',
     "http://www.jinghai.gov.cn/zwgk/202403/P020240328512345678901.pdf"),
    ('<a href="/module/download/downfile.jsp?classid=0&amp;filename=2401201523123.pdf">附件1</a>',
     "http://www.jinghai.gov.cn/module/download/downfile.jsp?classid=0&filename=2401201523123.pdf"),
    ('<iframe src="/pdfjs/web/viewer.html?file=/uploadfile/2024/report.pdf"></iframe>',
     "http://www.jinghai.gov.cn/uploadfile/2024/report.pdf"),
    ('<embed src="/uploadfile/2025/0116/20250116093012345.wps">',
     "http://www.jinghai.gov.cn/uploadfile/2025/0116/20250116093012345.wps"),
    # gkmlpt: the article, links included, inside a JS string.
    ('<script>window._CONFIG = {DETAIL: {"content": "<p><a href=\\"/attachment/0/512/512345/r.ofd\\">附件</a></p>"}};</script>',
     "http://www.jinghai.gov.cn/attachment/0/512/512345/r.ofd"),
])
def test_attachment_links(html, expected):
    base = "http://www.jinghai.gov.cn/zwgk/202403/t20240328_1.html"
    page = f"<html><body>{html}</body></html>"
    assert [a.url for a in attachment_links(page_root(page), base, page)] == [expected]


def test_not_attachments():
    page = '<a href="/zwgk/list.html">列表</a><a href="/images/logo.png">图</a><a href="javascript:void(0)">x</a>'
    assert attachment_links(page_root(page), "http://x.gov.cn/", page) == []
    assert not is_file_url("http://x.gov.cn/upload/viewer.html")
    assert is_file_url("http://x.gov.cn/DownLoad.aspx?fileid=3312")


@pytest.mark.parametrize("text,url,follow", [
    ("法治政府建设年度报告", "http://www.x.gov.cn/zwgk/fdzdgknr/fzzfjsndbg/", True),
    ("政府信息公开", "http://www.x.gov.cn/zwgk/zfxxgkml/", True),
    ("法定主动公开内容", "http://www.x.gov.cn/zwgk/fdzdgknr/", True),
    ("县司法局", "http://sfj.youyang.gov.cn/", True),
    ("通知公告", "http://sfj.youyang.gov.cn/News.aspx?page=1", True),
    ("部门", "http://www.x.gov.cn/zwgk/fzzfjsndbg/bm/", True),  # short: its URL speaks for it
    ("走进酉阳", "http://www.youyang.gov.cn/zjyy/", False),
    ("无障碍浏览", "http://www.x.gov.cn/wza/", False),
    ("人事信息", "http://www.x.gov.cn/zwgk/rsxx/", False),
    # A document title is not a menu, whatever its URL says.
    ("烈山区关于开展安全生产大检查的通知", "http://www.lieshan.gov.cn/xxgk/fzzfjs/1.jhtml", False),
])
def test_nav_score(text, url, follow):
    assert (nav_score(text, url) >= 3) is follow


@pytest.mark.parametrize("url,article,column,home", [
    ("http://www.tjjh.gov.cn/jhqzf/zwgk_28985/202403/t20240328_6583952.html", True, False, False),
    ("https://www.hangzhou.gov.cn/art/2024/3/1/art_1229063387_1.html", True, False, False),
    ("http://www.lianping.gov.cn/gkmlpt/content/2/57228/post_57228199.html", True, False, False),
    ("https://www.lieshan.gov.cn/xxgk/fzzfjs/122383282.jhtml;jsessionid=0A1B", True, False, False),
    ("http://sfj.youyang.gov.cn/Detail.aspx?id=30811", True, False, False),
    ("https://www.lieshan.gov.cn/xxgk/fzzfjs/index.jhtml", False, True, False),
    ("http://www.jiashan.gov.cn/col/col1229063387/index.html", False, True, False),
    ("http://www.youyang.gov.cn/zwgk_264/", False, True, False),
    ("http://www.youyang.gov.cn/", False, True, True),
    ("http://www.youyang.gov.cn/index.html", False, True, True),
])
def test_page_kinds_by_url(url, article, column, home):
    assert looks_like_article(url) is article
    assert looks_like_column(url) is column
    assert is_home_url(url) is home


def test_article_by_meta_when_the_url_says_nothing():
    page = page_root('<html><head><meta name="ArticleTitle" content="和平县司法局2024年法治政府建设年度报告"></head></html>')
    assert looks_like_article("http://www.x.gov.cn/show.php?itemid=12", page)
    assert not looks_like_article("http://www.x.gov.cn/show.php?itemid=12", page_root("<html></html>"))


@pytest.mark.parametrize("status,body,blocked", [
    (412, b"<script>$_ts=window['$_ts'];document.cookie='x';location.reload();</script>", True),
    (521, b"<script>document.cookie=('__jsl_clearance_s=1|0|abc');location.href=location.pathname</script>", True),
    (403, "<title>访问被拦截</title>您的访问被网站防火墙拦截".encode("gbk"), True),
    (403, b"<html>403 Forbidden</html>", False),
    (200, b"<script>document.cookie='acw_sc__v2=abc';location.reload()</script>", True),
    (200, "<html>法治政府建设年度报告" .encode() + b"x" * 30000 + b"__jsl_clearance</html>", False),
    (404, b"not found", False),
])
def test_challenges(status, body, blocked):
    assert (challenge_reason(status, body) is not None) is blocked
    state, _ = response_outcome("http://x.gov.cn/a.html", status, body)
    if blocked:
        assert state == "blocked"


def test_response_outcomes():
    assert response_outcome("http://x.gov.cn/a", 200, b"ok") == ("ok", None)
    assert response_outcome("http://x.gov.cn/a", 304, b"") == ("not_modified", None)
    assert response_outcome("http://x.gov.cn/a", 404, b"") == ("http_error", "fetch: http://x.gov.cn/a: HTTP 404")


def _wrapped(reason: Exception, never: bool = True) -> DownloadFailedError:
    inner = (ResponseNeverReceived if never else ResponseFailed)([Failure(reason)])
    try:
        raise DownloadFailedError(str(inner)) from inner
    except DownloadFailedError as exc:
        return exc


@pytest.mark.parametrize("exc,state,words", [
    (DownloadTimeoutError("took longer than 30.0 seconds"), "network_error", "timeout after 30 s"),
    (DownloadCancelledError("Expected to receive 3000030 bytes"), "too_large", "larger than the 50000000 bytes limit"),
    (IgnoreRequest("Forbidden by robots.txt"), "robots", "disallowed by robots.txt"),
    (IgnoreRequest("max redirections reached"), "http_error", "more than 5 redirects"),
    (_wrapped(ParseError("non-integer status code", b"\x00garbage")), "network_error", "not an HTTP response"),
    (_wrapped(tx_error.ConnectionLost()), "network_error", "connection reset by the server, before a response"),
    (_wrapped(tx_error.ConnectionLost(), never=False), "network_error", "while reading the body"),
    (tx_error.DNSLookupError("www.nowhere.gov.cn"), "network_error", "host name not found"),
    (_wrapped(VerificationError(errors=[])), "network_error", "TLS certificate rejected"),
])
def test_failure_outcomes(exc, state, words):
    got_state, error = failure_outcome("http://x.gov.cn/a.html", exc, timeout=30, max_bytes=50_000_000,
                                       max_redirects=5)
    assert got_state == state
    assert error.startswith("fetch: http://x.gov.cn/a.html: ") and words in error


HOME = Target("http://www.youyang.gov.cn/", "home", discover=True)
COLUMN = Target(TRS_LIST + "index.html", "list", column=TRS_LIST + "index.html", scope=TRS_LIST)


@pytest.mark.parametrize("text,url,target,in_region,expected", [
    # Candidates are fetched: pages as detail, files as attachments.
    ("酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告", TRS_LIST + "202501/t20250120_1.html", COLUMN, True,
     ("target", "detail")),
    ("静海区司法局2023年法治政府建设年度报告.pdf", TRS_LIST + "P020240320.pdf", COLUMN, True, ("target", "attachment")),
    # Look-alikes are recorded as skipped with their kind, in a list or anywhere on a page.
    ("《酉阳土家族苗族自治县人民政府关于2023年法治政府建设情况的报告》政策解读", TRS_LIST + "202403/t20240305_2.html",
     COLUMN, True, ("skip", "interpretation")),
    ("县政府常务会议审议《酉阳县2023年法治政府建设情况的报告》", "http://www.youyang.gov.cn/xwzx/t20240220_3.html",
     HOME, False, ("skip", "news")),
    ("酉阳县2024年国民经济和社会发展统计公报", TRS_LIST + "202412/t20241230_4.html", COLUMN, True, ("skip", "other")),
    # Unrelated links outside the list are ignored.
    ("酉阳县2024年国民经济和社会发展统计公报", "http://www.youyang.gov.cn/xwzx/t20241230_4.html", HOME, False, None),
    # A menu named like the report is its column; discovery follows it, column mode does not.
    ("法治政府建设年度报告", "http://www.youyang.gov.cn/zwgk/fzzfjsndbg/", HOME, False, ("target", "list")),
    ("政府信息公开", "http://www.youyang.gov.cn/zwgk/zfxxgkml/", HOME, False, ("target", "list")),
    ("政府信息公开", "http://www.youyang.gov.cn/zwgk/zfxxgkml/", COLUMN, False, None),
    # Column mode: a sub-column under the column's directory.
    ("部门报告", TRS_LIST + "bm/index.html", COLUMN, False, ("target", "list")),
    # Pagers are pagination's business.
    ("下一页", TRS_LIST + "index_1.html", COLUMN, False, None),
])
def test_decide(text, url, target, in_region, expected):
    from crawler.links import Anchor

    got = decide(Anchor(url=url, text=text), target.url, target, in_region=in_region)
    if expected is None:
        assert got is None
    elif expected[0] == "target":
        assert got[0] == "target" and got[1].role == expected[1] and got[1].url == url
    else:
        assert got == expected
