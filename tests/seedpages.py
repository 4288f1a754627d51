"""The five seeds as published: each one's web page (a TRS-style article template, as county
portals serve them) and its document as a report file holds it (title lines, body, signature).

The page is what a site's CMS makes of the document: head meta (ArticleTitle, PubDate,
ContentSource, SiteIDCode), menus, breadcrumbs, a 今天是… clock, the title in h1, a 来源/发布时间
line with 字体 大 中 小, the body in a TRS_Editor, an attachment link, 打印/关闭, 分享到,
上一篇/下一篇 and the footer (主办, 网站标识码, ICP备, 公网安备, 地址, 技术支持). The file is the
document alone, with the document's own artefacts (`[bookmark: _GoBack]`, `**二是**`, paragraphs
broken by an export, `##paidend##`), which the page's body shows too.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path

import filebuilders as fb

__all__ = ["Published", "PUBLISHED", "FORMATS", "seed_text", "document_lines", "body_lines", "article_url",
           "article_page", "build"]

SEED_DIR = Path(__file__).resolve().parent / "data" / "seeds"


@dataclass(frozen=True)
class Published:
    """How a seed is published: the page's facts, and which seed lines are page chrome."""

    title: str
    site: str  # SiteName, also the part of <title> after the article title
    idcode: str  # 网站标识码
    host: str
    source: str  # 来源 / ContentSource
    published: dt.datetime  # PubDate and the 发布时间 line
    charset: str = "utf-8"
    # The document's own title lines as the file has them (the page body may repeat them).
    title_lines: tuple[str, ...] = ()
    body_repeats_title: bool = False
    # Seed lines that are page chrome (a crude copy of the page kept them): not in the document.
    chrome: tuple[str, ...] = ()
    footer_from: str | None = None


PUBLISHED: dict[str, Published] = {
    "000": Published("酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告", "酉阳土家族苗族自治县人民政府",
                     "5002420001", "www.youyang.gov.cn", "县司法局", dt.datetime(2025, 1, 20, 10, 12),
                     title_lines=("酉阳土家族苗族自治县司法局", "关于2024年法治政府建设情况的报告"),
                     body_repeats_title=True),
    # The seed copy has no title line: the page gives the title; the file has its own title line.
    "001": Published("重庆市合川区司法局2024年法治政府建设年度报告", "重庆市合川区人民政府", "5001170002",
                     "www.hechuan.gov.cn", "区司法局", dt.datetime(2025, 1, 24, 16, 5), charset="gbk",
                     title_lines=("重庆市合川区司法局2024年法治政府建设年度报告",),
                     chrome=(r"^日期:2025-01-24来源:区司法局$",), footer_from="分享文章到"),
    "002": Published("酉阳土家族苗族自治县人民政府关于2023年法治政府建设情况的报告", "酉阳土家族苗族自治县人民政府",
                     "5002420001", "www.youyang.gov.cn", "县政府办公室", dt.datetime(2024, 2, 28, 17, 30),
                     title_lines=("酉阳土家族苗族自治县人民政府", "关于 2023 年法治政府建设情况的报告"),
                     body_repeats_title=True),
    "003": Published("和平县司法局2024年法治政府建设年度报告", "和平县人民政府", "4416240001", "www.heping.gov.cn",
                     "本网", dt.datetime(2025, 2, 5, 9, 0), charset="gb2312",
                     title_lines=("和平县司法局2024年法治政府建设年度报告",),
                     chrome=(r"^和平县司法局2024年法治政府建设年度报告$", r"^作者: 来源:本网 发布时间")),
    "004": Published("XX区司法局2023年工作总结及2024年工作思路", "XX区人民政府", "3301100001", "www.xx.gov.cn",
                     "区司法局", dt.datetime(2024, 1, 15, 15, 20),
                     title_lines=("XX区司法局2023年工作总结及2024年工作思路",)),
}


def seed_text(key: str) -> str:
    (path,) = SEED_DIR.glob(f"{key}_*.txt")
    return path.read_text("utf-8")


def document_lines(key: str) -> list[str]:
    """The document as its file holds it: title lines, body, signature; no page chrome."""
    spec = PUBLISHED[key]
    lines = [line.strip() for line in seed_text(key).splitlines() if line.strip()]
    if spec.footer_from:
        lines = lines[:lines.index(spec.footer_from)]
    lines = [line for line in lines if not any(re.search(p, line) for p in spec.chrome)]
    if lines[:len(spec.title_lines)] != list(spec.title_lines):
        lines = list(spec.title_lines) + lines
    return lines


def body_lines(key: str) -> list[str]:
    """The lines the page's content area shows."""
    spec = PUBLISHED[key]
    lines = document_lines(key)
    return lines if spec.body_repeats_title else lines[len(spec.title_lines):]


def article_url(key: str, *, site_of: str | None = None) -> str:
    """The page's URL: a TRS path with its release date (`…/202501/t20250120_6583950.html`)."""
    spec, host = PUBLISHED[key], PUBLISHED[site_of or key].host
    return f"http://{host}/zwgk/fzzfjs/{spec.published:%Y%m}/t{spec.published:%Y%m%d}_{int(key) + 6583950}.html"


def article_page(key: str, *, site_of: str | None = None, dated: bool = True, under_title: str = "",
                 body_end: str = "", footer: str = "") -> bytes:
    """The seed's page on its site (or on the site of seed `site_of`), in the site's charset.
    `dated=False` leaves out PubDate and the 发布时间 of the info line; `under_title`, `body_end`
    and `footer` add a template's own HTML under the h1, at the end of the content area and to
    the footer."""
    doc = PUBLISHED[key]
    spec = dataclasses.replace(PUBLISHED[site_of or key], title=doc.title, source=doc.source,
                               published=doc.published)
    e = html.escape
    when = spec.published
    pubdate = f'<meta name="PubDate" content="{when:%Y-%m-%d %H:%M}">' if dated else ""
    released = f"　发布时间：{when:%Y-%m-%d %H:%M}" if dated else ""
    body = "\n".join(f'<p style="text-indent:2em;">{e(line)}</p>' for line in body_lines(key))
    page = f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset={spec.charset}" />
<title>{e(spec.title)}_{e(spec.site)}</title>
<meta name="SiteName" content="{e(spec.site)}"><meta name="SiteDomain" content="{spec.host}">
<meta name="SiteIDCode" content="{spec.idcode}"><meta name="ColumnName" content="法治政府建设">
<meta name="ColumnType" content="法治政府建设"><meta name="ArticleTitle" content="{e(spec.title)}">
{pubdate}<meta name="ContentSource" content="{e(spec.source)}">
<meta name="Keywords" content="法治政府"><meta name="Description" content="{e(spec.title)}">
<script src="/images/jquery.min.js"></script>
<script>var _hmt = _hmt || []; function doZoom(size) {{ document.getElementById('zoom').style.fontSize = size + 'px'; }}</script>
</head><body>
<div class="top"><a href="javascript:void(0)">无障碍浏览</a> | <a href="javascript:void(0)">关怀版</a> |
<a href="javascript:void(0)">简体</a>|<a href="javascript:void(0)">繁体</a> | <a href="/wap/">手机版</a>
<span id="today">今天是：2025年3月1日 星期六</span></div>
<div class="logo"><a href="/"><img src="/images/logo.png" alt="{e(spec.site)}"></a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li>
<li><a href="/hdjl/">互动交流</a></li><li><a href="/zjxx/">走进本地</a></li></ul>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/fzzfjs/">法治政府建设</a></div>
<div class="main"><div class="article">
<h1 class="title">{e(spec.title)}</h1>{under_title}
<div class="info">来源：{e(spec.source)}{released}　浏览次数：<span id="hits">128</span>
　【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</div>
<div class="TRS_Editor" id="zoom"><div class="TRS_PreAppend">
{body}{body_end}
</div></div>
<div class="fj"><p>附件：<a href="./P0{when:%Y%m%d}512345678901.pdf">{e(spec.title)}.pdf</a></p></div>
<div class="share">分享到：<a href="javascript:void(0)">微信</a> <a href="javascript:void(0)">微博</a> <a href="javascript:void(0)">QQ空间</a></div>
<div class="tools">【<a href="javascript:window.print()">打印本页</a>】 【<a href="javascript:window.close()">关闭窗口</a>】</div>
<div class="ewm">扫一扫在手机打开当前页</div>
<p>上一篇：<a href="./t20250110_6583901.html">关于公开招聘2025年度社区工作者的公告</a></p>
<p>下一篇：<a href="./t20250128_6583999.html">关于做好2025年春节期间安全生产工作的通知</a></p>
</div></div>
<div class="footer">
<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="javascript:void(0)">找错</a></p>
<p>主办：{e(spec.site)}办公室　承办：{e(spec.site)}大数据中心</p>
<p>地址：{e(spec.site)}行政中心　邮编：409800　电话：023-75552345</p>
<p>网站标识码：{spec.idcode}　<a href="https://beian.miit.gov.cn/">渝ICP备05003300号</a>　渝公网安备 50024202000101号</p>
<p>技术支持：拓尔思信息技术股份有限公司</p>{footer}
</div></body></html>"""
    return page.encode("gb18030" if spec.charset in ("gbk", "gb2312") else spec.charset)


FORMATS = ("html", "pdf", "docx", "doc", "wps", "ofd", "text")


def build(key: str, fmt: str) -> tuple[bytes, str]:
    """(bytes, file name) of the seed's document in one format."""
    lines = document_lines(key)
    if fmt == "html":
        return article_page(key), Path(article_url(key)).name
    if fmt == "pdf":
        return fb.build_pdf(lines), "report.pdf"
    if fmt == "docx":
        return fb.build_docx(lines), "report.docx"
    if fmt in ("doc", "wps"):
        return fb.build_doc(lines), f"report.{fmt}"
    if fmt == "ofd":
        return fb.build_ofd(lines), "report.ofd"
    return "\r\n".join(lines).encode("gb18030"), "report.txt"
