"""A small database for the web app's tests that need their own rows: a report stored twice
(a split to make), and reports whose crawled title, text, URLs and raw page are hostile."""
from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

from pipeline.records import Link, ParsedDocument
from storage.db import open_database
from webapp import settings_for

__all__ = ["small_db", "HOSTILE_TITLE", "HOSTILE_ISSUER", "HOSTILE_TEXT", "HOSTILE_URL", "HOSTILE_PAGE"]

HOSTILE_TITLE = '<script>alert("title")</script>某县司法局2024年法治政府建设年度报告'
HOSTILE_ISSUER = '某县司法局"><img src=x onerror=alert(1)>'
HOSTILE_TEXT = ("一、2024年推进法治政府建设的主要举措和成效\n"
                "全面推进依法行政<script>alert('text')</script>，严格规范公正文明执法。\n"
                '"><img src=x onerror=alert(2)>行政复议案件办理质效进一步提升。\n'
                "二、存在的问题和不足\n法治政府建设仍有短板。")
HOSTILE_URL = "javascript:alert(document.cookie)"
HOSTILE_PAGE = (b"<html><head><title>x</title><script>parent.document.title='pwned'</script></head>"
                b"<body><p>\xe6\xb3\x95\xe6\xb2\xbb\xe6\x94\xbf\xe5\xba\x9c</p>"
                b"<form action='http://evil.example/'><input name=a></form></body></html>")


def _doc(title: str, issuer: str, text: str, **extra: Any) -> ParsedDocument:
    return ParsedDocument(title=title, issuer=issuer, report_year=2024,
                          published_at=dt.date(2025, 2, 20), kind="annual_report", text=text,
                          region_code="500242", region_name="重庆市酉阳土家族苗族自治县", **extra)


@contextlib.contextmanager
def small_db(root: Path, *, duplicate: bool = False, hostile: bool = False,
             **web: Any) -> Iterator[tuple[Any, Any, dict[str, int]]]:
    from pipeline.tokens import make_tokenizer
    from storage.captures import record_capture
    from storage.reports import store_document
    url = f"sqlite:///{root / 'small.db'}"
    settings = settings_for(root, url, "", **web)
    db = open_database(url)
    tokenizer = make_tokenizer("auto")
    ids: dict[str, int] = {}
    seen = dt.datetime(2025, 2, 21, 8, 0, tzinfo=dt.timezone.utc)

    def store(s, doc, page_url, capture_id=None, official=True):
        return store_document(s, doc, url=page_url, canonical_url=page_url,
                              host=urlsplit(page_url).hostname or "unknown", official=official,
                              is_attachment=False, capture_id=capture_id, seen_at=seen,
                              tokenizer=tokenizer)

    try:
        with db.session() as s:
            text = ("一、工作开展情况\n" + "深入推进严格规范公正文明执法，行政复议应诉工作质效提升。\n" * 12
                    + "二、存在的主要问题\n基层法治力量仍较薄弱。")
            if duplicate:
                doc = _doc("酉阳县司法局2024年法治政府建设年度报告", "酉阳土家族苗族自治县司法局", text)
                a = store(s, doc, "http://www.youyang.gov.cn/sfj/2025/t1.html")
                store(s, doc, "http://sfj.youyang.gov.cn/fzzf/t1.html")
                ids["report"] = a.report_id
            if hostile:
                cap = record_capture(s, run_id=None, source_id=None, url="http://www.youyang.gov.cn/x.html",
                                     canonical_url="http://www.youyang.gov.cn/x.html", final_url=None,
                                     role="detail", parent_capture_id=None, link_text=HOSTILE_TITLE,
                                     http_status=200, content_type="text/html; charset=utf-8", etag=None,
                                     last_modified=None, body=HOSTILE_PAGE, fetch_state="ok", fetch_error=None)
                doc = _doc(HOSTILE_TITLE, HOSTILE_ISSUER, HOSTILE_TEXT,
                           attachments=(Link(HOSTILE_URL, "附件<b>1</b>"),
                                        Link("http://www.youyang.gov.cn/a.pdf", "正常附件")))
                out = store(s, doc, "http://www.youyang.gov.cn/x.html", capture_id=cap)
                # A publication whose URL is itself hostile (a repost found on a strange page).
                store(s, doc, HOSTILE_URL + "//www.youyang.gov.cn/y.html", official=False)
                pdf = record_capture(s, run_id=None, source_id=None, url="http://www.youyang.gov.cn/a.pdf",
                                     canonical_url="http://www.youyang.gov.cn/a.pdf", final_url=None,
                                     role="attachment", parent_capture_id=cap, link_text=None,
                                     http_status=200, content_type="application/pdf", etag=None,
                                     last_modified=None, body=b"%PDF-1.4 <script>alert(3)</script>",
                                     fetch_state="ok", fetch_error=None)
                ids.update(report=out.report_id, capture=cap, pdf=pdf)
        yield settings, db, ids
    finally:
        db.dispose()
