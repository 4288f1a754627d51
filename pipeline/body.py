"""What a report's body says of itself when its title is missing or says nothing (an attachment
named `附件1`, a file name, a scan, a repost, a page whose title is an image): its kind, the issuer
its opening sentence names.

The annual report has formulas of its own, set by the 《法治政府建设与责任落实督察工作规定》's
required contents: `现将…情况报告如下`, `一、20XX年推进法治政府建设的主要举措和成效`, `二、存在的
不足`, `三、…工作安排/打算`, the `党政主要负责人履行推进法治建设第一责任人职责` section. Look-alikes
have theirs too, and are told first: a 政府信息公开 annual report cites its 条例 and counts
申请; a 工作要点 is `制定…要点`; a 工作总结 is `总结如下`, or reports its 亮点 and 重点工作 with
no shortcomings. Every rule below carries a real example (the seeds, tests/data/seeds).
"""
from __future__ import annotations

import re
from typing import Sequence

from pipeline.titles import KIND_RULES, normalise_title, split_issuer

__all__ = ["body_kind", "opening_issuer", "says_nothing", "BODY_LOOKALIKES", "REPORT_CUES"]

# How much of the body the opening is: the formulas sit in the first paragraphs.
OPENING_CHARS = 800
_TOP = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]\s*(.{0,60})")
_RULE_OF_LAW = re.compile(r"法治政府|依法行政|法治建设|依法治[县区市省镇乡]")

# (kind, pattern over the opening, real example). Checked before the report's cues.
BODY_LOOKALIKES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("other", re.compile(r"政府信息公开条例|主动公开政府信息|政府信息公开申请|政府信息公开工作年度报告"),
     "本报告根据《中华人民共和国政府信息公开条例》要求编制。(政府信息公开工作年度报告)"),
    ("work_plan", re.compile(r"(制定|印发)(本|如下)?.{0,12}(工作要点|实施方案|工作计划|工作安排)|"
                             r"(要点|方案|计划|安排)如下"),
     "为深入推进法治政府建设，结合工作实际，制定2025年法治政府建设工作要点如下。"),
    ("work_summary", re.compile(r"总结如下"), "现将有关情况总结如下："),
    ("interpretation", re.compile(r"^.{0,30}(解读|答记者问)|现就.{0,20}解读如下|的解读如下"),
     "【文字解读】…; 十九届区政府第37次常务会议“关于2023年度法治建设工作情况的汇报”议题的解读如下"),
    # A leader's own 述法 report, in the first person: `现将我履行法治建设第一责任人职责情况报告如下`.
    ("other", re.compile(r"现将(本人|我(?![镇县区市局乡街委办单部司所中院]))"), "现将我履行法治建设第一责任人职责情况报告如下:(述法报告)"),
    # An article about such work, not a document of it: `本文将回顾司法局在过去一年的工作亮点`.
    ("other", re.compile(r"本文(将|旨在|从)"), "本文将回顾司法局在过去一年的工作亮点,分析面临的挑战 (paxyq.com)"),
    # A news item opens with when it happened: `近日,《2022年法治甘肃建设群众满意度调查报告》出炉`.
    ("news", re.compile(r"^(近日|日前|近期|\d{1,2}月\d{1,2}日(上午|下午)?)[,，]"),
     "近日,《2022年法治甘肃建设群众满意度调查报告》出炉。(gswwpeace.gov.cn)"),
)

# (cue, pattern, where, real example). `where`: "opening" or "heading" (a top heading 一、…)
# or "anywhere".
REPORT_CUES: tuple[tuple[str, re.Pattern[str], str, str], ...] = (
    ("formula", re.compile(r"现将.{0,40}(报告|汇报)如下"), "opening",
     "现将有关工作情况报告如下。(seed 003)"),
    ("measures", re.compile(r"举措|成效|开展情况|工作情况|完成情况|推进.{0,6}(法治|依法)|法治政府建设(工作)?情况"),
     "heading", "一、2024年推进法治政府建设的主要举措和成效 (seed 001); 一、工作开展情况 (seed 000); "
     "一、2024年度法治政府建设情况 (shanwei)"),
    ("shortcomings", re.compile(r"不足|问题|短板|差距"), "heading", "二、存在的主要问题 (seed 000)"),
    ("plan", re.compile(r"下一步|下步|下一年|打算|思路|工作计划|工作安排|主要安排|重点工作"), "heading",
     "三、下一步工作打算 (seed 001); 二、下步工作打算 (seed 002)"),
    ("first_responsible", re.compile(r"第一责任人"), "anywhere",
     "（二）…全面推进党政主要负责人切实履行法治建设第一责任人职责 (seed 002)"),
)
# Cues that set a report on the year's rule of law apart from a 工作总结 of the same shape.
_SUBJECT = ("shortcomings", "measures_rule_of_law", "year_opening")
# The report's first sentence: the year, then who did what for the rule of law that year
# (`2022年,县政府深入学法治思想…坚持把法治政府建设放在全县发展全局中统筹推进`, zhaoxian).
_YEAR_OPENING = re.compile(r"^(?:19|20)\d{2}\s*年(?:度|以来)?\s*[,，]")
_FIRST_SENTENCE = re.compile(r"^[^。！？]*")
_HIGHLIGHTS = re.compile(r"亮点")


def _top_headings(lines: Sequence[str]) -> list[str]:
    return [m.group(1) for m in (_TOP.match(ln) for ln in lines) if m]


def says_nothing(title: str | None) -> bool:
    """A title that tells nothing of the document: none, `附件1`, a file name, a number."""
    if not title or not title.strip():
        return True
    text = normalise_title(title)
    if any(pattern.search(text) for _, pattern, _ in KIND_RULES):
        return False
    if _RULE_OF_LAW.search(text) or re.search(r"报告|总结|要点|方案|解读|通知|公告", text):
        return False
    bare = re.sub(r"\.(pdf|docx?|wps|ofd|jpe?g|png|html?)$", "", text, flags=re.I)
    return len(re.sub(r"[\W\d_a-zA-Z]", "", bare)) <= 3  # 附件1, P020240328….pdf, image 01


def _cues(lines: Sequence[str]) -> set[str]:
    opening = "".join(lines[:4])[:OPENING_CHARS]
    headings = [m.group(1) for m in (_TOP.match(ln) for ln in lines) if m]
    found: set[str] = set()
    first = lines[0] if lines else ""
    if _YEAR_OPENING.match(first) and _RULE_OF_LAW.search(_FIRST_SENTENCE.match(first).group(0)):
        found.add("year_opening")
    for name, pattern, where, _ in REPORT_CUES:
        if where == "opening":
            m = pattern.search(opening)
            if m:
                found.add(name)
                if _RULE_OF_LAW.search(m.group(0)):
                    found.add("formula_rule_of_law")
        elif where == "heading":
            for heading in headings:
                if pattern.search(heading):
                    found.add(name)
                    if name == "measures" and _RULE_OF_LAW.search(heading):
                        found.add("measures_rule_of_law")
                    break
        elif any(pattern.search(ln) for ln in lines):
            found.add(name)
    return found


def body_kind(lines: Sequence[str]) -> str | None:
    """The kind a body shows by its formulas, or None when it shows none. An annual report needs
    the rule of law in its opening or headings and: the formula naming it (`现将2024年法治政府建设
    情况报告如下`), or two of the cues (formula, measures, shortcomings, plan, first responsible
    person, a first sentence that opens with the year and names the rule of law) of which one is a
    shortcomings section (the rules require it; a 工作总结 has none), a measures heading naming
    法治政府建设 (`一、2023年法治政府建设开展情况`, seed 002) or that first sentence. A formula and
    a plan alone, work done and next year's, make a 工作总结 (seed 004)."""
    if not lines:
        return None
    opening = "".join(lines[:4])[:OPENING_CHARS]
    for kind, pattern, _ in BODY_LOOKALIKES:
        if pattern.search(opening):
            return kind
    headings = "".join(m.group(1) for m in (_TOP.match(ln) for ln in lines) if m)
    if not _RULE_OF_LAW.search(opening + headings):
        return None
    cues = _cues(lines)
    if "shortcomings" not in cues and any(_HIGHLIGHTS.search(h) for h in _top_headings(lines)):
        # The year's 亮点工作 and no shortcomings: a 工作总结 (seed 004: `一、2023年亮点工作`).
        return "work_summary"
    shape = cues & {"formula", "measures", "shortcomings", "plan", "first_responsible", "year_opening"}
    if "formula_rule_of_law" in cues or (len(shape) >= 2 and cues & set(_SUBJECT)):
        return "annual_report"
    if "formula" in cues and "plan" in cues:
        # Reports its work and next year's, with no shortcomings: a 工作总结 (seed 004).
        return "work_summary"
    return None


# The issuer named as the subject of the opening sentence: `…，龙华区司法局坚持…`,
# `一年来，县司法局坚持以…` (seed 000), `2024年,和平县司法局坚持以…` (seed 003).
_SUBJECT_VERB = re.compile(r"([^，,。；：:、（）()“”《》\s]{2,40}?)(?:党组|党委)?\s*(?:始终|坚持|深入|认真|全面|紧紧|"
                           r"紧扣|聚焦|持续|切实|以习近平|在.{0,10}领导下)")
_LEAD = re.compile(r"^(?:(?:19|20)\d{2}\s*年(?:度|以来)?|一年来|今年以来|近年来|过去一年)")


def opening_issuer(lines: Sequence[str]) -> str | None:
    """The issuing body the opening sentence names as its subject (not a bare place: `酉阳县坚持…`
    names the county, whose government signs below)."""
    for line in lines[:2]:
        for m in _SUBJECT_VERB.finditer(line[:300]):
            name = _LEAD.sub("", m.group(1)).strip()
            issuer, _ = split_issuer(name)
            if issuer and not issuer.startswith(("在", "由", "经")):
                return issuer
    return None
