"""What a title says: the kind of document, the year reported on, the issuer it names.

Used twice: by the crawler, to decide which list items to fetch (`is_candidate`, recall first), and
by `fields`, as the first word on kind, year and issuer. Pure and table-driven: each rule below
carries a real title it was made for.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["TitleInfo", "classify_title", "normalise_title", "split_issuer"]


@dataclass(frozen=True)
class TitleInfo:
    """kind: one of pipeline.records.KINDS. report_year: the year reported on (not published).
    issuer: the issuing body the title names, e.g. 北京市朝阳区司法局 (None when the title names
    only a place, or for an interpretation / news item, whose title names another's report).
    place: a bare region the title names instead of an issuer, e.g. 静海区 (the issuer is then
    on the page). is_candidate: worth fetching as a possible annual report."""

    kind: str
    report_year: int | None
    issuer: str | None
    is_candidate: bool
    place: str | None = None


# (kind, pattern, real example). First match wins, so look-alikes come before the report rule.
KIND_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("interpretation", re.compile(r"解读|一图读懂|图解|读懂|答记者问"),
     "【政策解读】关于《清水县人民政府关于清水县2023年度法治政府建设工作总结的报告》的政策解读"),
    ("other", re.compile(r"信息公开.{0,8}(年度|年报|报告)|政务公开.{0,4}年度报告"),
     "道里区经纬街道办事处2022年政府信息公开工作年度报告"),
    ("other", re.compile(r"人大(常委会)?.{0,12}会议|向.{0,10}人大"),
     "重庆市人民政府关于法治政府建设情况的报告(2024年5月28日在市六届人大常委会第九次会议上)"),
    # News of a report's publication: `苏州发布法治政府建设白皮书`, `…白皮书新闻发布会`.
    ("news", re.compile(r"发布.{0,20}白皮书|白皮书.{0,8}发布|新闻发布会"), "苏州发布法治政府建设白皮书"),
    ("other", re.compile(r"命名|白皮书|表彰|通报|名单|公示|督察反馈|整改方案|述法"),
     "中共重庆市委全面依法治市委员会办公室关于第一批全市法治政府建设示范区县和项目命名的决定"),
    ("news", re.compile(r"发布(?!.{0,3}的)|听取|审议|召开|举行|举办|评估完成|出炉|亮相|晒出|获评|"
                        r"入选|推进会|座谈|调研|部署|会议|培训|开展.{0,6}评估"),
     "市政府常务会议听取2019年度法治政府建设工作情况汇报"),
    ("work_plan", re.compile(r"工作要点|工作安排|实施方案|工作计划|任务分工|计划安排|规划(?!.{0,6}报告)"),
     "西平县人民政府办公室关于印发西平县2020年度法治政府建设工作安排的通知"),
    # The report: "法治政府建设" (or its older name 依法行政) with 报告, or 法治政府建设(工作)情况 alone.
    ("annual_report", re.compile(r"(法治政府建设|依法行政|法治建设|法治政府).{0,16}报告|"
                                 r"报告.{0,6}(法治政府建设|依法行政)|法治政府建设(工作)?(年度)?(情况|工作)$"),
     "嘉善县人民政府关于2022年度法治政府建设情况的报告"),
    ("work_summary", re.compile(r"工作总结|总结|工作情况.{0,3}(及|和).{0,10}(打算|思路|计划)|工作思路|工作打算"),
     "XX区司法局2023年工作总结及2024年工作思路"),
)

_RULE_OF_LAW = re.compile(r"法治|依法行政|法制")
_TRUNCATED = re.compile(r"((?<!\.)\.{2,}|(?<!…)…+)$")  # from a run's first mark only

# A year as written in titles: 2023, 二〇二三, 二零二三 (traditional pages spell years in hanzi).
_CN_DIGITS = str.maketrans("〇零○Ｏ一二三四五六七八九", "000012345678" + "9")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年(?!\s*\d{1,2}\s*月)|年度)")
_DATE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年\s*\d{1,2}\s*月")

# Where the issuer prefix ends: before 关于, a year, or the subject.
_SUBJECT = re.compile(r"关于|(?:19|20)\d{2}\s*年|法治政府建设|法治建设|依法行政|政府信息公开|信息公开|推进")
# (suffix, example) — a prefix ending so names an issuing body.
ISSUER_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("人民政府", "河南省人民政府"), ("政府", "厦门市海沧区政府"), ("办事处", "长沙市天心区坡子街街道办事处"),
    ("办公室", "西平县人民政府办公室"), ("局", "北京市朝阳区司法局"), ("委员会", "XX县全面依法治县委员会"),
    ("委", "中共淮北市烈山区委"), ("厅", "江苏省司法厅"), ("部", "水利部"), ("署", "海关总署"),
    ("院", "XX区人民法院"), ("中心", "XX区政务服务中心"), ("管委会", "XX经济开发区管委会"),
    ("党组", "中共XX局党组"), ("街道", "长沙市天心区坡子街街道"), ("镇", "XX镇"), ("乡", "XX乡"),
    ("办", "XX区依法治区办"), ("处", "XX处"), ("所", "XX司法所"), ("队", "XX区综合行政执法大队"),
    ("集团", "XX集团"), ("公司", "XX公司"),
)
# (suffix, example) — a prefix ending so names a place only.
PLACE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("省", "江苏省"), ("自治区", "广西壮族自治区"), ("市", "重庆市"), ("自治州", "恩施土家族苗族自治州"),
    ("州", "XX州"), ("盟", "锡林郭勒盟"), ("区", "静海区"), ("县", "和平县"), ("旗", "XX旗"),
)
_BRACKETED = re.compile(r"^[【\[]([^】\]]*)[】\]]")
_QUOTED = re.compile(r"《([^》]+)》")
_TRIM = " \t\r\n:：,，、.。-—_|·"


@functools.lru_cache(maxsize=1)
def _t2s():  # built on first use: import-time work would slow every importer
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=4096)
def normalise_title(title: str) -> str:
    """NFKC (full-width brackets and digits to ASCII), traditional to simplified characters,
    no white space. `关于 2023 年…` and `關於2023年…` both become `关于2023年…`."""
    text = unicodedata.normalize("NFKC", title or "")
    if any(ord(ch) > 0x2E7F for ch in text):
        text = _t2s().convert(text)
    return re.sub(r"\s+", "", text)


def _year(text: str) -> int | None:
    text = text.translate(_CN_DIGITS)
    m = _YEAR.search(text)
    if m:
        return int(m.group(1))
    # Only a date: a report delivered on 2024-05-28 is on 2023 (seen for reports to the 人大).
    m = _DATE_YEAR.search(text)
    return int(m.group(1)) - 1 if m else None


def split_issuer(name: str) -> tuple[str | None, str | None]:
    """(issuer, place) for a title prefix: an issuing body, or a bare region, or neither."""
    name = name.strip(_TRIM)
    if len(name) < 2 or len(name) > 40:
        return None, None
    for suffix, _ in ISSUER_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name, None
    for suffix, _ in PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return None, name
    return None, None


def _prefix(text: str) -> str:
    """The words before the subject: the issuer or place, if the title names one."""
    m = _SUBJECT.search(text)
    if m is None:
        return ""
    head = text[: m.start()]
    if head.strip(_TRIM):
        return head
    # `2024年上海市法治政府建设情况报告`: the place comes right after a leading year.
    year = re.match(r"(?:19|20)\d{2}年度?", text)
    if year:
        rest = text[year.end():]
        m2 = re.search(r"法治政府建设|法治建设|依法行政|政府信息公开|信息公开|关于|工作", rest)
        if m2:
            return rest[: m2.start()]
    return ""


def classify_title(title: str) -> TitleInfo:
    """Kind, year reported on, issuer and place named, and whether to fetch it as a candidate."""
    text = normalise_title(title)
    kind = "other"
    for rule_kind, pattern, _ in KIND_RULES:
        if pattern.search(text):
            kind = rule_kind
            break
    # A quoted title (《…》) names the document an interpretation or news item is about.
    inner = text
    bracket = _BRACKETED.match(inner)
    if bracket:
        inner = inner[bracket.end():]
    quoted = _QUOTED.search(inner[:inner.rfind("》") + 1])  # no closing mark after: no try
    if quoted:
        inner = quoted.group(1)
    year = _year(inner) or _year(text)
    issuer, place = (None, None)
    if kind not in ("interpretation", "news"):
        issuer, place = split_issuer(_prefix(inner))
    # A list page cuts long titles (`…情况的...`): judge by what is left, recall first.
    truncated = bool(_TRUNCATED.search(text)) and "法治政府" in text
    if truncated and kind == "other":
        kind = "annual_report"
    candidate = (
        kind == "annual_report"
        or (kind == "work_summary" and bool(_RULE_OF_LAW.search(text)))
        or (truncated and kind not in ("interpretation", "news", "work_plan"))
    )
    return TitleInfo(kind=kind, report_year=year, issuer=issuer, is_candidate=candidate, place=place)
