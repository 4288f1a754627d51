"""Coverage against every government that must publish (the governments table), on both backends:
on time, late, missing, no known site; departments apart from their government; by level and
region; and the old per-source rows when the governments are not known."""
from __future__ import annotations

import datetime as dt

import pytest

import storage_collection as coll
from jobs.governments import ensure_divisions, link_sources
from pipeline.tokens import Tokenizer, make_tokenizer
from storage.coverage import coverage
from storage.models import Government, Source

TODAY = dt.date(2025, 5, 1)


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return make_tokenizer("jieba").load()


@pytest.fixture
def world(db, tokenizer):
    ids = coll.build(db, tokenizer)
    ensure_divisions(db)
    with db.session() as s:
        s.add_all([
            Source(name="sfj.youyang.gov.cn", issuer="酉阳土家族苗族自治县司法局", division_code="500242"),
            Source(name="www.ybq.gov.cn", issuer="重庆市渝北区人民政府", division_code="500112"),
            Source(name="www.hc.gov.cn", issuer="重庆市合川区人民政府", division_code="500117"),
            Source(name="www.hc-old.gov.cn", issuer="重庆市合川区人民政府", division_code="500117",
                   site_state="moved", successor_url="http://www.hc.gov.cn/"),
            Source(name="www.cq.gov.cn", issuer="重庆市人民政府", division_code="500000"),
            Source(name="一个没有地区的来源", issuer="某开发区管委会"),
        ])
        s.flush()
        assert link_sources(s) == 5
    return ids


def _status(cov) -> dict[tuple[str, str], str]:
    return {(r["region_code"], r["department"] or ""): r["status"] for r in cov["rows"]
            if r["kind"] != "source"}


def test_every_government_of_a_region_with_its_status(db, world):
    with db.session() as s:
        cov = coverage(s, year=2024, region="50", today=TODAY)
    states = _status(cov)
    assert states[("500242", "司法局")] == "on_time"  # the justice bureau's own report
    assert states[("500242", "")] == "no_site"  # the county government: only its 2023 report
    assert states[("500112", "")] == "late"  # published 2025-04-10
    assert states[("500117", "")] == "missing"  # a site is known; only its 2022 report
    assert states[("500000", "")] == "missing"
    # 万州区's justice bureau published, but that is not the district government's report.
    assert states[("500101", "")] == "no_site"
    assert states[("500229", "")] == "no_site"  # 城口县: no site known at all
    counties = [r for r in cov["rows"] if r["level"] == "county" and r["kind"] == "government"]
    assert len(counties) == 38  # every county-level division of Chongqing
    row = next(r for r in cov["rows"] if r["region_code"] == "500112")
    assert (row["issuer"], row["source"], row["published_at"]) == ("重庆市渝北区人民政府", "www.ybq.gov.cn",
                                                                   "2025-04-10")
    hechuan = next(r for r in cov["rows"] if r["region_code"] == "500117" and not r["department"])
    assert hechuan["source"] == "www.hc.gov.cn"  # the moved site is not its site any more
    totals = cov["totals"]
    assert totals["expected"] == len(cov["rows"]) == 1 + 38 + 1  # province, counties, one department
    assert (totals["on_time"], totals["late"], totals["missing"]) == (1, 1, 2)
    assert totals["no_site"] == totals["expected"] - 4
    levels = {(x["level"], x["kind"]): x for x in cov["levels"]}
    assert levels[("county", "government")]["expected"] == 38
    assert levels[("county", "department")]["on_time"] == 1
    assert levels[("province", "government")]["missing"] == 1


def test_level_and_region_filters_sites_that_are_gone_and_departments_left_out(db, world):
    with db.session() as s:
        for src in s.query(Source).filter(Source.name == "www.hc.gov.cn"):
            src.site_state = "dead"
    with db.session() as s:
        counties = coverage(s, year=2024, region="50", level="county", today=TODAY)
        provinces = coverage(s, year=2024, level="province", today=TODAY)
        early = coverage(s, year=2024, region="500117", today=dt.date(2025, 3, 1))
    assert {r["level"] for r in counties["rows"]} == {"county"}
    # Its only sites are dead or moved: no known site any more.
    assert _status(counties)[("500117", "")] == "no_site"
    assert len(provinces["rows"]) == 31  # a source of no known level is in no level
    assert _status(provinces)[("500000", "")] == "missing"
    assert _status(early) == {("500117", ""): "no_site"}
    regions = {(r["level"], r["region_code"]): r for r in counties["regions"]}
    assert regions[("province", "500000")]["expected"] == 39
    # A department whose only sources expect no report of it is left out.
    with db.session() as s:
        src = s.query(Source).filter(Source.name == "sfj.youyang.gov.cn").one()
        src.hints = {"expects_report": False}
    with db.session() as s:
        cov = coverage(s, year=2024, region="500242", today=TODAY)
        assert s.query(Government).filter(Government.department == "司法局").count() == 1
    assert _status(cov) == {("500242", ""): "no_site"}
