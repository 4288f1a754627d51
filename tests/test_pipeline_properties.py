"""Properties (hypothesis): cleaning is idempotent (and a parsed body is clean already), nothing
raises on arbitrary text or bytes (whatever the encoding), and a paragraph holding a figure is
never dropped, whatever it sits among or looks like."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.clean import clean_lines, holds_figure, normalise_line
from pipeline.process import parse_document, parse_text
from pipeline.records import ParsedDocument, ParseFailure, ParseOptions, Skipped

# Real report lines (the seeds'), to mix with generated ones.
_SEED_LINES = [line for path in sorted((Path(__file__).resolve().parent / "data" / "seeds").glob("0*.txt"))
               for line in path.read_text("utf-8").splitlines() if line.strip()]

# Lines made of the pieces real pages are made of, so that the rules actually fire.
PIECES = ["来源:", "发布时间:", "2025-02-05", "2024年2月28日", "和平县司法局", "一、", "（一）", "一是", "分享到",
          "主办:", "网站标识码:", "ICP备", "**", "[bookmark: _GoBack]", "##paidend##", " ", "　", "，", "。",
          "办理行政复议案件128件", "区委、区政府:", "法治政府建设", "报告如下", "政策文件", "附件下载", "2023 年"]
line = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=8).map("".join)
lines = st.lists(line, max_size=25)
FIGURE = "全年办理行政复议案件128件，同比增长12%，纠错率达到百分之十。"
# Paragraphs reporting a figure, made of words that chrome, signatures and addressees are made of too
# (`地址变更登记办理案件128件`, `电话回访群众1200人次`, `XX司法所…`).
_WORDS = ["地址变更登记", "电话回访群众", "办理", "行政复议", "案件", "全年", "主办", "网站", "下载", "打印", "首页",
          "司法所", "和平县司法局", "区委、区政府", "来源", "发布时间", "，", "、", "累计", "开展", "法治宣传活动", "审查"]
_UNITS = ["件", "个", "项", "人次", "家", "%", "场", "名", "宗", "起", "万", "亿", "次"]
figures = st.builds(lambda head, n, unit, tail: f"{head}{n}{unit}{tail}",
                    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=6).map("".join),
                    st.integers(0, 100_000), st.sampled_from(_UNITS),
                    st.lists(st.sampled_from(_WORDS + ["。", "：", "；"]), max_size=4).map("".join)
                    ).filter(holds_figure)

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
@given(lines, figures, st.integers(min_value=0, max_value=25))
def test_no_paragraph_holding_a_figure_is_dropped(raw, figure, at):
    """Whatever it sits among and whatever it looks like: not chrome, header, signature or addressee."""
    raw = list(raw)
    raw.insert(min(at, len(raw)), figure)
    out = clean_lines(raw)
    assert any(normalise_line(figure) in kept for kept in out.lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(lines.map("\n".join), st.sampled_from(_SEED_LINES)), min_size=1, max_size=20))
def test_a_parsed_text_is_clean_already(parts):
    """parse_text's body is a fixed point of cleaning: nothing in it is chrome, artefact or broken."""
    doc = parse_text("\n".join(parts), options=ParseOptions(min_report_chars=0))
    if isinstance(doc, ParsedDocument) and doc.text:
        assert "\n".join(clean_lines(doc.text.split("\n")).lines) == doc.text


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
@given(st.text(max_size=400), st.sampled_from(["utf-8", "gb18030", "utf-16", "big5"]),
       st.sampled_from(["", '<meta charset="gb2312">', '<meta charset="utf-8">', '<meta charset="x-junk">']))
def test_parse_document_on_any_page_in_any_encoding(text, encoding, meta):
    body = f"<html><head>{meta}</head><body><div id='zoom'><p>{text}</p></div></body></html>"
    try:
        out = parse_document(body.encode(encoding, errors="replace"))
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
