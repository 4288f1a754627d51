"""Text from report files built at test time from the seed reports: PDF, DOCX, DOC, WPS, OFD,
and the broken kinds (scans, cid garbage, encrypted, truncated, oversized, bombs)."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tracemalloc
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import filebuilders as fb
from pipeline.files import FileText, extract_file_text, sniff_format
from pipeline.records import ParseFailure

SEEDS = sorted((Path(__file__).resolve().parent / "data" / "seeds").glob("0*.txt"))
BUILDERS = {"pdf": fb.build_pdf, "docx": fb.build_docx, "doc": fb.build_doc, "wps": fb.build_doc,
            "ofd": fb.build_ofd}
TABLE = [["项目", "2023年", "2024年"], ["行政复议案件", "128件", "52件"]]


def paragraphs(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def failure(body: bytes, fmt: str, **kwargs) -> str:
    with pytest.raises(ParseFailure) as info:
        extract_file_text(body, fmt, **kwargs)
    assert info.value.stage == "file"
    return info.value.reason


def test_seeds_are_there():
    assert len(SEEDS) == 5


# ---------------------------------------------------------------- every seed, every format

@pytest.mark.parametrize("fmt", sorted(BUILDERS))
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_paragraphs_come_back_one_a_line(seed: Path, fmt: str):
    """Each seed paragraph comes back as exactly one line, in order, and nothing else does:
    PDF and OFD lines wrapped on the page (and over page breaks) are joined into paragraphs,
    page numbers are left out."""
    expected = paragraphs(seed)
    body = BUILDERS[fmt](expected)
    assert sniff_format(body, filename=f"report.{fmt}") == fmt
    result = extract_file_text(body, fmt)
    assert isinstance(result, FileText)
    assert (result.format, result.status) == (fmt, "ok")
    assert [norm(line) for line in result.lines] == [norm(p) for p in expected]


@pytest.mark.parametrize("fmt", ["pdf", "ofd"])
def test_layout_formats_span_several_pages(fmt: str):
    """The seeds above really exercise page breaks (and PDF page-number footers)."""
    text = paragraphs(SEEDS[2])
    body = BUILDERS[fmt](text)
    if fmt == "pdf":
        assert body.count(b"/Type /Page\n") + body.count(b"/Type /Page ") >= 3
    else:
        assert b"Pages/Page_2/Content.xml" in body


# ---------------------------------------------------------------- PDF

def test_pdf_properties_and_cjk_title():
    body = fb.build_pdf(paragraphs(SEEDS[3]), title="和平县司法局2024年法治政府建设年度报告",
                        author="和平县司法局")
    meta = extract_file_text(body, "pdf").meta
    assert meta["title"] == "和平县司法局2024年法治政府建设年度报告"
    assert meta["author"] == "和平县司法局"
    assert meta["created"].startswith("2000-01-01T00:00:00")  # reportlab's invariant date
    assert "subject" not in meta  # reportlab's "(unspecified)" placeholder is not a value


def test_pdf_spread_out_cjk_gets_no_spaces_but_latin_keeps_them():
    lines = ["一、主要举措和成效", "办理行政复议案件128件", "Rule of law 2024"]
    result = extract_file_text(fb.build_spaced_pdf(lines), "pdf")
    assert result.lines[:2] == ("一、主要举措和成效", "办理行政复议案件128件")
    assert result.lines[2] == "Rule of law 2024"  # real space glyphs stay


@pytest.mark.parametrize("first", [
    "中共淮北市烈山区委烈山区人民政府关于2024年法治政府建设情况的报告",  # a title too long for one line
    paragraphs(SEEDS[1])[1],  # a whole paragraph set as the centred heading (seed 001 has no title)
])
def test_pdf_centred_text_wrapped_over_rows_is_one_paragraph(first: str):
    body = paragraphs(SEEDS[3])[2:6]
    result = extract_file_text(fb.build_pdf([first, *body]), "pdf")
    assert [norm(line) for line in result.lines] == [norm(p) for p in [first, *body]]


def test_pdf_short_centred_lines_stay_apart():
    """A short centred issuer line and the title line under it (seed 000) stay two lines."""
    text = paragraphs(SEEDS[0])
    result = extract_file_text(fb.build_pdf(["酉阳土家族苗族自治县司法局", *text[1:4]]), "pdf")
    assert result.lines[:2] == ("酉阳土家族苗族自治县司法局", text[1])


def test_pdf_without_text_layer_needs_ocr():
    result = extract_file_text(fb.build_scanned_pdf(pages=3), "pdf")
    assert (result.status, result.lines) == ("needs_ocr", ())


def test_pdf_mostly_cid_garbage_needs_ocr():
    result = extract_file_text(fb.build_cid_pdf(["法治政府建设年度报告"], garbage_lines=8), "pdf")
    assert (result.status, result.lines) == ("needs_ocr", ())


def test_pdf_cid_garbage_line_dropped_rest_kept():
    good = [f"第{n}项：推进严格规范公正文明执法，办理行政复议案件{n}件。" for n in range(1, 11)]
    result = extract_file_text(fb.build_cid_pdf(good, garbage_lines=1), "pdf")
    assert result.status == "ok"
    assert not any("cid:" in line for line in result.lines)
    assert [norm(p) for p in good] == [norm(line) for line in result.lines]


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_pdf_with_user_password_fails(algorithm: str):
    body = fb.build_pdf(paragraphs(SEEDS[4]), user_password="secret", algorithm=algorithm)
    assert failure(body, "pdf") == "encrypted PDF: a password is needed to open it"


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_pdf_with_owner_password_only_is_read(algorithm: str):
    """Permissions-only encryption (no open password) is common on government sites."""
    expected = paragraphs(SEEDS[4])
    body = fb.build_pdf(expected, owner_password="owner", algorithm=algorithm)
    assert b"/Encrypt" in body
    result = extract_file_text(body, "pdf")
    assert [norm(line) for line in result.lines] == [norm(p) for p in expected]


def test_pdf_truncated_fails():
    body = fb.build_pdf(paragraphs(SEEDS[0]))
    assert failure(body[: len(body) // 2], "pdf").startswith("truncated PDF")


def test_pdf_garbage_fails():
    assert failure(b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n", "pdf").startswith(
        "broken PDF")


def test_pdf_too_many_pages_fails():
    body = fb.build_pdf(paragraphs(SEEDS[2]))
    assert failure(body, "pdf", max_pages=2).startswith("PDF too long")


def test_pdf_decompression_bomb_fails_quickly_in_little_memory():
    body = fb.build_pdf_bomb(250_000_000)
    tracemalloc.start()
    try:
        reason = failure(body, "pdf")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reason.startswith("decompression bomb: PDF streams expand past 200 MB")
    assert peak < 30_000_000


# ---------------------------------------------------------------- DOCX

def test_docx_tables_text_boxes_content_controls_and_properties():
    text = paragraphs(SEEDS[1])
    body = fb.build_docx(text, table=TABLE, textbox="附件：法治政府建设任务清单",
                         content_control="联系电话：0762-1234567", title="年度报告", author="司法局")
    result = extract_file_text(body, "docx")
    lines = list(result.lines)
    # Table cells in order right after the third paragraph.
    start = lines.index(text[2]) + 1
    assert lines[start:start + 6] == [cell for row in TABLE for cell in row]
    # The text box once (Word also writes a VML fallback copy), the content control's paragraph.
    assert lines.count("附件：法治政府建设任务清单") == 1
    assert "联系电话：0762-1234567" in lines
    assert [line for line in lines if line in text] == text
    assert (result.meta["title"], result.meta["author"]) == ("年度报告", "司法局")


def test_docx_truncated_fails():
    body = fb.build_docx(paragraphs(SEEDS[0]))
    assert sniff_format(body[:5000], filename="a.docx") == "docx"  # damaged zip: the name decides
    assert failure(body[:5000], "docx").startswith("broken DOCX")


@pytest.mark.parametrize("kind", ["docx", "ofd"])
def test_zip_bomb_fails_before_reading(kind: str):
    body = fb.build_zip_bomb(kind, 250_000_000)
    assert sniff_format(body) == kind
    tracemalloc.start()
    try:
        reason = failure(body, kind)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reason == f"zip bomb: {kind.upper()} expands past 200 MB"
    assert peak < 5_000_000


def test_zip_bomb_by_compression_ratio():
    reason = failure(fb.build_zip_bomb("docx", 60_000_000), "docx")
    assert reason.startswith("zip bomb: DOCX member word/document.xml expands")


def test_zip_member_larger_than_its_directory_entry_fails():
    reason = failure(fb.build_zip_bomb("docx", 20_000_000, lie=True), "docx")
    assert reason.startswith("broken DOCX: cannot read word/document.xml")


def test_encrypted_docx_fails():
    # Office stores a password-protected DOCX as a compound file holding EncryptedPackage.
    body = fb.write_cfb({"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(200),
                         "EncryptedPackage": bytes(5000)})
    assert sniff_format(body, filename="report.docx") == "docx"
    assert failure(body, "docx") == "encrypted DOCX: password-protected document"


# ---------------------------------------------------------------- DOC and WPS

def test_doc_pieces_fields_tables_and_properties():
    text = ["Annual report on law-based government, 2024", "二〇二四年法治政府建设情况",
            "一、主要举措和成效", "（一）深入学习贯彻习近平法治思想。"]
    created = dt.datetime(2025, 2, 5, 9, 30)
    body = fb.build_doc(text, table=TABLE, field=("PAGE \\* MERGEFORMAT", "第3页"),
                        title="和平县法治政府建设年度报告", author="和平县司法局", created=created)
    result = extract_file_text(body, "doc")
    assert list(result.lines) == [text[0], text[1] + "第3页", text[2],
                                  *[cell for row in TABLE for cell in row], text[3]]
    assert result.meta["title"] == "和平县法治政府建设年度报告"
    assert result.meta["author"] == "和平县司法局"
    assert result.meta["created"] == "2025-02-05T09:30:00"


def test_wps_is_read_like_doc():
    text = paragraphs(SEEDS[3])
    body = fb.build_doc(text)
    assert sniff_format(body) == "doc"
    assert sniff_format(body, filename="报告.wps") == "wps"
    assert sniff_format(body, content_type="application/kswps") == "wps"
    result = extract_file_text(body, "wps")
    assert result.format == "wps" and [norm(x) for x in result.lines] == [norm(p) for p in text]


def test_works_wps_is_an_unsupported_variant():
    body = fb.build_works_wps()
    assert sniff_format(body, filename="old.wps") == "wps"
    assert failure(body, "wps") == "unsupported WPS variant: no WordDocument stream"


def test_encrypted_doc_fails():
    assert failure(fb.build_doc(["机密"], encrypted=True), "doc") == (
        "encrypted DOC: password-protected document")


def test_rtf_named_doc_fails_clearly():
    reason = failure(b"{\\rtf1\\ansi\\ansicpg936 report}", "doc")
    assert reason == "unsupported DOC variant: an RTF file"


# ---------------------------------------------------------------- OFD

def test_ofd_properties():
    body = fb.build_ofd(paragraphs(SEEDS[0]), title="年度报告", author="区政府", created="2025-01-24")
    meta = extract_file_text(body, "ofd").meta
    assert meta == {"title": "年度报告", "author": "区政府", "created": "2025-01-24"}


def test_ofd_missing_page_fails():
    import zipfile
    from io import BytesIO
    src = zipfile.ZipFile(BytesIO(fb.build_ofd(paragraphs(SEEDS[4]))))
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if not info.filename.endswith("Page_0/Content.xml"):
                dst.writestr(info, src.read(info))
    reason = failure(out.getvalue(), "ofd")
    assert reason == "broken OFD: missing page Doc_0/Pages/Page_0/Content.xml"


# ---------------------------------------------------------------- sniffing and the rest

_PDF = b"%PDF-1.7\n%..."
_HTML = "<!DOCTYPE html><html><head><title>404</title></head></html>".encode()


@pytest.mark.parametrize("body,content_type,filename,expected", [
    (_PDF, None, None, "pdf"),
    (_PDF, "text/html", "a.html", "pdf"),  # magic bytes first
    (_HTML, "application/pdf", "P020240101.pdf", "html"),  # an error page served for a PDF
    (b"\xef\xbb\xbf  <html><body>x</body></html>", None, None, "html"),
    (b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml">', None, None, "html"),
    (b"\x00\x01binary", "application/pdf", None, "pdf"),  # no magic: the content type
    (b"\x00\x01binary", "application/octet-stream", "x/y/附件.OFD?t=1", "ofd"),  # then the name
    (b"\x00\x01binary", None, "download.jsp", "unknown"),
    ("法治政府建设年度报告\n一、主要举措".encode(), None, None, "text"),
    ("法治政府建设年度报告\n一、主要举措".encode("gbk"), None, None, "text"),
    (b"PK\x03\x04broken zip", None, "report.docx", "docx"),
])
def test_sniff_format(body: bytes, content_type, filename, expected: str):
    assert sniff_format(body, content_type=content_type, filename=filename) == expected


def test_sniff_real_files_by_magic_whatever_their_name():
    docx = fb.build_docx(["报告"])
    assert sniff_format(docx, filename="report.doc", content_type="application/msword") == "docx"
    assert sniff_format(fb.build_ofd(["报告", "正文"]), filename="a.pdf") == "ofd"
    assert sniff_format(fb.build_doc(["报告"]), filename="a.docx") == "doc"


def test_file_read_as_what_its_bytes_are():
    """A DOCX named .doc (the crawler's guess from the URL) is read as DOCX."""
    result = extract_file_text(fb.build_docx(["标题", "正文一段"]), "doc")
    assert (result.format, result.lines) == ("docx", ("标题", "正文一段"))


def test_html_page_given_as_a_file_fails():
    assert failure(_HTML, "pdf") == "not a PDF file: the body is an HTML page"


def test_plain_text_in_gbk():
    result = extract_file_text("  标题\r\n\r\n　　正文，办理案件128件。\r\n".encode("gbk"), "text")
    assert result == FileText("text", ("标题", "正文，办理案件128件。"))


@pytest.mark.parametrize("fmt", ["pdf", "docx", "ofd", "text"])
def test_too_large_and_empty(fmt: str):
    reason = failure(b"x" * 2000, fmt, max_bytes=1000)
    assert reason == "file too large: 0.002 MB, more than 0.001 MB"
    assert failure(b"", fmt) == "empty file"


def test_unsupported_format_name():
    assert failure(b"whatever", "xls") == "unsupported file format: xls"


# ---------------------------------------------------------------- files from a real office suite

def _office_with_cjk_font() -> str | None:
    soffice = shutil.which("soffice")
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True,
                           check=False).stdout if shutil.which("fc-list") else ""
    return soffice if soffice and fonts.strip() else None


@pytest.fixture(scope="module")
def libreoffice(tmp_path_factory) -> Path:
    """Files written by LibreOffice (one office process per target, sharing a profile, as an
    office process is slow to start): from DOCX built with python-docx, `report` (seed 003 with a
    first-line indent and a table) as DOC and PDF, seeds 000 and 002 (centred title lines over
    indented paragraphs) as PDF."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    import seedpages

    out = tmp_path_factory.mktemp("office")
    text = paragraphs(SEEDS[3])
    document = docx.Document()
    for i, para in enumerate(text):
        p = document.add_paragraph(para)
        p.paragraph_format.first_line_indent = Pt(28) if i else None
        if i == 3:
            grid = document.add_table(rows=len(TABLE), cols=len(TABLE[0]))
            for r, row in enumerate(TABLE):
                for c, value in enumerate(row):
                    grid.cell(r, c).text = value
            p._p.addnext(grid._tbl)
    document.core_properties.title = text[0]
    document.save(out / "report.docx")
    for key in ("000", "002"):
        spec = seedpages.PUBLISHED[key]
        document = docx.Document()
        for i, line in enumerate(seedpages.document_lines(key)):
            para = document.add_paragraph(line)
            if i < len(spec.title_lines):
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                para.paragraph_format.first_line_indent = Pt(28)
        document.save(out / f"{key}.docx")
    profile = (out / "profile").as_uri()
    for target, names in (("pdf", ("report", "000", "002")), ("doc:MS Word 97", ("report",))):
        subprocess.run([_office_with_cjk_font(), f"-env:UserInstallation={profile}", "--headless",
                        "--convert-to", target, "--outdir", str(out),
                        *(str(out / f"{name}.docx") for name in names)], check=True,
                       capture_output=True, timeout=240)
    return out


@pytest.mark.slow
@pytest.mark.skipif(_office_with_cjk_font() is None, reason="needs LibreOffice and a CJK font")
def test_doc_and_pdf_written_by_libreoffice(libreoffice: Path):
    """LibreOffice's own Word 97 writer and PDF export, on a seed with a first-line indent
    and a table: the DOC comes back exactly, the PDF too except that a table row is one line."""
    text = paragraphs(SEEDS[3])
    cells = [cell for row in TABLE for cell in row]
    doc = extract_file_text((libreoffice / "report.doc").read_bytes(), "doc")
    assert [norm(x) for x in doc.lines] == [norm(x) for x in text[:4] + cells + text[4:]]
    assert doc.meta["title"] == text[0]  # SummaryInformation in code page 65001
    pdf = extract_file_text((libreoffice / "report.pdf").read_bytes(), "pdf")
    rows = ["".join(row) for row in TABLE]
    assert [norm(x) for x in pdf.lines] == [norm(x) for x in text[:4] + rows + text[4:]]


@pytest.mark.slow
@pytest.mark.skipif(_office_with_cjk_font() is None, reason="needs LibreOffice and a CJK font")
@pytest.mark.parametrize("key", ["000", "002"])
def test_pdf_exported_by_libreoffice_parses_like_the_page(libreoffice: Path, key: str):
    """An office suite's PDF (embedded CJK font subsets) of seeds with a title over two centred
    lines and the most artefacts: parse gets the page's text and title (test_pipeline_formats:
    the page's text is parse_text's of the seed)."""
    import seedpages
    from pipeline.process import parse_document, parse_text
    from pipeline.records import ParsedDocument

    doc = parse_document((libreoffice / f"{key}.pdf").read_bytes(), filename=f"{key}.pdf")
    assert isinstance(doc, ParsedDocument) and doc.source_format == "pdf"
    assert doc.text == parse_text(seedpages.seed_text(key)).text
    assert doc.title == seedpages.PUBLISHED[key].title


# ---------------------------------------------------------------- damaged files never crash

_SAMPLES = {
    "pdf": fb.build_pdf(["标题", "正文第一段，办理行政复议案件128件。", "正文第二段。"]),
    "docx": fb.build_docx(["标题", "正文第一段。"], table=TABLE),
    "doc": fb.build_doc(["标题", "Body text", "正文第一段。"], table=TABLE, title="标题"),
    "ofd": fb.build_ofd(["标题", "正文第一段，办理行政复议案件128件。"]),
}


@pytest.mark.parametrize("fmt", sorted(_SAMPLES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_files_give_text_or_parse_failure(fmt: str, data):
    body = bytearray(_SAMPLES[fmt])
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(body) - 1))
        body[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del body[data.draw(st.integers(1, len(body))):]
    try:
        result = extract_file_text(bytes(body), fmt)
    except ParseFailure as exc:
        assert exc.stage == "file" and exc.reason
    else:
        assert all(isinstance(line, str) and line for line in result.lines)
