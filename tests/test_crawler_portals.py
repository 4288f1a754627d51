"""What a portal's page says about other government sites: link lists in every dialect real portals
use, who a site is, moved and closed sites. Pure functions on real-shaped HTML."""
from __future__ import annotations

import pytest

from crawler.links import anchors, page_root
from crawler.portals import (
    directory_links, directory_pages, script_redirect, site_identity, site_key, site_notice,
)

PAGE = "http://www.jl.gov.cn/zfwzdh/"


def _links(html: str, url: str = PAGE) -> dict[str, tuple[str, str, str, str]]:
    return {link.url: (link.text, link.heading, link.context, link.method)
            for link in directory_links(page_root(html), url)}


def test_a_table_under_a_heading():
    got = _links("""<html><body><div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a></div>
    <table><tr><th colspan="3">市（州）政府网站</th></tr>
    <tr><td><a href="http://www.changchun.gov.cn/">长春市</a></td><td><a href="http://www.jlcity.gov.cn/">吉林市</a></td></tr>
    </table></body></html>""")
    assert got["http://www.changchun.gov.cn/"] == ("长春市", "市（州）政府网站", "governments", "section")
    assert "http://www.jl.gov.cn/zwgk/" not in got  # the portal's own menus are not listed sites


def test_sections_end_at_the_next_heading():
    got = _links("""<html><body><div class="wrap">
    <h3>县（市、区）政府网站</h3><ul><li><a href="http://www.nongan.gov.cn/">农安县</a></li></ul>
    <h3>部门网站</h3><ul><li><a href="http://sfj.jl.gov.cn/">省司法厅</a></li>
    <li><a href="/bm/jyt/">省教育厅</a></li></ul></div></body></html>""")
    assert got["http://www.nongan.gov.cn/"][2] == "governments"
    assert got["http://sfj.jl.gov.cn/"][1:3] == ("部门网站", "departments")
    # A department's column on the portal itself counts under a heading.
    assert got["http://www.jl.gov.cn/bm/jyt/"][2] == "departments"


def test_a_select_whose_first_option_is_its_heading():
    got = _links("""<html><body><select onchange="window.open(this.value)">
    <option value="">--区县部门--</option><option value="http://sfj.ccchaoyang.gov.cn/">区司法局</option>
    <option value="www.ccchaoyang.gov.cn/bm/jyj/">区教育局</option></select></body></html>""",
                 "http://www.ccchaoyang.gov.cn/")
    assert got["http://sfj.ccchaoyang.gov.cn/"] == ("区司法局", "区县部门", "departments", "select")
    assert "http://www.ccchaoyang.gov.cn/bm/jyj/" in got  # a bare www. host is a URL too


def test_javascript_arrays_of_links():
    got = _links("""<html><body><div><h4>延边州各县市</h4><script>
    var xsq = [{name: "延吉市", url: "http://www.yanji.gov.cn/"}, {url:'http://www.dunhua.gov.cn/', name:'敦化市'}];
    var more = [["珲春市", "http:\\/\\/www.hunchun.gov.cn\\/"]];
    var pipes = new Array("榆树市|http://www.yushu.gov.cn/");
    for (var i = 0; i < xsq.length; i++) document.write('<a href="' + xsq[i].url + '">' + xsq[i].name + '</a>');
    </script></div></body></html>""")
    assert got["http://www.yanji.gov.cn/"] == ("延吉市", "延边州各县市", "governments", "script")
    assert got["http://www.dunhua.gov.cn/"][0] == "敦化市"
    assert got["http://www.hunchun.gov.cn/"][0] == "珲春市"
    assert got["http://www.yushu.gov.cn/"][0] == "榆树市"


def test_footer_groups_and_links_named_like_governments():
    got = _links("""<html><body><div class="map"><a href="http://www.qianguo.gov.cn/">前郭县</a>
    <a href="http://www.xinhuanet.com/">新华网</a></div>
    <div class="footer"><p>友情链接：<a href="http://www.gov.cn/">中国政府网</a>
    <a href="http://www.chinajilin.com.cn/">中国吉林网</a></p>
    <a href="http://www.jlsy.gov.cn/">松原市</a></div></body></html>""", "http://www.jl.gov.cn/")
    assert got["http://www.chinajilin.com.cn/"] == ("中国吉林网", "友情链接", "friends", "section")
    assert got["http://www.jlsy.gov.cn/"][3] == "footer"
    # Off-site links anywhere are candidates; their names decide (pipeline.divisions).
    assert got["http://www.qianguo.gov.cn/"][3] == "name"


def test_gbk_pages_and_broken_markup_do_not_stop_the_reading():
    html = ("<html><head><meta charset='gbk'></head><body><h3>部门网站</h3><ul><li><a href='http://sfj.x.gov.cn/'>"
            "司法局</a><li><a href=http://jyj.x.gov.cn/>教育局</ul><div><select><option>--</select>")
    got = _links(html.encode("gbk").decode("gbk"), "http://www.x.gov.cn/")
    assert {"http://sfj.x.gov.cn/", "http://jyj.x.gov.cn/"} <= set(got)
    assert directory_links(None, PAGE) == []


def test_pages_that_carry_the_lists():
    root = page_root("""<html><body><ul class="nav"><li><a href="/">首页</a></li>
    <li><a href="/zfwzdh/">政府网站导航</a></li><li><a href="/bmwz/index.html">部门网站</a></li>
    <li><a href="/xwzx/">新闻中心</a></li><li><a href="http://www.gov.cn/">政府网站导航</a></li></ul></body></html>""")
    assert directory_pages(anchors(root, "http://www.jl.gov.cn/"), "http://www.jl.gov.cn/") == [
        "http://www.jl.gov.cn/zfwzdh/", "http://www.jl.gov.cn/bmwz/index.html"]


def test_site_identity_from_meta_or_footer():
    meta = page_root('<html><head><title>长春市人民政府</title><meta name="SiteName" content="中国·长春">'
                     '<meta name="SiteIDCode" content="2201000001"></head><body></body></html>')
    assert site_identity(meta, "") == site_identity(meta, "")
    ident = site_identity(meta, "")
    assert (ident.name, ident.code, ident.title) == ("中国·长春", "2201000001", "长春市人民政府")
    text = "<html><head><title>农安县人民政府</title></head><body><p>网站标识码：2201220001</p></body></html>"
    assert site_identity(page_root(text), text).code == "2201220001"
    news = "<html><head><title>中国吉林网</title></head><body><p>吉ICP备05001234号</p></body></html>"
    assert site_identity(page_root(news), news).code == ""


@pytest.mark.parametrize("html, state, successor", [
    ("<html><head><title>网站迁移公告</title></head><body><p>本网站已迁移至新网址：http://www.jldf.gov.cn/ ，"
     "请访问新网站。</p></body></html>", "moved", "http://www.jldf.gov.cn/"),
    ("<html><body><h2>网站已关停</h2><p>相关内容已整合至双辽市人民政府门户网站。</p>"
     "<a href='http://www.shuangliao.gov.cn/'>点击访问</a></body></html>", "closed", "http://www.shuangliao.gov.cn/"),
    ("<html><body><p>本站已停止运行。</p></body></html>", "closed", None),
])
def test_moved_and_closed_notices(html, state, successor):
    notice = site_notice(page_root(html), "http://www.dongfeng.gov.cn/")
    assert (notice.state, notice.successor) == (state, successor)


def test_a_portal_whose_news_mentions_a_closed_site_is_not_closed():
    news = "".join(f"<li><a href='/a{i}.html'>全省政府网站普查：{i}家不合格网站已关停整改</a></li>" for i in range(80))
    assert site_notice(page_root(f"<html><body><ul>{news}</ul></body></html>"), "http://www.jl.gov.cn/") is None


def test_script_redirects_and_site_keys():
    page = '<html><head><script>window.location.href="/zw/index.shtml";</script></head><body></body></html>'
    assert script_redirect(page_root(page), page, "http://www.x.gov.cn/") == "http://www.x.gov.cn/zw/index.shtml"
    assert site_key("http://www.X.gov.cn/index.html") == "www.x.gov.cn"
    assert site_key("http://www.x.gov.cn/bm/sfj/") == "www.x.gov.cn/bm/sfj"
    assert site_key("http://www.x.gov.cn/bm/sfj/index.shtml") == "www.x.gov.cn/bm/sfj"
