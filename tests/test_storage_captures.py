"""Captures: rows for every outcome, parse states, revalidation info and known URLs, on both backends."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from storage.captures import (
    NewCapture, known_urls, record_capture, record_captures, revalidation_info,
)
from storage.models import Body, Capture
from storage.raw import get_body

PAGE = "<html><body>法治政府建设年度报告</body></html>".encode("utf-8")


def _capture(**kw) -> NewCapture:
    base = dict(url="http://www.example.gov.cn/a.html", canonical_url="http://www.example.gov.cn/a.html",
                role="detail", fetch_state="ok", http_status=200, body=PAGE,
                content_type="text/html; charset=utf-8")
    base.update(kw)
    return NewCapture(**base)


def test_record_capture_states(db):
    with db.session() as s:
        ok = record_capture(
            s, run_id=None, source_id=None, url="http://www.example.gov.cn/a.html?utm_source=x",
            canonical_url="http://www.example.gov.cn/a.html", final_url=None, role="detail",
            parent_capture_id=None, link_text="报告", http_status=200, content_type="text/html",
            etag='"abc"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT", body=PAGE,
            fetch_state="ok", fetch_error=None)
        listing = record_capture(
            s, run_id=None, source_id=None, url="http://www.example.gov.cn/list/",
            canonical_url="http://www.example.gov.cn/list/", final_url=None, role="list",
            parent_capture_id=None, link_text=None, http_status=200, content_type="text/html",
            etag=None, last_modified=None, body=b"<html>list</html>", fetch_state="ok", fetch_error=None)
        missing = record_capture(
            s, run_id=None, source_id=None, url="http://www.example.gov.cn/b.pdf",
            canonical_url="http://www.example.gov.cn/b.pdf", final_url=None, role="attachment",
            parent_capture_id=ok, link_text="附件", http_status=404, content_type="text/html",
            etag=None, last_modified=None, body=b"not found", fetch_state="http_error",
            fetch_error="fetch: http://www.example.gov.cn/b.pdf: HTTP 404")
    with db.session() as s:
        rows = {c.id: c for c in s.scalars(select(Capture))}
        assert rows[ok].parse_state == "pending" and rows[ok].etag == '"abc"'
        assert get_body(s, rows[ok].body_sha256) == PAGE
        assert rows[listing].parse_state == "skipped"
        assert rows[missing].parse_state == "skipped"
        assert rows[missing].parent_capture_id == ok
        assert rows[missing].fetch_error.endswith("HTTP 404")


def test_batch_resolves_parents_and_stores_bodies_once(db):
    page = _capture()
    repost = _capture(url="http://sfj.example.gov.cn/a.html", canonical_url="http://sfj.example.gov.cn/a.html")
    attachment = _capture(url="http://www.example.gov.cn/a.pdf", canonical_url="http://www.example.gov.cn/a.pdf",
                          role="attachment", body=b"%PDF-1.4 ...", parent_index=0, link_text="附件1")
    with db.session() as s:
        ids = record_captures(s, [page, repost, attachment])
    with db.session() as s:
        assert s.get(Capture, ids[2]).parent_capture_id == ids[0]
        # Same bytes at two URLs: one body, two pending captures (a repost is a publication).
        assert s.scalar(select(func.count()).select_from(Body)) == 2
        assert [s.get(Capture, i).parse_state for i in ids] == ["pending"] * 3


def test_unchanged_body_and_not_modified_are_not_parsed_again(db):
    with db.session() as s:
        first, = record_captures(s, [_capture(etag='"v1"')])
        again, = record_captures(s, [_capture()])
        sha = s.get(Capture, first).body_sha256
        revalidated, = record_captures(s, [_capture(fetch_state="not_modified", http_status=304,
                                                    body=None, body_sha256=sha)])
        edited, = record_captures(s, [_capture(body=PAGE + b"<p>edited</p>")])
    with db.session() as s:
        assert s.get(Capture, again).parse_state == "skipped"
        assert s.get(Capture, again).parse_error == "unchanged body"
        assert s.get(Capture, revalidated).parse_state == "skipped"
        assert s.get(Capture, revalidated).body_sha256 == sha
        assert s.get(Capture, edited).parse_state == "pending"


def test_revalidation_info_and_known_urls(db):
    url = "http://www.example.gov.cn/a.html"
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    with db.session() as s:
        good, = record_captures(s, [_capture(etag='"v1"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT",
                                             fetched_at=t0)])
        record_captures(s, [_capture(fetch_state="network_error", http_status=None, body=None,
                                     fetch_error=f"fetch: {url}: timeout", fetched_at=t0 + dt.timedelta(days=1))])
        record_captures(s, [_capture(url="http://www.example.gov.cn/jd.html",
                                     canonical_url="http://www.example.gov.cn/jd.html",
                                     fetch_state="skipped", http_status=None, body=None,
                                     skip_reason="candidates: interpretation")])
    with db.session() as s:
        info = revalidation_info(s, [url, "http://www.example.gov.cn/jd.html", "http://www.example.gov.cn/new.html"])
        known = known_urls(s, [url, "http://www.example.gov.cn/jd.html", "http://www.example.gov.cn/new.html"])
    assert set(info) == {url, "http://www.example.gov.cn/jd.html"}
    a = info[url]
    # Validators from the last good capture; the clock from the last attempt.
    assert a.capture_id == good and a.etag == '"v1"' and a.fetched_at == t0
    assert a.last_state == "network_error" and a.last_attempt_at == t0 + dt.timedelta(days=1)
    skipped = info["http://www.example.gov.cn/jd.html"]
    assert skipped.last_attempt_at is None and skipped.skip_reason == "candidates: interpretation"
    assert known == {url, "http://www.example.gov.cn/jd.html"}
