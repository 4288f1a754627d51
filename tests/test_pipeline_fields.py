"""Fields: dates, URL dates, titles from lines and pages, issuer order, kind, sections, regions."""
from __future__ import annotations

import datetime as dt

import pytest

from pipeline.fields import (find_date, find_issuer, find_kind, find_sections, find_year, page_title, parse_date,
                             parse_month, title_from_lines, url_date)
from pipeline.regions import region_by_code, resolve_region
from pipeline.titles import classify_title


@pytest.mark.parametrize("text,date", [
    ("日期:2025-01-24来源:区司法局", dt.date(2025, 1, 24)), ("2024年2月28日", dt.date(2024, 2, 28)),
    ("更新时间:2021/03/29 11:30:01", dt.date(2021, 3, 29)), ("二〇二四年二月二十八日", dt.date(2024, 2, 28)),
    ("发布日期： 9/17/2004 5:54:13 AM", dt.date(2004, 9, 17)), ("2024年13月1日", None), ("无日期", None),
])
def test_parse_date(text, date):
    assert parse_date(text) == date


def test_parse_month():
    assert parse_month("——《北京之春》1998年3月号") == dt.date(1998, 3, 1)


@pytest.mark.parametrize("url,date", [
    ("http://www.tjjh.gov.cn/x/202403/t20240328_6583952.html", dt.date(2024, 3, 28)),
    ("http://www.jiashan.gov.cn/art/2023/1/29/art_1229199096_2455693.html", dt.date(2023, 1, 29)),
    ("https://shanghai.gov.cn/nw12344/20250321/00afa2a805524f67aa49572a3b042ce6.html", dt.date(2025, 3, 21)),
    ("http://www.x.gov.cn/2024-03/28/content_1.htm", dt.date(2024, 3, 28)),
    ("https://jyj.gz.gov.cn/zt/fzzfjs/content/post_8468248.html", None), (None, None),
])
def test_url_date(url, date):
    assert url_date(url) == date


def test_date_order_of_trust():
    sig = ("和平县司法局", "2025年2月5日")
    url = "http://x.gov.cn/202502/t20250210_1.html"
    assert find_date(meta={"pubdate": "2025-02-06 00:00:00"}, table={"published": "2025-02-07"},
                     header=["发布时间:2025-02-08"], signature=sig, url=url) == dt.date(2025, 2, 6)
    assert find_date(table={"published": "2025-02-07"}, header=["发布时间:2025-02-08"], signature=sig,
                     url=url) == dt.date(2025, 2, 7)
    assert find_date(header=["发布时间:2025-02-08"], signature=sig, url=url) == dt.date(2025, 2, 8)
    assert find_date(signature=sig, url=url) == dt.date(2025, 2, 5)
    assert find_date(url=url) == dt.date(2025, 2, 10)
    # The page's clock is chrome, never the publication date.
    assert find_date(before=["2025年3月1日 星期六", "XX区2024年法治政府建设年度报告"], url=url) == dt.date(2025, 2, 10)
    # A date older than the year the report is on is a template's (frozen), whatever its place.
    frozen = ["XX区2024年法治政府建设年度报告", "更新日期：2019年6月1日"]
    assert find_date(before=frozen, url=url) == dt.date(2019, 6, 1)
    assert find_date(before=frozen, url=url, not_before=dt.date(2024, 1, 1)) == dt.date(2025, 2, 10)
    assert find_date(meta={"pubdate": "2019-06-01"}, signature=sig, not_before=dt.date(2024, 1, 1)) == dt.date(2025, 2, 5)


@pytest.mark.parametrize("lines,title,used", [
    (["酉阳土家族苗族自治县司法局", "关于2024年法治政府建设情况的报告", "2024年是…"],
     "酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告", 2),
    (["和平县司法局2024年法治政府建设年度报告", "作者: 来源:本网"], "和平县司法局2024年法治政府建设年度报告", 1),
    (["日期:2025-01-24来源:区司法局", "2024年,在区委、区政府的坚强领导下,区司法局坚持以习近平新时代中国特色社会主义思想为指导,深学笃用。"], None, 0),
    (["XX区2023年法治政府建设", "年度报告", "正文"], "XX区2023年法治政府建设年度报告", 2),
])
def test_title_from_lines(lines, title, used):
    assert title_from_lines(lines) == (title, used)


T = "和平县司法局2024年法治政府建设年度报告"


@pytest.mark.parametrize("meta,info,h1,html_title,title", [
    ({"articletitle": T}, {"title": "另一个标题的报告"}, "通知公告", "首页", T),  # ArticleTitle first
    ({}, {"title": T}, "通知公告", "和平县人民政府", T),  # then the 政府信息公开 table's 标题
    ({}, {}, T, "和平县人民政府门户网站", T),  # then h1
    ({"sitename": "和平县人民政府"}, {}, None, f"{T}_和平县人民政府", T),  # <title> less SiteName
    ({}, {}, None, f"{T} - 和平县人民政府门户网站", T),  # … or less the shorter part
    ({}, {}, None, f"和平县人民政府 | {T}", T),
    ({}, {}, "通知公告", f"{T}_和平县人民政府", T),  # an h1 that is the column's name
    ({}, {}, "和平县司法局2024年法治政府建设年度...", f"{T}_和平县人民政府", T),  # a cut h1
    ({}, {}, f"{T}（全文）", f"{T}_和平县人民政府", f"{T}（全文）"),
    ({}, {}, None, None, None),
])
def test_page_title(meta, info, h1, html_title, title):
    assert page_title(meta, info, h1, html_title) == title


@pytest.mark.parametrize("title,lines,published,year", [
    ("XX区2023年法治政府建设年度报告", ["2024年，区司法局…"], None, 2023),  # the title's year
    (None, ["2024年,在区委、区政府的坚强领导下,区司法局坚持…"], dt.date(2025, 1, 24), 2024),  # seed 001
    (None, ["2024年3月，区司法局召开…"], dt.date(2025, 1, 24), None),  # a month, not the year reported on
    (None, ["2026年，区司法局将…"], dt.date(2025, 1, 24), None),  # after publication: a plan's year
    ("重庆市人民政府关于法治政府建设情况的报告(2024年5月28日在市六届人大常委会第九次会议上)", [], None, 2023),
])
def test_find_year(title, lines, published, year):
    assert find_year(classify_title(title) if title else None, lines, published) == year


SIG = ("XX镇人民政府", "2024年1月5日")


@pytest.mark.parametrize("title,kw,issuer", [
    # The title's prefix first, whatever else the page says.
    ("和平县司法局2024年法治政府建设年度报告", dict(table={"issuer": "和平县人民政府"}, signature=SIG), "和平县司法局"),
    # A title naming only a place: the 政府信息公开 table's 发布机构 / 发文机关.
    ("静海区2023年度法治政府建设情况报告", dict(table={"issuer": "天津市静海区人民政府办公室"},
                                              meta={"contentsource": "区司法局"}), "天津市静海区人民政府办公室"),
    # Then 来源: the ContentSource meta, a header line; `本网` and news outlets are no issuer.
    ("静海区2023年度法治政府建设情况报告", dict(meta={"contentsource": "区司法局"}, signature=SIG), "区司法局"),
    (None, dict(meta={"contentsource": "本网"}, header=["日期:2025-01-24来源:区司法局"]), "区司法局"),  # seed 001
    (None, dict(header=["作者: 来源:本网 发布时间:2025-02-05"], signature=("和平县司法局", "2025年2月5日")),
     "和平县司法局"),  # seed 003 without its title: the signature
    (None, dict(header=["来源：人民网"], signature=SIG), "XX镇人民政府"),
    # Last, the owner the column names (`区司法局` column of a portal).
    (None, dict(meta={"columnname": "区司法局"}), "区司法局"),
    (None, dict(meta={"columnname": "通知公告"}), None),
    # An interpretation names the report's issuer, not its own: not taken from the title.
    ("一图读懂《和平县司法局2024年法治政府建设年度报告》", dict(meta={"contentsource": "县司法局"}), "县司法局"),
])
def test_issuer_order(title, kw, issuer):
    assert find_issuer(classify_title(title) if title else None, **kw) == issuer


def test_kind_from_body_when_no_title():
    assert find_kind(None, ["2024年，区司法局坚持…现将2024年法治政府建设情况报告如下。"]) == "annual_report"
    assert find_kind(classify_title("XX区司法局2023年工作总结及2024年工作思路"), ["现将有关情况报告如下："]) == "work_summary"


def test_sections():
    lines = ["一、2024年推进法治政府建设的主要举措和成效", "正文", "（二）加强组织领导，全面推进党政主要负责人切实履行法治建设第一责任人职责。一是…",
             "二、存在的问题和不足", "三、下一步工作打算", "四、其他需要报告的事项"]
    assert [name for name, _ in find_sections(lines)] == [
        "measures_and_results", "first_responsible_person", "shortcomings", "next_year_plan", "other"]


@pytest.mark.parametrize("text,kw,code", [
    ("重庆市合川区司法局", {}, "500117"), ("酉阳土家族苗族自治县", {}, "500242"), ("酉阳县司法局", {}, "500242"),
    ("和平县司法局", {}, "441624"), ("北京市朝阳区司法局", {}, "110105"), ("和平区司法局", {}, None),
    ("和平区司法局", {"site_code": "2101020001"}, "210102"), ("朝阳区司法局", {"host": "sfj.beijing.gov.cn"}, "110105"),
    ("区司法局", {"site_code": "5001170002"}, "500117"), ("主城区建设", {}, None),
])
def test_regions(text, kw, code):
    region = resolve_region(text, **kw)
    assert (region.code if region else None) == code


def test_region_by_code():
    assert region_by_code("441624").name == "广东省河源市和平县"
    assert region_by_code("999999") is None
