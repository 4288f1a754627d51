"""Canonical URLs, hosts, sites and the official-host rule, on URLs as government sites write them."""
from __future__ import annotations

import pytest

from pipeline.urls import canonical_url, host_of, is_official_host, site_of, without_session

# (as found, canonical form)
CANONICAL = [
    # Fragment, tracking parameters, query order, host case, default port, https -> http.
    ("HTTPS://Www.Hechuan.gov.cn:443/zwgk/t20250124_1.html?utm_source=wechat&b=2&a=1#top",
     "http://www.hechuan.gov.cn/zwgk/t20250124_1.html?a=1&b=2"),
    ("http://www.tjjh.gov.cn/jhqzf/zwgk_28985/202403/t20240328_6583952.html",
     "http://www.tjjh.gov.cn/jhqzf/zwgk_28985/202403/t20240328_6583952.html"),
    # TRS mobile twin -> the main page.
    ("http://www.cq.gov.cn/zwgk/202403/t20240328_13050000_wap.html",
     "http://www.cq.gov.cn/zwgk/202403/t20240328_13050000.html"),
    # Session ids in the path and in the query.
    ("http://www.example.gov.cn/list.jsp;jsessionid=0A1B2C3D4E?classid=7",
     "http://www.example.gov.cn/list.jsp?classid=7"),
    ("http://www.example.gov.cn/list.jsp?JSESSIONID=0A1B&classid=7",
     "http://www.example.gov.cn/list.jsp?classid=7"),
    # Share links from WeChat and Alibaba's spm.
    ("http://www.gov.cn/zhengce/content_5600000.htm?from=groupmessage&isappinstalled=0",
     "http://www.gov.cn/zhengce/content_5600000.htm"),
    ("https://www.hangzhou.gov.cn/art/2024/3/1/art_1229063387_1.html?spm=a2c4g.1",
     "http://www.hangzhou.gov.cn/art/2024/3/1/art_1229063387_1.html"),
    # jQuery cache buster, but gkmlpt's site id stays.
    ("http://www.heping.gov.cn/gkmlpt/api/all/5?page=2&sid=757&_=1711599123456",
     "http://www.heping.gov.cn/gkmlpt/api/all/5?page=2&sid=757"),
    # Big5 gateway mirror -> the original.
    ("http://big5.www.gov.cn/gate/big5/www.gov.cn/zhengce/content_5600000.htm",
     "http://www.gov.cn/zhengce/content_5600000.htm"),
    # A directory's index page is the directory; other ports stay.
    ("http://www.youyang.gov.cn/zwgk/fzzf/index.html", "http://www.youyang.gov.cn/zwgk/fzzf/"),
    ("http://www.youyang.gov.cn:8080/col/col123/index.html", "http://www.youyang.gov.cn:8080/col/col123/"),
    ("http://www.youyang.gov.cn/zwgk/fzzf/index_1.html", "http://www.youyang.gov.cn/zwgk/fzzf/index_1.html"),
    ("http://www.youyang.gov.cn", "http://www.youyang.gov.cn/"),
    # A GBK-encoded query value survives byte for byte; non-ASCII paths are percent-encoded.
    ("http://www.example.gov.cn/search?q=%D6%D0%CE%C4", "http://www.example.gov.cn/search?q=%D6%D0%CE%C4"),
    ("http://www.example.gov.cn/附件/报告.pdf",
     "http://www.example.gov.cn/%E9%99%84%E4%BB%B6/%E6%8A%A5%E5%91%8A.pdf"),
]


@pytest.mark.parametrize("url,expected", CANONICAL)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected  # idempotent


def test_different_documents_stay_different():
    a = canonical_url("http://www.example.gov.cn/art?id=1")
    b = canonical_url("http://www.example.gov.cn/art?id=2")
    c = canonical_url("http://sfj.example.gov.cn/art?id=1")
    assert len({a, b, c}) == 3


@pytest.mark.parametrize("url,host", [
    ("http://WWW.YouYang.gov.cn:8080/a", "www.youyang.gov.cn"),
    ("https://sfj.youyang.gov.cn./x", "sfj.youyang.gov.cn"),
    ("not a url", ""),
])
def test_host_of(url, host):
    assert host_of(url) == host


@pytest.mark.parametrize("host,site", [
    ("sfj.youyang.gov.cn", "youyang.gov.cn"), ("www.youyang.gov.cn", "youyang.gov.cn"),
    ("www.gov.cn", "www.gov.cn"), ("news.sina.com.cn", "sina.com.cn"),
    ("www.fz-news-copy.com", "fz-news-copy.com"),
])
def test_site_of(host, site):
    assert site_of(host) == site


@pytest.mark.parametrize("host,extra,official", [
    ("www.hechuan.gov.cn", (), True),
    ("gov.cn", (), True),
    ("WWW.GOV.CN", (), True),
    ("www.fz-news-copy.com", (), False),
    # A look-alike that only contains gov.cn.
    ("www.gov.cn.fz-news-copy.com", (), False),
    ("fakegov.cn", (), False),
    # A configured source's own host outside gov.cn (and its sub-hosts).
    ("www.bjchy.org", ("bjchy.org",), True),
    ("sfj.bjchy.org", ("bjchy.org",), True),
    ("www.bjchy.org.evil.com", ("bjchy.org",), False),
    ("", (), False),
])
def test_is_official_host(host, extra, official):
    assert is_official_host(host, extra) is official


@pytest.mark.parametrize("url,expected", [
    ("https://www.lieshan.gov.cn/xxgk/fzzfjs/1.jhtml;jsessionid=0A1B2C3D", "https://www.lieshan.gov.cn/xxgk/fzzfjs/1.jhtml"),
    ("http://www.gd.gov.cn/a.html?b=2&utm_source=wechat&a=1", "http://www.gd.gov.cn/a.html?b=2&a=1"),
    # Anything else stays as written: scheme, port, query order, the index page.
    ("HTTPS://Www.X.gov.cn:8443/col/index.html?z=1&a=2", "HTTPS://Www.X.gov.cn:8443/col/index.html?z=1&a=2"),
])
def test_without_session(url, expected):
    assert without_session(url) == expected
