"""The read side: a report in full, export rows, status counts, and coverage (on time, late,
undated, missing, pending) on both backends."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

import storage_collection as coll
from pipeline.tokens import Tokenizer, make_tokenizer
from sqlalchemy import select

from storage.models import Capture, CrawlRun, Source
from storage.queries import EXPORT_COLUMNS, coverage, export_rows, report_detail, status
from storage.reports import store_document
from storage.search import Filters

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return make_tokenizer("jieba").load()


@pytest.fixture
def world(db, tokenizer):
    """The collection, one edit of the Youyang report, a crawl run with captures, and sources."""
    ids = coll.build(db, tokenizer)
    first = coll.items()[0]
    edited = dataclasses.replace(first.doc, text=first.doc.text + "\n全年开展无人机巡查38次。")
    with db.session() as s:
        store_document(s, edited, url=first.url, canonical_url=first.url, host=first.host,
                       official=True, is_attachment=False, capture_id=None,
                       seen_at=first.seen_at + dt.timedelta(days=2), tokenizer=tokenizer)
        s.add_all([
            Source(name="酉阳县司法局", issuer="酉阳土家族苗族自治县司法局", division_code="500242"),
            Source(name="渝北区人民政府", issuer="渝北区人民政府", division_code="500112"),
            Source(name="合川区人民政府", issuer="合川区人民政府", division_code="500117"),
            Source(name="和平县门户", issuer=None, division_code="441624"),
            Source(name="城口县人民政府", issuer="城口县人民政府", division_code="500229"),
            Source(name="巫溪县人民政府", issuer="巫溪县人民政府", division_code="500238"),
            Source(name="市司法局专栏", issuer="重庆市司法局", division_code="500000",
                   hints={"expects_report": False}),
            Source(name="石柱县人民政府", issuer="石柱土家族自治县人民政府", division_code="500240"),
        ])
        run = CrawlRun(status="finished", started_at=first.seen_at, finished_at=first.seen_at,
                       stats={"fetch/pages": 3})
        s.add(run)
        s.flush()
        s.add_all([Capture(run_id=run.id, url=u, canonical_url=u, fetched_at=first.seen_at,
                           fetch_state=f, parse_state=p)
                   for u, f, p in [("https://a.gov.cn/1", "ok", "parsed"),
                                   ("https://a.gov.cn/2", "ok", "skipped"),
                                   ("https://a.gov.cn/3", "http_error", "pending")]])
    # 石柱: the parser read no issuer, but the page was captured from 石柱's source.
    with db.session() as s:
        src = s.scalar(select(Source.id).where(Source.name == "石柱县人民政府"))
        cap = Capture(source_id=src, url="https://www.cqsz.gov.cn/1.html",
                      canonical_url="https://www.cqsz.gov.cn/1.html", fetched_at=first.seen_at)
        s.add(cap)
        s.flush()
        doc = dataclasses.replace(coll.items()[6].doc, title="2024年法治政府建设年度报告", issuer=None,
                                  region_code=None, report_year=2024, published_at=dt.date(2025, 3, 1),
                                  text=coll.items()[6].doc.text + "石柱")
        store_document(s, doc, url=cap.url, canonical_url=cap.url, host="www.cqsz.gov.cn",
                       official=True, is_attachment=False, capture_id=cap.id,
                       seen_at=first.seen_at, tokenizer=tokenizer)
    # 城口: found, no publication date, first seen after the deadline; 巫溪: no date, seen before.
    for issuer, code, seen in [("城口县人民政府", "500229", dt.datetime(2025, 4, 20, tzinfo=UTC)),
                               ("巫溪县人民政府", "500238", dt.datetime(2025, 3, 30, 15, tzinfo=UTC))]:
        doc = dataclasses.replace(coll.items()[6].doc, title=f"{issuer}2024年法治政府建设年度报告",
                                  issuer=issuer, region_code=code, report_year=2024,
                                  published_at=None, text=coll.items()[6].doc.text + issuer)
        with db.session() as s:
            store_document(s, doc, url=f"https://{code}.gov.cn/r.html",
                           canonical_url=f"https://{code}.gov.cn/r.html", host=f"{code}.gov.cn",
                           official=True, is_attachment=False, capture_id=None, seen_at=seen,
                           tokenizer=tokenizer)
    return ids


def test_report_detail_lists_publications_versions_and_merge_reasons(db, world):
    with db.session() as s:
        detail = report_detail(s, world["youyang-2024-bureau"], include_diffs=True)
        assert report_detail(s, 10_000) is None
    assert detail["title"] == "酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告"
    assert (detail["issuer"], detail["report_year"], detail["published_at"], detail["kind"]) == (
        "酉阳土家族苗族自治县司法局", 2024, "2025-03-20", "annual_report")
    assert detail["text"].endswith("全年开展无人机巡查38次。")
    assert detail["sections"][0]["name"] == "measures"
    official, repost = detail["publications"]
    assert (official["official"], official["merge_reason"], official["shown"]) == (True, {"method": "first"}, True)
    assert repost["url"] == coll.REPOST_URL and repost["official"] is False
    assert repost["merge_reason"]["method"] == "exact"
    v1, v2 = detail["versions"]
    assert v1["diff_chars"] == 0 and v2["lines_added"] == 1 and v2["lines_removed"] == 0
    assert "+全年开展无人机巡查38次。" in v2["diff"]
    assert v1["created_at"] < v2["created_at"]


@pytest.mark.parametrize("filters, query, expected", [
    (Filters(), None, None),  # everything
    (Filters(year=2024, kind="annual_report", region="5001"), None,
     ["wanzhou-2024-bureau", "yubei-2024-gov"]),
    (Filters(year=2024), "败诉", ["youyang-2024-bureau", "yubei-2024-gov"]),
])
def test_export_rows(db, world, tokenizer, filters, query, expected):
    with db.session() as s:
        rows = list(export_rows(s, filters, query, tokenizer, batch_size=2))
    by_id = {v: k for k, v in world.items()}
    if expected is not None:
        assert [by_id[r["id"]] for r in rows] == expected
    else:
        assert len(rows) == len(world) + 3
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    for row in rows:
        assert tuple(row) == EXPORT_COLUMNS
        assert row["url"] == row["urls"][0]
        assert row["published_at"] is None or dt.date.fromisoformat(row["published_at"])
        assert row["report_year"] is None or isinstance(row["report_year"], int)
    youyang = next((r for r in rows if r["id"] == world["youyang-2024-bureau"]), None)
    if youyang is not None:
        assert youyang["urls"] == [coll.items()[0].url, coll.REPOST_URL]
        assert youyang["official"] is True and len(youyang["content_sha256"]) == 64


def test_status_counts_everything(db, world):
    with db.session() as s:
        st = status(s, today=dt.date(2025, 5, 1))
    assert st["sources"] == {"total": 8, "verified": 0}
    assert st["runs"]["by_status"] == {"finished": 1} and st["runs"]["last"]["stats"] == {"fetch/pages": 3}
    assert st["captures"]["by_fetch_state"] == {"http_error": 1, "ok": 3}
    assert st["captures"]["by_parse_state"] == {"parsed": 1, "pending": 2, "skipped": 1}
    assert st["reports"]["total"] == 11
    assert st["reports"]["by_kind"] == {"annual_report": 9, "news": 1, "work_summary": 1}
    assert st["reports"]["by_year"] == {"2022": 1, "2023": 2, "2024": 8}
    assert st["publications"] == {"total": 12, "hosts": 10, "official": 11, "unofficial": 1,
                                  "attachments": 0}
    assert st["coverage"]["year"] == 2024 and st["coverage"]["totals"]["on_time"] == 4


def test_coverage_marks_on_time_late_undated_and_missing(db, world):
    with db.session() as s:
        cov = coverage(s, year=2024, today=dt.date(2025, 5, 1))
    assert cov["deadline"] == "2025-04-01"
    states = {r["source"]: r["status"] for r in cov["rows"]}
    assert states == {
        "酉阳县司法局": "on_time",      # published 2025-03-20
        "渝北区人民政府": "late",        # published 2025-04-10
        "合川区人民政府": "missing",     # only its 2022 report is known
        "和平县门户": "on_time",         # no issuer: matched by division code, published 2025-02-05
        "城口县人民政府": "undated",     # no date, first seen 2025-04-20
        "巫溪县人民政府": "on_time",     # no date, but seen on 2025-03-30 (Beijing: 31 March)
        "石柱县人民政府": "on_time",     # no issuer read, captured from this source
    }
    youyang = next(r for r in cov["rows"] if r["source"] == "酉阳县司法局")
    assert (youyang["found"], youyang["on_time"], youyang["published_at"], youyang["report_id"]) == (
        True, True, "2025-03-20", world["youyang-2024-bureau"])
    assert cov["totals"] == {"expected": 7, "found": 6, "on_time": 4, "late": 1, "undated": 1,
                             "missing": 1, "pending": 0, "no_site": 0}
    regions = {(r["level"], r["region_code"]): r for r in cov["regions"]}
    assert regions[("province", "500000")]["expected"] == 6
    assert regions[("city", "500100")]["late"] == 1 and regions[("city", "500100")]["missing"] == 1
    assert regions[("province", "440000")]["on_time"] == 1


def test_coverage_by_region_and_before_the_deadline(db, world):
    with db.session() as s:
        cov = coverage(s, year=2024, region="5001", today=dt.date(2025, 5, 1))
        early = coverage(s, year=2024, region="5001", today=dt.date(2025, 3, 1))
        later_year = coverage(s, year=2025, today=dt.date(2025, 5, 1))
    assert sorted(r["source"] for r in cov["rows"]) == ["合川区人民政府", "渝北区人民政府"]
    assert {r["source"]: r["status"] for r in early["rows"]}["合川区人民政府"] == "pending"
    assert later_year["totals"]["pending"] == 7 and later_year["totals"]["found"] == 0


def test_coverage_command_csv_and_json(db, world):
    import csv
    import io
    import json

    from click.testing import CliRunner

    from jobs.cli import cli

    runner = CliRunner()
    out = runner.invoke(cli, ["--db", db.url, "coverage", "--year", "2024", "--format", "csv"],
                        catch_exceptions=False).stdout
    rows = {r["source"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["渝北区人民政府"]["status"] == "late"
    assert rows["合川区人民政府"]["status"] == "missing"
    assert rows["酉阳县司法局"]["published_at"] == "2025-03-20"
    data = json.loads(runner.invoke(cli, ["--db", db.url, "coverage", "--year", "2024",
                                          "--region", "50", "--format", "json"]).stdout)
    assert data["totals"]["late"] == 1 and data["totals"]["missing"] == 1
    assert all((r["region_code"] or "").startswith("50") for r in data["rows"])
