"""The seeds web: four sites around the five seeds (issue of a report column and its pages).

- www.youyang.gov.cn  TRS (createPageHTML), gzip always: seeds 002 and 000, look-alikes, faults
  (a deleted report 404, a page slower than the crawl waits, garbage instead of HTTP).
- sfj.youyang.gov.cn  ASP.NET (下一页 links), Last-Modified only: the repost of seed 000, a
  robots.txt-disallowed draft.
- www.hechuan.gov.cn  TRS Chongqing (createPage), GBK: seed 001 with a dead attachment, seed 004.
- www.heping.gov.cn   Guangdong NFCMS (下一页), no validators at all: seed 003.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from .build import Attachment, Column, Doc, Hub, Site
from .texts import SEEDS, filler_text, made_up_text, seed_body

__all__ = ["sites", "seed_doc", "decoy", "filler", "fault_doc", "D"]


def seed_doc(seed: str, *, source: str | None = None, report_id: str | None = None) -> Doc:
    spec = SEEDS[seed]
    return Doc(title=spec.title, kind=spec.kind, published=spec.published, source=source or spec.source,
               body=seed_body(seed), issuer=spec.issuer, report_year=spec.report_year, seed=seed,
               report_id=report_id)


def decoy(kind: str, title: str, issuer: str, when: dt.datetime, subject: str, year: int | None) -> Doc:
    return Doc(title=title, kind=kind, published=when, source=issuer, issuer=issuer, report_year=year,
               body=made_up_text(kind, subject, issuer, when.date()))


def filler(title: str, issuer: str, when: dt.datetime) -> Doc:
    return Doc(title=title, kind="filler", published=when, source=issuer, body=filler_text(title, issuer))


def fault_doc(title: str, when: dt.datetime, fault: dict[str, Any], expect: str, issuer: str) -> Doc:
    return Doc(title=title, kind="annual_report", published=when, source=issuer, issuer=issuer,
               body=["（此页面用于故障测试。）"], fault=fault, expect=expect)


# Lines the test web adds to a seed's page. 社区 and 矫正 side by side nowhere in the line: a
# search for 社区矫正 must not find the 合川 report, whose own text has neither word.
ADDED_LINES = {"001": "在南津街社区开展“法律明白人”培训，依托智慧矫正平台对在册人员实行分级管理。"}

D = dt.datetime
YOUYANG_FILLERS = [
    ("酉阳县人民政府关于2025年春节期间烟花爆竹燃放管理的通告", D(2025, 1, 22, 9, 0)),
    ("关于公开招聘2025年度社区工作者的公告", D(2025, 1, 16, 10, 0)),
    ("酉阳县2024年国民经济和社会发展统计公报", D(2024, 12, 30, 15, 0)),
    ("酉阳县人民政府关于调整部分行政事业性收费标准的通知", D(2024, 11, 5, 9, 30)),
    ("酉阳县2024年第三季度重点工作推进情况", D(2024, 10, 20, 16, 0)),
    ("关于做好2024年秋季学期学生资助工作的通知", D(2024, 8, 28, 11, 0)),
    ("酉阳县2024年上半年财政预算执行情况", D(2024, 7, 25, 15, 30)),
    ("酉阳县人民政府关于印发县城污水处理提质增效实施细则的通知", D(2024, 6, 3, 9, 0)),
    ("酉阳县2024年森林防灭火工作情况通报", D(2024, 4, 12, 10, 0)),
    ("酉阳县人民政府关于公布第五批县级非物质文化遗产代表性项目名录的通知", D(2024, 1, 10, 9, 0)),
    ("酉阳县2023年度耕地保护目标责任考核结果", D(2023, 12, 18, 9, 0)),
]


def sites(*, slow_seconds: float) -> list[Site]:
    """Four sites around the five seeds."""
    yy_gov, yy_sfj = "酉阳土家族苗族自治县人民政府", "酉阳土家族苗族自治县司法局"
    # County portal, TRS: the county's and the justice bureau's reports in 其他法定公开信息, three pages.
    yy_docs = [
        seed_doc("000", report_id="youyang-sfj-2024"),
        seed_doc("002", report_id="youyang-gov-2023"),
        decoy("interpretation", "《酉阳土家族苗族自治县人民政府关于2023年法治政府建设情况的报告》政策解读",
               yy_gov, D(2024, 3, 5, 10, 0), SEEDS["002"].title, 2023),
        decoy("news", "县政府常务会议审议《酉阳县2023年法治政府建设情况的报告》",
               yy_gov, D(2024, 2, 20, 18, 0), "酉阳县2023年法治政府建设情况的报告", 2023),
        decoy("other", "酉阳土家族苗族自治县人民政府2023年政府信息公开工作年度报告",
               yy_gov, D(2024, 1, 31, 9, 0), "2023年政府信息公开工作年度报告", 2023),
        decoy("work_plan", "酉阳县2024年法治政府建设工作要点", yy_gov, D(2024, 3, 20, 9, 0),
               "酉阳县2024年法治政府建设工作要点", 2024),
        # Faults: a deleted report (404), a server that never answers in time, garbage.
        fault_doc("酉阳县交通局2024年法治政府建设情况报告", D(2025, 1, 23, 9, 0),
                   {"kind": "status", "status": 404, "body": "<html><body>404 Not Found</body></html>"},
                   "http_error", "酉阳县交通局"),
        fault_doc("酉阳县教育委员会2024年法治政府建设情况报告", D(2025, 1, 21, 9, 0),
                   {"kind": "slow", "seconds": slow_seconds}, "network_error", "酉阳县教育委员会"),
        fault_doc("酉阳县卫生健康委员会2024年法治政府建设情况报告", D(2025, 1, 19, 9, 0),
                   {"kind": "garbage_http"}, "network_error", "酉阳县卫生健康委员会"),
    ] + [filler(t, yy_gov, w) for t, w in YOUYANG_FILLERS]
    youyang = Site(
        host="www.youyang.gov.cn", name=yy_gov, organizer="酉阳土家族苗族自治县人民政府办公室",
        idcode="5002420001", credit_code="11500242009339512X", system="trs", style="youyang",
        address="重庆市酉阳县桃花源街道桃花源大道中路", postcode="409800", phone="023-75552345",
        psb="渝公网安备 50024202000101号", info_table=True,
        nav=[("首页", "/"), ("政务公开", "/zwgk_264/"), ("政府信息公开", "/zwgk_264/zfxxgkml/"),
             ("法定主动公开内容", "/zwgk_264/zfxxgkml/fdzdgknr/"), ("县司法局", "http://sfj.youyang.gov.cn/"),
             ("政务服务", "/zwfw/"), ("走进酉阳", "/zjyy/")],
        columns=[Column("/zwgk_264/zfxxgkml/fdzdgknr/qtfdgkxx/", "其他法定公开信息", yy_docs, per_page=8,
                        crumbs=(("政务公开", "/zwgk_264/"), ("法定主动公开内容", "/zwgk_264/zfxxgkml/fdzdgknr/")))],
        hubs=[Hub("/zwgk_264/", "政务公开", [
                  ("政府信息公开", "/zwgk_264/zfxxgkml/"), ("政策文件", "/zwgk_264/zcwj/"),
                  ("人事信息", "/zwgk_264/rsxx/"), ("重点领域信息公开", "/zwgk_264/zdlyxxgk/")]),
              Hub("/zwgk_264/zfxxgkml/", "政府信息公开", [
                  ("政府信息公开指南", "/zwgk_264/zfxxgkml/gkzn/"), ("政府信息公开制度", "/zwgk_264/zfxxgkml/gkzd/"),
                  ("法定主动公开内容", "/zwgk_264/zfxxgkml/fdzdgknr/"), ("依申请公开", "/zwgk_264/zfxxgkml/ysqgk/")]),
              Hub("/zwgk_264/zfxxgkml/fdzdgknr/", "法定主动公开内容", [
                  ("机构职能", "/zwgk_264/zfxxgkml/fdzdgknr/jgzn/"), ("财政预决算", "/zwgk_264/zfxxgkml/fdzdgknr/czyjs/"),
                  ("其他法定公开信息", "/zwgk_264/zfxxgkml/fdzdgknr/qtfdgkxx/index.html")]),
              Hub("/zwgk_264/zfxxgkml/gkzn/", "政府信息公开指南", []),
              Hub("/zwgk_264/zfxxgkml/gkzd/", "政府信息公开制度", []),
              Hub("/zwgk_264/zfxxgkml/ysqgk/", "依申请公开", []),
              Hub("/zwgk_264/zfxxgkml/fdzdgknr/jgzn/", "机构职能", []),
              Hub("/zwgk_264/zfxxgkml/fdzdgknr/czyjs/", "财政预决算", []),
              Hub("/zwgk_264/zcwj/", "政策文件", []), Hub("/zwgk_264/rsxx/", "人事信息", []),
              Hub("/zwgk_264/zdlyxxgk/", "重点领域信息公开", []), Hub("/zwfw/", "政务服务", []),
              Hub("/zjyy/", "走进酉阳", [])],
        config={"gzip": "always"})
    # Justice bureau, ASP.NET: the repost of seed 000, 下一页 paging, a robots.txt-disallowed draft.
    sfj_docs = [
        seed_doc("000", source="司法局", report_id="youyang-sfj-2024"),
        decoy("news", "县司法局召开2025年全县法治政府建设工作推进会", yy_sfj, D(2025, 2, 18, 16, 0),
               "2025年法治政府建设工作要点", 2025),
        filler("县司法局关于开展2025年“法律明白人”培训的通知", yy_sfj, D(2025, 2, 10, 9, 0)),
        filler("县司法局2024年度行政执法统计年报", yy_sfj, D(2025, 1, 18, 9, 0)),
        filler("关于公布2025年度县级法律援助值班律师名单的公告", yy_sfj, D(2025, 1, 8, 9, 0)),
        filler("县司法局关于做好2025年元旦春节期间矛盾纠纷排查化解工作的通知", yy_sfj, D(2024, 12, 26, 9, 0)),
        filler("县司法局2024年第四季度“双随机、一公开”抽查结果", yy_sfj, D(2024, 12, 20, 9, 0)),
    ]
    sfj = Site(
        host="sfj.youyang.gov.cn", name="酉阳县司法局", organizer=yy_sfj, idcode="5002420013",
        credit_code="11500242009339627R", system="aspx", style="sfj",
        address="重庆市酉阳县桃花源街道民族路", postcode="409800", phone="023-75551148",
        nav=[("首页", "/"), ("通知公告", "/News.aspx?page=1"), ("法治宣传", "/fzxc/"), ("公共法律服务", "/ggflfw/")],
        columns=[Column("/News.aspx", "通知公告", sfj_docs, per_page=4)],
        robots="User-agent: *\nDisallow: /draft/\nDisallow: /admin/\n",
        config={"etag": False})
    # The draft is linked from the list (a candidate title) but robots.txt forbids it.
    sfj.columns[0].docs.append(Doc(
        title="酉阳县司法局关于2024年法治政府建设情况的报告（征求意见稿）", kind="annual_report",
        published=D(2025, 1, 15, 9, 0), source="司法局", body=["草稿"], expect="robots",
        path="/draft/Detail.aspx?id=77"))
    # District portal, TRS Chongqing (createPage), GBK: seed 001 with a dead attachment, seed 004.
    hc_sfj = "重庆市合川区司法局"
    hc_001 = seed_doc("001", report_id="hechuan-sfj-2024")
    hc_001.body.insert(len(hc_001.body) // 2, ADDED_LINES["001"])
    hc_docs = [
        hc_001,
        seed_doc("004"),
        decoy("interpretation", "一图读懂《重庆市合川区司法局2024年法治政府建设年度报告》", hc_sfj,
               D(2025, 1, 26, 9, 0), SEEDS["001"].title, 2024),
        decoy("news", "区司法局召开2025年全区法治政府建设工作推进会", hc_sfj, D(2025, 2, 20, 15, 0),
               "2025年全区法治政府建设工作要点", 2025),
        filler("合川区司法局关于2025年度法律援助经费使用情况的公示", hc_sfj, D(2025, 1, 6, 9, 0)),
        filler("合川区司法局2024年度部门预算公开说明", hc_sfj, D(2024, 2, 1, 9, 0)),
        filler("关于开展2024年度人民调解员业务培训的通知", hc_sfj, D(2024, 3, 15, 9, 0)),
    ]
    hechuan = Site(
        host="www.hechuan.gov.cn", name="重庆市合川区人民政府", organizer="重庆市合川区人民政府办公室",
        idcode="5001170002", credit_code="11500117009212345A", system="trs_cq", style="hechuan",
        charset="gbk", address="重庆合川区希尔安大道222号", postcode="401520", phone="023-42822000",
        nav=[("首页", "/"), ("政务公开", "/zwgk_163/"), ("部门信息公开", "/zwgk_163/bmxxgk/"),
             ("区司法局", "/zwgk_163/bmxxgk/qsfj/"), ("互动交流", "/hdjl/")],
        hubs=[Hub("/zwgk_163/", "政务公开", [("部门信息公开", "/zwgk_163/bmxxgk/"), ("政策解读", "/zwgk_163/zcjd/")]),
              Hub("/zwgk_163/bmxxgk/", "部门信息公开", [("区发展改革委", "/zwgk_163/bmxxgk/qfzggw/"),
                                                       ("区司法局", "/zwgk_163/bmxxgk/qsfj/")]),
              Hub("/zwgk_163/bmxxgk/qsfj/", "区司法局", [("机构职能", "/zwgk_163/bmxxgk/qsfj/jgzn/"),
                                                       ("法治政府建设", "/zwgk_163/bmxxgk/qsfj/fzzfjs/index.html")]),
              Hub("/zwgk_163/zcjd/", "政策解读", []), Hub("/zwgk_163/bmxxgk/qfzggw/", "区发展改革委", []),
              Hub("/zwgk_163/bmxxgk/qsfj/jgzn/", "机构职能", []),
              Hub("/hdjl/", "互动交流", [])],
        columns=[Column("/zwgk_163/bmxxgk/qsfj/fzzfjs/", "法治政府建设", hc_docs, per_page=4,
                        crumbs=(("政务公开", "/zwgk_163/"), ("区司法局", "/zwgk_163/bmxxgk/qsfj/")))])
    # Linked from the report page, gone from the server: a 404 attachment.
    hc_001.attachments.append(Attachment(
        href="/zwgk_163/bmxxgk/qsfj/fzzfjs/202501/P020250124512345678901.pdf",
        label="合川区司法局2024年法治政府建设年度报告.pdf", data=None))
    # Guangdong county portal (NFCMS style, 下一页 paging, no validators at all): seed 003.
    hp_docs = [
        seed_doc("003", report_id="heping-sfj-2024"),
        decoy("other", "和平县2024年政府信息公开工作年度报告", "和平县人民政府", D(2025, 1, 25, 9, 0),
               "2024年政府信息公开工作年度报告", 2024),
        filler("和平县关于开展2025年春季森林防火宣传的通知", "和平县人民政府", D(2025, 2, 12, 9, 0)),
        filler("和平县2025年第一批就业见习岗位公告", "和平县人力资源和社会保障局", D(2025, 2, 3, 9, 0)),
        filler("和平县人民政府关于2025年春运工作的通告", "和平县人民政府", D(2025, 1, 10, 9, 0)),
        filler("和平县2024年12月份空气质量状况", "河源市生态环境局和平分局", D(2025, 1, 5, 9, 0)),
    ]
    heping = Site(
        host="www.heping.gov.cn", name="和平县人民政府", organizer="和平县人民政府办公室", idcode="4416240001",
        credit_code="11441624007100001B", system="nfcms", style="heping",
        icp="粤ICP备05017880号", psb="粤公网安备 44162402000001号", address="广东省河源市和平县阳明镇",
        postcode="517200", phone="0762-5791234",
        nav=[("首页", "/"), ("政务公开", "/zwgk/"), ("通知公告", "/zwgk/tzgg/index.html"), ("互动交流", "/hdjl/")],
        hubs=[Hub("/zwgk/", "政务公开", [("通知公告", "/zwgk/tzgg/index.html"), ("政策文件", "/zwgk/zcwj/")]),
              Hub("/zwgk/zcwj/", "政策文件", []), Hub("/hdjl/", "互动交流", [])],
        columns=[Column("/zwgk/tzgg/", "通知公告", hp_docs, per_page=4, crumbs=(("政务公开", "/zwgk/"),))],
        config={"etag": False, "last_modified": False})
    return [youyang, sfj, hechuan, heping]


