"""decode_html / decode_text: header, meta, GB18030 for GB labels, detection; never garbled."""
from __future__ import annotations

import codecs

import pytest

from pipeline.decode import decode_html, decode_text, normalise_encoding

TEXT = "酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告：行政复议案件128件，镕𠀀"


def _page(charset: str, encoding: str, text: str = TEXT) -> bytes:
    return f'<html><head><meta charset="{charset}"><title>t</title></head><body><p>{text}</p></body></html>'.encode(encoding)


@pytest.mark.parametrize("label", ["gb2312", "GBK", "x-gbk", "cp936", "gb18030"])
def test_gb_family_labels_read_as_gb18030(label):
    # 镕 and 𠀀 are outside GB2312: a page labelled gb2312 still decodes whole.
    assert normalise_encoding(label) == "gb18030"
    assert TEXT in decode_html(_page(label, "gb18030"))


def test_header_charset_wins_over_meta_when_it_decodes():
    body = _page("utf-8", "gb18030")  # meta lies, header tells the truth
    assert TEXT in decode_html(body, "text/html; charset=GBK")


def test_wrong_header_falls_back_to_meta():
    assert TEXT in decode_html(_page("gbk", "gb18030"), "text/html; charset=utf-8")


def test_mislabelled_utf8_is_utf8():
    assert TEXT in decode_html(_page("gb2312", "utf-8"))


def test_no_label_is_detected():
    body = f"<html><body><p>{TEXT * 5}</p></body></html>".encode("gb18030")
    assert TEXT in decode_html(body)


def test_a_few_broken_bytes_do_not_garble_the_page():
    body = _page("gbk", "gb18030", TEXT * 50)
    broken = body[:200] + b"\xb0" + body[200:]
    text = decode_html(broken)
    assert text.count(TEXT) >= 49 and text.count("\ufffd") <= 2


def test_xml_style_encoding_attribute():
    body = f'<text id="x" encoding="gb2312"><p>{TEXT}</p></text>'.encode("gb18030")
    assert TEXT in decode_html(body)


@pytest.mark.parametrize("encoding,bom", [("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
                                          ("gb18030", b""), ("utf-8", b"")])
def test_decode_text(encoding, bom):
    assert decode_text(bom + TEXT.encode(encoding)) == TEXT


def test_decode_never_raises_on_junk():
    assert isinstance(decode_html(bytes(range(256)) * 3), str)
    assert decode_text(b"") == ""


def test_a_gb_page_once_read_as_windows_1252_is_repaired():
    """GBK bytes read as windows-1252 and saved as UTF-8 (`Ž¬³€±»ÓÎÂÖ`, a DAnIEL copy of a
    news.sohu.com page): read back as the GB page it was; an ordinary Western page is left alone."""
    text = "船长被游轮公司认定责任，贴近海岸让同事望见家乡。" * 30
    page = f'<html><head><meta charset="gbk"><title>新闻</title></head><body><p>{text}</p></body></html>'
    garbled = page.encode("gbk").decode("cp1252").encode("utf-8")
    assert text in decode_html(garbled)
    western = ('<html><head><meta charset="gbk"></head><body><p>'
               + "Größe, Übermaß und Café à la carte. " * 40 + "</p></body></html>")
    assert decode_html(western.encode("utf-8")) == western
