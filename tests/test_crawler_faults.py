"""Network faults on the crawl: compression bombs, drip-fed, short and endless bodies, a 5xx
storm, redirects to loopback and link-local addresses and across 20 hosts. The crawl finishes,
each is recorded as a failed fetch with its stage and cause in words (a bomb as too large: it
was cut at the size limit while inflating), and the normal page is captured."""
from __future__ import annotations

import time

import pytest

import faultweb
from conftest import pg_schema
from storage.db import Database
from web.crawl import captures, crawl_settings, run_crawl_process

EXPECTED = {
    "/ok.html": ("ok", None),
    "/gzip-bomb.html": ("too_large", "larger than the 2000000 bytes limit"),
    "/deflate-bomb.html": ("too_large", "larger than the 2000000 bytes limit"),
    "/br-bomb.html": ("too_large", "larger than the 2000000 bytes limit"),
    "/drip.html": ("network_error", "timeout after 2 s"),
    "/short.html": ("network_error", "connection closed before the whole body arrived"),
    "/chunked-endless.html": ("too_large", "larger than the 2000000 bytes limit"),
    "/storm.html": ("http_error", "HTTP 503"),
    "/to-loopback.html": ("network_error", "redirect to the private address 127.0.0.1 refused"),
    "/to-link-local.html": ("network_error", "redirect to the private address 169.254.169.254"),
}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def crawled(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    if request.param == "sqlite":
        yield from _crawl(f"sqlite:///{root / 'govreports.db'}")
    else:
        with pg_schema() as url:
            yield from _crawl(url)


def _crawl(url: str):
    db = Database(url)
    db.upgrade()
    with faultweb.FaultWeb() as web:
        starts = [f"http://{faultweb.HOST}{p}" for p in EXPECTED] + ["http://www.hop0.gov.cn/hop/0.html"]
        crawl = crawl_settings(proxy=web.proxy_url, max_response_bytes=2_000_000,
                               download_timeout_seconds=2.0, retry_times=1, obey_robots=True)
        started = time.monotonic()
        stats = run_crawl_process(db, starts, crawl=crawl, timeout=120)
        elapsed = time.monotonic() - started
        yield {"db": db, "stats": stats, "elapsed": elapsed, "hits": dict(web.hits),
               "captures": {c.url: c for c in captures(db, stats["run_id"])}}
    db.dispose()


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_each_fault_is_recorded_in_words(crawled, path):
    state, words = EXPECTED[path]
    capture = crawled["captures"][f"http://{faultweb.HOST}{path}"]
    assert capture.fetch_state == state, capture.fetch_error
    if words:
        assert capture.fetch_error.startswith(f"fetch: http://{faultweb.HOST}{path}: ")
        assert words in capture.fetch_error, capture.fetch_error
        assert "\n" not in capture.fetch_error and "Traceback" not in capture.fetch_error


def test_redirect_chain_across_hosts_stops_and_nothing_private_is_fetched(crawled):
    capture = crawled["captures"]["http://www.hop0.gov.cn/hop/0.html"]
    assert "redirects (redirect loop)" in capture.fetch_error
    hops = [k for k in crawled["hits"] if k.startswith("www.hop") and k.endswith("/hop/0.html")]
    assert len(hops) <= 7  # the first host and at most REDIRECT_MAX_TIMES (5) more, not 20
    # The refused redirects were never sent: the loopback page was not asked for.
    assert not any(k.startswith("127.") for k in crawled["hits"])


def test_crawl_finishes_in_bounded_time(crawled):
    # Every fault is cut by a limit (2 s timeout, 2 MB, 5 redirects), not waited out (the drip
    # alone would take a minute, the endless body forever).
    assert crawled["elapsed"] < 60
