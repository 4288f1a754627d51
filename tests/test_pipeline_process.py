"""parse_text / parse_document end to end: the five seeds against hand-made expectations, and
HTML pages built the way government sites build them."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import seedpages
from pipeline.clean import learn_boilerplate, normalise_line
from pipeline.process import STAGES, page_lines, parse_document, parse_text
from pipeline.records import KINDS, ParsedDocument, ParseFailure, ParseOptions, Skipped

DATA = Path(__file__).resolve().parent / "data"
EXPECT = {k: v for k, v in json.loads((DATA / "seed_expectations.json").read_text("utf-8")).items()
          if not k.startswith("_")}


def _seed(key: str) -> str:
    (path,) = (DATA / "seeds").glob(f"{key}_*.txt")
    return path.read_text("utf-8")


@pytest.fixture(scope="module")
def parsed() -> dict[str, ParsedDocument]:
    out = {}
    for key in EXPECT:
        doc = parse_text(_seed(key))
        assert isinstance(doc, ParsedDocument), (key, doc)
        out[key] = doc
    return out


@pytest.mark.parametrize("key", sorted(EXPECT))
def test_seed_fields(parsed, key):
    doc, want = parsed[key], EXPECT[key]
    assert doc.title == want["title"]
    assert doc.issuer == want["issuer"]
    assert doc.report_year == want["report_year"]
    assert doc.published_at == (dt.date.fromisoformat(want["published_at"]) if want["published_at"] else None)
    assert doc.kind == want["kind"] and doc.kind in KINDS
    assert doc.region_code == want["region_code"]
    assert (doc.signature, doc.addressee) == (want["signature"], want["addressee"])
    assert [name for name, _ in doc.sections] == want["sections"]


@pytest.mark.parametrize("key", sorted(EXPECT))
def test_seed_text(parsed, key):
    doc, want = parsed[key], EXPECT[key]
    lines = doc.text.split("\n")
    assert lines[0].startswith(want["first_line"])
    assert lines[-1].endswith(want["last_line_ends"])
    for snippet in want["must_contain"]:
        assert snippet in doc.text, snippet
    for snippet in want["must_not_contain"]:
        assert snippet not in doc.text, snippet
    assert all(line == line.strip() and line for line in lines)  # no indentation, no blank lines
    if doc.title:
        assert doc.title not in doc.text


def test_seed_002_broken_paragraphs_are_joined(parsed):
    text = parsed["002"].text
    # Six paragraphs were cut in two by the export; each joined piece is one line now.
    for joined in ("政府内部建立班子（扩大）会议", "实现干部逢提必考", "实施“双倍增”行动计划",
                   "落实公开事项“三级审核”制度", "常态化推进扫黑除恶", "何家岩村入选全国巩固拓展"):
        (line,) = [ln for ln in text.split("\n") if joined in ln]
        assert len(line) > 300
    assert len(text.split("\n")) == 14  # 20 body lines less the 6 joins


def test_seeds_parse_the_same_as_bytes(parsed):
    for key in EXPECT:
        doc = parse_document(_seed(key).encode("gb18030"), filename=f"{key}.txt")
        assert isinstance(doc, ParsedDocument)
        assert doc.text == parsed[key].text and doc.title == parsed[key].title


# Words of the rule-of-law dictionary (pipeline.tokens.RULE_OF_LAW_WORDS) among each seed's keywords:
# jieba's own dictionary cuts each of them apart (行政执法/监督, 合法性/审查, 第一/责任人).
SEED_KEYWORDS = {"000": {"行政复议", "行政诉讼", "依法治县"}, "001": {"行政执法监督", "综合行政执法", "规范性文件"},
                 "002": {"综合行政执法", "第一责任人", "规范性文件"}, "003": {"重大行政决策", "行政复议"},
                 "004": {"合法性审查", "述法", "行政诉讼"}}


@pytest.fixture(scope="module")
def tokenizer():
    from pipeline.tokens import make_tokenizer

    return make_tokenizer("jieba")


@pytest.mark.parametrize("key", sorted(SEED_KEYWORDS))
def test_seed_keywords_with_the_rule_of_law_dictionary(parsed, tokenizer, key):
    from pipeline.tokens import RULE_OF_LAW_WORDS

    assert parsed[key].keywords == ()  # no tokenizer, no keywords and no dictionary loaded
    doc = parse_text(_seed(key), tokenizer=tokenizer)
    assert len(doc.keywords) == 10 and len(set(doc.keywords)) == 10
    assert all(word in doc.text for word in doc.keywords)
    assert SEED_KEYWORDS[key] <= set(doc.keywords)
    assert SEED_KEYWORDS[key] <= {word for word, _, _ in RULE_OF_LAW_WORDS}
    assert doc.text == parsed[key].text  # keywords change nothing else


def _page(body: str, head: str = "", before: str = "", after: str = "") -> bytes:
    return f"""<!DOCTYPE html><html><head><meta charset="gb2312">{head}<title>和平县司法局2024年法治政府建设年度报告_和平县人民政府</title></head>
<body><div class="top">无障碍 简体|繁体 关怀版 2025年3月1日 星期六</div>
<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="/xw/">新闻中心</a></div>
<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 法治政府建设年度报告</div>
{before}<div class="TRS_Editor">{body}</div>{after}
<div class="share">分享到：</div><div class="foot"><p>主办：和平县人民政府办公室</p>
<p>网站标识码：4416240001 粤ICP备05080000号 粤公网安备 44162402000001号</p></div></body></html>""".encode("gb18030")


_BODY = "".join(f"<p>{line}</p>" for line in _seed("003").split("\n")[4:] if line.strip())


def test_government_page_fields_and_clean_text():
    html = _page(_BODY, head='<meta name="ArticleTitle" content="和平县司法局2024年法治政府建设年度报告">'
                             '<meta name="PubDate" content="2025-02-05 10:12:00"><meta name="SiteIDCode" content="4416240001">',
                 before='<h1>和平县司法局2024年法治政府建设年度报告</h1><div class="info">来源：和平县司法局 发布时间：2025-02-05 浏览次数：34 【字体：大 中 小】</div>',
                 after='<div class="attach">附件：<a href="./P020250205.pdf">和平县司法局2024年法治政府建设年度报告.pdf</a></div>')
    doc = parse_document(html, url="http://www.heping.gov.cn/zwgk/fzzf/202502/t20250205_1.html")
    assert isinstance(doc, ParsedDocument)
    text_doc = parse_text(_seed("003"))
    assert doc.text == text_doc.text
    assert (doc.title, doc.issuer, doc.report_year, doc.kind) == (
        "和平县司法局2024年法治政府建设年度报告", "和平县司法局", 2024, "annual_report")
    assert doc.published_at == dt.date(2025, 2, 5)
    assert doc.region_code == "441624"
    assert doc.signature == "和平县司法局\n2025年2月5日"
    assert [a.url for a in doc.attachments] == ["http://www.heping.gov.cn/zwgk/fzzf/202502/P020250205.pdf"]
    assert doc.source_format == "html"


def test_frozen_header_date_is_not_the_publication_date():
    # The page's clock (`2025年3月1日 星期六`) is chrome; the URL's release date is the answer.
    html = _page(_BODY.replace("2025年2月5日", ""))
    doc = parse_document(html, url="http://www.x.gov.cn/zwgk/202502/t20250207_1.html")
    assert doc.published_at == dt.date(2025, 2, 7)


# Template lines of www.heping.gov.cn that no rule knows: one its CMS appends to every article's
# body, and an 更新日期 frozen under every title (the template's, not the article's).
_APPENDED = "扫码关注“平安和平”政务号，获取更多法治资讯"
_FROZEN = "更新日期：2024 年 12 月 30 日"  # learned as normalise_line has it: 更新日期：2024年12月30日
_HOST_TEMPLATE = dict(site_of="003", dated=False, under_title=f'<div class="gxrq">{_FROZEN}</div>',
                      body_end=f'<p style="text-align:center">{_APPENDED}</p>')


def test_host_boilerplate_is_learned_from_the_hosts_pages():
    pages = {key: seedpages.article_page(key, **_HOST_TEMPLATE) for key in seedpages.PUBLISHED}
    learned = learn_boilerplate(page_lines(body) for body in pages.values())
    assert {_APPENDED, normalise_line(_FROZEN)} <= learned
    own = {line for key in pages for line in normalise_lines(seedpages.document_lines(key))}
    assert not learned & own  # nothing of the reports themselves
    assert learn_boilerplate(page_lines(pages["000"]) for _ in range(5)) == frozenset()  # one page, fetched 5 times
    options = ParseOptions(host_boilerplate=learned)
    for key, body in pages.items():
        url = seedpages.article_url(key, site_of="003")
        plain = parse_document(body, url=url)
        assert _APPENDED in plain.text  # no rule takes it out ...
        assert plain.published_at == dt.date(2024, 12, 30)  # ... and the frozen date would be taken
        doc = parse_document(body, url=url, options=options)
        want = parse_text(_seed(key))
        assert doc.text == want.text
        assert doc.signature == want.signature
        # The signature's date (002, 003), else the URL's: the day each was published.
        assert doc.published_at == seedpages.PUBLISHED[key].published.date()


def test_a_frozen_date_older_than_the_report_is_never_its_date():
    """Before any learning (a host's first pages): a date older than the year a report is on."""
    template = dict(_HOST_TEMPLATE, under_title='<div class="gxrq">更新日期：2019年6月1日</div>', body_end="")
    for key in ("000", "001", "002", "003"):
        doc = parse_document(seedpages.article_page(key, **template), url=seedpages.article_url(key, site_of="003"))
        assert doc.kind == "annual_report"
        assert doc.published_at == seedpages.PUBLISHED[key].published.date()
    # Not a report: nothing to judge the date by, the header line is believed.
    summary = parse_document(seedpages.article_page("004", **template), url=seedpages.article_url("004"))
    assert summary.kind == "work_summary" and summary.published_at == dt.date(2019, 6, 1)


def test_page_lines_are_a_pages_lines_for_learning():
    page = seedpages.article_page("003")
    lines = page_lines(page)
    # Above the body, the body, below it; as normalise_line has them (lines of links only left out).
    assert lines[:4] == ("无障碍浏览 | 关怀版 | 简体|繁体 | 手机版今天是：2025年3月1日星期六", "当前位置：首页 > 政务公开 > 法治政府建设",
                         "和平县司法局2024年法治政府建设年度报告", "来源：本网发布时间：2025-02-05 09:00浏览次数：128【字体：大中小】")
    assert lines[-2:] == ("网站标识码：4416240001渝ICP备05003300号渝公网安备50024202000101号", "技术支持：拓尔思信息技术股份有限公司")
    assert set(normalise_lines(seedpages.body_lines("003"))) <= set(lines)
    assert page_lines(page, content_type="text/html; charset=gbk") == lines  # the page's meta charset is right
    # Files and text teach nothing about a host's template.
    assert page_lines(seedpages.build("003", "pdf")[0]) == page_lines(seedpages.build("003", "text")[0]) == ()


def normalise_lines(lines):
    return {normalise_line(line) for line in lines}


def test_list_page_and_empty_page_are_skipped():
    items = "".join(f'<li><a href="/a/t2024030{i % 9 + 1}_{i}.html">XX区2023年法治政府建设年度报告{i}</a>'
                    f'<span>2024-03-0{i % 9 + 1}</span></li>' for i in range(30))
    listing = f"<html><body><ul class='list'>{items}</ul></body></html>".encode()
    out = parse_document(listing)
    assert isinstance(out, Skipped) and out.stage in ("extract", "clean")
    assert isinstance(parse_document(b"<html><body><p>short</p></body></html>"), Skipped)
    assert parse_document(b"") == Skipped("decode", "empty body")


def test_unknown_binary_is_skipped_not_raised():
    out = parse_document(bytes(range(256)) * 4, filename="x.bin")
    assert isinstance(out, (Skipped, ParsedDocument))


def test_bad_argument_raises_parse_failure():
    with pytest.raises(ParseFailure) as err:
        parse_document("not bytes")  # type: ignore[arg-type]
    assert err.value.stage == "decode"


def test_stage_order_is_one_tuple():
    assert [name for name, _ in STAGES] == ["decode", "decode", "extract", "clean", "fields"]


def test_gkmlpt_detail_content():
    content = json.dumps("<p>" + "</p><p>".join(ln for ln in _seed("001").split("\n")[1:16]) + "</p>",
                         ensure_ascii=False)
    html = ("<html><head><title>合川区司法局2024年法治政府建设年度报告</title></head><body><div id='app'></div>"
            "<script>window._CONFIG = window._CONFIG || {};\n_CONFIG.DETAIL = {\"title\":\"合川区司法局2024年法治政府建设"
            "年度报告\",\"publisher\":\"合川区司法局\",\"content\":" + content + "};\n</script></body></html>")
    doc = parse_document(html.encode("utf-8"), url="http://www.hc.gov.cn/gkmlpt/content/1/2/post_3.html")
    assert isinstance(doc, ParsedDocument)
    assert doc.text == parse_text(_seed("001")).text
    assert doc.meta["method"] == "gkmlpt"
    assert doc.issuer == "合川区司法局"


@pytest.mark.parametrize("key", ["000", "002", "003"])
def test_docx_gives_the_same_clean_text_as_the_text(parsed, key):
    import io

    import docx

    document = docx.Document()
    for line in _seed(key).split("\n"):
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    doc = parse_document(buf.getvalue(), filename="report.docx")
    assert isinstance(doc, ParsedDocument) and doc.source_format == "docx"
    assert (doc.text, doc.title, doc.issuer, doc.published_at) == (
        parsed[key].text, parsed[key].title, parsed[key].issuer, parsed[key].published_at)
