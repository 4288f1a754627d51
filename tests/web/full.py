"""The full test web: the seeds sites plus every site system and trouble the crawler must handle.

Sites (each planted report listed in the manifest with title, issuer, year and date):
- the four seeds sites (tests/web/seeds.py), with menus for discovery and traps on the portal
  (an endless calendar, endless pagination, ever longer URLs, a page over the size limit);
- www.jiashan.gov.cn   Hanweb JCMS: <datastore> + dataproxy.jsp POST paging, a cookie gate, a PDF-only
  report behind downfile.jsp, a redirect loop;
- www.lianping.gov.cn  Guangdong gkmlpt: JSON list API, bodies in _CONFIG.DETAIL, an OFD-only report;
- www.jinghai.gov.cn   gov.cn style: table lists, the 政府信息公开 table, a DOCX-only report,
  500 then success, a connection reset;
- www.lieshan.gov.cn   an unknown system (JEECMS .jhtml): http -> https with an expired self-signed
  certificate, session ids in links, a WPS-only report;
- www.xiushan.gov.cn (412), www.pengshui.gov.cn (521), www.shizhu.gov.cn (WAF 403): protected hosts;
- www.fz-news-copy.com  a spam site copying a report verbatim (not official).
Every decoy kind sits in the report columns: 解读, news, 要点/方案, 工作总结, 政府信息公开年度报告.
"""
from __future__ import annotations

import filebuilders as fb

from .build import Attachment, Column, Doc, Hub, Site
from .seeds import D, decoy, fault_doc, filler
from .seeds import sites as seeds_sites
from .texts import synthetic_report

__all__ = ["sites", "report"]


def report(title: str, issuer: str, region: str, year: int, when, *, report_id: str,
           source: str | None = None, attachment: tuple[str, str, str] | None = None,
           fault: dict | None = None) -> Doc:
    """A made-up annual report; with *attachment* = (format, href, served_at or "") it is
    published only as that file, the page just linking to it."""
    body = synthetic_report(issuer, region, year, report_id)
    signature = [issuer, f"{when.year}年{when.month}月{when.day}日"]
    doc = Doc(title=title, kind="annual_report", published=when, source=source or issuer, body=body + signature,
              issuer=issuer, report_year=year, report_id=report_id, fault=fault)
    if attachment:
        fmt, href, served_at = attachment
        paragraphs = [title] + body + signature
        data = {"pdf": lambda: fb.build_pdf(paragraphs, title=title),
                "docx": lambda: fb.build_docx(paragraphs, title=title),
                "ofd": lambda: fb.build_ofd(paragraphs, title=title),
                "wps": lambda: fb.build_doc(paragraphs, title=title)}[fmt]()
        doc.body = [f"附件：{title}.{fmt}"]
        doc.attachments = [Attachment(href=href, label=f"{title}.{fmt}", data=data, served_at=served_at or None)]
        doc.attachment_only = True
    return doc


def _all_decoys(place: str, issuer: str, justice: str, year: int, report_title: str, when) -> list[Doc]:
    """One of each look-alike kind, around a report published at *when*."""
    return [
        decoy("interpretation", f"《{report_title}》政策解读", issuer, when.replace(day=min(when.day + 3, 28)),
              report_title, year),
        decoy("news", f"{place}召开{year + 1}年法治政府建设工作会议", issuer, when.replace(month=min(when.month + 1, 12)),
              f"{year + 1}年法治政府建设工作要点", year + 1),
        decoy("work_plan", f"{place}{year + 1}年法治政府建设工作要点", issuer, when.replace(month=min(when.month + 2, 12)),
              f"{year + 1}年法治政府建设工作要点", year + 1),
        decoy("work_summary", f"{justice}{year}年工作总结和{year + 1}年工作思路", justice,
              when.replace(day=max(when.day - 10, 1)), f"{year}年工作总结", year),
        decoy("other", f"{issuer}{year}年政府信息公开工作年度报告", issuer, when.replace(day=max(when.day - 5, 1)),
              f"{year}年政府信息公开工作年度报告", year),
    ]


def _fillers(issuer: str, titles: list[str], start) -> list[Doc]:
    return [filler(t, issuer, start.replace(day=1, month=1 + (i % 12), year=start.year - i // 12))
            for i, t in enumerate(titles)]


_NOTICES = ["关于开展安全生产大检查的通知", "关于做好防汛抗旱工作的通知", "关于公布行政许可事项清单的公告",
            "关于印发优化营商环境若干措施的通知", "关于开展全国文明城市创建工作的通知", "城乡居民医保参保缴费公告",
            "关于调整最低工资标准的通知", "关于做好冬春季节森林防火工作的通知", "关于开展食品安全专项整治的通知",
            "关于公布年度部门预算的公告", "关于开展农村人居环境整治的通知", "关于征集民生实事项目的公告",
            "关于开展消防安全隐患排查的通知", "关于做好高校毕业生就业工作的通知", "关于规范行政事业性收费的通知",
            "关于开展扫黑除恶专项斗争的通告", "关于做好退役军人优待工作的通知", "关于开展税收宣传月活动的通知",
            "关于加强建设工程质量管理的通知", "关于开展爱国卫生运动的通知", "关于做好春节期间市场供应的通知",
            "关于开展耕地保护专项行动的通知", "关于公布政务服务事项目录的公告", "关于开展节能宣传周活动的通知"]


def _jiashan() -> Site:
    gov, sfj = "嘉善县人民政府", "嘉善县司法局"
    col = "1229063387"
    docs = [
        report("嘉善县人民政府关于2023年度法治政府建设情况的报告", gov, "嘉善县", 2023, D(2024, 1, 29, 10, 0),
               report_id="jiashan-gov-2023", source="县政府办"),
        report("嘉善县司法局2023年法治政府建设年度报告", sfj, "嘉善县", 2023, D(2024, 1, 20, 15, 0),
               report_id="jiashan-sfj-2023",
               attachment=("pdf", "/module/download/downfile.jsp?classid=0&filename=2401201523123.pdf",
                           "/attach/0/2401201523123.pdf")),
        report("嘉善县市场监督管理局2023年度法治政府建设情况报告", "嘉善县市场监督管理局", "嘉善县", 2023,
               D(2024, 1, 12, 9, 0), report_id="jiashan-scjg-2023"),
        report("魏塘街道2023年法治政府建设年度报告", "嘉善县魏塘街道办事处", "嘉善县", 2023, D(2023, 12, 28, 9, 0),
               report_id="jiashan-weitang-2023", source="魏塘街道"),
        report("嘉善县人民政府关于2022年度法治政府建设情况的报告", gov, "嘉善县", 2022, D(2023, 1, 29, 10, 0),
               report_id="jiashan-gov-2022", source="县政府办"),
        fault_doc("嘉善县教育局2023年法治政府建设年度报告", D(2024, 1, 18, 9, 0),
                  {"kind": "redirect", "location": "/art/loop/b.html"}, "http_error", "嘉善县教育局"),
    ] + _all_decoys("嘉善县", gov, sfj, 2023, "嘉善县人民政府关于2023年度法治政府建设情况的报告", D(2024, 2, 5, 9, 0))
    docs += _fillers(gov, [f"嘉善县{t}" for t in _NOTICES], D(2024, 3, 1, 9, 0))
    return Site(
        host="www.jiashan.gov.cn", name=gov, organizer="嘉善县人民政府办公室", idcode="3304210001",
        credit_code="11330421002563011A", system="hanweb", style="youyang", icp="浙ICP备05019633号",
        psb="浙公网安备 33042102000112号", address="浙江省嘉善县罗星街道", postcode="314100", phone="0573-84021234",
        nav=[("首页", "/"), ("政务公开", "/col/col1229000001/index.html"), ("新闻中心", "/col/col1229000009/index.html"),
             ("互动交流", "/col/col1229000010/index.html")],
        hubs=[Hub("/col/col1229000001/index.html", "政务公开", [
                  ("政府信息公开目录", "/col/col1229000002/index.html"), ("政策解读", "/col/col1229000003/index.html")]),
              Hub("/col/col1229000002/index.html", "政府信息公开目录", [
                  ("法定主动公开内容", "/col/col1229000004/index.html"), ("政府信息公开年报", "/col/col1229000005/index.html")]),
              Hub("/col/col1229000004/index.html", "法定主动公开内容", [
                  ("规划计划", "/col/col1229000006/index.html"), ("法治政府建设年度报告", f"/col/col{col}/index.html")]),
              Hub("/col/col1229000003/index.html", "政策解读", []), Hub("/col/col1229000005/index.html", "政府信息公开年报", []),
              Hub("/col/col1229000006/index.html", "规划计划", []), Hub("/col/col1229000009/index.html", "新闻中心", []),
              Hub("/col/col1229000010/index.html", "互动交流", [])],
        columns=[Column(f"/col/col{col}/", "法治政府建设年度报告", docs, per_page=15, columnid=col,
                        crumbs=(("政务公开", "/col/col1229000001/index.html"),))],
        # Hanweb sets its session cookie with a redirect to the same page on the first visit.
        config={"faults": {f"/col/col{col}/index.html": {"kind": "cookie_gate", "cookie": "JSESSIONID=0A1B2C3D"},
                           "/art/loop/b.html": {"kind": "redirect", "location": "/art/loop/a.html"},
                           "/art/loop/a.html": {"kind": "redirect", "location": "/art/loop/b.html"}}})


def _lianping() -> Site:
    gov, sfj = "连平县人民政府", "连平县司法局"
    docs = [
        report("连平县人民政府2023年法治政府建设年度报告", gov, "连平县", 2023, D(2024, 3, 15, 10, 0),
               report_id="lianping-gov-2023", source="连平县人民政府办公室"),
        report("连平县司法局2023年法治政府建设年度报告", sfj, "连平县", 2023, D(2024, 2, 26, 16, 0),
               report_id="lianping-sfj-2023",
               attachment=("ofd", "/attachment/0/512/512345/2023fzzfjsndbg.ofd", "")),
        report("连平县教育局2023年法治政府建设年度报告", "连平县教育局", "连平县", 2023, D(2024, 1, 30, 9, 0),
               report_id="lianping-jyj-2023"),
    ] + _all_decoys("连平县", gov, sfj, 2023, "连平县人民政府2023年法治政府建设年度报告", D(2024, 3, 1, 9, 0))
    docs += _fillers(gov, [f"连平县{t}" for t in _NOTICES[:8]], D(2024, 3, 1, 9, 0))
    return Site(
        host="www.lianping.gov.cn", name=gov, organizer="连平县人民政府办公室", idcode="4416230001",
        credit_code="11441623007100002C", system="gkmlpt", style="heping", sid="762300",
        icp="粤ICP备05017881号", psb="粤公网安备 44162302000002号", address="广东省河源市连平县元善镇",
        postcode="517100", phone="0762-4301234",
        nav=[("首页", "/"), ("政府信息公开", "/gkmlpt/index"), ("互动交流", "/hdjl/")],
        hubs=[Hub("/hdjl/", "互动交流", [])],
        columns=[Column("/gkmlpt/", "法治政府建设", docs, per_page=5, columnid="2811")])


def _jinghai() -> Site:
    gov, sfj = "天津市静海区人民政府", "天津市静海区司法局"
    docs = [
        report("静海区2023年度法治政府建设情况报告", gov, "静海区", 2023, D(2024, 3, 28, 9, 18),
               report_id="jinghai-gov-2023", source="静海区人民政府办公室",
               # The server fails once, then answers: a retry gets it.
               fault={"kind": "flaky", "fail": 1, "status": 500}),
        report("静海区司法局2023年法治政府建设年度报告", sfj, "静海区", 2023, D(2024, 3, 20, 15, 0),
               report_id="jinghai-sfj-2023",
               attachment=("docx", "/zwgk/fdzdgknr/fzzfjsndbg/202403/W020240320512345.docx", "")),
        report("静海区2022年度法治政府建设情况报告", gov, "静海区", 2022, D(2023, 3, 30, 9, 0),
               report_id="jinghai-gov-2022", source="静海区人民政府办公室"),
        fault_doc("静海区农业农村委2023年法治政府建设年度报告", D(2024, 3, 22, 9, 0), {"kind": "reset"},
                  "network_error", "静海区农业农村委"),
    ] + _all_decoys("静海区", gov, sfj, 2023, "静海区2023年度法治政府建设情况报告", D(2024, 4, 2, 9, 0))
    docs += _fillers(gov, [f"静海区{t}" for t in _NOTICES[8:20]], D(2024, 2, 1, 9, 0))
    return Site(
        host="www.jinghai.gov.cn", name="天津市静海区人民政府", organizer="天津市静海区人民政府办公室",
        idcode="1201180001", credit_code="11120223000123456D", system="govcn", style="youyang", info_table=True,
        icp="津ICP备05004321号", psb="津公网安备 12022302000003号", address="天津市静海区静海镇",
        postcode="301600", phone="022-68612345",
        nav=[("首页", "/"), ("政务公开", "/zwgk/"), ("政务服务", "/zwfw/")],
        hubs=[Hub("/zwgk/", "政务公开", [("法定主动公开内容", "/zwgk/fdzdgknr/")]),
              Hub("/zwgk/fdzdgknr/", "法定主动公开内容", [("法治政府建设年度报告", "/zwgk/fdzdgknr/fzzfjsndbg/home_0.htm"),
                                                        ("财政资金", "/zwgk/fdzdgknr/czzj/")]),
              Hub("/zwgk/fdzdgknr/czzj/", "财政资金", []), Hub("/zwfw/", "政务服务", [])],
        columns=[Column("/zwgk/fdzdgknr/fzzfjsndbg/", "法治政府建设年度报告", docs, per_page=8,
                        crumbs=(("政务公开", "/zwgk/"),))])


def _lieshan() -> Site:
    gov = "淮北市烈山区人民政府"
    sfj = "淮北市烈山区司法局"
    joint = "中共淮北市烈山区委烈山区人民政府关于2024年法治政府建设情况的报告"
    docs = [
        report("淮北市烈山区人民政府关于2024年法治政府建设情况的报告", gov, "烈山区", 2024,
               D(2025, 2, 20, 10, 0), report_id="lieshan-gov-2024", source="烈山区司法局"),
        report("烈山区司法局2024年法治政府建设年度报告", sfj, "烈山区", 2024, D(2025, 1, 16, 9, 0),
               report_id="lieshan-sfj-2024", source="烈山区司法局",
               attachment=("wps", "/uploadfile/2025/0116/20250116093012345.wps", "")),
        decoy("interpretation", "【文字解读】《中共淮北市烈山区委烈山区人民政府关于2024年法治政府建设情况的报告》文件解读",
              sfj, D(2025, 3, 7, 16, 34), joint, 2024),
        decoy("news", "烈山区召开2025年法治政府建设推进会", sfj, D(2025, 3, 20, 9, 0), "法治政府建设", 2025),
    ]
    docs += _fillers("淮北市烈山区人民政府", [f"烈山区{t}" for t in _NOTICES[:10]], D(2025, 1, 1, 9, 0))
    return Site(
        host="www.lieshan.gov.cn", name="淮北市烈山区人民政府", organizer="淮北市烈山区人民政府办公室",
        idcode="3406040001", credit_code="11340604003174321E", system="jeecms", style="sfj",
        icp="皖ICP备05001234号", psb="皖公网安备 34060402000004号", address="安徽省淮北市烈山区",
        postcode="235000", phone="0561-4981234",
        nav=[("首页", "/"), ("信息公开", "/xxgk/index.jhtml")],
        hubs=[Hub("/xxgk/index.jhtml", "信息公开", [("法治政府建设", "/xxgk/fzzfjs/index.jhtml"),
                                                 ("人事信息", "/xxgk/rsxx/index.jhtml")]),
              Hub("/xxgk/rsxx/index.jhtml", "人事信息", [])],
        columns=[Column("/xxgk/fzzfjs/", "法治政府建设", docs, per_page=6, crumbs=(("信息公开", "/xxgk/index.jhtml"),))],
        config={"https": "redirect", "session_ids": True})


def _protected(host: str, name: str, idcode: str, fault: dict) -> Site:
    return Site(host=host, name=name, organizer=name + "办公室", idcode=idcode, credit_code="1150000000000000XX",
                system="trs", style="youyang", columns=[], nav=[("首页", "/")], config={"faults": {"*": fault}})


CHALLENGE_412 = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>'
                 '<script type="text/javascript">$_ts=window["$_ts"];if(!$_ts)$_ts={};$_ts.nsd=31845;'
                 'document.cookie="FSSBBIl1UgzbN7N80S=" + Math.random();location.reload();</script></body></html>')
CHALLENGE_521 = ('<html><body><script>document.cookie=("__jsl_clearance_s=1711599123.456|0|"+'
                 '"abc%3D");location.href=location.pathname+location.search</script></body></html>')
WAF_403 = ('<html><head><title>访问被拦截</title></head><body><h1>您的访问被网站防火墙拦截</h1>'
           '<p>可能原因：您提交的内容包含危险的攻击请求</p><p>安全狗</p></body></html>')


def _spam(jinghai: Site) -> Site:
    original = next(d for d in jinghai.columns[0].docs if d.report_id == "jinghai-gov-2023")
    copy = Doc(title=original.title, kind="annual_report", published=D(2024, 4, 10, 8, 0), source="网络转载",
               body=list(original.body), issuer=original.issuer, report_year=2023, report_id="jinghai-gov-2023")
    docs = [copy] + _fillers("法治新闻网", ["各地法治政府建设年度报告陆续发布", "法治政府建设示范创建观察"], D(2024, 4, 1, 9, 0))
    return Site(host="www.fz-news-copy.com", name="法治新闻网", organizer="法治新闻网", idcode="",
                credit_code="", system="nfcms", style="youyang", icp="京ICP备20000000号", psb="",
                nav=[("首页", "/"), ("法治动态", "/news/index.html")],
                columns=[Column("/news/", "法治动态", docs, per_page=10)], official=False)


def sites(*, slow_seconds: float) -> list[Site]:
    base = seeds_sites(slow_seconds=slow_seconds)
    youyang = base[0]
    # Traps on the county portal, named so that discovery is tempted to follow them.
    youyang.nav += [("法治政府建设活动日历", "/calendar/index.jsp?date=2025-03-01"),
                    ("法治建设动态", "/fzjsdt/index.html"), ("法治政府建设专题", "/zt/fzzf/")]
    youyang.config["dynamic"] = {"calendar": "/calendar/", "endless": "/fzjsdt/", "longurl": "/zt/"}
    youyang.columns[0].docs.append(fault_doc(
        "酉阳县文化旅游委员会2024年法治政府建设情况报告", D(2025, 1, 17, 9, 0),
        {"kind": "big", "bytes": 3_000_000}, "too_large", "酉阳县文化旅游委员会"))
    jinghai = _jinghai()
    return base + [
        _jiashan(), _lianping(), jinghai, _lieshan(),
        _protected("www.xiushan.gov.cn", "秀山土家族苗族自治县人民政府", "5002410001",
                   {"kind": "status", "status": 412, "body": CHALLENGE_412}),
        _protected("www.pengshui.gov.cn", "彭水苗族土家族自治县人民政府", "5002430001",
                   {"kind": "status", "status": 521, "body": CHALLENGE_521}),
        _protected("www.shizhu.gov.cn", "石柱土家族自治县人民政府", "5002400001",
                   {"kind": "status", "status": 403, "body": WAF_403}),
        _spam(jinghai),
    ]
