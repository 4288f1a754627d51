"""Discovery from home pages over the full test web: every site system, attachment-only reports,
traps, protections, faults; then re-crawls that fetch only what changed."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from pipeline.urls import canonical_url
from storage.models import Source
from storage.sources import SourceSpec, add_source
from web.build import build_web
from web.crawl import captures as _captures, crawl_settings, run_crawl_process
from web.full import report
from web.server import TestWeb

TIMEOUT, SLOW = 1.0, 1.5
BUDGET, MAX_LIST_PAGES, MAX_BYTES = 80, 10, 1_000_000


def settings(web, **kw):
    return crawl_settings(proxy=web.proxy_url, download_timeout_seconds=TIMEOUT,
                          max_requests_per_site=BUDGET, max_list_pages=MAX_LIST_PAGES,
                          max_response_bytes=MAX_BYTES, **kw)


@pytest.fixture
def manifest(tmp_path):
    # Function-scoped: some tests change the sites.
    return build_web(tmp_path / "web", profile="full", slow_seconds=SLOW)


@pytest.fixture
def web(manifest):
    with TestWeb(manifest.sites_dir) as served:
        yield served




def _pending(captures) -> set[str]:
    return {c.canonical_url for c in captures if c.parse_state == "pending"}


def _attachment_only_pages(manifest) -> set[str]:
    return {canonical_url(p) for r in manifest.reports if r["attachment_only"] for p in r["pages"]}


def test_discovery_finds_every_planted_report_within_budget(sqlite_db, manifest, web):
    stats = run_crawl_process(sqlite_db, manifest.homes, crawl=settings(web))
    captures = _captures(sqlite_db)
    by_canonical = {}
    for c in captures:
        by_canonical.setdefault(c.canonical_url, c)
    entries = web.requests()
    requested = Counter(canonical_url(f"http://{e.host}{e.path}") for e in entries)

    # Recall: every planted report's document is stored to be parsed (pages of attachment-only
    # reports too: their parse finds no report there), and nothing else.
    planted = {canonical_url(u) for u in manifest.planted_urls()}
    assert _pending(captures) == planted | _attachment_only_pages(manifest)
    # Attachments hang off the page that linked them.
    for r in manifest.reports:
        if r["attachment_only"]:
            (url,) = r["urls"]
            capture = by_canonical[canonical_url(url)]
            assert capture.role == "attachment"
            assert capture.parent_capture_id == by_canonical[canonical_url(r["pages"][0])].id

    # No look-alike was fetched; each was recorded as skipped with its kind.
    for decoy in manifest.decoys:
        key = canonical_url(decoy["url"])
        assert key not in requested, decoy["title"]
        assert by_canonical[key].parse_error == f"candidates: {decoy['kind']}", decoy["title"]
    assert {k: stats[f"fetch/skipped/{k}"] > 0 for k in
            ("interpretation", "news", "work_plan", "work_summary", "other")} == dict.fromkeys(
        ("interpretation", "news", "work_plan", "work_summary", "other"), True)

    # Within the per-site budget, counted as the server saw it (Twisted itself resends a request
    # once when a reused connection is reset before the response: the server sees one more).
    per_host = Counter(e.host for e in entries)
    reset_hosts = {f["url"].split("/")[2] for f in manifest.faults if (f["fault"] or {}).get("kind") == "reset"}
    for host, n in per_host.items():
        assert n <= BUDGET, host
        counted = stats[f"fetch/requests_per_host/{host}"]
        assert counted == n or (host in reset_hosts and counted < n), host

    # Challenges and WAF pages: recorded as blocked with the reason, and the host left alone.
    for blocked in manifest.blocked:
        capture = by_canonical[canonical_url(blocked["url"])]
        assert capture.fetch_state == "blocked", blocked
        assert f"HTTP {blocked['status']}" in capture.fetch_error
        assert per_host[blocked["host"]] <= 2  # robots.txt and the home page, nothing more
    assert stats["fetch/blocked"] == len(manifest.blocked)

    # Faults: each recorded with its URL and stage; the crawl went on.
    for fault in manifest.faults:
        capture = by_canonical[canonical_url(fault["url"])]
        assert capture.fetch_state == fault["fetch_state"], fault
        assert capture.fetch_error.startswith(f"fetch: {fault['url']}: "), capture.fetch_error
    # 500 then success: retried after a back-off, then captured.
    flaky = [e for e in entries if e.path.endswith(manifest.report("jinghai-gov-2023")["urls"][0].split("/", 3)[3])]
    assert [e.status for e in flaky] == [500, 200]
    assert flaky[1].started - flaky[0].ended >= 0.4  # RETRY_BACKOFF_SECONDS 1.0, jitter +-50%

    # Transport: the cookie gate passed with the jar; https reached (expired self-signed
    # certificate) after the http -> https redirect; session ids never sent; Hanweb's
    # dataproxy POSTed with its form; gkmlpt's JSON list read.
    gate = [e for e in entries if e.path == "/col/col1229063387/index.html"]
    assert [e.status for e in gate] == [302, 200] and "JSESSIONID" in gate[1].headers.get("cookie", "")
    assert any(e.via == "tunnel" and e.host == "www.lieshan.gov.cn" for e in entries)
    assert not any("jsessionid" in e.path.lower() for e in entries)
    proxy_posts = [e for e in entries if e.method == "POST"]
    assert proxy_posts and all(b"columnid=1229063387" in e.body for e in proxy_posts)
    assert any(e.path.startswith("/gkmlpt/api/all/") for e in entries)

    # Traps stay bounded: the endless column by max_list_pages, the calendar and the growing
    # URLs by the menu depth.
    youyang = [e.path for e in entries if e.host == "www.youyang.gov.cn"]
    assert sum(p.startswith("/fzjsdt/") for p in youyang) <= MAX_LIST_PAGES
    assert sum(p.startswith("/calendar/") for p in youyang) <= 4
    assert sum(p.startswith("/zt/") for p in youyang) <= 4
    assert stats["fetch/skipped/max_list_pages"] >= 1
    assert stats["discover/columns_found"] >= len([h for h in manifest.sites if manifest.sites[h]["columns"]
                                                   and manifest.sites[h]["official"]])

    # The spam clone is not linked from any official site: never fetched.
    assert not any(e.host == "www.fz-news-copy.com" for e in entries)


def test_found_columns_are_remembered_for_the_source(sqlite_db, manifest, web):
    with sqlite_db.session() as s:
        source_id = add_source(s, SourceSpec(name="嘉善县", start_urls=("http://www.jiashan.gov.cn/",))).id
    run_crawl_process(sqlite_db, ["http://www.jiashan.gov.cn/"], crawl=settings(web), source_id=source_id)
    with sqlite_db.session() as s:
        columns = s.get(Source, source_id).known_columns
    assert columns == ["http://www.jiashan.gov.cn/col/col1229063387/index.html"]

    # The next crawl goes straight to the column: after a new report was published there, a
    # revisit finds it with a handful of requests.
    manifest.add_report("www.jiashan.gov.cn", report(
        "嘉善县财政局2023年法治政府建设年度报告", "嘉善县财政局", "嘉善县", 2023, dt.datetime(2024, 2, 20, 9, 0),
        report_id="jiashan-czj-2023"))
    web.reload()
    web.clear_log()
    stats = run_crawl_process(sqlite_db, ["http://www.jiashan.gov.cn/"], crawl=settings(web),
                              source_id=source_id, revisit_seconds=0)
    new = manifest.report("jiashan-czj-2023")["urls"][0]
    assert canonical_url(new) in _pending(_captures(sqlite_db, stats["run_id"]))
    assert stats["fetch/requests"] <= 20


def test_revisit_fetches_only_what_changed(sqlite_db, manifest, web):
    hosts = ["www.hechuan.gov.cn", "www.jinghai.gov.cn", "www.jiashan.gov.cn", "www.heping.gov.cn"]
    columns = [manifest.sites[h]["columns"][0] for h in hosts]
    crawl = settings(web, retry_times=1)
    first = run_crawl_process(sqlite_db, columns, crawl=crawl)
    assert first["fetch/pages"] > 0

    # Unchanged sites, revisited: 304s where the server supports validators, no new document.
    web.clear_log()
    stats = run_crawl_process(sqlite_db, columns, crawl=crawl, revisit_seconds=0)
    run = _captures(sqlite_db, stats["run_id"])
    assert not _pending(run)
    faulty = {canonical_url(f["url"]) for f in manifest.faults}
    bodies = [e for e in web.requests() if e.status == 200 and e.path != "/robots.txt"
              and canonical_url(f"http://{e.host}{e.path}") not in faulty]
    # Bodies come back only from the server without validators (heping) and for Hanweb's
    # dataproxy POST; everything else answers 304.
    assert {e.host for e in bodies} <= {"www.heping.gov.cn", "www.jiashan.gov.cn"}
    assert all(e.method == "POST" for e in bodies if e.host == "www.jiashan.gov.cn")
    not_modified = [e for e in web.requests() if e.status == 304]
    assert stats["fetch/not_modified"] == len(not_modified) >= 10
    # Documents are revalidated even where the list stopped before their page.
    assert any(e.path.endswith(manifest.report("jinghai-gov-2022")["urls"][0].split("/", 3)[3])
               for e in not_modified)

    # One report added, one edited: a revisit adds exactly those two documents to parse.
    manifest.add_report("www.jinghai.gov.cn", report(
        "静海区2024年度法治政府建设情况报告", "天津市静海区人民政府", "静海区", 2024,
        dt.datetime(2025, 3, 27, 9, 0), report_id="jinghai-gov-2024"))
    edited = manifest.edit_report("hechuan-sfj-2024", "（2025年3月1日更新：补充行政复议案件统计。）",
                                  dt.datetime(2025, 3, 1, 10, 0))
    web.reload()
    web.clear_log()
    stats = run_crawl_process(sqlite_db, columns, crawl=crawl, revisit_seconds=0)
    run = _captures(sqlite_db, stats["run_id"])
    expected = {canonical_url(manifest.report("jinghai-gov-2024")["urls"][0]),
                canonical_url(f"http://www.hechuan.gov.cn{edited[0]}")}
    assert _pending(run) == expected


def test_certificates_are_checked_only_when_asked(sqlite_db, manifest, web):
    # www.lieshan.gov.cn serves an expired self-signed certificate: tolerated by default (the
    # discovery test reads it), rejected with verify_tls, and said so on the capture.
    run_crawl_process(sqlite_db, ["http://www.lieshan.gov.cn/"], crawl=settings(web, verify_tls=True, retry_times=0))
    (home,) = [c for c in _captures(sqlite_db) if c.url == "http://www.lieshan.gov.cn/"]
    assert home.fetch_state == "network_error"
    assert home.fetch_error == "fetch: http://www.lieshan.gov.cn/: TLS certificate rejected (not valid for the host; crawl.verify_tls is on)"
