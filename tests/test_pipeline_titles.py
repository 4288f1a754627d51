"""classify_title on the real titles of report-titles.tsv, plus the look-alikes a crawler meets."""
from __future__ import annotations

import csv
import re

import pytest

from pipeline.records import KINDS
from pipeline.titles import classify_title, normalise_title
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

TSV_KINDS = {"report": "annual_report", "plan": "work_plan", "summary": "work_summary",
             "interpretation": "interpretation", "news": "news", "other": "other"}


def _rows() -> list[dict[str, str]]:
    with open(DATA_DIR / "report-titles.tsv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = _rows()
REPORT_ROWS = [r for r in ROWS if r["kind"] == "report"]


def test_table_is_loaded():
    assert len(ROWS) >= 30 and len(REPORT_ROWS) >= 15


@pytest.mark.parametrize("row", ROWS, ids=[r["title"][:24] for r in ROWS])
def test_kind_of_every_row(row):
    info = classify_title(row["title"])
    assert info.kind in KINDS
    assert info.kind == TSV_KINDS[row["kind"]]


@pytest.mark.parametrize("row", REPORT_ROWS, ids=[r["title"][:24] for r in REPORT_ROWS])
def test_report_rows_year_issuer_candidate(row):
    info = classify_title(row["title"])
    assert info.report_year == int(row["report_year"])
    assert info.is_candidate
    # The tsv's issuer sometimes carries a note "(…转载)"; the title can only tell the name.
    expected = re.sub(r"[(（].*?[)）]", "", row["issuer"])
    title = normalise_title(row["title"])
    if info.issuer is not None:
        # Exactly as the tsv has it, or the tsv adds the province the title leaves out
        # (浙江省|嘉善县人民政府), or the title adds the office (坡子街街道|办事处).
        assert info.issuer in title
        assert (info.issuer == expected or expected.endswith(info.issuer)
                or info.issuer == expected + "办事处"), (info.issuer, expected)
    else:
        # No issuer in the title: at most a bare place, which the tsv's issuer contains.
        assert expected not in title
        if info.place is not None:
            assert info.place in expected


def test_issuer_in_title_is_found_when_title_carries_it():
    # Every report row whose title starts with the (note-free) tsv issuer must yield it.
    hits = 0
    for row in REPORT_ROWS:
        expected = re.sub(r"[(（].*?[)）]", "", row["issuer"])
        if normalise_title(row["title"]).startswith(expected):
            assert classify_title(row["title"]).issuer in (expected, expected + "办事处")
            hits += 1
    assert hits >= 8


@pytest.mark.parametrize("row", [r for r in ROWS if r["kind"] != "report"],
                         ids=[r["title"][:24] for r in ROWS if r["kind"] != "report"])
def test_look_alikes_are_not_candidates(row):
    info = classify_title(row["title"])
    if info.kind == "work_summary":  # a 依法行政 summary is the report's older form: fetch it
        return
    assert not info.is_candidate


# (title, kind, year, issuer, place, candidate): seeds' titles and look-alikes from the site guide.
CASES = [
    ("酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告", "annual_report", 2024,
     "酉阳土家族苗族自治县司法局", None, True),
    ("酉阳土家族苗族自治县人民政府关于 2023 年法治政府建设情况的报告", "annual_report", 2023,
     "酉阳土家族苗族自治县人民政府", None, True),
    ("和平县司法局2024年法治政府建设年度报告", "annual_report", 2024, "和平县司法局", None, True),
    ("XX区司法局2023年工作总结及2024年工作思路", "work_summary", 2023, "XX区司法局", None, False),
    ("中共淮北市烈山区委烈山区人民政府关于2024年法治政府建设情况的报告", "annual_report", 2024,
     "中共淮北市烈山区委烈山区人民政府", None, True),
    ("中共XX局党组2022年度法治政府建设情况报告", "annual_report", 2022, "中共XX局党组", None, True),
    ("2020年静海区法治政府建设情况报告", "annual_report", 2020, None, "静海区", True),
    ("XX县2023年法治政府建设年度情况报告", "annual_report", 2023, None, "XX县", True),
    ("XX街道关于2022年法治政府建设工作情况的报告", "annual_report", 2022, "XX街道", None, True),
    ("XX区2025年法治政府建设报告", "annual_report", 2025, None, "XX区", True),
    ("二〇二三年度法治政府建设情况报告", "annual_report", 2023, None, None, True),
    ("廣州市教育局2021年法治政府建設年度報告", "annual_report", 2021, "广州市教育局", None, True),
    ("ＸＸ市司法局２０２２年法治政府建设年度报告", "annual_report", 2022, "XX市司法局", None, True),
    ("XX市人民政府关于2023年度法治政府建设情况的...", "annual_report", 2023, "XX市人民政府", None, True),
    ("XX区2023年度法治政府建设工作总结的报告", "annual_report", 2023, None, "XX区", True),
    ("一图读懂｜XX区2023年法治政府建设年度报告", "interpretation", 2023, None, None, False),
    ("XX市2023年法治政府建设工作要点", "work_plan", 2023, None, "XX市", False),
    ("XX区2023年政府信息公开工作年度报告", "other", 2023, None, "XX区", False),
    ("区政府常务会议审议2023年法治政府建设年度报告", "news", 2023, None, None, False),
    ("XX市法治政府建设实施方案（2021-2025年）", "work_plan", 2025, None, "XX市", False),
    ("XX市法治政府建设白皮书", "other", None, None, "XX市", False),
    ("关于2023年度法治政府建设情况的报告", "annual_report", 2023, None, None, True),
]


@pytest.mark.parametrize("title,kind,year,issuer,place,candidate", CASES, ids=[c[0][:20] for c in CASES])
def test_cases(title, kind, year, issuer, place, candidate):
    info = classify_title(title)
    assert (info.kind, info.report_year, info.issuer, info.place, info.is_candidate) == (
        kind, year, issuer, place, candidate)


def test_empty_and_odd_input():
    assert classify_title("").kind == "other"
    assert classify_title("   ").report_year is None
    assert not classify_title("首页").is_candidate
