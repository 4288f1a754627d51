"""A site unlike any other in the test web: an old table-layout county department site (GB2312,
Dreamweaver-era fixed-width tables, no CMS container class), whose report page has each paragraph
in a row of a nested table and a long 相关链接 table under the text (tests/shapes.py renders it).

    info = build_table_site(tmp_path / "web" / "sites")   # then TestWeb(tmp_path / "web" / "sites")
    crawl info["column"]; info["report"] is what the stored report must show.
"""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from shapes import table_layout_page

from .texts import synthetic_report

__all__ = ["build_table_site", "HOST"]

HOST = "sfj.xialu.gov.cn"
SITE = "黄石市下陆区司法局"
COLUMN = "/xxgk/fzzfjsndbg/index.html"
CHARSET = "gb2312"
e = html.escape


def _list_page(items: list[tuple[str, str, str]]) -> str:
    """The column: a table of items, titles cut at 20 characters as the template does."""
    rows = "".join(
        f'<tr><td width="5%"><img src="/images/dot.gif"></td><td width="75%"><a href="{href}" title="{e(title)}" '
        f'target="_blank">{e(title if len(title) <= 20 else title[:20] + "...")}</a></td>'
        f'<td width="20%" class="date">{date}</td></tr>' for title, date, href in items)
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset={CHARSET}">
<title>法治政府建设年度报告_{SITE}</title></head><body>
<table width="1000" align="center"><tr><td><img src="/images/logo.gif" alt="{SITE}"></td></tr>
<tr><td class="nav"><a href="/">首页</a> | <a href="/xxgk/">信息公开</a> | <a href="/xxgk/fzzfjsndbg/">法治政府建设年度报告</a></td></tr></table>
<table width="1000" align="center"><tr><td width="240" class="left"><a href="/xxgk/tzgg/">通知公告</a></td>
<td width="760" valign="top"><table width="100%"><tr><td class="lm">法治政府建设年度报告</td></tr>
<tr><td><table width="100%">{rows}</table></td></tr><tr><td align="center">共1页 第1页</td></tr></table></td></tr></table>
<table width="1000" align="center"><tr><td align="center">主办：{SITE}　网站标识码：4202040002</td></tr></table>
</body></html>"""


def build_table_site(sites_dir: Path) -> dict[str, Any]:
    """Write the site under *sites_dir*; return its column URL and the planted report."""
    base = Path(sites_dir) / HOST
    files = base / "files"
    title = f"{SITE}2024年法治政府建设年度报告"
    body = synthetic_report(SITE, "下陆区", 2024, "tablesite")
    report_href = "/xxgk/fzzfjsndbg/202503/t20250303_1187.html"
    decoy_href = "/xxgk/fzzfjsndbg/202503/t20250310_1190.html"
    decoy = f"【图解】{title}"
    pages = {
        report_href: table_layout_page(title, body, site=SITE, source="区司法局", date="2025-03-03",
                                       related=30, site_code="4202040002", charset=CHARSET),
        decoy_href: table_layout_page(decoy, ["一图读懂下陆区司法局2024年法治政府建设年度报告。"], site=SITE,
                                      source="区司法局", date="2025-03-10", related=8, charset=CHARSET),
        COLUMN: _list_page([(decoy, "2025-03-10", decoy_href), (title, "2025-03-03", report_href),
                            ("下陆区司法局2025年度部门预算公开说明", "2025-02-14", "/xxgk/yjs/t20250214_1101.html")]),
        "/index.html": _list_page([(title, "2025-03-03", report_href)]).replace(
            "法治政府建设年度报告_", "首页_"),
    }
    for href, text in pages.items():
        target = files / href.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode(CHARSET, "xmlcharrefreplace"))
    (files / "robots.txt").write_bytes(b"User-agent: *\nDisallow:\n")
    (base / "site.json").write_text(json.dumps({"host": HOST, "charset": CHARSET, "faults": {}}), "utf-8")
    return {"column": f"http://{HOST}{COLUMN}", "decoy": f"http://{HOST}{decoy_href}",
            "report": {"title": title, "issuer": SITE, "report_year": 2024, "published_at": "2025-03-03",
                       "url": f"http://{HOST}{report_href}", "body": body}}
