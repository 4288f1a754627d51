"""The whole path through the real command line: crawl the test web's report columns, parse,
store, search and export — on the embedded SQLite default and on PostgreSQL."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from web.build import build_web
from web.server import TestWeb

from conftest import pg_schema

REPO = Path(__file__).resolve().parent.parent


def govreports(config: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "jobs.cli", "--config", str(config), *args],
                            capture_output=True, text=True, cwd=REPO, timeout=240)
    if check and result.returncode != 0:
        raise AssertionError(f"govreports {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr[-4000:]}")
    return result


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def crawled(request, tmp_path_factory):
    """The seeds web crawled twice through `govreports crawl`, on one backend."""
    root = tmp_path_factory.mktemp("e2e")
    manifest = build_web(root / "web", profile="seeds", slow_seconds=2.0)
    man = json.loads((root / "web" / "manifest.json").read_text(encoding="utf-8"))
    with contextlib.ExitStack() as stack:
        url = (f"sqlite:///{root / 'govreports.db'}" if request.param == "sqlite"
               else stack.enter_context(pg_schema()))
        web = stack.enter_context(TestWeb(manifest.sites_dir))
        config = root / "settings.toml"
        config.write_text(
            f'[database]\nurl = "{url}"\n'
            f'[crawl]\nproxy = "{web.proxy_url}"\ndownload_delay_seconds = 0.0\n'
            f'autothrottle = false\ndownload_timeout_seconds = 1.5\nretry_times = 1\n',
            encoding="utf-8")
        first = govreports(config, "crawl", *man["columns"])
        second = govreports(config, "crawl", "--revisit", "0", *man["columns"])
        export = govreports(config, "export", "--format", "jsonl")
        yield {"config": config, "url": url, "manifest": man, "first": first, "second": second,
               "reports": [json.loads(line) for line in export.stdout.splitlines()]}


def _by_title(reports):
    return {r["title"]: r for r in reports}


def test_stores_exactly_the_planted_reports_with_their_fields(crawled):
    stored = _by_title(r for r in crawled["reports"] if r["kind"] == "annual_report")
    planted = {r["title"]: r for r in crawled["manifest"]["reports"]}
    assert set(stored) == set(planted)
    for title, want in planted.items():
        got = stored[title]
        assert got["issuer"] == want["issuer"], title
        assert got["report_year"] == want["report_year"], title
        assert got["published_at"] == want["published_at"], title
        assert sorted(got["urls"]) == sorted(want["urls"]), title


def test_reposted_report_is_one_report_with_two_urls(crawled):
    reposted = [r for r in crawled["manifest"]["reports"] if len(r["urls"]) > 1]
    assert reposted, "the test web must repost a report on a second site"
    stored = _by_title(crawled["reports"])
    for r in reposted:
        assert len(stored[r["title"]]["urls"]) == len(r["urls"])


def test_decoys_are_not_stored_as_annual_reports(crawled):
    annual = {r["title"] for r in crawled["reports"] if r["kind"] == "annual_report"}
    for decoy in crawled["manifest"]["decoys"]:
        assert decoy["title"] not in annual


def test_clean_text_has_no_chrome(crawled):
    for r in crawled["reports"]:
        for chrome in ("网站标识码", "ICP备", "分享到", "发布时间", "浏览次数", "##paidend##",
                       "[bookmark: _GoBack]"):
            assert chrome not in r["text"], (r["title"], chrome)
        assert r["text"].count("\n") > 5  # paragraphs kept, one a line


def test_second_crawl_adds_nothing(crawled):
    assert "new reports:     0" in crawled["second"].stdout
    assert "updated reports: 0" in crawled["second"].stdout
    assert len(crawled["reports"]) == len({r["content_sha256"] for r in crawled["reports"]})


def test_faults_are_reported_with_url_and_stage_and_the_crawl_goes_on(crawled):
    out = crawled["first"].stdout
    assert "pages fetched" in out
    for fault in crawled["manifest"]["faults"]:
        if fault.get("fetch_state") in ("http_error", "network_error"):
            line = next((ln for ln in out.splitlines() if fault["url"] in ln), None)
            assert line is not None, f"no error line for {fault['url']}"
            assert "fetch:" in line
    assert "HTTP 404" in out


def test_search_finds_reports_that_contain_the_term(crawled):
    result = govreports(crawled["config"], "search", "行政复议", "--json")
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    containing = {r["id"] for r in crawled["reports"] if "行政复议" in r["text"]}
    assert containing and {h["id"] for h in hits} == containing
    assert all("行政复议" in h["snippet"] for h in hits)


def _search_ids(crawled, *args: str) -> set[int]:
    out = govreports(crawled["config"], "search", *args, "--json", "--limit", "1000").stdout
    return {json.loads(line)["id"] for line in out.splitlines()}


@pytest.mark.parametrize("term", ["社区矫正", "复议案", "诉讼案", "议案件"])
def test_search_for_a_run_of_characters_finds_exactly_the_reports_that_contain_it(crawled, term):
    # 复议案, 诉讼案 and 议案件 cross the word boundaries of 行政复议案件 / 行政诉讼案件
    containing = {r["id"] for r in crawled["reports"] if term in r["text"]}
    assert containing, f"the test web must publish a report containing {term}"
    assert _search_ids(crawled, term) == containing


def test_search_does_not_match_the_characters_of_a_term_apart(crawled):
    apart = [r for r in crawled["reports"]
             if "社区" in r["text"] and "矫正" in r["text"] and "社区矫正" not in r["text"]]
    assert apart, "the test web must publish a page with 社区 and 矫正 apart"
    found = _search_ids(crawled, "社区矫正")
    assert not found & {r["id"] for r in apart}
    # each word alone still finds that page, and both words as two terms do too
    assert {r["id"] for r in apart} <= _search_ids(crawled, "社区 矫正")
    hits = [json.loads(line) for line in govreports(
        crawled["config"], "search", "复议案", "--json", "--limit", "1000").stdout.splitlines()]
    assert hits and all("复议案" in h["snippet"] for h in hits)


def test_export_parquet_reads_back_with_its_types(crawled, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq  # a dependency: the README's install brings it

    def pa_list_of_strings(t) -> bool:
        return pa.types.is_list(t) and pa.types.is_string(t.value_type)

    out = tmp_path / "x.parquet"
    govreports(crawled["config"], "export", "--format", "parquet", "-o", str(out))
    table = pq.read_table(out)
    assert table.num_rows == len(crawled["reports"])
    types = {f.name: str(f.type) for f in table.schema}
    assert types["id"] == "int64" and types["report_year"] == "int32"
    assert types["published_at"] == "date32[day]" and types["official"] == "bool"
    assert types["title"] == types["text"] == "string" and pa_list_of_strings(table.schema.field("urls").type)
    by_id = {r["id"]: r for r in crawled["reports"]}
    for row in table.to_pylist():
        want = by_id[row["id"]]
        assert row["title"] == want["title"] and row["text"] == want["text"]
        assert sorted(row["urls"]) == sorted(want["urls"])
        assert (row["published_at"].isoformat() if row["published_at"] else None) == want["published_at"]


def test_search_filters_by_year_and_issuer(crawled):
    hits = [json.loads(line) for line in govreports(
        crawled["config"], "search", "法治", "--year", "2023", "--json").stdout.splitlines()]
    assert hits and all(h["report_year"] == 2023 for h in hits)
    hits = [json.loads(line) for line in govreports(
        crawled["config"], "search", "法治", "--issuer", "和平县", "--json").stdout.splitlines()]
    assert hits and all("和平县" in h["issuer"] for h in hits)


def test_search_counts_pages_and_refuses_a_query_of_only_negations(crawled):
    containing = {r["id"] for r in crawled["reports"] if "行政复议" in r["text"]}
    count = govreports(crawled["config"], "search", "行政复议", "--count").stdout
    assert int(count) == len(containing)
    pages = [[json.loads(line)["id"] for line in govreports(
        crawled["config"], "search", "行政复议", "--limit", "2", "--offset", str(o)).stdout.splitlines()]
        for o in range(0, len(containing) + 2, 2)]
    assert sorted(i for page in pages for i in page) == sorted(containing)
    ranked = [json.loads(line) for line in govreports(
        crawled["config"], "search", "行政复议", "--rank-all", "--limit", "100").stdout.splitlines()]
    assert {h["id"] for h in ranked} == containing and all(h["score"] > 0 for h in ranked)
    for args in (["search", "--", "-行政复议"], ["search", "NOT 行政复议"],
                 ["export", "--format", "jsonl", "--query=-行政复议"]):
        bad = govreports(crawled["config"], *args, check=False)
        assert bad.returncode == 2 and "Invalid value for" in bad.stderr and bad.stdout == ""
        assert "Traceback" not in bad.stderr


def test_export_csv_reads_back(crawled):
    out = govreports(crawled["config"], "export", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["title"] for r in rows} == {r["title"] for r in crawled["reports"]}
    assert all(r["content_sha256"] for r in rows)


def test_show_and_status(crawled):
    report_id = crawled["reports"][0]["id"]
    shown = json.loads(govreports(crawled["config"], "show", str(report_id), "--json").stdout)
    assert shown["title"] == crawled["reports"][0]["title"]
    status = json.loads(govreports(crawled["config"], "status", "--json").stdout)
    assert status["reports"]["total"] == len(crawled["reports"])
    assert status["publications"]["total"] == sum(len(r["urls"]) for r in crawled["reports"])
    runs = govreports(crawled["config"], "runs").stdout
    assert "succeeded" in runs


def test_parsing_the_same_captures_again_changes_nothing(crawled):
    before = govreports(crawled["config"], "export", "--format", "jsonl").stdout
    status_before = json.loads(govreports(crawled["config"], "status", "--json").stdout)
    out = govreports(crawled["config"], "reparse", "--all").stdout
    counters = json.loads(out.splitlines()[-1])
    assert counters["parse/new_reports"] == 0 and counters["parse/updated_reports"] == 0
    assert counters["parse/parsed"] > 0  # the captures really were parsed again
    assert govreports(crawled["config"], "export", "--format", "jsonl").stdout == before
    status_after = json.loads(govreports(crawled["config"], "status", "--json").stdout)
    assert status_after["reports"] == status_before["reports"]
    assert status_after["publications"] == status_before["publications"]


def test_reindex_rebuilds_the_index_from_the_stored_reports(crawled):
    import sqlalchemy as sa

    from storage.db import open_database
    from storage.models import JobState

    def search_ids() -> list[int]:
        out = govreports(crawled["config"], "search", "行政复议", "--json").stdout
        return [json.loads(line)["id"] for line in out.splitlines()]

    before = search_ids()
    db = open_database(crawled["url"])
    try:
        with db.session() as s:
            # what the parse job measured as it stored the reports
            assert s.get(JobState, "search.common_words").state["reports"] == len(crawled["reports"])
            s.execute(sa.text("DELETE FROM report_fts"))
            # and the exact-search index: the texts, and on SQLite the FTS5 pair index over them
            s.execute(sa.text("DELETE FROM report_text"))
            if db.engine.dialect.name == "sqlite":
                s.execute(sa.text("INSERT INTO report_grams(report_grams) VALUES('delete-all')"))
        assert before and search_ids() == []
        out = govreports(crawled["config"], "reindex").stdout
        assert out.startswith(f"{len(crawled['reports'])} reports indexed")
        assert search_ids() == before
    finally:
        db.dispose()
