"""A small collection of reports for the storage tests: the five seeds with their fields, three
documents made from seed paragraphs (other counties, other years, a late report, a news item),
and an unofficial repost. Built through storage.reports.store_document, as the parse job does.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.records import ParsedDocument
from pipeline.tokens import Tokenizer
from storage.db import Database
from storage.reports import store_document

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"
UTC = dt.timezone.utc


def seed_text(prefix: str) -> str:
    """The body of a seed: paragraphs one per line, blank lines and the title lines dropped."""
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    lines = [re.sub(r"\s+", "", line) for line in path.read_text("utf-8").splitlines()]
    lines = [line for line in lines if line]
    start = 2 if prefix in ("000", "002") else 1  # issuer line + title line, or one title line
    return "\n".join(lines[start:])


@dataclass(frozen=True)
class Item:
    label: str
    doc: ParsedDocument
    url: str
    host: str
    official: bool
    seen_at: dt.datetime


def _doc(title: str, issuer: str | None, year: int | None, published: dt.date | None, kind: str,
         text: str, code: str | None, name: str | None) -> ParsedDocument:
    return ParsedDocument(title=title, issuer=issuer, report_year=year, published_at=published,
                          kind=kind, text=text, region_code=code, region_name=name,
                          sections=(("measures", text.splitlines()[0][:20]),))


def _yubei() -> str:
    """The 2023 Youyang government report rewritten as Yubei's 2024 report, plus one sentence
    found nowhere else (府院联动)."""
    text = seed_text("002").replace("酉阳土家族苗族自治县", "渝北区").replace("酉阳县", "渝北区")
    text = text.replace("酉阳", "渝北").replace("2023年", "2024年")
    return text + "\n（六）深化府院联动机制，推动行政争议实质性化解。"


def _hechuan() -> str:
    """Half of the Wanzhou bureau's report, as Hechuan's 2022 report."""
    lines = seed_text("001").splitlines()
    return "\n".join(lines[: len(lines) // 2]).replace("2024年", "2022年")


NEWS = ("万州区召开2024年法治政府建设工作推进会。会议强调，要深化行政复议体制改革，"
        "发挥行政复议化解行政争议主渠道作用，确保全年目标任务落地见效。")


def items() -> list[Item]:
    seen = dt.datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
    return [
        Item("youyang-2024-bureau", _doc(
            "酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告", "酉阳土家族苗族自治县司法局",
            2024, dt.date(2025, 3, 20), "annual_report", seed_text("000"), "500242",
            "重庆市酉阳土家族苗族自治县"), "https://www.youyang.gov.cn/sfj/2025/0320/1.html",
            "www.youyang.gov.cn", True, seen),
        Item("wanzhou-2024-bureau", _doc(
            "万州区司法局2024年法治政府建设年度报告", "万州区司法局", 2024, dt.date(2025, 1, 24),
            "annual_report", seed_text("001"), "500101", "重庆市万州区"),
            "https://www.wz.gov.cn/sfj/2025/0124/2.html", "www.wz.gov.cn", True, seen),
        Item("youyang-2023-gov", _doc(
            "酉阳土家族苗族自治县人民政府关于2023年法治政府建设情况的报告", "酉阳土家族苗族自治县人民政府",
            2023, dt.date(2024, 2, 28), "annual_report", seed_text("002"), "500242",
            "重庆市酉阳土家族苗族自治县"), "https://www.youyang.gov.cn/zwgk/2024/0228/3.html",
            "www.youyang.gov.cn", True, seen),
        Item("heping-2024-bureau", _doc(
            "和平县司法局2024年法治政府建设年度报告", "和平县司法局", 2024, dt.date(2025, 2, 5),
            "annual_report", seed_text("003"), "441624", "广东省河源市和平县"),
            "http://www.heping.gov.cn/sfj/4.html", "www.heping.gov.cn", True, seen),
        Item("xx-2023-summary", _doc(
            "XX区司法局2023年工作总结及2024年工作思路", "XX区司法局", 2023, None, "work_summary",
            seed_text("004"), None, None), "https://example.gov.cn/5.html", "example.gov.cn", True, seen),
        Item("yubei-2024-gov", _doc(
            "渝北区人民政府关于2024年法治政府建设情况的报告", "渝北区人民政府", 2024,
            dt.date(2025, 4, 10), "annual_report", _yubei(), "500112", "重庆市渝北区"),
            "https://www.ybq.gov.cn/zwgk/6.html", "www.ybq.gov.cn", True, seen),
        Item("hechuan-2022-gov", _doc(
            "合川区人民政府关于2022年法治政府建设情况的报告", "合川区人民政府", 2022,
            dt.date(2023, 3, 15), "annual_report", _hechuan(), "500117", "重庆市合川区"),
            "https://www.hc.gov.cn/zwgk/7.html", "www.hc.gov.cn", True, seen),
        Item("wanzhou-2024-news", _doc(
            "万州区召开法治政府建设工作推进会", "万州区司法局", 2024, dt.date(2024, 6, 1), "news",
            NEWS, "500101", "重庆市万州区"), "https://www.wz.gov.cn/news/8.html", "www.wz.gov.cn",
            True, seen),
    ]


# An unofficial repost of the Youyang bureau's report on a portal that is not a government host.
REPOST_URL = "https://news.example.com/fazhi/9.html"


def build(db: Database, tokenizer: Tokenizer) -> dict[str, int]:
    """Store the collection; returns label -> report id."""
    ids: dict[str, int] = {}
    with db.session() as s:
        for item in items():
            out = store_document(s, item.doc, url=item.url, canonical_url=item.url, host=item.host,
                                 official=item.official, is_attachment=False, capture_id=None,
                                 seen_at=item.seen_at, tokenizer=tokenizer)
            assert out.action == "new", (item.label, out)
            ids[item.label] = out.report_id
        first = items()[0]
        out = store_document(s, first.doc, url=REPOST_URL, canonical_url=REPOST_URL,
                             host="news.example.com", official=False, is_attachment=False,
                             capture_id=None, seen_at=first.seen_at + dt.timedelta(days=1),
                             tokenizer=tokenizer)
        assert out.action == "duplicate", out
    return ids
