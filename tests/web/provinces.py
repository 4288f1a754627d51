"""The provinces web: a province portal whose navigation page links to its cities' and counties'
portals, each linking its departments' sites, for discovery (`govreports sources discover`).

    web = build_provinces(tmp_path / "web")            # or scale="small" for a few portals
    with TestWeb(web.sites_dir) as server: ...          # reached through server.proxy_url

吉林省 (www.jl.gov.cn), as real provincial portals list their governments:
- the home page: menus (政府网站导航 -> /zfwzdh/), a 省政府部门 group in the footer (吉林省司法厅),
  a 友情链接 group with 中国政府网 and a news site (中国吉林网, www.chinajilin.com.cn: no gov.cn
  host, no 网站标识码: never a source), a map of places linking 前郭县 by its name alone;
- /zfwzdh/: the 9 prefectures in a table under 市（州）政府网站, counties in a list under
  县（市、区）政府网站, in a <select>, in a JavaScript array (objects, and "name|url" strings);
- every city's and county's portal (TRS or Hanweb chrome, GBK on some) lists its departments
  (部门网站 section, <select>, footer group, JS array) with the justice bureau's own site
  (sfj.<portal domain>, a report column), sometimes a department's column on the portal itself
  (教育局), a court (not a government department) and a closed 档案局 site;
- 公主岭市's link answers 301 to its new host, 东丰县's old host a 网站已迁移 page naming the
  new one, 安图县's portal fails (503), 宽城区 is listed on 长春市's portal only (depth 2).
Plus 北京市, 天津市, 辽宁省 (-> 沈阳市) with 朝阳区 and 和平区, names only their parent settles,
and 朝阳 (朝阳市 or 朝阳县?) that only the site's 网站标识码 settles.

`ProvinceWeb.sources` lists what discovery from the province at depth 2 must register (name, division
code, issuer, kind, state, successor); `.not_sources` what it must not; `.coverage` the status of
every government of the province for 2024; `.reports` the planted reports.
"""
from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.divisions import department_issuer, division, government_name, place_name

from .build import Column, Doc, Hub, Site, render_site
from .texts import synthetic_report

__all__ = ["build_provinces", "ProvinceWeb", "PROVINCE_URL", "OTHER_PROVINCES"]

D = dt.datetime
e = html.escape
YEAR = 2024
PROVINCE_URL = "http://www.jl.gov.cn/"
OTHER_PROVINCES = ["http://www.beijing.gov.cn/", "http://www.tj.gov.cn/", "http://www.ln.gov.cn/"]
ON_TIME, LATE = D(2025, 3, 12, 9, 30), D(2025, 4, 15, 10, 0)


@dataclass
class Portal:
    """A government's portal as planted: where it is listed and how."""

    code: str
    host: str
    listed: str  # table | section | select | script | pipe | name | city | none
    text: str = ""  # the link text (default: the division's name)
    report: str = "on_time"  # on_time | late | none
    fault: str = ""  # moved | notice | failing
    new_host: str = ""  # where a moved site went
    charset: str = "utf-8"
    chrome: str = "trs"  # trs | hanweb
    dept_dialect: int = 0  # 0 section, 1 select, 2 footer group, 3 JS array
    justice_report: str = "on_time"
    extras: tuple[str, ...] = ()  # column (教育局 on the portal) | court | closed (档案局)


_CITIES = [
    Portal("220100", "www.changchun.gov.cn", "table", chrome="hanweb", dept_dialect=0,
           justice_report="late", extras=("column", "court")),
    Portal("220200", "www.jlcity.gov.cn", "table", charset="gbk", dept_dialect=1),
    Portal("220300", "www.siping.gov.cn", "table", dept_dialect=2),
    Portal("220400", "www.liaoyuan.gov.cn", "table", chrome="hanweb", dept_dialect=3),
    Portal("220500", "www.tonghua.gov.cn", "table", charset="gbk", dept_dialect=0),
    Portal("220600", "www.cbs.gov.cn", "table", dept_dialect=1),
    Portal("220700", "www.jlsy.gov.cn", "table", dept_dialect=2),
    Portal("220800", "www.jlbc.gov.cn", "table", report="none", dept_dialect=3),
    Portal("222400", "www.yanbian.gov.cn", "table", text="延边州", chrome="hanweb", dept_dialect=0),
]
_COUNTIES = [
    Portal("220104", "www.ccchaoyang.gov.cn", "section", dept_dialect=1),
    Portal("220102", "www.ccnanguan.gov.cn", "section", charset="gbk", dept_dialect=2),
    Portal("220122", "www.nongan.gov.cn", "section", text="农安县人民政府", dept_dialect=3,
           extras=("column",)),
    Portal("220204", "www.jlcy.gov.cn", "section", chrome="hanweb", dept_dialect=0),
    Portal("220281", "www.jiaohe.gov.cn", "section", report="late", dept_dialect=1),
    Portal("220184", "www.gongzhuling.gov.cn", "section", fault="moved", new_host="www.gzl.gov.cn",
           dept_dialect=2),
    Portal("220322", "www.lishu.gov.cn", "select", report="none", charset="gbk", dept_dialect=3),
    Portal("220382", "www.shuangliao.gov.cn", "select", dept_dialect=0, extras=("closed", "court")),
    Portal("220582", "www.ja.gov.cn", "select", chrome="hanweb", dept_dialect=1, justice_report="none"),
    Portal("220881", "www.taonan.gov.cn", "select", dept_dialect=2),
    Portal("220421", "www.dongfeng.gov.cn", "select", fault="notice", new_host="www.jldf.gov.cn",
           dept_dialect=3),
    Portal("222401", "www.yanji.gov.cn", "script", charset="gbk", dept_dialect=0),
    Portal("222403", "www.dunhua.gov.cn", "script", dept_dialect=1),
    Portal("222404", "www.hunchun.gov.cn", "script", chrome="hanweb", dept_dialect=2),
    Portal("222426", "www.antu.gov.cn", "script", fault="failing", report="none"),
    Portal("220182", "www.yushu.gov.cn", "pipe", dept_dialect=3),
    Portal("220183", "www.dehui.gov.cn", "pipe", charset="gbk", dept_dialect=0),
    Portal("220721", "www.qianguo.gov.cn", "name", text="前郭县", dept_dialect=1),
    Portal("220103", "www.cckc.gov.cn", "city"),  # on 长春市's portal: depth 2, not read further
]
_SMALL = {"220100", "220104", "220281", "220322"}


@dataclass
class ProvinceWeb:
    root: Path
    sites_dir: Path
    province_url: str = PROVINCE_URL
    sources: list[dict[str, Any]] = field(default_factory=list)
    not_sources: list[str] = field(default_factory=list)
    coverage: dict[tuple[str, str], str] = field(default_factory=dict)
    reports: list[dict[str, Any]] = field(default_factory=list)
    other_sources: list[dict[str, Any]] = field(default_factory=list)

    def source(self, name: str) -> dict[str, Any]:
        return next(s for s in self.sources if s["name"] == name)


# ------------------------------------------------------------------ page chrome
def _page(p: dict[str, Any], title: str, body: str, *, footer_extra: str = "") -> str:
    """A portal page in the chrome of its site system: head meta (SiteName, SiteIDCode), menus,
    the footer with 主办, 网站标识码, ICP and 公网安备 marks."""
    nav = "".join(f'<li><a href="{e(h)}">{e(t)}</a></li>' for t, h in p["nav"])
    meta = (f'<meta name="SiteName" content="{e(p["name"])}">\n<meta name="SiteDomain" content="{p["host"]}">\n'
            f'<meta name="SiteIDCode" content="{p["idcode"]}">\n<meta name="ColumnName" content="首页">')
    footer = (f'<p>主办：{e(p["organizer"])}　承办：{e(p["organizer"])}政务公开办</p>'
              f'<p>网站标识码：{p["idcode"]}　<a href="https://beian.miit.gov.cn/">吉ICP备{p["idcode"][-6:]}号</a>'
              f'　吉公网安备 {p["idcode"]}2号</p>'
              f'<p><a href="http://bszs.conac.cn/sitename?method=show&amp;id=5C1B3E">党政机关</a>'
              f' <a href="/wzdt/">网站地图</a> <a href="/lxwm/">联系我们</a></p>')
    if p["chrome"] == "hanweb":
        return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={p['charset']}">
<title>{e(title)}</title>
{meta}
<script type="text/javascript" src="/module/jslib/jquery/jquery.js"></script>
</head><body>
<div id="top"><div class="tool"><a href="javascript:void(0)" id="zhuanti">无障碍</a> | <a href="javascript:void(0)">长者模式</a></div>
<div class="search"><form action="/jsearch/search.do" method="get"><input name="q"><input type="hidden" name="webid" value="1"></form></div></div>
<div id="menu"><ul>{nav}</ul></div>
<div id="container">{body}</div>
<div id="footer">{footer_extra}<div class="copyright">{footer}<p>技术支持：大汉网络</p></div></div>
</body></html>"""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head>
<meta http-equiv="Content-Type" content="text/html; charset={p['charset']}">
<title>{e(title)}</title>
{meta}
<link rel="stylesheet" href="/images/index.css">
</head><body>
<div class="header"><div class="top-bar"><a href="javascript:void(0)">无障碍浏览</a> | <a href="javascript:void(0)">关怀版</a> | <a href="/">手机版</a></div>
<div class="logo"><img src="/images/logo.png" alt="{e(p['name'])}"></div>
<ul class="nav">{nav}</ul></div>
<div class="main">{body}</div>
<div class="footer">{footer_extra}{footer}<p>技术支持：拓尔思信息技术股份有限公司</p></div>
</body></html>"""


def _links_section(heading: str, links: list[tuple[str, str]], css: str = "box") -> str:
    items = "".join(f'<li><a href="{e(u)}" target="_blank">{e(t)}</a></li>' for t, u in links)
    return (f'<div class="{css}"><div class="hd"><h3>{e(heading)}</h3><a class="more" href="#">更多&gt;&gt;</a>'
            f'</div><div class="bd"><ul>{items}</ul></div></div>')


def _select(first: str, links: list[tuple[str, str]]) -> str:
    options = "".join(f'<option value="{e(u)}">{e(t)}</option>' for t, u in links)
    return (f'<div class="select-links"><select onchange="if(this.value)window.open(this.value)">'
            f'<option value="">{e(first)}</option>{options}</select></div>')


def _footer_group(heading: str, links: list[tuple[str, str]]) -> str:
    items = " ".join(f'<a href="{e(u)}" target="_blank">{e(t)}</a>' for t, u in links)
    return f'<dl class="foot-links"><dt>{e(heading)}</dt><dd>{items}</dd></dl>'


def _js_array(heading: str, links: list[tuple[str, str]], var: str, pipes: list[tuple[str, str]] = ()) -> str:
    objects = ",\n  ".join(f'{{name: "{t}", url: "{u}"}}' for t, u in links)
    pipe = ", ".join(f'"{t}|{u}"' for t, u in pipes)
    return (f'<div class="js-links"><h4>{e(heading)}</h4><div id="{var}"></div>'
            f'<script type="text/javascript">\nvar {var} = [\n  {objects}\n];\n'
            f'var {var}2 = new Array({pipe});\n'
            f'for (var i = 0; i < {var}.length; i++) {{ document.write(\'<a href="\' + {var}[i].url + \'" '
            f'target="_blank">\' + {var}[i].name + \'</a> \'); }}\n</script></div>')


# ------------------------------------------------------------------ sites
def _domain(host: str) -> str:
    return host.removeprefix("www.")


def _report_doc(issuer: str, region: str, when: dt.datetime, key: str, *, joint: bool = False) -> Doc:
    title = f"{issuer}{YEAR}年法治政府建设年度报告" if not joint else f"{issuer}关于{YEAR}年度法治政府建设情况的报告"
    body = synthetic_report(issuer, region, YEAR, key) + [issuer, f"{when.year}年{when.month}月{when.day}日"]
    return Doc(title=title, kind="annual_report", published=when, source=issuer, body=body, issuer=issuer,
               report_year=YEAR, report_id=key)


def _filler_docs(issuer: str) -> list[Doc]:
    titles = ["关于开展安全生产大检查的通知", "关于做好防汛抗旱工作的通知", "关于公布行政许可事项清单的公告"]
    return [Doc(title=f"{issuer}{t}", kind="filler", published=D(2025, 1 + i, 8, 9, 0), source=issuer,
                body=[f"{issuer}{t}。", "特此通知。"], issuer=issuer) for i, t in enumerate(titles)]


def _site(host: str, name: str, idcode: str, *, charset: str, docs: list[Doc], column: str,
          organizer: str, home: bytes | None = None, extra: dict[str, bytes] | None = None,
          config: dict[str, Any] | None = None) -> Site:
    """A site with one report column behind 政务公开 (reached by the report crawler's discovery)."""
    files = dict(extra or {})
    if home is not None:
        files["/index.html"] = home
    return Site(host=host, name=name, organizer=organizer, idcode=idcode, credit_code="11220000013544357X",
                system="trs", style="youyang", charset=charset, icp="吉ICP备05002456号",
                psb="吉公网安备 22010202000123号",
                columns=[Column(column, "法治政府建设年度报告", docs, per_page=10,
                                crumbs=(("政务公开", "/zwgk/"),))],
                nav=[("首页", "/"), ("政务公开", "/zwgk/"), ("法治政府建设", column + "index.html")],
                hubs=[Hub("/zwgk/", "政务公开", [("法治政府建设年度报告", column + "index.html"),
                                                 ("政府信息公开指南", "/zwgk/xxgkzn/")]),
                      Hub("/zwgk/xxgkzn/", "政府信息公开指南", [])],
                extra_files=files, config=dict(config or {}))


def _portal_dict(code: str, host: str, charset: str, chrome: str, seq: int) -> dict[str, Any]:
    name = government_name(code)
    return {"code": code, "host": host, "name": name, "organizer": name + "办公厅" if code.endswith("0000")
            else name + "办公室", "idcode": f"{code}{seq:04d}", "charset": charset, "chrome": chrome,
            "nav": [("首页", "/"), ("政务公开", "/zwgk/"), ("法治政府建设", "/zwgk/fzzfjsndbg/index.html"),
                    ("互动交流", "/hdjl/")] + ([("政府网站导航", "/zfwzdh/")] if code.endswith("0000") else []),
            "extra": {}}


class _Builder:
    def __init__(self, web: ProvinceWeb) -> None:
        self.web = web
        self.sites: list[Site] = []

    def add(self, site: Site) -> None:
        self.sites.append(site)

    def expect(self, host_or_key: str, code: str, department: str = "", *, state: str = "active",
               successor: str | None = None, url: str | None = None) -> None:
        issuer = department_issuer(code, department) if department else government_name(code)
        self.web.sources.append({"name": host_or_key, "code": code, "department": department,
                                 "issuer": issuer, "kind": "department" if department else "government",
                                 "state": state, "successor": successor,
                                 "url": url or f"http://{host_or_key}/"})

    def plant_report(self, host: str, issuer: str, code: str, when: dt.datetime | None, key: str,
                     department: str = "") -> list[Doc]:
        status = "on_time" if when is not None and when < D(YEAR + 1, 4, 1) else ("late" if when else "missing")
        self.web.coverage[(code, department)] = status
        if when is None:
            return []
        region = division(code).name
        doc = _report_doc(issuer, region, when, key, joint=not department and key.endswith("-gov"))
        self.web.reports.append({"title": doc.title, "issuer": issuer, "code": code, "department": department,
                                 "published_at": when.date().isoformat(), "host": host})
        return [doc]

    # -------------------------------------------------------------- departments
    def justice_site(self, portal: dict[str, Any], report: str) -> tuple[str, str]:
        """The justice bureau's own site of *portal*; returns (link text, URL)."""
        code = portal["code"]
        host = f"sfj.{_domain(portal['host'])}"
        dept = "司法厅" if code.endswith("0000") else "司法局"
        issuer = department_issuer(code, dept)
        when = {"on_time": D(2025, 2, 20, 15, 0), "late": LATE, "none": None}[report]
        docs = self.plant_report(host, issuer, code, when, f"{code}-sfj", department=dept) + _filler_docs(issuer)
        self.add(_site(host, issuer, f"{code}0012", charset=portal["charset"], docs=docs,
                       column="/zwgk/fzzfjsndbg/", organizer=issuer))
        self.expect(host, code, dept)
        return dept, f"http://{host}/"

    def department_list(self, p: Portal, portal: dict[str, Any]) -> tuple[str, str]:
        """(body part, footer part) listing *portal*'s departments in its dialect."""
        code = portal["code"]
        place = place_name(code)
        level_word = division(code).name[-1]
        dept, url = self.justice_site(portal, p.justice_report)
        texts = [dept, f"{level_word}{dept}", f"{place}{dept}", f"{level_word}{dept}"]
        links = [(texts[p.dept_dialect % 4], url)]
        if "column" in p.extras:
            links.append((f"{level_word}教育局", f"http://{portal['host']}/bm/jyj/"))
            self.expect(f"{portal['host']}/bm/jyj", code, "教育局", url=f"http://{portal['host']}/bm/jyj/")
            self.plant_report(portal["host"], department_issuer(code, "教育局"), code, None, f"{code}-jyj",
                              department="教育局")
            items = "".join(f'<li><a href="/bm/jyj/202503/t2025030{i}_{9100 + i}.html">{e(t)}</a><span>2025-03-0{i}</span></li>'
                            for i, t in enumerate(["关于做好2025年义务教育招生入学工作的通知",
                                                   "关于公布2025年中小学教师资格认定结果的公告"], start=1))
            portal["extra"]["/bm/jyj/index.html"] = _page(
                portal, f"{place}教育局_{portal['name']}",
                f'<div class="lm-name">{e(place)}教育局</div><ul class="list">{items}</ul>')
        if "court" in p.extras:
            court = f"{place}{'中级' if level_word == '市' and code.endswith('00') else ''}人民法院"
            links.append((court, f"http://{_domain(portal['host']).split('.')[0]}court.chinacourt.gov.cn/"))
            self.web.not_sources.append(links[-1][1])
        if "closed" in p.extras:
            host = f"da.{_domain(portal['host'])}"
            notice = (f'<html><head><meta charset="utf-8"><title>网站已关停</title></head><body>'
                      f'<div style="text-align:center;margin-top:80px"><h2>网站已关停</h2>'
                      f'<p>根据政府网站集约化工作要求，{e(place)}档案局网站已关停，相关内容已整合至'
                      f'{e(government_name(code))}门户网站。</p><p><a href="http://{portal["host"]}/">'
                      f'点击访问 http://{portal["host"]}/</a></p></div></body></html>')
            self.add(Site(host=host, name=f"{place}档案局", organizer=f"{place}档案局", idcode="",
                          credit_code="", system="trs", style="youyang", columns=[], nav=[],
                          extra_files={"/index.html": notice.encode("utf-8")}))
            links.append((f"{level_word}档案局", f"http://{host}/"))
            self.expect(host, code, "档案局", state="closed", successor=f"http://{portal['host']}/")
        heading = ["部门网站", "区县部门", "政府部门", "市直部门"][p.dept_dialect % 4]
        if p.dept_dialect == 0:
            return _links_section(heading, links, css="bmwz"), ""
        if p.dept_dialect == 1:
            return _select(f"--{heading}--", links), ""
        if p.dept_dialect == 2:
            return "", _footer_group(heading, links)
        return _js_array(heading, links, var="bmLinks"), ""

    # -------------------------------------------------------------- portals
    def portal(self, p: Portal, seq: int, *, children: list[tuple[str, str]] = ()) -> None:
        host = p.new_host or p.host
        portal = _portal_dict(p.code, host, p.charset, p.chrome, 1 if p.code.endswith("00") else seq)
        name = portal["name"]
        if p.fault == "moved":
            self.add(Site(host=p.host, name=name, organizer=name, idcode="", credit_code="", system="trs",
                          style="youyang", columns=[], nav=[],
                          config={"faults": {"*": {"kind": "redirect", "status": 301,
                                                   "location": f"http://{host}/"}}}))
            self.expect(p.host, p.code, state="moved", successor=f"http://{host}/")
        elif p.fault == "notice":
            notice = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">'
                      f'<title>网站迁移公告</title></head><body><div class="notice"><h1>网站迁移公告</h1>'
                      f'<p>尊敬的用户：{e(name)}门户网站已迁移至新网址：http://{host}/ ，原网址将停止服务，'
                      f'请访问新网站。</p><p>{e(name)}办公室</p></div></body></html>')
            self.add(Site(host=p.host, name=name, organizer=name, idcode="", credit_code="", system="trs",
                          style="youyang", columns=[], nav=[], charset="gbk",
                          extra_files={"/index.html": notice.encode("gbk")}))
            self.expect(p.host, p.code, state="moved", successor=f"http://{host}/")
        if p.fault == "failing":
            self.add(Site(host=host, name=name, organizer=name, idcode=portal["idcode"], credit_code="",
                          system="trs", style="youyang", columns=[], nav=[],
                          config={"faults": {"*": {"kind": "status", "status": 503,
                                                   "body": "<html><body>503 Service Unavailable</body></html>"}}}))
            self.expect(host, p.code, state="failing")
            self.web.coverage[(p.code, "")] = "missing"
            return
        when = {"on_time": ON_TIME, "late": LATE, "none": None}[p.report]
        docs = self.plant_report(host, name, p.code, when, f"{p.code}-gov") + _filler_docs(name)
        self.expect(host, p.code)
        body_parts, footer = [], ""
        if p.listed != "city":  # sites found at depth 2 are not read for their departments
            part, footer = self.department_list(p, portal)
            body_parts.append(part)
        if children:
            body_parts.append(_links_section("县（市、区）政府网站", children))
        body = ('<div class="box"><h3>政务公开</h3><a class="more" href="/zwgk/fzzfjsndbg/index.html">更多&gt;&gt;</a>'
                '<ul><li><a href="/zwgk/fzzfjsndbg/index.html">法治政府建设年度报告</a></li></ul></div>'
                + "".join(body_parts))
        friends = _footer_group("友情链接", [("吉林省人民政府", PROVINCE_URL),
                                            ("长春新闻网", "http://www.changchunnews.com/")])
        if "http://www.changchunnews.com/" not in self.web.not_sources:
            self.web.not_sources.append("http://www.changchunnews.com/")
        home = _page(portal, name, body, footer_extra=footer + friends).encode(p.charset, "xmlcharrefreplace")
        self.add(_site(host, name, portal["idcode"], charset=p.charset, docs=docs,
                       column="/zwgk/fzzfjsndbg/", organizer=portal["organizer"], home=home,
                       extra={k: v.encode(p.charset, "xmlcharrefreplace") for k, v in portal["extra"].items()},
                       config={"charset_header": p.charset == "utf-8"}))


def _province(b: _Builder, cities: list[Portal], counties: list[Portal]) -> None:
    p = _portal_dict("220000", "www.jl.gov.cn", "utf-8", "trs", 1)
    link = lambda q: (q.text or division(q.code).name, f"http://{q.host}/")  # noqa: E731
    table_rows = "".join(f'<td><a href="http://{q.host}/" target="_blank">{e(link(q)[0])}</a></td>'
                         + ("</tr><tr>" if i % 3 == 2 else "") for i, q in enumerate(cities))
    nav_body = [f'<table class="zfwz" width="100%"><tr><th colspan="3">市（州）政府网站</th></tr><tr>{table_rows}</tr></table>']
    section = [link(q) for q in counties if q.listed == "section"]
    if section:
        nav_body.append(_links_section("县（市、区）政府网站", section))
    select = [link(q) for q in counties if q.listed == "select"]
    if select:
        nav_body.append(_select("请选择县（市、区）政府网站", select))
    script = [link(q) for q in counties if q.listed == "script"]
    pipes = [link(q) for q in counties if q.listed == "pipe"]
    if script or pipes:
        nav_body.append(_js_array("延边州各县市", script, var="xsqzf", pipes=pipes))
    nav_page = _page(p, "政府网站导航_吉林省人民政府", '<div class="lm-name">政府网站导航</div>' + "".join(nav_body))
    named = [q for q in counties if q.listed == "name"]
    places = "".join(f'<a href="http://{q.host}/" class="place">{e(q.text)}</a>' for q in named)
    _, url = b.justice_site(p, "on_time")
    footer = (_footer_group("省政府部门", [("吉林省司法厅", url), ("吉林省人民检察院", "http://www.jl.jcy.gov.cn/")])
              + _footer_group("友情链接", [("中国政府网", "http://www.gov.cn/"),
                                        ("中国吉林网", "http://www.chinajilin.com.cn/")]))
    b.web.not_sources += ["http://www.jl.jcy.gov.cn/", "http://www.gov.cn/", "http://www.chinajilin.com.cn/"]
    body = (f'<div class="box"><h3>要闻动态</h3><ul><li><a href="/zwgk/fzzfjsndbg/index.html">法治政府建设年度报告专栏</a>'
            f'</li></ul></div><div class="map"><h3>走进吉林</h3>{places}</div>')
    home = _page(p, "吉林省人民政府", body, footer_extra=footer)
    docs = b.plant_report("www.jl.gov.cn", "吉林省人民政府", "220000", D(2025, 3, 28, 9, 0), "220000-gov") \
        + _filler_docs("吉林省人民政府")
    b.add(_site("www.jl.gov.cn", "吉林省人民政府", p["idcode"], charset="utf-8", docs=docs,
                column="/zwgk/fzzfjsndbg/", organizer=p["organizer"], home=home.encode("utf-8"),
                extra={"/zfwzdh/index.html": nav_page.encode("utf-8")}))
    b.expect("www.jl.gov.cn", "220000")
    # The news site of the 友情链接: no gov.cn host and no 网站标识码.
    news = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>中国吉林网_吉林新闻门户</title></head><body>'
            '<div class="nav"><a href="/">首页</a> <a href="/news/">新闻</a></div>'
            '<ul><li><a href="/news/202503/t1.html">长春市召开法治政府建设推进会</a></li></ul>'
            '<div class="footer">吉ICP备05001234号 中国吉林网 版权所有</div></body></html>')
    b.add(Site(host="www.chinajilin.com.cn", name="中国吉林网", organizer="中国吉林网", idcode="", credit_code="",
               system="trs", style="youyang", columns=[], nav=[], official=False,
               extra_files={"/index.html": news.encode("utf-8")}))


def _others(b: _Builder) -> None:
    """Beijing, Tianjin, Liaoning: 朝阳区 and 和平区 twice, 朝阳 settled by the 网站标识码."""
    specs = [("110000", "www.beijing.gov.cn", [("朝阳区", "110105", "www.bjchy.gov.cn")]),
             ("120000", "www.tj.gov.cn", [("和平区", "120101", "www.tjhp.gov.cn")]),
             ("210000", "www.ln.gov.cn", [("沈阳市", "210100", "www.shenyang.gov.cn"),
                                         ("朝阳", "211300", "www.zgcy.gov.cn")])]
    for code, host, links in specs:
        p = _portal_dict(code, host, "utf-8", "trs", 1)
        body = _links_section("市县政府网站" if code != "210000" else "市（州）政府网站",
                              [(t, f"http://{h}/") for t, _, h in links])
        b.add(Site(host=host, name=p["name"], organizer=p["organizer"], idcode=p["idcode"], credit_code="",
                   system="trs", style="youyang", columns=[], nav=[],
                   extra_files={"/index.html": _page(p, p["name"], body).encode("utf-8")}))
        b.web.other_sources.append({"name": host, "code": code})
        for _, child, child_host in links:
            q = _portal_dict(child, child_host, "utf-8", "trs", 1)
            inner = ""
            if child == "210100":
                inner = _links_section("区县政府网站", [("和平区", "http://www.syhp.gov.cn/")])
                hp = _portal_dict("210102", "www.syhp.gov.cn", "utf-8", "trs", 1)
                b.add(Site(host="www.syhp.gov.cn", name=hp["name"], organizer=hp["organizer"],
                           idcode=hp["idcode"], credit_code="", system="trs", style="youyang", columns=[], nav=[],
                           extra_files={"/index.html": _page(hp, hp["name"], "<p>沈阳市和平区</p>").encode("utf-8")}))
                b.web.other_sources.append({"name": "www.syhp.gov.cn", "code": "210102"})
            b.add(Site(host=child_host, name=q["name"], organizer=q["organizer"], idcode=q["idcode"],
                       credit_code="", system="trs", style="youyang", columns=[], nav=[],
                       extra_files={"/index.html": _page(q, q["name"], inner or f"<p>{e(q['name'])}</p>").encode("utf-8")}))
            b.web.other_sources.append({"name": child_host, "code": child})


def build_provinces(root: Path, *, scale: str = "full") -> ProvinceWeb:
    """Build the provinces web under *root* (sites/ and provinces.json); *scale* "small" keeps the
    province, 长春市, 朝阳区 (on time), 蛟河市 (late) and 梨树县 (no report)."""
    root = Path(root)
    web = ProvinceWeb(root=root, sites_dir=root / "sites")
    b = _Builder(web)
    cities = [c for c in _CITIES if scale == "full" or c.code in _SMALL]
    counties = [c for c in _COUNTIES if scale == "full" or c.code in _SMALL]
    _province(b, cities, [c for c in counties if c.listed != "city"])
    for i, city in enumerate(cities):
        children = [(division(c.code).name, f"http://{c.host}/") for c in counties
                    if c.listed == "city" and c.code[:4] == city.code[:4]]
        b.portal(city, i + 2, children=children)
    for county in counties:
        b.portal(county, 1)
    if scale == "full":
        _others(b)
    # Every other government of the province: no known site.
    from pipeline.divisions import divisions
    for d in divisions():
        if d.code.startswith("22") and (d.code, "") not in web.coverage:
            web.coverage[(d.code, "")] = "no_site"
    for site in b.sites:
        render_site(site, web.sites_dir)
    (root / "provinces.json").write_text(json.dumps(
        {"sources": web.sources, "not_sources": web.not_sources, "reports": web.reports,
         "coverage": {f"{c}:{d}": s for (c, d), s in web.coverage.items()}}, ensure_ascii=False, indent=1),
        encoding="utf-8")
    return web


# ------------------------------------------------------------------ a generated province, for bench/
_BENCH_DEPARTMENTS = [("sfj", "司法局"), ("jyj", "教育局"), ("gaj", "公安局"), ("czj", "财政局"),
                      ("rsj", "人力资源和社会保障局"), ("zrzyj", "自然资源局"), ("sthjj", "生态环境局"),
                      ("jtysj", "交通运输局"), ("slj", "水利局"), ("wjj", "卫生健康局"), ("yjj", "应急管理局"),
                      ("scjgj", "市场监督管理局")]
BENCH_PROVINCE_URL = "http://www.bench-province.gov.cn/"


def generated_province(root: Path, *, counties: int = 300, departments: int = 10) -> tuple[Path, int]:
    """A province portal listing *counties* county portals (real counties whose names no other
    county shares, so the country is the scope), each listing *departments* departments' sites.
    Written straight to files (thousands of sites). Returns (sites dir, number of sites)."""
    from collections import Counter

    from pipeline.divisions import divisions
    table = divisions()
    names = Counter(d.name for d in table)
    pool = [d for d in table if d.level == "county" and names[d.name] == 1]
    step = max(1, len(pool) // counties)
    chosen = pool[::step][:counties]
    sites_dir = Path(root) / "sites"

    def write(host: str, html_text: str) -> None:
        base = sites_dir / host
        (base / "files").mkdir(parents=True, exist_ok=True)
        (base / "site.json").write_text(json.dumps({"host": host, "charset": "utf-8"}), encoding="utf-8")
        (base / "files" / "index.html").write_text(html_text, encoding="utf-8")
        (base / "files" / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n", encoding="ascii")

    def page(name: str, idcode: str, heading: str, links: list[tuple[str, str]], host: str) -> str:
        p = {"name": name, "host": host, "idcode": idcode, "organizer": name + "办公室", "charset": "utf-8",
             "chrome": "trs", "nav": [("首页", "/"), ("政务公开", "/zwgk/"), ("互动交流", "/hdjl/")]}
        return _page(p, name, _links_section(heading, links) if links else "<p>欢迎访问</p>")

    county_links = []
    n = 1
    for d in chosen:
        host = f"www.c{d.code}.gov.cn"
        county_links.append((d.name, f"http://{host}/"))
        depts = [(f"{d.name[-1]}{name}", f"http://{abbr}.c{d.code}.gov.cn/")
                 for abbr, name in _BENCH_DEPARTMENTS[:departments]]
        write(host, page(d.name + "人民政府", f"{d.code}0001", "部门网站", depts, host))
        for (text, url), i in zip(depts, range(departments)):
            dept_host = url.split("/")[2]
            write(dept_host, page(d.name + text[1:], f"{d.code}{i + 10:04d}", "", [], dept_host))
        n += 1 + len(depts)
    write("www.bench-province.gov.cn", page("测试省人民政府", "", "县（市、区）政府网站", county_links,
                                            "www.bench-province.gov.cn"))
    return sites_dir, n
