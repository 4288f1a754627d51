"""Pages in the shapes that defeat a single extraction guess, written after real templates (not
copies of any page): the texts are the seeds' real report text, the chrome is what county portals,
blogs and old table-layout sites put around it.

Each builder returns (html, the main text a careful reader copies out, the title the page gives).
tests/test_pipeline_cascade.py runs them table-driven; tests/web/tablesite.py serves the table
layout on a crawled test site.
"""
from __future__ import annotations

import html as html_lib
from typing import Sequence

from web.texts import seed_body

__all__ = ["SHAPES", "table_layout_page", "related_links", "message_page", "blog_page",
           "portal_page", "report_with_list_page", "short_report_page"]

e = html_lib.escape

# Titles of a 相关链接 / 相关文章 list under a report (the county's other documents).
RELATED = [
    "关于开展2025年度“八五”普法中期评估工作的通知", "县司法局召开2025年全面依法治县工作会议",
    "我县举办领导干部学法用法专题讲座", "县人民政府2024年度重大行政决策事项目录",
    "关于2024年度行政执法统计年报的公告", "县司法局2024年政府信息公开工作年度报告",
    "县2024年度行政复议和行政应诉工作情况", "关于公布县级行政许可事项清单（2025年版）的通知",
    "县人民政府关于废止部分规范性文件的决定", "县司法局关于公开征集2025年度立法建议项目的公告",
    "我县召开法治政府建设示范创建推进会", "县人民政府办公室关于印发2025年政务公开工作要点的通知",
    "关于开展行政执法案卷评查工作的通知", "县司法局2025年度部门预算公开说明",
    "县公共法律服务中心2024年工作情况", "关于2024年度法治政府建设考核结果的通报",
    "我县开展“宪法宣传周”系列活动", "县人民政府法律顾问工作规则",
    "关于进一步规范涉企行政检查的通知", "县司法局2024年度部门决算公开说明",
    "县矛盾纠纷多元化解工作情况通报", "关于开展人民调解员业务培训的通知",
    "县2024年法律援助工作情况", "县人民政府关于调整县行政复议委员会组成人员的通知",
    "我县启动“法律明白人”培养工程", "关于公布县级行政执法主体名单的公告",
    "县司法局关于社区矫正工作的情况通报", "县2025年普法依法治理工作要点",
    "县人民政府关于印发重大行政决策程序规定的通知", "我县开展民营企业“法治体检”活动",
]


def related_links(n: int = 30, *, table: bool = False, prefix: str = "/zwgk/xxgk/") -> str:
    """The 相关链接 block under a report: n titles with dates, as a list or as table rows."""
    items = [(RELATED[i % len(RELATED)], f"2025-0{1 + i % 3}-{10 + i % 18:02d}", f"{prefix}t2025{i:04d}.html")
             for i in range(n)]
    if table:
        rows = "".join(f'<tr><td width="4%"><img src="/images/dot.gif"></td>'
                       f'<td width="76%"><a href="{href}" target="_blank" class="link12">{e(t)}</a></td>'
                       f'<td width="20%" class="date">[{d}]</td></tr>' for t, d, href in items)
        return (f'<table width="100%" border="0" cellspacing="0" cellpadding="0" class="xglj">'
                f'<tr><td colspan="3" class="xglj-t"><b>相关链接</b></td></tr>{rows}</table>')
    lis = "".join(f'<li>·<a href="{href}" title="{e(t)}">{e(t)}</a> ({d})</li>' for t, d, href in items)
    return f'<div class="xgwz"><div class="xgwz-t">相关文章</div><ul>{lis}</ul></div>'


def _head(title: str, site: str, meta: dict[str, str] | None = None, charset: str = "utf-8") -> str:
    metas = "".join(f'<meta name="{k}" content="{e(v)}">' for k, v in (meta or {}).items())
    return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f'<title>{e(title)}_{e(site)}</title>{metas}</head>')


def table_layout_page(title: str, body: Sequence[str], *, site: str, source: str, date: str,
                      related: int = 30, site_code: str = "", charset: str = "utf-8") -> str:
    """An old table-layout article page (Dreamweaver era, still common on county department
    sites): fixed-width tables, the title in one cell, each paragraph in a row of its own in a
    table nested two deep, no known container class, and a long 相关链接 table under the text."""
    rows = "".join(f'<tr><td class="nr" style="line-height:28px">　　{e(p)}</td></tr>' for p in body if p.strip())
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
{_head(title, site, charset=charset)}
<body leftmargin="0" topmargin="0">
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td height="120" background="/images/top.jpg"><img src="/images/logo.gif" alt="{e(site)}"></td></tr>
<tr><td class="nav"><a href="/">首页</a> | <a href="/zwgk/">政务公开</a> | <a href="/xxgk/">信息公开</a> |
<a href="/bsfw/">办事服务</a> | <a href="/hdjl/">互动交流</a> | <a href="/fzzf/">法治政府</a></td></tr>
</table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td width="240" valign="top" class="left">
  <table width="100%"><tr><td class="lm">栏目导航</td></tr>
  <tr><td><a href="/xxgk/tzgg/">通知公告</a></td></tr><tr><td><a href="/xxgk/zcwj/">政策文件</a></td></tr>
  <tr><td><a href="/xxgk/fzzfjsndbg/">法治政府建设年度报告</a></td></tr><tr><td><a href="/xxgk/ghjh/">规划计划</a></td></tr></table>
</td>
<td width="760" valign="top">
  <table width="100%" border="0" cellspacing="0" cellpadding="0">
  <tr><td class="wz">您现在的位置：<a href="/">首页</a> &gt;&gt; <a href="/xxgk/">信息公开</a> &gt;&gt; 法治政府建设年度报告</td></tr>
  <tr><td>
    <table width="96%" align="center" border="0" cellspacing="0" cellpadding="0">
    <tr><td height="50" align="center" class="bt"><font size="4"><b>{e(title)}</b></font></td></tr>
    <tr><td align="center" class="ly">文章来源：{e(source)}　　发布时间：{date}　　点击数：<script>document.write(312)</script></td></tr>
    <tr><td><table width="100%" border="0" cellspacing="0" cellpadding="0">{rows}</table></td></tr>
    <tr><td align="right">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>
    </table>
    {related_links(related, table=True) if related else ""}
  </td></tr></table>
</td></tr></table>
<table width="1000" align="center"><tr><td class="foot" align="center">主办：{e(site)}　{f"网站标识码：{site_code}　" if site_code else ""}ICP备05001234号<br>
技术支持：某某网络科技有限公司　地址：县府路1号</td></tr></table>
</body></html>"""


def message_page() -> tuple[str, str, str]:
    """A 征求意见 notice (a short text) above the thread of comments on it, each a linked title
    with the commenter, time and length (a forum template): the thread holds far more text than
    the notice, and most of it in links."""
    title = "关于公开征求《XX县行政执法公示办法（征求意见稿）》意见的公告"
    notice = ["为进一步规范行政执法行为，推进严格规范公正文明执法，县司法局起草了《XX县行政执法公示办法（征求意见稿）》，"
              "现向社会公开征求意见。",
              "征求意见时间为2025年3月1日至3月31日。社会各界可通过本页面留言、电子邮件或信函方式提出意见建议，"
              "信函请寄县司法局行政执法协调监督科，并在信封上注明“征求意见”字样。",
              "公众提出的意见建议，县司法局将认真研究，合理的予以采纳，并在办法正式印发时一并说明意见采纳情况。",
              "附件：XX县行政执法公示办法（征求意见稿）"]
    users = ["热心市民", "老街坊", "一名执法人员", "法律工作者", "个体户老王", "社区网格员"]
    rows = "".join(f'<li><a href="/hdjl/yjzj/t{1000 + i}.html">{e("建议" + r.replace("关于", "").replace("的通知", ""))}</a>'
                   f'【{users[i % len(users)]}】03-{1 + i % 27:02d} {9 + i % 9}:{10 + i % 49:02d} {40 + 7 * i}字 [{120 + i}/{i % 3}]</li>'
                   for i, r in enumerate(RELATED + RELATED[:12]))
    page = f"""{_head(title, "XX县人民政府")}<body>
<div class="head"><a href="/">首页</a> <a href="/hdjl/">互动交流</a> <a href="/hdjl/yjzj/">意见征集</a></div>
<div class="wrap"><div class="thread">
<div class="post first"><div class="post-t">{e(title)}</div><div class="post-c">{"".join(f"<p>{e(p)}</p>" for p in notice)}</div></div>
<ul class="replies">{rows}</ul>
</div></div>
<div class="foot">主办：XX县人民政府办公室 版权所有</div></body></html>"""
    return page, "\n".join(notice), title


def blog_page() -> tuple[str, str, str]:
    """A blog's post page that shows the newest posts too (classic blog templates): the page's
    post is the second of three, each in the same markup; only <title> tells which it is."""
    posts = [
        ("周末随笔：春天的山路", ["周末沿着老县城后面的山路走了一圈，路边的油菜花已经开了，村里正在修新的步道。",
                             "山顶的亭子重新刷了漆，几位老人在下棋，说这条路今年还要接到水库边上。"] * 3),
        ("读《法治政府建设年度报告》的一点体会", seed_body("003")[2:9]),
        ("去年的读书清单", ["去年读了二十多本书，印象最深的是几本地方志和一本讲基层治理的调查笔记。",
                       "地方志里的人物和事件，常常能在今天的村镇里找到回声。"] * 3),
    ]
    blocks = "".join(
        f'<div class="post"><h2 class="post-title"><a href="/blog/{i}.html">{e(t)}</a></h2>'
        f'<div class="post-meta">发表于 2025-03-0{i + 1} | 分类：随笔</div>'
        f'<div class="post-body">{"".join(f"<p>{e(p)}</p>" for p in body)}</div>'
        f'<div class="post-foot">阅读(12) | 评论(0)</div></div>' for i, (t, body) in enumerate(posts))
    page = f"""<html><head><meta charset="utf-8"><title>{e(posts[1][0])} - 山城读书人的博客</title></head><body>
<div id="header"><h1>山城读书人的博客</h1><p>记录读书与生活</p></div>
<div id="main">{blocks}</div>
<div id="sidebar"><h3>分类</h3><ul><li><a href="/c/1">随笔</a></li><li><a href="/c/2">读书</a></li></ul></div>
</body></html>"""
    return page, "\n".join(posts[1][1]), posts[1][0]


def portal_page() -> tuple[str, str, str]:
    """A portal's report page with a 相关报道 block of summaries beside it: the summaries, each
    with its own heading and lead paragraph, hold more text than the report's short notice."""
    title = "XX区2024年法治政府建设年度报告"
    notice = [f"根据《法治政府建设与责任落实督察工作规定》，现将{title}予以公开。",
              "2024年，区政府深入学习贯彻习近平法治思想，认真落实党中央、国务院关于法治政府建设的决策部署，"
              "严格规范公正文明执法，持续深化行政复议体制改革，全年办理行政复议案件216件，"
              "行政机关负责人出庭应诉率保持100%，法治政府建设取得新成效。同时也存在基层执法力量不足、"
              "普法针对性不强等问题，区政府将在2025年持续加以改进。报告全文见附件。",
              "附件：XX区2024年法治政府建设年度报告.pdf"]
    summaries = [(r, "记者从区司法局获悉，" + r.replace("关于", "") + "，相关工作已全面启动。区司法局有关负责人表示，"
                  "将以此为契机，进一步压实工作责任，细化工作措施，确保各项任务落到实处，推动全区法治建设再上新台阶。")
                 for r in RELATED[:6]]
    side = "".join(f'<div class="bd-item"><h3><a href="/xwzx/{i}.html">{e(t)}</a></h3><p>{e(p)}</p></div>'
                   for i, (t, p) in enumerate(summaries))
    page = f"""{_head(title, "XX区人民政府", {"ArticleTitle": title, "PubDate": "2025-03-20 10:00:00", "ContentSource": "区司法局"})}
<body><div class="top"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>
<div class="container"><div class="left-col">
<div class="art-h"><h2>{e(title)}</h2><div class="art-info">发布时间：2025-03-20 来源：区司法局</div></div>
<div class="art-txt">{"".join(f"<p>{e(p)}</p>" for p in notice[:2])}<p><a href="/files/ndbg2024.pdf">{e(notice[2])}</a></p></div>
</div>
<div class="right-col"><div class="bd"><div class="bd-t">相关报道</div>{side}</div></div></div>
<div class="foot">主办：XX区人民政府办公室</div></body></html>"""
    return page, "\n".join(notice), title


def report_with_list_page() -> tuple[str, str, str]:
    """A report and, in the same content box, the column's other items under it (a template
    that shows the list on every article page)."""
    title = "和平县司法局2024年法治政府建设年度报告"
    body = seed_body("003")[1:]
    page = f"""{_head(title, "和平县人民政府")}<body>
<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>
<div class="content-box"><div class="c-title">{e(title)}</div>
<div class="c-info">发布时间：2025-02-05 来源：和平县司法局</div>
{"".join(f"<p>{e(p)}</p>" for p in body if p.strip())}
<div class="c-list-t">本栏目其他信息</div>
<ul class="c-list">{"".join(f'<li><a href="/zwgk/{i}.html">{e(t)}</a><span>2025-01-{1 + i % 28:02d}</span></li>' for i, t in enumerate(RELATED))}</ul>
</div><div class="foot">主办：和平县人民政府办公室 网站标识码：4416240001</div></body></html>"""
    return page, "\n".join(p.strip() for p in body if p.strip()), title


def short_report_page() -> tuple[str, str, str]:
    """A report published as a short page (its text in a PDF), the notice split over cells of a
    layout table next to a long list: too little text for the own extractor's block."""
    title = "2024年度法治政府建设情况报告"
    notice = ("现将XX镇人民政府2024年度法治政府建设情况报告予以公布。2024年，镇党委、镇政府坚持以习近平法治思想为指导，"
              "全面落实法治政府建设各项任务，重大行政决策程序、行政执法“三项制度”、镇村法律顾问全覆盖等工作扎实推进，"
              "全年调处矛盾纠纷86件，开展送法进村活动24场。工作中仍存在村级法律顾问作用发挥不够充分等问题，"
              "2025年镇政府将进一步健全依法决策机制。"
              "报告全文详见附件，欢迎社会各界监督。")
    page = table_layout_page(title, [notice, "附件：2024年度法治政府建设情况报告.docx"], site="XX镇人民政府",
                             source="镇党政办", date="2025-03-01", related=30)
    return page, notice + "\n附件：2024年度法治政府建设情况报告.docx", title


def report_in_cell_page() -> tuple[str, str, str]:
    """A report typed into one layout cell, its 相关链接 list in the same cell after a few <br>:
    most of the cell's characters are links, yet it holds one dominant text."""
    title = "XX街道2024年法治政府建设工作情况报告"
    body = ["2024年，XX街道党工委、办事处坚持以习近平法治思想为指导，认真贯彻落实区委、区政府关于法治政府建设的决策部署，"
            "依法全面履行职能，推进基层依法治理，全年办理行政执法案件36件，调处矛盾纠纷128件。现将有关情况报告如下。",
            "一、主要举措和成效。街道严格落实重大行政决策程序，组织法律顾问审查合同和文件42份，开展“法律明白人”培训6场。",
            "二、存在的不足。基层执法力量仍显不足，执法人员专业素质有待提高。",
            "三、下一步工作安排。持续推进街道综合行政执法规范化建设，深化“枫桥经验”，做好矛盾纠纷源头化解。"]
    links = "".join(f'<br>·<a href="/xxgk/{i}.html">{e(t)}</a>' for i, t in enumerate(RELATED + RELATED))
    text = "<br>".join(f"　　{e(p)}" for p in body)
    page = f"""{_head(title, "XX区人民政府")}<body><table width="980" align="center"><tr><td class="main">
<font size="4"><b>{e(title)}</b></font><br>发布日期：2025-03-10　来源：XX街道办事处<br>{text}<br><br><b>相关链接</b>{links}
</td></tr></table><div class="foot">主办：XX区人民政府办公室</div></body></html>"""
    return page, "\n".join(body), title


def _table_layout() -> tuple[str, str, str]:
    title = "酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告"
    body = [p for p in seed_body("000")[2:] if p.strip()]
    page = table_layout_page(title, body, site="酉阳土家族苗族自治县司法局", source="县司法局",
                             date="2025-01-20", related=30, site_code="5002420002")
    return page, "\n".join(p.strip() for p in body), title


# name -> builder; what each must give is in tests/test_pipeline_cascade.py.
SHAPES = {
    "table_layout": _table_layout, "message": message_page, "blog": blog_page, "portal": portal_page,
    "report_with_list": report_with_list_page, "short_report": short_report_page,
    "report_in_cell": report_in_cell_page,
}
