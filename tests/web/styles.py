"""HTML of the test web's pages, in the styles real government sites use.

Chrome as the site guide and the seeds show it: head meta (SiteName, SiteIDCode, ArticleTitle,
PubDate, ContentSource), menus, breadcrumbs 当前位置, a 来源/发布时间 header line, 字体 大 中 小,
打印 / 关闭, 分享到, 上一篇 / 下一篇, footer 主办 / 网站标识码 / ICP备 / 公网安备.
"""
from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any, Sequence

__all__ = ["shell", "article", "item_list", "item_table", "hub", "home", "trs_pager", "next_pager", "info_table",
           "gkmlpt_detail", "gkmlpt_index", "hanweb_column", "hanweb_record"]

e = html.escape


def _meta(name: str, content: str) -> str:
    return f'<meta name="{name}" content="{e(content)}">'


def shell(site: Any, *, title: str, body: str, crumbs: Sequence[tuple[str, str]] = (),
          meta: dict[str, str] | None = None) -> str:
    """A whole page: head meta, top menu, breadcrumbs, *body*, footer."""
    metas = [_meta("SiteName", site.name), _meta("SiteDomain", site.host), _meta("SiteIDCode", site.idcode)]
    metas += [_meta(k, v) for k, v in (meta or {}).items()]
    nav = "".join(f'<li><a href="{e(href)}">{e(text)}</a></li>' for text, href in site.nav)
    crumb = " &gt; ".join(f'<a href="{e(href)}">{e(text)}</a>' for text, href in crumbs)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head>
<meta http-equiv="Content-Type" content="text/html; charset={site.charset}">
<title>{e(title)}</title>
{chr(10).join(metas)}
<link rel="stylesheet" href="/images/style.css">
</head><body>
<div class="top"><div class="top-links"><a href="javascript:void(0)">无障碍浏览</a> | <a href="javascript:void(0)">关怀版</a> |
<a href="javascript:void(0)">简体</a>|<a href="javascript:void(0)">繁体</a> | <a href="/">手机版</a></div>
<div class="logo"><a href="/"><img src="/images/logo.png" alt="{e(site.name)}"></a></div>
<form action="/guestweb4/s" method="get"><input name="searchWord"><input type="hidden" name="siteCode" value="{site.idcode}"><button>搜索</button></form>
<ul class="nav">{nav}</ul></div>
<div class="crumb">当前位置：{crumb}</div>
<div class="main">
{body}
</div>
<div class="footer">
<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="javascript:void(0)">找错</a></p>
<p>主办：{e(site.organizer)}　承办：{e(site.organizer)}大数据中心</p>
<p>地址：{e(site.address)}　邮编：{site.postcode}　电话：{site.phone}</p>
<p>网站标识码：{site.idcode}　<a href="https://beian.miit.gov.cn/">{e(site.icp)}</a>　{e(site.psb)}</p>
<p>友情链接：<a href="http://www.gov.cn/">中国政府网</a> <a href="http://www.cq.gov.cn/">重庆市人民政府</a></p>
</div></body></html>"""


def header_line(style: str, doc: Any) -> str:
    """The line above a report: its source and date as each site writes them."""
    when: dt.datetime = doc.published
    if style == "hechuan":  # as seed 001's crude copy kept it
        return f'<div class="zwxl-info">日期:{when:%Y-%m-%d}来源:{e(doc.source)}</div>'
    if style == "sfj":
        return (f'<div class="info">文章来源:{e(doc.source)} 更新时间:{when:%Y/%m/%d %H:%M:%S}'
                f' 点击数:<span id="hits">128</span></div>')
    if style == "heping":  # as seed 003's crude copy kept it
        return (f'<div class="article-info">作者: 来源:{e(doc.source)} 发布时间:{when:%Y-%m-%d} '
                f'浏览次数:34 【字体:<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
                f'<a href="javascript:doZoom(14)">小</a>】</div>')
    return (f'<div class="info">发布时间：{when:%Y-%m-%d %H:%M} 来源：{e(doc.source)}'
            f' 【字体：<a href="javascript:void(0)">大</a> <a href="javascript:void(0)">中</a> '
            f'<a href="javascript:void(0)">小</a>】 【<a href="javascript:window.print()">打印</a>】</div>')


def info_table(site: Any, doc: Any) -> str:
    """The 政府信息公开 metadata table (gov.cn style and many county portals)."""
    year = doc.published.year
    return f"""<table class="xxgk-table">
<tr><td><b>索引号：</b></td><td>{site.credit_code}/{year}-{doc.seq:05d}</td><td><b>主题分类：</b></td><td>其他</td></tr>
<tr><td><b>发布机构：</b></td><td>{e(doc.issuer or site.organizer)}</td><td><b>成文日期：</b></td><td>{doc.published:%Y-%m-%d}</td></tr>
<tr><td><b>标题：</b></td><td colspan="3">{e(doc.title)}</td></tr>
<tr><td><b>文号：</b></td><td></td><td><b>发布日期：</b></td><td>{doc.published:%Y-%m-%d}</td></tr>
</table>"""


def paragraphs(lines: Sequence[str]) -> str:
    return "\n".join(f"<p>{e(line)}</p>" for line in lines if line.strip())


def pictures(hrefs: Sequence[str]) -> str:
    """Pictures of pages in a body, as editors insert them (a report posted as scans)."""
    return "\n".join(f'<p style="text-align: center;"><img src="{e(h)}" width="600" '
                     f'title="{e(h.rsplit("/", 1)[-1])}" border="0" /></p>' for h in hrefs)


def article(site: Any, doc: Any, *, crumbs: Sequence[tuple[str, str]], prev: Any = None,
            nxt: Any = None) -> str:
    """An article page around doc.body."""
    attachments = ""
    if doc.attachments:
        links = "".join(f'<li><a href="{e(a.href)}">{e(a.label)}</a></li>' for a in doc.attachments)
        attachments = f'<div class="fj"><p>相关附件：</p><ul>{links}</ul></div>'
    table = info_table(site, doc) if site.info_table else ""
    neighbours = ""
    if prev is not None:
        neighbours += f'<p>上一篇：<a href="{e(prev.href)}">{e(prev.title)}</a></p>'
    if nxt is not None:
        neighbours += f'<p>下一篇：<a href="{e(nxt.href)}">{e(nxt.title)}</a></p>'
    share = ('<div class="share">分享到：<a href="javascript:void(0)">微信</a> '
             '<a href="javascript:void(0)">微博</a> <a href="javascript:void(0)">QQ空间</a></div>')
    extra = ""
    if site.style == "hechuan":
        # The blocks seed 001's copy kept after the text.
        share = '<div class="share">分享文章到</div>'
        extra = ('<div class="xgwd"><h4>文件下载</h4></div><div class="xgwd"><h4>相关文档</h4></div>'
                 '<div class="zcwj"><h4>政策文件</h4></div>')
    body = f"""{table}
<div class="article">
<h1 class="title">{e(doc.title)}</h1>
{header_line(site.style, doc)}
<div class="TRS_Editor" id="zoom">
{paragraphs(doc.body)}
{pictures(getattr(doc, "pictures", ()))}
</div>
{attachments}
{share}
{extra}
<div class="tools">【<a href="javascript:window.print()">打印本页</a>】 【<a href="javascript:window.close()">关闭窗口</a>】</div>
<div class="ewm">扫一扫在手机打开当前页</div>
{neighbours}
</div>"""
    meta = {"ColumnName": doc.column_name, "ColumnType": doc.column_name, "ArticleTitle": doc.title,
            "PubDate": f"{doc.published:%Y-%m-%d %H:%M:%S}", "ContentSource": doc.source,
            "Keywords": "法治政府", "Description": doc.title}
    return shell(site, title=f"{doc.title}_{site.name}", body=body, crumbs=crumbs, meta=meta)


def _cut(title: str, limit: int | None) -> str:
    if limit and len(title) > limit:
        return title[:limit] + "..."
    return title


def item_list(items: Sequence[Any], *, cut: int | None = None) -> str:
    lis = "".join(
        f'<li><a href="{e(i.href)}" title="{e(i.title)}" target="_blank">{e(_cut(i.title, cut))}</a>'
        f'<span class="date">{i.published:%Y-%m-%d}</span></li>' for i in items)
    return f'<div class="list"><ul class="list-ul">{lis}</ul></div>'


def trs_pager(pages: int, current: int, func: str = "createPageHTML") -> str:
    return f'<div class="page"><script type="text/javascript">{func}({pages}, {current}, "index", "html");</script></div>'


def next_pager(page_no: int, pages: int, href_for: Any) -> str:
    """首页 上一页 1 2 3 下一页 尾页, as plain links."""
    parts = [f'<a href="{e(href_for(1))}">首页</a>']
    if page_no > 1:
        parts.append(f'<a href="{e(href_for(page_no - 1))}">上一页</a>')
    parts += [f'<a href="{e(href_for(n))}">{n}</a>' if n != page_no else f"<span>{n}</span>"
              for n in range(1, pages + 1)]
    if page_no < pages:
        parts.append(f'<a href="{e(href_for(page_no + 1))}">下一页</a>')
    parts.append(f'<a href="{e(href_for(pages))}">尾页</a>')
    return f'<div class="page">{" ".join(parts)} 共{pages}页</div>'


def home(site: Any, boxes: Sequence[tuple[str, str, Sequence[Any]]]) -> str:
    """A portal home page: menus and a few news boxes."""
    parts = []
    for name, more, items in boxes:
        parts.append(f'<div class="box"><h3>{e(name)}</h3><a class="more" href="{e(more)}">更多&gt;&gt;</a>'
                     f'{item_list(items, cut=20)}</div>')
    return shell(site, title=site.name, body="\n".join(parts), crumbs=[("首页", "/")],
                 meta={"ColumnName": "首页", "ColumnType": "首页"})


def hanweb_record(item: Any) -> str:
    return (f'<li><a href="{e(item.href)}" title="{e(item.title)}" target="_blank">{e(_cut(item.title, 26))}</a>'
            f'<span>{item.published:%Y-%m-%d}</span></li>')


def hanweb_column(site: Any, *, name: str, columnid: str, unitid: str, records: Sequence[Any],
                  crumbs: Sequence[tuple[str, str]]) -> str:
    """A Hanweb JCMS column: the first records in a <datastore>, the rest from dataproxy.jsp."""
    recs = "".join(f"<record><![CDATA[{hanweb_record(r)}]]></record>" for r in records)
    nextgroup = (f'<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid={site.webid}&path=/&'
                 f'columnid={columnid}&unitid={unitid}&webname={e(site.name)}&permissiontype=0"></a>')
    body = f"""<div class="lm-name">{e(name)}</div>
<div id="{unitid}"><script type="text/xml"><datastore><nextgroup><![CDATA[{nextgroup}]]></nextgroup>
<recordset>{recs}</recordset></datastore></script>
<script language="javascript" src="/module/web/jpage/jpage.js"></script></div>"""
    return shell(site, title=f"{name}_{site.name}", body=body, crumbs=crumbs,
                 meta={"ColumnName": name, "ColumnType": name})


def gkmlpt_index(site: Any, sid: str, categories: Sequence[tuple[str, str]]) -> str:
    cats = "".join(f'<li><a href="/gkmlpt/index#{cid}">{e(name)}</a></li>' for cid, name in categories)
    body = f"""<div id="app"><ul class="tree">{cats}</ul><div class="list">正在加载…</div></div>
<script>window._CONFIG = {{ SID: '{sid}', ROOT: '/gkmlpt', SITE_NAME: '{e(site.name)}' }};</script>
<script src="/gkmlpt/static/js/app.js"></script>"""
    return shell(site, title=f"政府信息公开目录_{site.name}", body=body, crumbs=[("首页", "/"), ("政府信息公开", "/gkmlpt/index")],
                 meta={"ColumnName": "政府信息公开目录", "ColumnType": "政府信息公开目录"})


def gkmlpt_detail(site: Any, doc: Any, sid: str) -> str:
    """gkmlpt article: the body only inside window._CONFIG.DETAIL.content (rendered by JS)."""
    detail = {"id": doc.seq, "title": doc.title, "publisher": doc.issuer or site.organizer,
              "date": f"{doc.published:%Y-%m-%d %H:%M:%S}", "identifier": f"{site.credit_code}/{doc.published.year}-{doc.seq:05d}",
              "content": paragraphs(doc.body) + "".join(
                  f'<p><a href="{a.href}">{e(a.label)}</a></p>' for a in doc.attachments)}
    body = f"""<div id="app"><div class="detail"><h1>{e(doc.title)}</h1><div class="content">正在加载…</div></div></div>
<script>window._CONFIG = {{ SID: '{sid}', DETAIL: {json.dumps(detail, ensure_ascii=False)} }};</script>"""
    meta = {"ArticleTitle": doc.title, "PubDate": f"{doc.published:%Y-%m-%d %H:%M:%S}",
            "ContentSource": doc.source, "ColumnName": "政府信息公开"}
    return shell(site, title=f"{doc.title}_{site.name}", body=body,
                 crumbs=[("首页", "/"), ("政府信息公开", "/gkmlpt/index")], meta=meta)


def hub(site: Any, name: str, links: Sequence[tuple[str, str]]) -> str:
    """A navigation page: the sub-columns of 政务公开 / 政府信息公开 / …"""
    items = "".join(f'<li><a href="{e(href)}">{e(text)}</a></li>' for text, href in links)
    body = f'<div class="lm-name">{e(name)}</div><div class="sub-nav"><ul>{items}</ul></div>'
    return shell(site, title=f"{name}_{site.name}", body=body, crumbs=[("首页", "/"), (name, "#")],
                 meta={"ColumnName": name, "ColumnType": name})


def item_table(items: Sequence[Any]) -> str:
    """A gov.cn-style list: a table of title, 发文机关 and date."""
    rows = "".join(
        f'<tr><td class="info"><a href="{e(i.href)}" target="_blank">{e(i.title)}</a></td>'
        f'<td>{e(i.issuer or i.source)}</td><td class="date">{i.published:%Y-%m-%d}</td></tr>' for i in items)
    return (f'<table class="dataList"><tr><th>标题</th><th>发文机关</th><th>发布日期</th></tr>{rows}</table>')
