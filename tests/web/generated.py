"""A generated web for the crawl benchmark: many TRS-style county sites, each a home page linking
one report column whose every item is a report page (so every page is worth fetching)."""
from __future__ import annotations

import datetime as dt

from .build import Column, Doc, Site

__all__ = ["generated_sites"]

_DEPARTMENTS = ["县人民政府", "县司法局", "县公安局", "县教育委员会", "县财政局", "县人力资源和社会保障局",
                "县自然资源局", "县生态环境局", "县住房和城乡建设委员会", "县交通运输局", "县水利局",
                "县农业农村委员会", "县商务委员会", "县文化和旅游发展委员会", "县卫生健康委员会",
                "县应急管理局", "县市场监督管理局", "县统计局", "县医疗保障局", "县林业局"]
_BODY = ["{issuer}坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻习近平法治思想，全面推进法治政府建设。",
         "现将{year}年度法治政府建设情况报告如下：", "一、主要举措和成效",
         "严格落实重大行政决策程序，全面推行行政执法公示、执法全过程记录、重大执法决定法制审核制度。",
         "二、存在的不足和原因", "基层执法力量不足，执法人员专业素质有待提高。",
         "三、党政主要负责人履行推进法治建设第一责任人职责情况", "主要负责人主持召开专题会议研究法治建设工作。",
         "四、下一年度推进法治政府建设的主要安排", "持续深化行政执法体制改革，加强行政复议规范化建设。"]


def generated_sites(n_sites: int, pages_per_site: int, per_page: int = 20) -> list[Site]:
    """*n_sites* sites of about *pages_per_site* pages each (home, list pages, report pages)."""
    sites = []
    lists = max(1, pages_per_site // (per_page + 1))
    reports = pages_per_site - lists - 1
    for i in range(n_sites):
        county = f"测试{i:02d}县"
        docs = []
        for j in range(reports):
            dept = county + _DEPARTMENTS[j % len(_DEPARTMENTS)][1:]
            year = 2024 - j // len(_DEPARTMENTS)
            when = dt.datetime(year + 1, 1 + j % 3, 1 + j % 28, 9, 0)
            title = f"{dept}{year}年法治政府建设年度报告"
            body = [line.format(issuer=dept, year=year) for line in _BODY] + [f"（第{j}号）"]
            docs.append(Doc(title=title, kind="annual_report", published=when, source=dept, body=body,
                            issuer=dept, report_year=year, report_id=f"gen-{i}-{j}", seq=100000 + j))
        column = Column("/zwgk/fzzfjsndbg/", "法治政府建设年度报告", docs, per_page=per_page)
        sites.append(Site(host=f"www.gen{i:02d}.gov.cn", name=f"{county}人民政府", organizer=f"{county}人民政府办公室",
                          idcode=f"99{i:02d}000001", credit_code="11999999000000000X", system="trs",
                          style="youyang", columns=[column],
                          nav=[("首页", "/"), ("法治政府建设年度报告", "/zwgk/fzzfjsndbg/index.html")]))
    return sites
