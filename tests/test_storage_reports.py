"""Storing documents: new, duplicate (another URL), updated (new version with a diff, old kept),
unchanged; official publications decide what a report shows; idempotent; safe with concurrent
writers on PostgreSQL."""
from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, select, text

import storage_collection as coll
from pipeline.dedup import content_sha256
from pipeline.tokens import Tokenizer, make_tokenizer
from storage.models import Capture, Publication, Report, ReportVersion
from storage.reports import store_document
from storage.search import Filters, search

T0 = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.timezone.utc)
BASE = coll.items()[0].doc  # the Youyang bureau's 2024 report
EDITED = dataclasses.replace(BASE, text=BASE.text.replace(
    "开展党组会学法12次", "开展党组会学法14次") + "\n四、其他需要报告的事项\n全年无人机巡查执法38次。")
SPACED = dataclasses.replace(BASE, text=BASE.text.replace("。", "。 "))  # same text, other spacing
OTHER = coll.items()[3].doc  # the Heping bureau's report


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return make_tokenizer("jieba").load()


def _store(db, doc, url, tokenizer, *, official=True, seen=T0, capture_id=None):
    with db.session() as s:
        return store_document(s, doc, url=url, canonical_url=url, host=url.split("/")[2],
                              official=official, is_attachment=url.endswith(".pdf"),
                              capture_id=capture_id, seen_at=seen, tokenizer=tokenizer)


def _counts(db) -> tuple[int, int, int]:
    with db.session() as s:
        return tuple(s.scalar(select(func.count()).select_from(m))
                     for m in (Report, Publication, ReportVersion))


A, B, C = "https://www.youyang.gov.cn/a.html", "https://sfj.youyang.gov.cn/b.html", "https://www.youyang.gov.cn/c.pdf"

# (steps of (doc, url, days after T0), expected actions, expected (reports, publications, versions))
SEQUENCES = [
    ("same page twice", [(BASE, A, 0), (BASE, A, 1)], ["new", "unchanged"], (1, 1, 1)),
    ("same text on another site", [(BASE, A, 0), (BASE, B, 1)], ["new", "duplicate"], (1, 2, 1)),
    ("other spacing is the same text", [(BASE, A, 0), (SPACED, B, 1), (SPACED, A, 2)],
     ["new", "duplicate", "unchanged"], (1, 2, 1)),
    ("page and its PDF", [(BASE, A, 0), (BASE, C, 0)], ["new", "duplicate"], (1, 2, 1)),
    ("an edit", [(BASE, A, 0), (EDITED, A, 5)], ["new", "updated"], (1, 1, 2)),
    ("edit, then edited back", [(BASE, A, 0), (EDITED, A, 5), (BASE, A, 9)],
     ["new", "updated", "updated"], (1, 1, 3)),
    ("an old capture parsed again", [(BASE, A, 0), (EDITED, A, 5), (BASE, A, 0), (EDITED, A, 5)],
     ["new", "updated", "unchanged", "unchanged"], (1, 1, 2)),
    ("captures parsed out of order", [(EDITED, A, 5), (BASE, A, 0)], ["new", "updated"], (1, 1, 2)),
    ("two reports", [(BASE, A, 0), (OTHER, B, 0)], ["new", "new"], (2, 2, 2)),
]


@pytest.mark.parametrize("name, steps, actions, counts", SEQUENCES, ids=[s[0] for s in SEQUENCES])
def test_store_sequences(db, tokenizer, name, steps, actions, counts):
    got = [_store(db, doc, url, tokenizer, seen=T0 + dt.timedelta(days=d)).action
           for doc, url, d in steps]
    assert got == actions
    assert _counts(db) == counts
    # storing every step again changes nothing
    again = [_store(db, doc, url, tokenizer, seen=T0 + dt.timedelta(days=d)).action
             for doc, url, d in steps]
    assert set(again) == {"unchanged"}
    assert _counts(db) == counts


def test_an_edit_keeps_the_old_version_with_a_diff_and_reindexes(db, tokenizer):
    first = _store(db, BASE, A, tokenizer)
    second = _store(db, EDITED, A, tokenizer, seen=T0 + dt.timedelta(days=5))
    assert (second.report_id, second.publication_id) == (first.report_id, first.publication_id)
    with db.session() as s:
        report = s.get(Report, first.report_id)
        assert report.text == EDITED.text and report.content_sha256 == content_sha256(EDITED.text)
        old, new = s.scalars(select(ReportVersion).order_by(ReportVersion.id)).all()
        assert old.text == BASE.text and old.diff is None and old.created_at == T0
        assert new.created_at == T0 + dt.timedelta(days=5)
        assert "-" + next(l for l in BASE.text.splitlines() if "学法12次" in l) in new.diff
        assert "+全年无人机巡查执法38次。" in new.diff
        pub = s.get(Publication, first.publication_id)
        assert pub.content_sha256 == new.content_sha256 and pub.last_seen == new.created_at
        assert [h.report_id for h in search(s, "无人机", tokenizer=tokenizer)] == [first.report_id]
        assert search(s, '"学法12次"', tokenizer=tokenizer) == []
        assert len(search(s, '"学法14次"', tokenizer=tokenizer)) == 1


def test_duplicate_records_why_and_moves_last_seen(db, tokenizer):
    first = _store(db, BASE, A, tokenizer)
    dup = _store(db, BASE, B, tokenizer, seen=T0 + dt.timedelta(days=1))
    _store(db, BASE, B, tokenizer, seen=T0 + dt.timedelta(days=3))
    assert dup.report_id == first.report_id and dup.publication_id != first.publication_id
    with db.session() as s:
        pub = s.get(Publication, dup.publication_id)
        assert pub.merge_reason == {"method": "exact", "content_sha256": content_sha256(BASE.text)}
        assert (pub.first_seen, pub.last_seen) == (T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=3))
        assert s.get(Publication, first.publication_id).merge_reason == {"method": "first"}


def test_official_publication_decides_the_fields(db, tokenizer):
    repost = dataclasses.replace(BASE, title="转载：2024年法治政府建设情况", issuer=None,
                                 published_at=dt.date(2025, 4, 2), region_code=None)
    first = _store(db, repost, "https://news.example.com/1.html", tokenizer, official=False)
    _store(db, BASE, A, tokenizer, seen=T0 + dt.timedelta(days=1))
    with db.session() as s:
        report = s.get(Report, first.report_id)
        assert (report.title, report.issuer, report.published_at, report.region_code) == (
            BASE.title, BASE.issuer, BASE.published_at, BASE.region_code)
        # the title in the index is the official one too
        assert search(s, "转载", tokenizer=tokenizer) == []
    # a later unofficial copy neither overrides nor hides the official fields
    _store(db, repost, "https://bbs.example.com/2.html", tokenizer, official=False,
           seen=T0 + dt.timedelta(days=2))
    # an edit on the unofficial copy is kept as a version, but the report shows the official text
    _store(db, dataclasses.replace(repost, text=EDITED.text), "https://news.example.com/1.html",
           tokenizer, official=False, seen=T0 + dt.timedelta(days=3))
    with db.session() as s:
        report = s.get(Report, first.report_id)
        assert report.title == BASE.title and report.text == BASE.text
        assert s.scalar(select(func.count()).select_from(ReportVersion)) == 2


def test_same_text_with_better_fields_updates_the_report_and_its_filters(db, tokenizer):
    """A better parser run again over the same capture: same text, now with a year and region."""
    first = _store(db, dataclasses.replace(BASE, report_year=None, region_code=None), A, tokenizer)
    with db.session() as s:
        assert search(s, "败诉", tokenizer=tokenizer, filters=Filters(year=2024)) == []
    assert _store(db, BASE, A, tokenizer, seen=T0 + dt.timedelta(days=1)).action == "unchanged"
    with db.session() as s:
        report = s.get(Report, first.report_id)
        assert (report.report_year, report.region_code) == (2024, "500242")
        hits = search(s, "败诉", tokenizer=tokenizer, filters=Filters(year=2024, region="5002"))
        assert [h.report_id for h in hits] == [first.report_id]
    assert _counts(db) == (1, 1, 1)


def test_unofficial_copy_fills_missing_fields(db, tokenizer):
    sparse = dataclasses.replace(BASE, issuer=None, published_at=None)
    first = _store(db, sparse, A, tokenizer)
    _store(db, BASE, "https://news.example.com/1.html", tokenizer, official=False)
    with db.session() as s:
        report = s.get(Report, first.report_id)
        assert (report.issuer, report.published_at) == (BASE.issuer, BASE.published_at)


def test_documents_without_text_are_never_merged(db, tokenizer):
    scan = dataclasses.replace(BASE, text="", status="needs_ocr", source_format="pdf")
    assert _store(db, scan, "https://a.gov.cn/1.pdf", tokenizer).action == "new"
    assert _store(db, scan, "https://b.gov.cn/2.pdf", tokenizer).action == "new"
    assert _counts(db)[0] == 2


def test_capture_is_linked_to_its_report(db, tokenizer):
    with db.session() as s:
        cap = Capture(url=A, canonical_url=A, fetched_at=T0)
        s.add(cap)
        s.flush()
        cap_id = cap.id
    out = _store(db, BASE, A, tokenizer, capture_id=cap_id)
    with db.session() as s:
        assert s.get(Capture, cap_id).report_id == out.report_id
        assert s.get(Publication, out.publication_id).last_capture_id == cap_id


def test_naive_times_are_refused(db, tokenizer):
    with pytest.raises(ValueError, match="timezone"):
        _store(db, BASE, A, tokenizer, seen=dt.datetime(2025, 3, 1))


def _wait_for_blocked_writer(db, timeout: float = 10.0) -> None:
    """Until another connection waits on a lock (the second writer reached the race)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                return
        time.sleep(0.02)
    raise AssertionError("the second writer never blocked")


@pytest.mark.postgres
@pytest.mark.parametrize("second_url, expected", [(A, ["new", "unchanged"]), (B, ["new", "duplicate"])])
def test_concurrent_writers_make_one_report(db_url, tokenizer, second_url, expected):
    """Two processes store the same document at once (same URL, or same text at two URLs): the
    second waits for the first's transaction and then finds its rows."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers itself")
    from storage.db import open_database

    db = open_database(db_url)
    try:
        results: dict[str, object] = {}
        with db.session() as s1:
            results["first"] = store_document(
                s1, BASE, url=A, canonical_url=A, host="www.youyang.gov.cn", official=True,
                is_attachment=False, capture_id=None, seen_at=T0, tokenizer=tokenizer).action

            def second() -> None:
                try:
                    results["second"] = _store(db, BASE, second_url, tokenizer).action
                except Exception as exc:  # reported by the assertion below
                    results["second"] = exc

            thread = threading.Thread(target=second)
            thread.start()
            _wait_for_blocked_writer(db)
        thread.join(30)
        assert [results["first"], results["second"]] == expected
        assert _counts(db)[0] == 1
    finally:
        db.dispose()
