"""The extraction cascade (pipeline/cascade.py) on pages in the shapes that defeat one guess
(tests/shapes.py), and its rule, table-driven."""
from __future__ import annotations

import re

import pytest

from pipeline.cascade import Candidate, choose, extract_main, needs_fallback
from pipeline.extract import Extracted, extract_html
from pipeline.process import parse_document
from pipeline.records import ParsedDocument, ParseOptions, Skipped
from shapes import SHAPES
from textscore import f1


# (shape, F1 floor, method that must produce the text, words the text must not hold)
CASES = [
    # An old table layout: each paragraph a row of a nested table, a 30-row 相关链接 table under it.
    ("table_layout", 0.98, "density", ("相关链接", "关于开展2025年度", "点击数", "打印本页")),
    # A notice above a forum-like thread of comments: the notice, not the thread.
    ("message", 0.98, "density", ("热心市民", "03-01")),
    # A blog page showing three posts: the one <title> names, not the first or the longest.
    ("blog", 0.98, "density", ("春天的山路", "读书清单")),
    # A portal report with a longer 相关报道 block of summaries beside it: the report.
    ("portal", 0.9, "density", ("记者从区司法局获悉", "相关报道")),
    # A report with the column's other items under it in the same box: the report only.
    ("report_with_list", 0.98, "density", ("本栏目其他信息", "县司法局召开2025年")),
    # A short report notice split over cells next to a long list: the fallback finds it.
    ("short_report", 0.98, "readability", ("相关链接", "关于开展2025年度")),
    # A report in one cell with its 相关链接 in the same cell: mostly links, one dominant text.
    ("report_in_cell", 0.98, "density", ("相关链接", "关于开展2025年度")),
]


@pytest.mark.parametrize("shape,floor,method,absent", CASES, ids=[c[0] for c in CASES])
def test_shape_gives_its_article(shape, floor, method, absent):
    page, gold, title = SHAPES[shape]()
    doc = parse_document(page.encode("utf-8"), options=ParseOptions())
    assert isinstance(doc, ParsedDocument), doc  # never an empty output
    assert f1(doc.text, gold) >= floor, doc.text[:300]
    assert doc.meta["method"] == method
    assert doc.title == title
    for word in absent:
        assert word not in doc.text, word


def test_every_shape_is_tested():
    assert {c[0] for c in CASES} == set(SHAPES)


def _page(lines: tuple[str, ...], **kw) -> Extracted:
    return Extracted(lines=lines, **kw)


REPORT = "2024年，区司法局坚持以习近平法治思想为指导，全面推进法治政府建设，现将有关情况报告如下。" * 5
LIST = tuple(f"关于开展第{i}批行政执法案卷评查工作的通知" for i in range(20))


@pytest.mark.parametrize("page,force,reason", [
    (_page(()), False, "empty"),
    (_page(LIST, link_density=0.9, n_links=20), False, "list page"),
    (_page(("短讯：会议召开。",)), False, "short"),
    (_page((REPORT,)), False, "brief"),
    (_page((REPORT * 4,)), False, None),
    (_page((REPORT * 4,) + LIST * 3, link_density=0.4, n_links=120), False, "linky"),
    (_page((REPORT,)), True, "forced"),
])
def test_when_the_fallback_runs(page, force, reason):
    assert needs_fallback(page, force=force) == reason


def _alt(lines: tuple[str, ...], link_density: float = 0.0) -> Candidate:
    text = "".join(lines)
    return Candidate(lines=lines, chars=len(text), link_density=link_density,
                     punct=len(re.findall(r"[。，；]", text)))


TITLE = "XX区司法局2024年法治政府建设年度报告"


@pytest.mark.parametrize("own,alt,reason,before,take", [
    # An unusable fallback never wins: too short, link-heavy, or without sentences.
    (_page(()), None, "empty", (), False),
    (_page(()), _alt(("会议召开。",)), "empty", (), False),
    (_page(()), _alt((REPORT,), link_density=0.5), "empty", (), False),
    (_page(()), _alt(LIST), "empty", (), False),
    # An empty own result or a list verdict gives way to a usable fallback ...
    (_page(()), _alt((REPORT,)), "empty", (), True),
    (_page(LIST, link_density=0.9, n_links=20), _alt((REPORT,)), "list page", (), True),
    # ... unless the list block's own text is a longer text by itself.
    (_page((REPORT * 2,), link_density=0.7, n_links=30), _alt((REPORT,)), "list page", (), False),
    # The page's title decides between two texts: the one under it.
    (_page(("近日召开会议。" * 5,), before=(TITLE,), meta={"articletitle": TITLE}),
     _alt((REPORT * 3,)), "short", ("相关报道",), False),
    (_page(("近日召开会议。" * 5,), before=("相关报道",), meta={"articletitle": TITLE}),
     _alt((REPORT,)), "short", (TITLE,), True),
    # Else a short own result gives way to twice as much text, and a forced try to any more.
    (_page(("近日召开会议，研究部署工作。",)), _alt((REPORT,)), "short", (), True),
    (_page((REPORT,)), _alt((REPORT + "另有说明。",)), "forced", (), True),
    (_page((REPORT,)), _alt((REPORT[:100],)), "forced", (), False),
    # A brief own result gives way to a text twice as long only if that text holds it: more of
    # the same article (the poem above its notes), never another one (a longer neighbour).
    (_page((REPORT,)), _alt(("原文：" + "我有所念人，隔在远远乡。" * 30, REPORT)), "brief", (), True),
    (_page((REPORT,)), _alt(("近日，市里召开会议，研究部署下一步工作。" * 30,)), "brief", (), False),
    # ... and a short or brief one to a text a little longer (SAME_LONGER) that holds it: the same
    # article with the lead the own block left out (DAnIEL pages), never a shorter addition.
    (_page((REPORT,)), _alt(("据本报记者报道，会议于昨日召开，各部门负责人参加。" * 2, REPORT)), "brief", (), True),
    (_page(("近日召开会议，研究部署工作，各部门负责人参加，会议要求抓好落实。" * 2,)),
     _alt(("据报道，会议于昨日召开。", "近日召开会议，研究部署工作，各部门负责人参加，会议要求抓好落实。" * 2)),
     "short", (), True),
    (_page((REPORT,)), _alt((REPORT + "另有说明。",)), "brief", (), False),
    (_page((REPORT,)), _alt(("另一篇文章，与本文无关，篇幅相近。" * 12,)), "brief", (), False),
    # A linky own result gives way to its own text without the lists, never to another text.
    (_page((REPORT * 4,) + LIST * 3, link_density=0.4, n_links=120), _alt((REPORT * 4,)), "linky", (), True),
    (_page((REPORT * 4,) + LIST * 3, link_density=0.4, n_links=120), _alt(("另一篇文章的内容，与本文无关。" * 40,)),
     "linky", (), False),
])
def test_which_text_is_kept(own, alt, reason, before, take):
    assert choose(own, alt, reason, before)[0] is take


def test_the_method_and_the_reason_are_recorded():
    page, _, _ = SHAPES["short_report"]()
    got = extract_main(page)
    assert got.method == "readability" and got.fallback.startswith("short;")
    assert extract_html(page).method == "density"  # the own extractor alone takes the list
    doc = parse_document(page.encode("utf-8"))
    assert doc.meta["method"] == "readability" and "fallback" in doc.meta


def test_a_real_list_page_stays_a_list_page():
    items = "".join(f'<li><a href="/x/{i}.html">XX县关于第{i}批行政许可事项的公告</a><span>2025-01-0{i % 9 + 1}</span></li>'
                    for i in range(40))
    page = f"<html><head><title>通知公告_XX县人民政府</title></head><body><ul class='list'>{items}</ul></body></html>"
    result = parse_document(page.encode("utf-8"))
    assert isinstance(result, Skipped) and result.reason in ("list page", "no main text")


def test_a_page_that_would_be_skipped_is_tried_with_the_fallback():
    # Own text long enough to pass the extract stage, too short once cleaned: the fallback's
    # longer text is then taken (a forced try).
    page, gold, _ = SHAPES["short_report"]()
    doc = parse_document(page.encode("utf-8"), options=ParseOptions(min_report_chars=150))
    assert isinstance(doc, ParsedDocument) and f1(doc.text, gold) > 0.95
