"""Every export format reads back with a standard tool: json, csv, pyarrow, warcio."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

import storage_collection as coll
from pipeline.tokens import Tokenizer, make_tokenizer
from storage.export import write_csv, write_jsonl, write_parquet, write_warc
from storage.models import Capture
from storage.queries import COVERAGE_COLUMNS, EXPORT_COLUMNS, coverage, export_rows
from storage.raw import put_body
from storage.reports import store_document
from storage.search import Filters


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return make_tokenizer("jieba").load()


@pytest.fixture
def rows(db, tokenizer) -> list[dict]:
    coll.build(db, tokenizer)
    with db.session() as s:
        return list(export_rows(s, Filters()))


def test_jsonl_reads_back_with_json(rows):
    out = io.StringIO()
    assert write_jsonl(iter(rows), out) == len(rows)
    lines = out.getvalue().splitlines()
    back = [json.loads(line) for line in lines]
    assert back == rows
    assert "酉阳" in lines[0]  # UTF-8 as is, not \u escapes


def test_csv_reads_back_with_csv(rows):
    out = io.StringIO(newline="")
    assert write_csv(iter(rows), out) == len(rows)
    back = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert [tuple(r) for r in back[:1]] == [EXPORT_COLUMNS]
    for original, row in zip(rows, back, strict=True):
        assert row["text"] == original["text"]  # multi-line cells survive
        assert row["urls"].split(" ") == original["urls"]
        assert row["report_year"] == str(original["report_year"] or "")
        assert row["published_at"] == (original["published_at"] or "")
        assert row["official"] in ("true", "false")


def test_csv_of_coverage_rows(db, rows):
    with db.session() as s:
        cov = coverage(s, year=2024, today=dt.date(2025, 5, 1))
    out = io.StringIO(newline="")
    write_csv(cov["rows"], out, columns=COVERAGE_COLUMNS)
    assert next(csv.reader(io.StringIO(out.getvalue()))) == list(COVERAGE_COLUMNS)
    empty = io.StringIO()
    assert write_csv([], empty, columns=COVERAGE_COLUMNS) == 0


def test_parquet_reads_back_with_pyarrow(rows, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    path = tmp_path / "reports.parquet"
    assert write_parquet(iter(rows), path) == len(rows)
    table = pq.read_table(path)
    assert table.column_names == list(EXPORT_COLUMNS)
    assert table.schema.field("published_at").type == pa.date32()
    assert table.schema.field("urls").type == pa.list_(pa.string())
    back = table.to_pylist()
    for original, row in zip(rows, back, strict=True):
        assert row["id"] == original["id"] and row["text"] == original["text"]
        assert row["urls"] == original["urls"]
        assert row["published_at"] == (dt.date.fromisoformat(original["published_at"])
                                       if original["published_at"] else None)
        assert row["report_year"] == original["report_year"]


def test_parquet_of_other_rows_infers_types(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "coverage.parquet"
    assert write_parquet([{"source": "渝北区", "found": True, "report_id": 3}], path) == 1
    assert pq.read_table(path).to_pylist() == [{"source": "渝北区", "found": True, "report_id": 3}]


def test_warc_holds_the_raw_captures_and_reads_back_with_warcio(db, tokenizer):
    from warcio.archiveiterator import ArchiveIterator

    item, other = coll.items()[0], coll.items()[3]
    pages = {
        item.url: ("<html><meta charset=gbk><p>" + item.doc.text[:200] + "</p></html>").encode("gbk"),
        coll.REPOST_URL: ("<html><p>" + item.doc.text[:100] + "</p></html>").encode("utf-8"),
        other.url: b"<html>other report</html>",
    }
    with db.session() as s:
        caps = {}
        for url, body in pages.items():
            cap = Capture(url=url, canonical_url=url, final_url=url, http_status=200,
                          content_type="text/html; charset=gbk" if url == item.url else "text/html",
                          etag='"abc"', fetched_at=item.seen_at, body_sha256=put_body(s, body))
            s.add(cap)
            s.flush()
            caps[url] = cap.id
        # a failed fetch of the same page: no body, not archived
        s.add(Capture(url=item.url, canonical_url=item.url, http_status=503, fetch_state="http_error",
                      fetched_at=item.seen_at))
    report_id = None
    for url, doc, official in [(item.url, item.doc, True), (coll.REPOST_URL, item.doc, False),
                               (other.url, other.doc, True)]:
        with db.session() as s:
            out = store_document(s, doc, url=url, canonical_url=url, host=url.split("/")[2],
                                 official=official, is_attachment=False, capture_id=caps[url],
                                 seen_at=item.seen_at, tokenizer=tokenizer)
            report_id = report_id or out.report_id
    buf = io.BytesIO()
    with db.session() as s:
        assert write_warc(s, [report_id], buf) == 2
    buf.seek(0)
    records = list(ArchiveIterator(buf))
    assert records[0].rec_type == "warcinfo"
    responses = {r.rec_headers.get_header("WARC-Target-URI"): r for r in records[1:]}
    assert set(responses) == {item.url, coll.REPOST_URL}
    buf.seek(0)
    for record in ArchiveIterator(buf):
        if record.rec_type == "response":
            uri = record.rec_headers.get_header("WARC-Target-URI")
            assert record.content_stream().read() == pages[uri]  # the exact bytes, GBK included
            assert record.http_headers.get_statuscode() == "200"
            assert record.http_headers.get_header("ETag") == '"abc"'
            assert record.rec_headers.get_header("WARC-Date").startswith("2025-05-01T08:00:00")
