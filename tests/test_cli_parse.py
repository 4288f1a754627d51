"""`govreports parse FILE...|-`: JSON lines for HTML, PDF, Word, OFD and text files and stdin,
`--url` once or once per file, and broken files reported on stderr while the rest still print."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import filebuilders as fb
import seedpages
from jobs.cli import cli
from pipeline.process import parse_text

FIELDS = {"title", "issuer", "report_year", "published_at", "kind", "region_code", "region_name", "addressee",
          "signature", "sections", "keywords", "attachments", "format", "status", "text", "file",
          "issuer_source", "method"}


def run(*args: str, stdin: bytes | None = None):
    return CliRunner().invoke(cli, ["parse", *args], input=stdin, catch_exceptions=False)


def lines_of(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def clean_text(key: str) -> str:
    return parse_text(seedpages.seed_text(key)).text


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The seeds' page and documents as files: 003 in every format, 000 and 002 as text."""
    root = tmp_path_factory.mktemp("parse")
    out = {}
    for fmt in seedpages.FORMATS:
        body, _ = seedpages.build("003", fmt)
        out[fmt] = root / f"report-003.{'txt' if fmt == 'text' else fmt}"
        out[fmt].write_bytes(body)
    for key in ("000", "002"):
        out[key] = root / f"report-{key}.txt"
        out[key].write_bytes(seedpages.build(key, "text")[0])
    # 和平区 is a district of Tianjin and of Shenyang: only the URL's host can tell which. No
    # signature: no date but the URL's.
    heping = ["和平区司法局2024年法治政府建设年度报告"] + seedpages.document_lines("003")[1:-2]
    out["heping"] = root / "heping.txt"
    out["heping"].write_text("\n".join(heping), "utf-8")
    return out


def test_html_page(files):
    result = run(str(files["html"]))
    assert result.exit_code == 0 and result.stderr == ""
    (doc,) = lines_of(result)
    assert set(doc) == FIELDS
    assert {k: doc[k] for k in ("title", "issuer", "report_year", "published_at", "kind", "region_code",
                                "region_name", "addressee", "signature", "format", "status", "file")} == {
        "title": "和平县司法局2024年法治政府建设年度报告", "issuer": "和平县司法局", "report_year": 2024,
        "published_at": "2025-02-05", "kind": "annual_report", "region_code": "441624",
        "region_name": "广东省河源市和平县", "addressee": None, "signature": "和平县司法局\n2025年2月5日",
        "format": "html", "status": "ok", "file": str(files["html"])}
    assert [name for name, _ in doc["sections"]] == ["measures_and_results", "shortcomings", "next_year_plan"]
    assert doc["sections"][0] == ["measures_and_results", "一、学习贯彻习近平法治思想,加大法治建设统筹力度"]
    assert doc["attachments"] == [{"url": "./P020250205512345678901.pdf",
                                   "text": "和平县司法局2024年法治政府建设年度报告.pdf"}]
    # Keywords from jieba with the rule-of-law dictionary (words plain jieba cuts apart).
    assert {"行政复议", "重大行政决策", "规范性文件"} <= set(doc["keywords"])
    assert doc["text"] == clean_text("003")


def test_every_file_format_one_object_a_line_in_order(files):
    order = ["pdf", "docx", "doc", "wps", "ofd", "text", "html"]
    result = run(*(str(files[fmt]) for fmt in order))
    assert result.exit_code == 0 and result.stderr == ""
    docs = lines_of(result)
    assert [d["format"] for d in docs] == order
    assert [d["file"] for d in docs] == [str(files[fmt]) for fmt in order]
    for doc in docs:
        assert doc["text"] == clean_text("003"), doc["format"]
        assert (doc["title"], doc["issuer"], doc["report_year"], doc["kind"], doc["signature"]) == (
            "和平县司法局2024年法治政府建设年度报告", "和平县司法局", 2024, "annual_report", "和平县司法局\n2025年2月5日")


@pytest.mark.parametrize("fmt", ["html", "pdf", "text"])
def test_stdin(files, fmt):
    result = run("-", stdin=files[fmt].read_bytes())
    assert result.exit_code == 0, result.stderr
    (doc,) = lines_of(result)
    assert (doc["file"], doc["format"], doc["text"]) == ("-", fmt, clean_text("003"))


def test_url_once_for_every_file(files):
    url = "http://sfj.youyang.gov.cn/zwgk/fzzfjs/202501/t20250120_6583950.html"
    result = run("--url", url, str(files["000"]), str(files["heping"]))
    assert result.exit_code == 0, result.stderr
    youyang, heping = lines_of(result)
    # The report names no date: the URL's path gives it, for both files.
    assert youyang["published_at"] == heping["published_at"] == "2025-01-20"
    assert youyang["region_code"] == "500242" and youyang["text"] == clean_text("000")
    assert heping["region_code"] is None  # 和平区 of which city? a host in Chongqing does not say


def test_url_once_per_file(files):
    tianjin = "http://sfj.tj.gov.cn/zwgk/202502/t20250210_1.html"
    shenyang = "http://sfj.ln.gov.cn/zwgk/202502/t20250211_2.html"
    result = run("--url", tianjin, "--url", shenyang, str(files["heping"]), str(files["heping"]))
    assert result.exit_code == 0, result.stderr
    first, second = lines_of(result)
    assert (first["region_code"], first["region_name"]) == ("120101", "天津市和平区")
    assert (second["region_code"], second["region_name"]) == ("210102", "辽宁省沈阳市和平区")
    assert (first["published_at"], second["published_at"]) == ("2025-02-10", "2025-02-11")


def test_url_resolves_attachment_links(files):
    url = "http://www.heping.gov.cn/zwgk/fzzfjs/202502/t20250205_6583953.html"
    (doc,) = lines_of(run("--url", url, str(files["html"])))
    assert doc["attachments"][0]["url"] == "http://www.heping.gov.cn/zwgk/fzzfjs/202502/P020250205512345678901.pdf"


def test_url_count_must_match(files):
    result = CliRunner().invoke(cli, ["parse", "--url", "http://a.gov.cn/1.html", "--url", "http://a.gov.cn/2.html",
                                      str(files["html"]), str(files["pdf"]), str(files["doc"])])
    assert result.exit_code == 2
    assert "give --url once, or once per file" in result.stderr
    assert result.stdout == ""


def test_broken_files_are_named_and_the_rest_still_print(files, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(files["pdf"].read_bytes()[:5000])
    encrypted = tmp_path / "secret.pdf"
    encrypted.write_bytes(fb.build_pdf(seedpages.document_lines("003"), user_password="secret"))
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(fb.build_zip_bomb("docx", 250_000_000))
    short = tmp_path / "short.txt"
    short.write_text("和平县司法局2024年法治政府建设年度报告\n正文很短。", "utf-8")
    missing = tmp_path / "missing.pdf"
    result = run(str(files["pdf"]), str(broken), str(encrypted), str(bomb), str(short), str(missing),
                 str(files["html"]))
    assert result.exit_code == 1
    assert [d["file"] for d in lines_of(result)] == [str(files["pdf"]), str(files["html"])]
    assert result.stderr.splitlines() == [
        f"file: {broken}: truncated PDF: no %%EOF marker at the end",
        f"file: {encrypted}: encrypted PDF: a password is needed to open it",
        f"file: {bomb}: zip bomb: DOCX expands past 200 MB",
        f"clean: {short}: skipped: too little text (5 characters)",
        f"read: {missing}: No such file or directory",
    ]


def test_a_scan_is_printed_as_needing_ocr(tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(fb.build_scanned_pdf(pages=2))
    result = run(str(scan))
    assert result.exit_code == 0, result.stderr
    (doc,) = lines_of(result)
    assert (doc["format"], doc["status"], doc["text"]) == ("pdf", "needs_ocr", "")


def test_no_keywords_skips_the_tokenizer(files):
    (doc,) = lines_of(run("--no-keywords", str(files["html"])))
    assert doc["keywords"] == [] and doc["text"] == clean_text("003")
