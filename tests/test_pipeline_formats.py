"""One report, every format: the five seeds published as a government web page and as PDF (CJK
font), DOCX, DOC, WPS, OFD and plain-text files built from the same document (tests/seedpages.py).
parse_document must give the same clean text from each, and the same title, issuer, report year,
kind, signature and sections wherever the format carries them. The test web's pages
(tests/web, templates written apart from the pipeline) must give the same text again.
"""
from __future__ import annotations

import re

import pytest

from pipeline.process import parse_document, parse_text
from pipeline.records import ParsedDocument
from seedpages import FORMATS, PUBLISHED, article_url, build, document_lines, seed_text


@pytest.fixture(scope="module")
def parsed() -> dict[tuple[str, str], ParsedDocument]:
    out = {}
    for key in PUBLISHED:
        for fmt in FORMATS:
            body, name = build(key, fmt)
            doc = parse_document(body, filename=name, url=article_url(key) if fmt == "html" else None)
            assert isinstance(doc, ParsedDocument), (key, fmt, doc)
            out[key, fmt] = doc
    return out


@pytest.mark.parametrize("fmt", FORMATS[1:])
@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_same_text_and_fields_as_the_page(parsed, key, fmt):
    page, file = parsed[key, "html"], parsed[key, fmt]
    assert file.source_format == fmt and page.source_format == "html"
    assert file.status == "ok"
    assert file.text == page.text
    assert (file.title, file.issuer, file.report_year, file.kind) == (
        page.title, page.issuer, page.report_year, page.kind)
    assert file.signature == page.signature and file.addressee == page.addressee
    assert file.sections == page.sections
    if key != "004":  # XX区 names no real division: the page's 网站标识码 may still place it
        assert file.region_code == page.region_code


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_the_page_matches_the_hand_made_expectations(parsed, key):
    """The page's text is the seed's clean text (tests/data/seed_expectations.json holds what
    that is: test_pipeline_process checks it), its fields are what the page says."""
    spec, page = PUBLISHED[key], parsed[key, "html"]
    assert page.text == parse_text(seed_text(key)).text
    assert page.title == spec.title
    assert page.published_at == spec.published.date()  # PubDate
    assert [a.text for a in page.attachments] == [f"{spec.title}.pdf"]
    for chrome in ("今天是", "当前位置", f"来源：{spec.source}", "发布时间：", "浏览次数", "【字体", "大 中 小", "打印本页",
                   "关闭窗口", "分享到", "扫一扫", "上一篇", "下一篇", "网站地图", f"主办：{spec.site}", "承办：", "地址：",
                   "邮编：", "网站标识码", "ICP备", "公网安备", "技术支持", "无障碍", "附件：", "P0"):
        assert chrome not in page.text, chrome
    assert page.meta["site_code"] == spec.idcode


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_files_date_from_their_signature_only(parsed, key):
    """A file knows no PubDate: its date is its signature's (002, 003), else unknown."""
    page = parsed[key, "html"]
    signature_date = page.signature.split("\n")[-1] if page.signature else None
    for fmt in FORMATS[1:]:
        file = parsed[key, fmt]
        if signature_date:
            assert file.published_at == page.published_at  # the page dates it the day it was signed
            assert file.published_at.strftime("%Y年%-m月%-d日") == signature_date
        else:
            assert file.published_at is None


def test_every_seed_and_format_is_covered(parsed):
    assert {fmt for _, fmt in parsed} == set(FORMATS) and len(parsed) == 5 * len(FORMATS)
    # The documents carry the artefacts the pipeline must take out.
    docs = {key: "\n".join(document_lines(key)) for key in PUBLISHED}
    assert "[bookmark: _GoBack]" in docs["000"] and "**二是**" in docs["002"] and "##paidend##" in docs["004"]
    assert "2023 年" in docs["002"] and "211 家" in docs["002"]
    for key in PUBLISHED:
        for fmt in FORMATS:
            text = parsed[key, fmt].text
            assert not re.search(r"\[bookmark|\*\*|##paid|\d (?:年|家)|\(cid:", text), (key, fmt)


def test_the_test_webs_pages_give_the_same_text(tmp_path):
    """The seeds' pages on the test web (tests/web: other templates, other sites, a GBK site, an
    ASP.NET repost) parse to the same clean text, with the fields its manifest lists."""
    import gzip
    import urllib.request

    build_web = pytest.importorskip("web.build").build_web
    from web.seeds import ADDED_LINES
    from web.server import TestWeb

    manifest = build_web(tmp_path / "web", profile="seeds")
    pages = 0
    with TestWeb(manifest.sites_dir) as web:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))
        for report in manifest.reports:
            if not report.get("seed"):
                continue
            want = parse_text(seed_text(report["seed"])).text
            for url in report["urls"]:
                with opener.open(url, timeout=10) as response:
                    body = response.read()
                    if response.headers.get("Content-Encoding") == "gzip":
                        body = gzip.decompress(body)
                    content_type = response.headers.get("Content-Type", "")
                if "html" not in content_type:
                    continue
                doc = parse_document(body, url=url, content_type=content_type)
                assert isinstance(doc, ParsedDocument), (url, doc)
                added = ADDED_LINES.get(report["seed"])
                got = doc.text.replace(added + "\n", "") if added else doc.text
                assert got == want, url
                assert (doc.title, doc.issuer, doc.report_year, doc.kind, doc.published_at.isoformat()) == (
                    report["title"], report["issuer"], report["report_year"], report["kind"],
                    report["published_at"]), url
                pages += 1
    assert pages >= 4
