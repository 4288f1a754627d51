"""Crawling report columns of the seeds web: real crawls in a child process, through the test web's
proxy, asserted on the captures written and on the server's request log."""
from __future__ import annotations

from collections import defaultdict

import pytest

from web.build import build_web
from web.crawl import captures as _captures, crawl_settings, run_crawl_process
from web.server import TestWeb

# The slow page sleeps longer than the crawl waits.
TIMEOUT, SLOW = 1.0, 1.6


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    return build_web(tmp_path_factory.mktemp("web"), profile="seeds", slow_seconds=SLOW)


@pytest.fixture
def web(manifest):
    with TestWeb(manifest.sites_dir) as served:
        yield served




def _no_overlap_per_host(entries, timeout: float) -> None:
    """One request at a time per host. A request the crawler gave up on (timeout) ends for it
    at the timeout, though the server thread sleeps on."""
    by_host = defaultdict(list)
    for e in entries:
        by_host[e.host].append(e)
    for host, items in by_host.items():
        items.sort(key=lambda e: e.started)
        for a, b in zip(items, items[1:]):
            # The crawler's clock for a timed-out request started before the server saw it.
            ended = a.ended if a.ended - a.started < timeout else a.started + timeout - 0.2
            assert b.started >= ended - 0.005, f"{host}: {a.path} and {b.path} overlapped"


def test_column_crawl_captures_exactly_the_planted_reports(db, manifest, web):
    # No retries here (test_crawler_faults covers them): each fault costs one request.
    stats = run_crawl_process(db, manifest.columns, crawl=crawl_settings(
        proxy=web.proxy_url, download_timeout_seconds=TIMEOUT, retry_times=0))
    captures = _captures(db)
    by_url = {c.url: c for c in captures}

    # Exactly the planted report pages are stored as detail pages to parse (the repost included).
    pending = {c.url for c in captures if c.parse_state == "pending"}
    assert pending == manifest.planted_urls()
    assert all(by_url[u].role == "detail" and by_url[u].fetch_state == "ok" for u in pending)
    assert stats["fetch/pages_by_role/detail"] == len(pending)

    # Pagination followed to the last page of every column (TRS createPageHTML, Chongqing
    # createPage, 下一页 links).
    lists = {c.url for c in captures if c.role == "list" and c.fetch_state == "ok"}
    for expected in ("http://www.youyang.gov.cn/zwgk_264/zfxxgkml/fdzdgknr/qtfdgkxx/index_2.html",
                     "http://www.hechuan.gov.cn/zwgk_163/bmxxgk/qsfj/fzzfjs/index_1.html",
                     "http://sfj.youyang.gov.cn/News.aspx?page=2",
                     "http://www.heping.gov.cn/zwgk/tzgg/index_2.html"):
        assert expected in lists

    # Look-alikes are not fetched; each is recorded as skipped with the reason.
    requested = {f"http://{e.host}{e.path}" for e in web.requests()}
    for decoy in manifest.decoys:
        assert decoy["url"] not in requested, decoy["title"]
        capture = by_url[decoy["url"]]
        assert capture.fetch_state == "skipped" and capture.parse_state == "skipped"
        assert capture.parse_error == f"candidates: {decoy['kind']}", decoy["title"]
    assert stats["fetch/skipped/interpretation"] >= 2 and stats["fetch/skipped/news"] >= 2

    # A 404, a timeout, garbage, a dead attachment and a robots.txt-disallowed page: each is a
    # capture naming the URL and the stage, and the crawl went on to the pages after them.
    for fault in manifest.faults:
        capture = by_url[fault["url"]]
        assert capture.fetch_state == fault["fetch_state"], fault
        assert capture.fetch_error.startswith(f"fetch: {fault['url']}: "), capture.fetch_error
        assert capture.parse_state == "skipped"
        if "parent" in fault:  # the attachment is linked to the report page it came from
            assert capture.role == "attachment"
            assert capture.parent_capture_id == by_url[fault["parent"]].id
    assert "timeout after 1 s" in by_url[next(f["url"] for f in manifest.faults
                                              if f["fault"] and f["fault"]["kind"] == "slow")].fetch_error
    robots_url = next(f["url"] for f in manifest.faults if f["fetch_state"] == "robots")
    assert robots_url not in requested

    # Reports are linked to the list page they were found on.
    for url in pending:
        parent = next(c for c in captures if c.id == by_url[url].parent_capture_id)
        assert parent.role == "list"

    # Through the proxy, named govreports, one request at a time per host.
    entries = web.requests()
    assert entries and all(e.via == "proxy" for e in entries)
    assert all("govreports" in e.headers.get("user-agent", "") for e in entries)
    _no_overlap_per_host(entries, TIMEOUT)
    assert stats["fetch/requests"] == len(entries)
    for host in manifest.sites:
        assert stats[f"fetch/requests_per_host/{host}"] == len(web.requests(host))
    assert stats["fetch/errors"] == 4  # 404 page, 404 attachment, timeout, garbage
    assert stats["fetch/robots"] == 1


def test_recrawl_costs_nothing_and_revisit_revalidates(sqlite_db, manifest, web):
    settings = crawl_settings(proxy=web.proxy_url, download_timeout_seconds=TIMEOUT, retry_times=0)
    run_crawl_process(sqlite_db, manifest.columns, crawl=settings)
    first = len(_captures(sqlite_db))

    # Within the revisit interval: not one request, not one new row.
    web.clear_log()
    stats = run_crawl_process(sqlite_db, manifest.columns, crawl=settings)
    assert web.requests() == []
    assert stats["fetch/requests"] == 0 and stats["fetch/skipped/fresh"] >= len(manifest.columns)
    assert len(_captures(sqlite_db)) == first

    # Revisit now: conditional requests; unchanged pages answer 304 where the server supports
    # validators, and pagination stops at the first page whose items are all known.
    web.clear_log()
    stats = run_crawl_process(sqlite_db, manifest.columns, crawl=settings, revisit_seconds=0)
    entries = [e for e in web.requests() if e.path != "/robots.txt"]
    faulty = {f["url"] for f in manifest.faults}
    page_requests = [e for e in entries if f"http://{e.host}{e.path}" not in faulty]
    validated = [e for e in page_requests if e.host != "www.heping.gov.cn"]  # it has no validators
    assert validated and all(e.status == 304 for e in validated)
    assert all(e.headers.get("if-modified-since") for e in validated)
    assert all(e.headers.get("if-none-match") for e in validated if e.host != "sfj.youyang.gov.cn")
    assert not any("index_1" in e.path or "page=2" in e.path or "index_2" in e.path for e in entries)
    assert stats["fetch/skipped/pagination_known"] == len(manifest.columns)
    run = _captures(sqlite_db, stats["run_id"])
    # Nothing new to parse: 304s, and an unchanged body from the server without validators.
    assert not [c for c in run if c.parse_state == "pending"]
    unchanged = [c for c in run if c.fetch_state == "ok" and c.role == "detail"]
    assert unchanged and all(c.parse_error == "unchanged body" for c in unchanged)
    not_modified = [c for c in run if c.fetch_state == "not_modified"]
    assert stats["fetch/not_modified"] == len(not_modified) > 0
    assert all(c.body_sha256 for c in not_modified)


def test_standard_proxy_variables_and_no_proxy(sqlite_db, manifest, web):
    # No crawl.proxy: http_proxy from the environment is used, and no_proxy is honoured for a
    # site served directly on 127.0.0.1.
    direct = web.direct("www.heping.gov.cn")
    heping_column = direct + "/zwgk/tzgg/index.html"
    youyang_column = manifest.sites["www.hechuan.gov.cn"]["columns"][0]
    stats = run_crawl_process(
        sqlite_db, [youyang_column, heping_column], crawl=crawl_settings(proxy=""),
        env={"http_proxy": web.proxy_url, "no_proxy": "127.0.0.1,localhost"})
    vias = {(e.host, e.via) for e in web.requests()}
    assert ("www.hechuan.gov.cn", "proxy") in vias
    assert ("www.heping.gov.cn", "direct") in vias
    assert all(via == "proxy" for host, via in vias if host == "www.hechuan.gov.cn")
    assert stats["fetch/pages_by_role/detail"] == 2  # one report on each


def test_politeness_one_request_at_a_time_spaced_by_the_delay(sqlite_db, manifest, web):
    # The defaults' shape (AutoThrottle on, a delay), with a shorter delay.
    delay = 0.3
    run_crawl_process(sqlite_db, manifest.sites["www.heping.gov.cn"]["columns"],
                      crawl=crawl_settings(proxy=web.proxy_url, download_delay_seconds=delay, autothrottle=True))
    entries = sorted(web.requests("www.heping.gov.cn"), key=lambda e: e.started)
    assert len(entries) >= 4  # robots.txt, two list pages, the report
    _no_overlap_per_host(entries, TIMEOUT)
    gaps = [b.started - a.started for a, b in zip(entries, entries[1:])]
    # Scrapy varies the delay by +-50%: never closer than half of it.
    assert min(gaps) >= delay * 0.5 - 0.01, gaps
