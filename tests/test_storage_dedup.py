"""The storage side of near-duplicate detection: signatures kept with each publication's text and
read back in batches and in dedup order; store_document's `match`; merging two reports and
splitting a publication off, with every publication, version, signature and capture kept."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

import storage_collection as coll
from pipeline.dedup import content_sha256, fingerprint, signature_bytes, signature_from_bytes
from pipeline.tokens import Tokenizer, make_tokenizer
from storage.captures import record_capture
from storage.merges import SplitError, kept_apart, merge_reports, split_publication
from storage.models import Capture, Publication, Report, ReportVersion, Signature
from storage.reports import store_document
from storage.search import search
from storage.signatures import iter_publications, iter_signatures, publication_signature

T0 = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.timezone.utc)
BASE = coll.items()[0].doc  # the Youyang bureau's 2024 report
EDITED = dataclasses.replace(BASE, text=BASE.text.replace("开展党组会学法12次", "开展党组会学法14次")
                             + "\n全年无人机巡查执法38次。")
OTHER = coll.items()[3].doc  # the Heping bureau's report
A, B, C = ("https://www.youyang.gov.cn/a.html", "https://sfj.youyang.gov.cn/b.html",
           "https://news.example.com/c.html")
NEAR = {"method": "near", "score": 0.95, "reason": "jaccard 0.950 >= 0.8 (same place and year)"}


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return make_tokenizer("jieba").load()


def _sig(doc) -> bytes:
    return signature_bytes(fingerprint(doc.text))


def _store(db, doc, url, tokenizer, *, days=0, official=True, match=None, capture_id=None):
    with db.session() as s:
        return store_document(s, doc, url=url, canonical_url=url, host=url.split("/")[2],
                              official=official, is_attachment=False, capture_id=capture_id,
                              seen_at=T0 + dt.timedelta(days=days), tokenizer=tokenizer,
                              match=match, signature=_sig(doc))


def _capture(db, url) -> int:
    with db.session() as s:
        return record_capture(s, run_id=None, source_id=None, url=url, canonical_url=url,
                              final_url=None, role="detail", parent_capture_id=None, link_text=None,
                              http_status=200, content_type="text/html", etag=None,
                              last_modified=None, body=url.encode(), fetch_state="ok", fetch_error=None)


def test_signatures_are_kept_once_per_text_and_read_back_in_batches(db, tokenizer):
    first = _store(db, BASE, A, tokenizer)
    _store(db, BASE, A, tokenizer, days=1)  # unchanged: no second row
    _store(db, EDITED, A, tokenizer, days=2)  # a new text of the same publication
    _store(db, OTHER, B, tokenizer, days=1)
    with db.session() as s:
        rows = list(iter_signatures(s, batch_size=1))
        assert [r.content_sha256 for r in rows] == [content_sha256(t) for t in (BASE.text, EDITED.text, OTHER.text)]
        assert (rows[0].issuer, rows[0].region_code, rows[0].report_year, rows[0].kind) == (
            BASE.issuer, BASE.region_code, BASE.report_year, BASE.kind)
        assert signature_from_bytes(rows[1].data).jaccard(fingerprint(EDITED.text)) == 1.0
        assert publication_signature(s, first.publication_id).id == rows[1].id  # the current text
        # dedup order: first_seen, then id; after/until bound it
        pubs = iter_publications(s, limit=10)
        assert [p.signature.content_sha256 for p in pubs] == [rows[1].content_sha256, rows[2].content_sha256]
        assert iter_publications(s, after=(pubs[0].first_seen, pubs[0].id)) == pubs[1:]
        assert iter_publications(s, until=(pubs[0].first_seen, pubs[0].id)) == pubs[:1]


def test_match_attaches_a_new_url_with_its_own_version(db, tokenizer):
    first = _store(db, BASE, A, tokenizer)
    dup = _store(db, EDITED, B, tokenizer, days=1, match=(first.report_id, NEAR))
    assert (dup.action, dup.report_id) == ("duplicate", first.report_id)
    with db.session() as s:
        pub = s.get(Publication, dup.publication_id)
        assert pub.merge_reason == NEAR and pub.content_sha256 == content_sha256(EDITED.text)
        version = s.scalar(select(ReportVersion).where(ReportVersion.publication_id == pub.id))
        assert version.text == EDITED.text and "+全年无人机巡查执法38次。" in version.diff
        report = s.get(Report, first.report_id)
        assert report.text == BASE.text  # the first official publication keeps showing
        assert s.scalar(select(Signature.report_id).where(Signature.publication_id == pub.id)) == first.report_id
    # the same text again at a third URL is an exact duplicate of the report's text, whatever match says
    other = _store(db, OTHER, C, tokenizer, days=2)
    exact = _store(db, BASE, "https://www.cq.gov.cn/d.html", tokenizer, days=3,
                   match=(other.report_id, NEAR))
    assert (exact.action, exact.report_id) == ("duplicate", first.report_id)
    # a known URL is never moved by a match; a report merged away meanwhile means a new report
    again = _store(db, EDITED, A, tokenizer, days=4, match=(other.report_id, NEAR))
    assert (again.action, again.report_id) == ("updated", first.report_id)
    gone = _store(db, dataclasses.replace(OTHER, text=OTHER.text + "\n全年无人机巡查执法38次。"),
                  "https://www.cq.gov.cn/e.html", tokenizer, days=5, match=(999, NEAR))
    assert gone.action == "new"


def test_merge_reports_moves_everything_and_the_official_text_shows(db, tokenizer):
    clone = dataclasses.replace(BASE, title="转载：法治政府建设报告", text=BASE.text + "\n更多范文请访问第一范文网。")
    cap = _capture(db, C)
    first = _store(db, clone, C, tokenizer, official=False, capture_id=cap)
    official = _store(db, BASE, A, tokenizer, days=1)
    assert official.report_id != first.report_id
    with db.session() as s:
        out = merge_reports(s, first.report_id, official.report_id, tokenizer=tokenizer,
                            reason={**NEAR, "job": "dedup"}, at=T0 + dt.timedelta(days=2))
    assert (out.publications_moved, out.versions_moved) == (1, 1)
    with db.session() as s:
        assert s.get(Report, official.report_id) is None
        report = s.get(Report, first.report_id)
        assert report.title == BASE.title and report.text == BASE.text
        assert report.fields["display_publication_id"] == official.publication_id
        pub = s.get(Publication, official.publication_id)
        assert pub.merge_reason == {**NEAR, "job": "dedup", "was_report": official.report_id,
                                    "at": (T0 + dt.timedelta(days=2)).isoformat(),
                                    "previous": {"method": "first"}}
        assert {v.report_id for v in s.scalars(select(ReportVersion))} == {first.report_id}
        assert {g.report_id for g in s.scalars(select(Signature))} == {first.report_id}
        assert s.get(Capture, cap).report_id == first.report_id
        assert [h.report_id for h in search(s, "法治政府", tokenizer=tokenizer)] == [first.report_id]
        assert search(s, "转载", tokenizer=tokenizer) == []


def test_split_moves_a_publication_out_and_pins_it(db, tokenizer):
    first = _store(db, BASE, A, tokenizer)
    cap = _capture(db, B)
    near = _store(db, EDITED, B, tokenizer, days=1, match=(first.report_id, NEAR), capture_id=cap)
    with db.session() as s:
        out = split_publication(s, near.publication_id, tokenizer=tokenizer, note="other report",
                                at=T0 + dt.timedelta(days=3))
    assert (out.old_report_id, out.versions_moved) == (first.report_id, 1)
    with db.session() as s:
        new = s.get(Report, out.new_report_id)
        assert new.text == EDITED.text and new.content_sha256 == content_sha256(EDITED.text)
        assert (new.issuer, new.report_year, new.kind) == (BASE.issuer, BASE.report_year, BASE.kind)
        assert new.fields["display_publication_id"] == near.publication_id
        assert s.get(Report, first.report_id).text == BASE.text
        pub = s.get(Publication, near.publication_id)
        assert pub.merge_reason["method"] == "split" and pub.merge_reason["apart_from"] == [first.publication_id]
        assert pub.merge_reason["previous"] == NEAR and pub.merge_reason["note"] == "other report"
        assert s.get(Capture, cap).report_id == out.new_report_id
        assert [h.report_id for h in search(s, "无人机", tokenizer=tokenizer)] == [out.new_report_id]
        assert kept_apart(s) == {near.publication_id: frozenset({first.publication_id})}
        with pytest.raises(SplitError, match="only one"):
            split_publication(s, near.publication_id, tokenizer=tokenizer)
        with pytest.raises(SplitError, match="no publication"):
            split_publication(s, 999, tokenizer=tokenizer)
    # a later merge of the split report with a third one keeps the pin
    third = _store(db, OTHER, C, tokenizer, days=4)
    with db.session() as s:
        merge_reports(s, third.report_id, out.new_report_id, tokenizer=tokenizer, reason=NEAR)
        assert kept_apart(s) == {near.publication_id: frozenset({first.publication_id})}


def test_splitting_the_shown_publication_shows_another(db, tokenizer):
    first = _store(db, BASE, A, tokenizer)
    second = _store(db, EDITED, B, tokenizer, days=1, match=(first.report_id, NEAR))
    with db.session() as s:
        out = split_publication(s, first.publication_id, tokenizer=tokenizer)
        old = s.get(Report, first.report_id)
        assert old.fields["display_publication_id"] == second.publication_id
        assert old.text == EDITED.text and old.content_sha256 == content_sha256(EDITED.text)
        assert s.get(Report, out.new_report_id).text == BASE.text
        assert s.scalar(select(func.count()).select_from(ReportVersion)) == 2
        assert [h.report_id for h in search(s, "无人机", tokenizer=tokenizer)] == [first.report_id]
