"""Texts for the test web: the five seeds as their pages show them, and made-up look-alikes.

The seeds are real report texts with chrome a crude copy left in them; on a page that chrome is
page chrome again (header line, footer), so it is taken out of the body here and rendered by the
page style instead. Artefacts of the documents themselves ([bookmark: _GoBack], **bold**, broken
paragraphs, ##paidend##) stay in the body, as they do on real pages.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SEEDS", "SeedPage", "seed_body", "made_up_text", "filler_text", "synthetic_report"]

SEED_DIR = Path(__file__).resolve().parent.parent / "data" / "seeds"


@dataclass(frozen=True)
class SeedPage:
    """How a seed is published: what a careful reader takes from its page."""

    seed: str
    title: str
    issuer: str
    report_year: int
    published: dt.datetime  # the page's PubDate / 发布时间
    source: str  # 来源 as the page shows it
    kind: str = "annual_report"
    # Lines of the seed that are page chrome, not document: dropped from the body.
    chrome_lines: tuple[str, ...] = ()
    # The footer starts at this line (dropped with everything after it).
    footer_from: str | None = None


SEEDS: dict[str, SeedPage] = {
    "000": SeedPage("000", "酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告",
                    "酉阳土家族苗族自治县司法局", 2024, dt.datetime(2025, 1, 20, 10, 12), "县司法局"),
    # No title line in the text: the page gives it, with 来源 区司法局 (seed header 日期:2025-01-24).
    "001": SeedPage("001", "重庆市合川区司法局2024年法治政府建设年度报告", "重庆市合川区司法局", 2024,
                    dt.datetime(2025, 1, 24, 16, 5), "区司法局",
                    chrome_lines=(r"^日期:2025-01-24来源:区司法局$",), footer_from="分享文章到"),
    "002": SeedPage("002", "酉阳土家族苗族自治县人民政府关于2023年法治政府建设情况的报告",
                    "酉阳土家族苗族自治县人民政府", 2023, dt.datetime(2024, 2, 28, 17, 30), "县政府办公室"),
    "003": SeedPage("003", "和平县司法局2024年法治政府建设年度报告", "和平县司法局", 2024,
                    dt.datetime(2025, 2, 5, 9, 0), "本网",
                    chrome_lines=(r"^和平县司法局2024年法治政府建设年度报告$", r"^作者: 来源:本网 发布时间")),
    # A justice bureau's work summary: related, but not the annual report.
    "004": SeedPage("004", "XX区司法局2023年工作总结及2024年工作思路", "XX区司法局", 2023,
                    dt.datetime(2024, 1, 15, 15, 20), "区司法局", kind="work_summary"),
}


def seed_text(seed: str) -> str:
    (path,) = SEED_DIR.glob(f"{seed}_*.txt")
    return path.read_text(encoding="utf-8")


def seed_body(seed: str) -> list[str]:
    """The seed's lines as the page body shows them (page chrome taken out)."""
    spec = SEEDS[seed]
    lines = seed_text(seed).splitlines()
    if spec.footer_from:
        cut = next(i for i, line in enumerate(lines) if line.strip() == spec.footer_from)
        lines = lines[:cut]
    patterns = [re.compile(p) for p in spec.chrome_lines]
    return [line for line in lines if not any(p.search(line.strip()) for p in patterns)]


def _sentences() -> list[str]:
    out = []
    for seed in ("000", "001", "002", "003"):
        for line in seed_body(seed):
            for s in re.split(r"(?<=[。；])", line.strip()):
                s = s.strip()
                if 25 <= len(s) <= 160 and not re.match(r"^[一二三四五六七八九十]+、|^（[一二三四五六七八九十]+）|^\(", s):
                    out.append(s)
    return out


_REGIONS = re.compile(r"酉阳土家族苗族自治县|酉阳县|酉阳|合川区|合川|和平县|和平")


def synthetic_report(issuer: str, region: str, year: int, key: str) -> list[str]:
    """A made-up annual report: the five required sections, sentences drawn from the seeds
    (a different draw per *key*, so two made-up reports are not near-duplicates)."""
    rnd = random.Random(key)
    pool = _sentences()
    rnd.shuffle(pool)
    take = iter(pool)

    def para(n: int) -> str:
        text = "".join(next(take) for _ in range(n))
        text = _REGIONS.sub(region, text)
        return re.sub(r"20(2[0-9])", lambda m: str(year if m.group(1) in ("23", "24") else year - 1), text)

    return [
        f"{year}年，{issuer}坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻习近平法治思想，"
        f"全面落实法治政府建设各项任务。现将{year}年度法治政府建设情况报告如下：",
        f"一、{year}年推进法治政府建设的主要举措和成效",
        para(3), para(3), para(2),
        "二、存在的不足和原因",
        para(2),
        "三、党政主要负责人履行推进法治建设第一责任人职责情况",
        para(2),
        f"四、{year + 1}年推进法治政府建设的主要安排",
        para(3), para(2),
        "五、其他需要报告的事项",
        "无。",
    ]


def made_up_text(kind: str, subject: str, issuer: str, published: dt.date) -> list[str]:
    """The body of a look-alike: a 解读, a news item, a 工作要点, a 政府信息公开 annual report."""
    if kind == "interpretation":
        return [f"近日，{issuer}公开发布了《{subject}》。为便于公众理解，现就有关内容解读如下。",
                "一、起草背景", "根据《法治政府建设与责任落实督察工作规定》，县级以上地方各级政府每年第一季度要向社会公开上一年度法治政府建设情况。",
                "二、主要内容", "报告共分五个部分，分别总结了主要举措和成效、存在的不足和原因、党政主要负责人履职情况、下一年度工作安排及其他需要报告的事项。",
                "三、主要特点", "报告坚持问题导向，既总结成绩，也查找不足，对下一步工作作出安排。"]
    if kind == "news":
        return [f"{published.month}月{published.day}日，{issuer}召开常务会议，审议并原则通过《{subject}》。",
                "会议指出，要深入学习贯彻习近平法治思想，持续推进严格规范公正文明执法，不断提升依法行政水平。",
                "会议要求，各部门要对照报告查找的问题，逐项制定整改措施，确保法治政府建设各项任务落地见效。"]
    if kind == "work_plan":
        return [f"为深入推进法治政府建设，结合工作实际，制定{subject}如下。",
                "一、加强党对法治政府建设的领导", "二、依法全面履行政府职能", "三、健全依法行政制度体系",
                "四、严格规范公正文明执法", "五、强化行政权力制约和监督", "各单位要结合实际抓好贯彻落实。"]
    if kind == "work_summary":
        return [f"{published.year - 1}年，{issuer}在上级党委政府的坚强领导下，紧紧围绕中心工作，各项工作取得新成效。现将有关情况总结如下：",
                "一、主要工作成效", "深入推进依法行政，全面落实行政执法三项制度，行政复议案件办理质量持续提升。",
                "二、存在的问题", "基层法治力量仍然薄弱，普法宣传的针对性有待增强。",
                f"三、{published.year}年工作思路", "持续深化法治政府建设，不断提升公共法律服务水平。"]
    if kind == "other":
        return [f"本报告根据《中华人民共和国政府信息公开条例》要求编制。",
                "一、总体情况", "全年主动公开政府信息1286条，其中规范性文件12件。",
                "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "本年新收政府信息公开申请37件。",
                "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
    raise ValueError(kind)


def filler_text(title: str, issuer: str) -> list[str]:
    """An unrelated notice (the bulk of any column)."""
    return [f"各有关单位：", f"现将{title}有关事项通知如下。", "一、工作安排", "请各单位按照要求认真组织实施。",
            "二、有关要求", "请于规定时间内报送相关材料。", issuer]
