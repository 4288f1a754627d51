"""Properties (hypothesis): cleaning is idempotent, nothing raises on arbitrary text or bytes,
and a paragraph holding a figure is never dropped."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.clean import clean_lines, normalise_line
from pipeline.process import parse_document, parse_text
from pipeline.records import ParsedDocument, ParseFailure, Skipped

# Lines made of the pieces real pages are made of, so that the rules actually fire.
PIECES = ["来源:", "发布时间:", "2025-02-05", "2024年2月28日", "和平县司法局", "一、", "（一）", "一是", "分享到",
          "主办:", "网站标识码:", "ICP备", "**", "[bookmark: _GoBack]", "##paidend##", " ", "　", "，", "。",
          "办理行政复议案件128件", "区委、区政府:", "法治政府建设", "报告如下", "政策文件", "附件下载", "2023 年"]
line = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=8).map("".join)
lines = st.lists(line, max_size=25)
FIGURE = "全年办理行政复议案件128件，同比增长12%，纠错率达到百分之十。"

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(lines)
def test_cleaning_is_idempotent(raw):
    once = clean_lines(raw)
    assert clean_lines(once.lines).lines == once.lines


@SETTINGS
@given(st.text(max_size=200))
def test_normalise_line_is_idempotent(text):
    assert normalise_line(normalise_line(text)) == normalise_line(text)


@SETTINGS
@given(lines, st.integers(min_value=0, max_value=25))
def test_a_figure_paragraph_is_never_dropped(raw, at):
    raw = list(raw)
    raw.insert(min(at, len(raw)), FIGURE)
    out = clean_lines(raw)
    assert any(FIGURE in kept for kept in out.lines)


@SETTINGS
@given(st.text(max_size=2000))
def test_parse_text_never_raises(text):
    assert isinstance(parse_text(text), (ParsedDocument, Skipped))


@SETTINGS
@given(st.binary(max_size=3000))
def test_parse_document_on_bytes_returns_or_fails_cleanly(body):
    try:
        out = parse_document(body)
    except ParseFailure as exc:
        assert exc.stage
        return
    assert isinstance(out, (ParsedDocument, Skipped))


@SETTINGS
@given(st.lists(st.sampled_from(["<p>", "</p>", "<div class='TRS_Editor'>", "</div>", "<br>", "<td>", "<a href='x.pdf'>",
                                 "</a>", "<script>", "<meta charset='gbk'>", FIGURE, "来源:本网", "<h1>", "</h1>"]),
                max_size=40))
def test_parse_document_on_tag_soup(parts):
    body = ("<html><body>" + "".join(parts)).encode("utf-8")
    try:
        out = parse_document(body)
    except ParseFailure:
        return
    assert isinstance(out, (ParsedDocument, Skipped))
